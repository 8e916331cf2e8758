"""Compression: bundles and pages go out compressed; only the immutable Dash bundles are cached."""

from __future__ import annotations

import gzip
import json
import re

from dashboard_app.web.compression import ImmutableBundleCache
from tests.serving.test_responses import post_callback


def renderer_url(client) -> str:
    page = client.get("/about").get_data(as_text=True)
    return next(u for u in re.findall(r'src="([^"]+)"', page) if "dash_renderer" in u)


def test_dash_bundles_are_sent_compressed_and_decompress_to_the_original(build_app, snapshot_dir):
    client = build_app(snapshot_dir).server.test_client()
    url = renderer_url(client)
    plain = client.get(url, headers={"Accept-Encoding": "identity"})
    first = client.get(url, headers={"Accept-Encoding": "gzip"})
    again = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert plain.headers.get("Content-Encoding") is None
    assert first.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in first.headers["Vary"]
    assert len(first.data) < len(plain.data) / 3
    assert gzip.decompress(first.data) == plain.data
    assert again.data == first.data


def test_callback_answers_are_compressed_but_never_served_from_the_cache(build_app, tmp_path):
    from tests.serving.conftest import publish_tiny

    first_id = publish_tiny(tmp_path, tag=1)
    app = build_app(tmp_path)
    client = app.server.test_client()
    before = post_callback(client, headers={"Accept-Encoding": "gzip"})
    second_id = publish_tiny(tmp_path, tag=2)
    assert app.server.extensions["neo_store"].check_now()
    after = post_callback(client, headers={"Accept-Encoding": "gzip"})
    texts = [gzip.decompress(r.data).decode() for r in (before, after)]
    assert first_id in texts[0] and second_id in texts[1]
    assert json.loads(texts[1])["response"]["shell-status"]  # a real Dash answer


def test_the_bundle_cache_keeps_only_dash_bundles_and_stays_bounded():
    cache = ImmutableBundleCache(max_entries=2)
    cache.set("gzip;/_dash-layout", b"layout")
    cache.set("gzip;/_dash-update-component", b"answer")
    cache.set("br;/about?x=1", b"page")
    assert cache.get("gzip;/_dash-layout") is None
    assert cache.get("gzip;/_dash-update-component") is None
    assert cache.get("br;/about?x=1") is None
    for name in ("a", "b", "c"):
        cache.set(f"br;/_dash-component-suites/dash/{name}.js", name.encode())
    assert cache.get("br;/_dash-component-suites/dash/a.js") is None
    assert cache.get("br;/_dash-component-suites/dash/c.js") == b"c"
