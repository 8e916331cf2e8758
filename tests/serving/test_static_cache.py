"""The page's assets are cached for a year under their versioned URL, and only under it."""

from __future__ import annotations

import re

from dashboard_app.web.static_cache import IMMUTABLE


def test_assets_linked_by_the_page_are_immutable_and_other_versions_are_not(build_app, snapshot_dir):
    client = build_app(snapshot_dir).server.test_client()
    html = client.get("/about").get_data(as_text=True)
    linked = re.findall(r'(?:href|src)="(/assets/[^"?]+\?m=[^"]+)"', html)
    assert {u.split("?")[0] for u in linked} >= {"/assets/shell.js", "/assets/02-shell.css"}
    for url in linked:
        response = client.get(url)
        assert response.status_code == 200 and response.headers["Cache-Control"] == IMMUTABLE, url
        response.close()
    favicon = re.search(r'<link rel="icon"[^>]* href="([^"]+)"', html).group(1)
    assert client.get(favicon).headers["Cache-Control"] == IMMUTABLE  # asked for again at every URL change
    for url in ("/assets/shell.js", "/assets/shell.js?m=12345.5", "/assets/../pyproject.toml?m=1", "/_favicon.ico?v=0"):
        response = client.get(url)
        assert response.headers.get("Cache-Control") != IMMUTABLE, url
        response.close()
