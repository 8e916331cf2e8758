"""The data API and object pages in /metrics: counted by URL rule (one label per route, never per NEO)."""

from __future__ import annotations

from urllib.parse import quote

from tests.observability.traffic import TOKEN, parse, total

API_NEO = "/api/v1/neo/<designation>"
API_CHART = "/api/v1/<tab_slug>/<file_name>"
PAGES = "/<path:path>"


def test_api_and_object_page_requests_are_counted_by_route_and_the_api_429_as_rejected(snapshot_data_dir):
    from dashboard_app.app import create_app
    from dashboard_app.settings import load_settings

    settings = {"DATA_DIR": str(snapshot_data_dir), "LOG_FORMAT": "text", "RATE_LIMIT": "5 per minute"}
    app = create_app(load_settings({**settings, "OPERATOR_TOKEN": TOKEN}, env_file=None))
    try:
        client = app.server.test_client()
        provids = app.server.extensions["neo_store"].current().discoveries["provid"].iloc[:3].tolist()
        for provid in provids:  # three NEOs: three pages, one route label
            assert client.get(f"/neo/{quote(provid)}").status_code == 200
        assert client.get("/neo/2099_YZ99").status_code == 404
        statuses = [client.get(f"/api/v1/neo/{quote(p)}").status_code for p in provids]
        statuses += [client.get("/api/v1/discoveries/main.csv").status_code for _ in range(3)]
        assert statuses == [200] * 5 + [429]
        text = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).get_data(as_text=True)
    finally:
        app.server.extensions["neo_store"].stop()
    got = parse(text)
    requests = "neo_http_requests_total"
    assert total(got, requests, route=API_NEO, method="GET", status="2xx") == 3
    assert total(got, requests, route=API_CHART, method="GET", status="2xx") == 2
    assert total(got, requests, route=API_CHART, method="GET", status="4xx") == 1
    assert total(got, "neo_http_rejected_total", route=API_CHART, code="429") == 1
    assert total(got, requests, route=PAGES, method="GET", status="2xx") == 3
    assert total(got, requests, route=PAGES, method="GET", status="4xx") == 1
    assert not any(p in text for p in provids), "no designation becomes a label value"
