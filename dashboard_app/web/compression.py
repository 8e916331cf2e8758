"""Response compression (flask-compress), with the immutable bundles compressed once per worker.

plotly.js alone is megabytes; compressing it costs a large fraction of a second of
CPU, too much to pay per visitor on a small machine. Dash's bundles
(``/_dash-component-suites/…``, read from the installed packages) and the app's own
fingerprinted plotly.js bundle cannot change while the process runs, so their
compressed bytes are kept in a small per-process cache, filled in the master before
fork (:func:`warm_bundle_cache`, for the algorithms browsers use) so every worker starts with it. Everything else
(pages, layouts, callback answers) is compressed fresh and never cached. Assets are
streamed from disk and compressed on the fly (streaming algorithms: zstd, br,
deflate). flask-compress picks the algorithm the browser accepts.

The cache key is the asset itself — package and path with Dash's fingerprint
removed, never the query string — so ``?cb=<random>`` or a made-up fingerprint is
served from the cache instead of costing a compression and evicting real entries
(issue #13).
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Iterable

from dash.fingerprint import check_fingerprint
from flask import Flask, Request, current_app
from flask_compress import Compress

# Endpoints (besides Dash's component suites) whose answer depends only on the path, e.g. the plotly bundle.
IMMUTABLE_ENDPOINTS_KEY = "neo_immutable_endpoints"
_BUNDLE = "bundle:"
_WARMED_ALGORITHMS = ("zstd", "br")
"""Compressed before fork: what browsers accept (Chrome, Edge and Firefox send zstd and br; Safari br over HTTPS).
gzip, for older clients and tools such as curl, is compressed on its first request in each worker and then cached:
warming it too would add ~0.14 CPU-s (more than the other two together) to every start."""
_SCRIPT_SRC = re.compile(r'<script[^>]* src="([^"]*/_dash-component-suites/[^"]+)"')


class ImmutableBundleCache:
    """A bounded get/set store for flask-compress that keeps only keys naming an immutable bundle."""

    def __init__(self, max_entries: int = 64) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def get(self, key: str) -> bytes | None:
        with self._lock:
            return self._entries.get(key)

    def set(self, key: str, value: bytes) -> None:
        if not key.partition(";")[2].startswith(_BUNDLE):
            return
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)


def cache_key(request: Request) -> str:
    """``bundle:<package>/<path>`` for an immutable bundle (fingerprint and query ignored), else ``fresh:<path>``."""
    args = request.view_args or {}
    if "package_name" in args and "fingerprinted_path" in args:  # Dash's /_dash-component-suites/ route
        path, _fingerprinted = check_fingerprint(args["fingerprinted_path"])
        return f"{_BUNDLE}{args['package_name']}/{path}"
    if request.endpoint in current_app.extensions.get(IMMUTABLE_ENDPOINTS_KEY, ()):
        return f"{_BUNDLE}{request.endpoint}"
    return f"fresh:{request.path}"


def install_compression(server: Flask) -> Compress:
    """Compress text responses (zstd, br or gzip), caching only the immutable bundles."""
    server.config.update(
        COMPRESS_CACHE_BACKEND=ImmutableBundleCache,
        COMPRESS_CACHE_KEY=cache_key,
    )
    server.extensions.setdefault(IMMUTABLE_ENDPOINTS_KEY, set())
    compress = Compress(server)
    compress.compress_mimetypes_set.add("text/csv")  # the data API's CSV answers (``/api/v1/…/<chart>.csv``)
    server.extensions["neo_compress"] = compress
    return compress


def warm_bundle_cache(server: Flask, page: str, extra_urls: Iterable[str] = ()) -> int:
    """Compress every bundle ``page`` loads (and ``extra_urls``) once per browser algorithm (zstd, br), so the cache
    is full before fork and no browser waits for a compression; returns the number of cached entries."""
    client = server.test_client()
    html = client.get(page).get_data(as_text=True)
    urls = [*_SCRIPT_SRC.findall(html), *extra_urls]
    for url in urls:
        for algorithm in _WARMED_ALGORITHMS:
            client.get(url, headers={"Accept-Encoding": algorithm})
    return len(server.extensions["neo_compress"].cache)
