"""Security headers on every kind of response, the CSP itself, and rate limits on the callback endpoint."""

from __future__ import annotations

import json
import re

import pytest

from dashboard_app.web.callback_guard import CALLBACK_PATH
from dashboard_app.web.shell import ID_INTERVAL, ID_STATUS

EXPECTED_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}

# A well-formed Dash callback request: the shell's once-a-minute status refresh.
STATUS_CALLBACK = {
    "output": f"{ID_STATUS}.children",
    "outputs": {"id": ID_STATUS, "property": "children"},
    "inputs": [{"id": ID_INTERVAL, "property": "n_intervals", "value": 1}],
    "changedPropIds": [f"{ID_INTERVAL}.n_intervals"],
    "state": [],
}


def post_callback(client, body=STATUS_CALLBACK, **kwargs):
    return client.post(CALLBACK_PATH, data=json.dumps(body), content_type="application/json", **kwargs)


@pytest.fixture
def client(build_app, snapshot_dir):
    return build_app(snapshot_dir, RATE_LIMIT="3 per minute").server.test_client()


def assert_security_headers(response, *, tls: bool = False):
    for name, value in EXPECTED_HEADERS.items():
        assert response.headers.get(name) == value, name
    assert "camera=()" in response.headers["Permissions-Policy"]
    assert response.headers["Content-Security-Policy"].startswith("default-src 'self'; script-src 'self' 'sha256-")
    assert ("Strict-Transport-Security" in response.headers) is tls
    assert "Server" not in response.headers
    assert len(response.headers["X-Request-ID"]) >= 16


def csp_directives(response) -> dict[str, list[str]]:
    parts = [p.strip().split() for p in response.headers["Content-Security-Policy"].split(";")]
    return {p[0]: p[1:] for p in parts}


def test_every_kind_of_response_carries_the_security_headers(client):
    responses = {
        "page": client.get("/about"),
        "asset": client.get("/assets/shell.js"),
        "dash bundle": client.get("/_dash-component-suites/dash/deps/react@18.3.1.min.js"),  # path from Dash's registry
        "layout": client.get("/_dash-layout"),
        "callback": post_callback(client),
        "health": client.get("/health"),
        "missing asset (404)": client.get("/assets/no-such-file.js"),
        "unknown bundle (404)": client.get("/_dash-component-suites/dash/no-such.js"),
        "home redirect": client.get("/"),
        "unknown page (404)": client.get("/no-such-page"),
        "too large (413)": client.post(CALLBACK_PATH, data="x" * 70_000, content_type="application/json"),
    }
    for _ in range(3):
        post_callback(client)
    responses["rate limited (429)"] = post_callback(client)
    statuses = {kind: r.status_code for kind, r in responses.items()}
    assert statuses == {
        "page": 200,
        "asset": 200,
        "dash bundle": 200,
        "layout": 200,
        "callback": 200,
        "health": 200,
        "missing asset (404)": 404,
        "unknown bundle (404)": 404,
        "home redirect": 302,
        "unknown page (404)": 404,
        "too large (413)": 413,
        "rate limited (429)": 429,
    }
    for kind, response in responses.items():
        try:
            assert_security_headers(response)
        except AssertionError as exc:
            raise AssertionError(f"{kind}: {exc}") from exc


def test_csp_allows_no_unsafe_script_source_and_locks_down_the_rest(client):
    directives = csp_directives(client.get("/about"))
    script = directives["script-src"]
    assert script[0] == "'self'"
    assert all(s.startswith("'sha256-") for s in script[1:]) and len(script) >= 2
    assert not any("unsafe" in s or s in ("*", "data:", "blob:", "http:", "https:") for s in script)
    assert directives["object-src"] == ["'none'"]
    assert directives["base-uri"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["form-action"] == ["'self'"]
    assert directives["default-src"] == ["'self'"]
    assert directives["connect-src"] == ["'self'"]


def test_every_inline_script_in_the_page_is_allowed_by_a_csp_hash(client):
    import base64
    import hashlib
    import re

    response = client.get("/about")
    allowed = set(csp_directives(response)["script-src"])
    inline = [
        body
        for attrs, body in re.findall(r"<script([^>]*)>(.*?)</script>", response.get_data(as_text=True), re.S)
        if "src=" not in attrs and "application/json" not in attrs
    ]
    assert inline, "Dash's renderer start-up is an inline script"
    for body in inline:
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in allowed, body[:80]


def test_hsts_is_sent_only_when_the_site_is_served_over_tls(build_app, snapshot_dir):
    plain = build_app(snapshot_dir).server.test_client().get("/about")
    tls = build_app(snapshot_dir, SERVE_TLS="true").server.test_client().get("/about")
    assert "Strict-Transport-Security" not in plain.headers
    assert tls.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert_security_headers(tls, tls=True)


def test_callbacks_get_429_with_a_readable_json_answer_after_the_limit(client):
    answers = [post_callback(client).status_code for _ in range(3)]
    limited = post_callback(client)
    assert answers == [200, 200, 200]
    assert limited.status_code == 429
    assert limited.mimetype == "application/json"
    body = limited.get_json()
    assert body["error"] == "Too many requests"
    assert "3 per 1 minute" in body["message"] and "Wait" in body["message"]
    assert int(limited.headers["Retry-After"]) > 0


def test_health_pages_and_assets_are_never_rate_limited(client):
    for _ in range(4):
        post_callback(client)
    assert post_callback(client).status_code == 429
    assert {client.get("/health").status_code for _ in range(30)} == {200}
    assert {client.get("/about").status_code for _ in range(5)} == {200}
    assert client.get("/assets/shell.js").status_code == 200


def test_the_limit_is_per_client_address_taken_through_the_trusted_proxy_only(build_app, snapshot_dir):
    client = build_app(snapshot_dir, RATE_LIMIT="2 per minute", TRUSTED_PROXY_COUNT="1").server.test_client()

    def from_client(address, spoofed=None):
        forwarded = f"{spoofed}, {address}" if spoofed else address
        return post_callback(client, headers={"X-Forwarded-For": forwarded}).status_code

    assert [from_client("203.0.113.7") for _ in range(3)] == [200, 200, 429]
    # A forged left-most entry does not give a fresh allowance: only the proxy's entry counts.
    assert from_client("203.0.113.7", spoofed="198.51.100.1") == 429
    assert from_client("203.0.113.8") == 200


def test_without_a_trusted_proxy_x_forwarded_for_is_ignored(build_app, snapshot_dir):
    client = build_app(snapshot_dir, RATE_LIMIT="2 per minute").server.test_client()
    codes = [post_callback(client, headers={"X-Forwarded-For": f"198.51.100.{i}"}).status_code for i in range(3)]
    assert codes == [200, 200, 429]


@pytest.mark.parametrize(
    "body",
    [
        "",
        "{{{",
        "[1, 2]",
        json.dumps(STATUS_CALLBACK | {"output": "no-such-component.children"}),
        json.dumps(STATUS_CALLBACK | {"output": ["a", "list"]}),
    ],
    ids=["empty", "not JSON", "a JSON list", "unknown output", "output not text"],
)
def test_a_tampered_callback_request_gets_a_readable_400_not_a_500(client, body):
    response = client.post(CALLBACK_PATH, data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["error"] == "Bad callback request"
    assert "reload the page" in response.get_json()["message"]
    assert_security_headers(response)


def test_tampered_callback_requests_count_against_the_rate_limit(client):
    codes = [client.post(CALLBACK_PATH, data="{{{", content_type="application/json").status_code for _ in range(4)]
    assert codes == [400, 400, 400, 429]


def test_dash_debug_tools_stay_off_even_when_the_environment_asks_for_them(build_app, snapshot_dir, monkeypatch):
    for name in ("DASH_DEBUG", "DASH_UI", "DASH_PROPS_CHECK", "DASH_HOT_RELOAD", "DASH_SERVE_DEV_BUNDLES"):
        monkeypatch.setenv(name, "true")
    page = build_app(snapshot_dir).server.test_client().get("/about").get_data(as_text=True)
    config = json.loads(re.search(r'<script id="_dash-config" type="application/json">(.*?)</script>', page).group(1))
    assert config["ui"] is False
    assert config["props_check"] is False
    assert "hot_reload" not in config
    assert ".dev.js" not in page and "dash_renderer.dev" not in page
