"""Compression: bundles and pages go out compressed; only the immutable Dash bundles are cached."""

from __future__ import annotations

import gzip
import json
import re

import flask_compress.flask_compress
from dash.fingerprint import check_fingerprint

from dashboard_app.web.compression import ImmutableBundleCache
from tests.serving.test_responses import post_callback


def count_compressions(monkeypatch) -> list[str]:
    """The algorithm of every compression flask-compress makes from now on (cache hits make none)."""
    compressions: list[str] = []
    original = flask_compress.flask_compress._compress_data
    monkeypatch.setattr(
        flask_compress.flask_compress,
        "_compress_data",
        lambda *args: compressions.append(args[-1]) or original(*args),
    )
    return compressions


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


def test_the_bundle_cache_keeps_only_bundles_and_stays_bounded():
    cache = ImmutableBundleCache(max_entries=2)
    cache.set("gzip;fresh:/_dash-layout", b"layout")
    cache.set("gzip;fresh:/_dash-update-component", b"answer")
    cache.set("br;fresh:/about", b"page")
    assert len(cache) == 0
    for name in ("a", "b", "c"):
        cache.set(f"br;bundle:dash/{name}.js", name.encode())
    assert cache.get("br;bundle:dash/a.js") is None
    assert cache.get("br;bundle:dash/c.js") == b"c"
    assert len(cache) == 2


def test_every_bundle_of_the_page_is_compressed_before_the_first_visitor(build_app, snapshot_dir):
    server = build_app(snapshot_dir).server
    cache = server.extensions["neo_compress"].cache
    page = server.test_client().get("/about").get_data(as_text=True)
    bundles = [u for u in re.findall(r'src="([^"]+)"', page) if "_dash-component-suites" in u]
    assert bundles
    for url in bundles:
        path = check_fingerprint(url.split("/_dash-component-suites/", 1)[1])[0]
        assert cache.get(f"zstd;bundle:{path}") is not None, url
        assert cache.get(f"br;bundle:{path}") is not None, url


def test_a_gzip_only_client_gets_each_bundle_compressed_once_then_from_the_cache(build_app, snapshot_dir, monkeypatch):
    """gzip is not compressed before fork (browsers send zstd or br): its first request compresses, the rest reuse."""
    server = build_app(snapshot_dir).server
    client = server.test_client()
    url = renderer_url(client)
    compressions = count_compressions(monkeypatch)
    answers = [client.get(url, headers={"Accept-Encoding": "gzip"}) for _ in range(3)]
    assert [a.headers["Content-Encoding"] for a in answers] == ["gzip"] * 3
    assert len({a.data for a in answers}) == 1
    assert compressions == ["gzip"]
    for algorithm in ("zstd", "br"):  # warmed before fork: no compression at all
        assert client.get(url, headers={"Accept-Encoding": algorithm}).headers["Content-Encoding"] == algorithm
    assert compressions == ["gzip"]


def test_cache_busting_queries_and_made_up_fingerprints_cost_no_compression(build_app, snapshot_dir, monkeypatch):
    """Issue #13: random ``?cb=`` requests for a bundle each cost a compression and evicted real entries."""
    server = build_app(snapshot_dir).server
    client = server.test_client()
    url = renderer_url(client)
    cache = server.extensions["neo_compress"].cache
    expected = gzip.decompress(client.get(url, headers={"Accept-Encoding": "gzip"}).data)  # gzip: cached now
    entries = len(cache)
    compressions = count_compressions(monkeypatch)
    made_up = re.sub(r"\.v([\w-]+)m\d+\.", lambda m: f".v{m.group(1)}m123456.", url)
    assert made_up != url
    busting = [f"{url}?cb={i}" for i in range(20)] + [made_up, f"{made_up}?v=9"]
    answers = [client.get(u, headers={"Accept-Encoding": "gzip"}) for u in busting]
    assert {a.status_code for a in answers} == {200}
    assert all(gzip.decompress(a.data) == expected for a in answers)
    assert compressions == []
    assert len(cache) == entries
