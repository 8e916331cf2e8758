"""What the API says when asked wrongly, and how it answers caches: 400/404/503 as JSON, ETag, 304, headers."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from dashboard_app.api import responses


def error_of(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    assert response.headers["Content-Type"] == "application/json"
    body = response.get_json()
    assert body["status"] == status and body["message"]
    assert "Traceback" not in response.get_data(as_text=True)
    return body


def test_an_unknown_parameter_is_a_400_listing_the_views_parameters(client):
    body = error_of(client.get("/api/v1/discoveries/main.csv?yeers=2000-2010"), 400)
    assert body["parameter"] == "yeers"
    assert set(body["accepted"]) == {"years", "size", "group", "top", "mode"}
    assert body["accepted"]["size"]["values"][:2] == ["all", "split"]


@pytest.mark.parametrize(
    ("query", "parameter", "accepted_key"),
    [
        ("size=huge", "size", "values"),
        ("top=0", "top", "min"),
        ("top=ten", "top", "max"),
        ("years=1700-1750", "years", "min"),
        ("years=abc", "years", "text"),
        ("mode=", "mode", "values"),
    ],
)
def test_an_unacceptable_value_is_a_400_listing_the_accepted_values(client, query, parameter, accepted_key):
    body = error_of(client.get(f"/api/v1/discoveries/main.json?{query}"), 400)
    assert body["parameter"] == parameter and accepted_key in body["accepted"]


def test_a_repeated_parameter_is_a_400(client):
    assert error_of(client.get("/api/v1/discoveries?size=all&size=split"), 400)["parameter"] == "size"


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/nope",
        "/api/v1/nope/main.csv",
        "/api/v1/discoveries/nope.csv",
        "/api/v1/discoveries/main.xlsx",
        "/api/v1/discoveries/main",
        "/api/v1/about",
        "/api/v1/discoveries/main.csv/extra",
        "/api/v2/discoveries",
    ],
)
def test_unknown_endpoints_are_a_json_404(client, path):
    response = client.get(path)
    if path.startswith("/api/v2"):
        assert response.status_code == 404
        return
    error_of(response, 404)


def test_an_unknown_neo_is_a_404_with_suggestions(client, api_snapshot):
    provid = str(api_snapshot.discoveries["provid"].iloc[0])
    body = error_of(client.get(f"/api/v1/neo/{provid[:6]}"), 404)
    assert any(provid[:6] in s for s in body["suggestions"])


@pytest.mark.parametrize(
    "query", ["", "q=", "q=%20%20", "q=x&limit=0", "q=x&limit=51", "q=x&limit=a", "q=x&page=2", "q=" + "9" * 65]
)
def test_search_refuses_what_it_cannot_answer(client, query):
    error_of(client.get(f"/api/v1/search?{query}"), 400)


def test_answers_carry_the_snapshot_and_a_304_spares_the_body(client, api_snapshot):
    for path in ("/api/v1/", "/api/v1/discoveries/main.csv", "/api/v1/sizes/main.json?scale=linear", "/api/v1/snapshot",
                 f"/api/v1/neo/{api_snapshot.discoveries['provid'].iloc[0]}", "/api/v1/search?q=20"):  # fmt: skip
        first = client.get(path)
        assert first.status_code == 200, path
        assert first.headers["ETag"] == f'"{api_snapshot.id}"'
        assert first.headers["X-Snapshot-Id"] == api_snapshot.id
        assert first.headers["X-Data-Time"] == responses.data_time(api_snapshot)
        assert first.headers["Access-Control-Allow-Origin"] == "*"
        for tag in (
            first.headers["ETag"],
            f'W/"{api_snapshot.id}"',
            f'"{api_snapshot.id}:gzip"',
            f'"x", {first.headers["ETag"]}',
        ):
            again = client.get(path, headers={"If-None-Match": tag})
            assert again.status_code == 304 and again.data == b"", (path, tag)
            assert again.headers["ETag"] == first.headers["ETag"]
        assert client.get(path, headers={"If-None-Match": '"another-snapshot"'}).status_code == 200


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/v1/search?q=x&limit=0", 400),
        ("/api/v1/discoveries?size=huge", 400),
        ("/api/v1/discoveries/main.csv?size=huge", 400),
        ("/api/v1/neo/zz-no-such-neo", 404),
        ("/api/v1/discoveries/nope.csv", 404),
    ],
)
def test_a_bad_request_is_refused_even_when_the_clients_copy_is_current(client, api_snapshot, path, status):
    error_of(client.get(path, headers={"If-None-Match": f'"{api_snapshot.id}"'}), status)  # not a 304


def test_compressed_csv_keeps_its_validator(client, api_snapshot):
    response = client.get("/api/v1/discoveries/main.csv", headers={"Accept-Encoding": "gzip"})
    assert response.headers.get("Content-Encoding") == "gzip"
    assert gzip.decompress(response.data).decode() == client.get("/api/v1/discoveries/main.csv").get_data(as_text=True)
    etag = response.headers["ETag"]
    assert api_snapshot.id in etag
    assert (
        client.get(
            "/api/v1/discoveries/main.csv", headers={"If-None-Match": etag, "Accept-Encoding": "gzip"}
        ).status_code
        == 304
    )


def test_without_a_snapshot_the_api_answers_503(tmp_path: Path):
    from dashboard_app.app import create_app
    from dashboard_app.settings import load_settings

    app = create_app(load_settings({"DATA_DIR": str(tmp_path), "LOG_FORMAT": "text"}, env_file=None))
    try:
        client = app.server.test_client()
        for path in ("/api/v1/", "/api/v1/discoveries/main.csv", "/api/v1/neo/99942", "/api/v1/snapshot",
                     "/api/v1/search?q=1", "/api/v1/snapshot/latest.sqlite"):  # fmt: skip
            error_of(client.get(path), 503)
        for path in ("/api/v1/nope", "/api/v1/nope/main.csv", "/api/v1/discoveries/nope.csv"):
            error_of(client.get(path), 404)  # what does not exist is a 404, data or not
        assert client.get("/neo/99942").status_code == 404
    finally:
        app.server.extensions["neo_store"].stop()


def test_the_api_is_rate_limited_per_address_apart_from_the_callbacks(snapshot_data_dir):
    from dashboard_app.app import create_app
    from dashboard_app.settings import load_settings

    settings = {"DATA_DIR": str(snapshot_data_dir), "LOG_FORMAT": "text", "RATE_LIMIT": "3 per minute"}
    app = create_app(load_settings(settings, env_file=None))
    try:
        client = app.server.test_client()
        paths = ["/api/v1/discoveries/main.csv", "/api/v1/search?q=1", "/api/v1/snapshot"]
        assert [client.get(p).status_code for p in paths] == [200, 200, 200]
        limited = client.get("/api/v1/discoveries/sizes.json")
        body = error_of(limited, 429)
        assert "Retry-After" in limited.headers and "snapshot file" in body["message"]
        other = client.get("/api/v1/", environ_base={"REMOTE_ADDR": "10.1.2.3"})
        assert other.status_code == 200  # another address has its own budget
        assert client.get("/discoveries").status_code == 200  # pages are never limited
    finally:
        app.server.extensions["neo_store"].stop()
