"""What the public sees: no database user, host, port or name on any page; 404 for unknown pages; no debug mode."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from dashboard_app.snapshot.publish import publish
from dashboard_app.tabs.about import PUBLIC_SOURCE
from dashboard_app.web.callback_guard import CALLBACK_PATH
from tests.serving.test_callback_guard import PAGES
from tests.serving.test_responses import STATUS_CALLBACK, assert_security_headers
from tests.snapshot.rows import tiny_build

REAL_SOURCE = "PostgreSQL mpc_sbn at neo_reader@db.internal:5433/mpc_sbn"
SECRETS = ("neo_reader", "db.internal", "5433", "PostgreSQL")


@pytest.fixture(scope="module")
def real_data_dir(tmp_path_factory):
    """A snapshot whose meta says it came from a real database, with the exporter's source text."""
    data_dir = tmp_path_factory.mktemp("real")
    tiny = tiny_build(4, 0, synthetic="0")

    def build(con):
        return tiny(con) | {"source": REAL_SOURCE}

    publish(data_dir, build, clock=lambda: datetime.now(UTC) - timedelta(hours=1), max_row_drop=None)
    return data_dir


@pytest.fixture
def client(build_app, real_data_dir):
    return build_app(real_data_dir, RATE_LIMIT="1000 per minute").server.test_client()


def page_router(client, path):
    body = {
        "output": PAGES,
        "outputs": [{"id": "_pages_content", "property": "children"}, {"id": "_pages_store", "property": "data"}],
        "inputs": [
            {"id": "_pages_location", "property": "pathname", "value": path},
            {"id": "_pages_location", "property": "search", "value": ""},
        ],
        "changedPropIds": ["_pages_location.pathname"],
    }
    return client.post(CALLBACK_PATH, data=json.dumps(body), content_type="application/json")


def decoded(response) -> str:
    """The answer as text, JSON decoded first (Dash escapes ``/`` as ``\\u002f``)."""
    if response.is_json:
        return json.dumps(response.get_json(), ensure_ascii=False)
    return response.get_data(as_text=True)


def test_no_page_layout_or_status_update_names_the_database(client):
    answers = {
        "page": client.get("/about"),
        "layout": client.get("/_dash-layout"),
        "about tab": page_router(client, "/about"),
        "status refresh": client.post(CALLBACK_PATH, data=json.dumps(STATUS_CALLBACK), content_type="application/json"),
    }
    for kind, response in answers.items():
        assert response.status_code == 200, kind
        text = decoded(response)
        for secret in SECRETS:
            assert secret not in text, f"{kind} shows {secret!r}"
    assert PUBLIC_SOURCE in decoded(answers["layout"])  # the data line on every page
    assert PUBLIC_SOURCE in decoded(answers["about tab"])  # the About tab's snapshot table


def test_synthetic_data_still_say_how_they_were_generated(build_app, snapshot_dir):
    layout = build_app(snapshot_dir).server.test_client().get("/_dash-layout").get_data(as_text=True)
    assert "hand-made test rows" in layout  # the demo's own description: nothing private in it


@pytest.mark.parametrize("path", ["/nope", "/discoveries/extra", "/about.php", "/_dash-nothing", "/assets-x"])
def test_an_unknown_page_answers_404_with_the_site_around_it(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert '<div id="react-entry-point">' in response.get_data(as_text=True)  # Dash still shows its "not found"
    assert_security_headers(response)


@pytest.mark.parametrize("path", ["/discoveries", "/discoveries/", "/sizes?years=2000-2010", "/about?section=sources"])
def test_every_tab_answers_200_with_or_without_a_query_or_trailing_slash(client, path):
    assert client.get(path).status_code == 200


def test_flask_debug_from_the_environment_is_ignored(build_app, real_data_dir, monkeypatch):
    monkeypatch.setenv("FLASK_DEBUG", "1")
    app = build_app(real_data_dir)
    server = app.server
    assert server.debug is False

    def broken_health():
        raise RuntimeError("a bug")

    monkeypatch.setattr(server.extensions["neo_store"], "health", broken_health)
    response = server.test_client().get("/health")  # with debug on, the test client would re-raise instead
    assert response.status_code == 500
    assert "a bug" not in response.get_data(as_text=True)
    assert_security_headers(response)
