"""Response compression (flask-compress), with the immutable Dash bundles compressed once per worker.

plotly.js alone is 4.8 MB (1.4 MB as brotli); compressing it costs about a second
of CPU, too much to pay per visitor on a small machine. Dash's bundles
(``/_dash-component-suites/…``, read from the installed packages) cannot change while
the process runs, so their compressed bytes are kept in a small per-process cache;
everything else (pages, layouts, callback answers) is compressed fresh and never
cached. Assets are streamed from disk and compressed on the fly (streaming
algorithms: zstd, br, deflate). flask-compress picks the algorithm the browser accepts.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict

from flask import Flask, Request
from flask_compress import Compress

_IMMUTABLE_URL = re.compile(r"^[a-z]+;/_dash-component-suites/")


class ImmutableBundleCache:
    """A bounded get/set store for flask-compress that keeps only URLs whose content cannot change."""

    def __init__(self, max_entries: int = 64) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        with self._lock:
            return self._entries.get(key)

    def set(self, key: str, value: bytes) -> None:
        if not _IMMUTABLE_URL.search(key):
            return
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)


def _cache_key(request: Request) -> str:
    return request.full_path.rstrip("?")


def install_compression(server: Flask) -> Compress:
    """Compress text responses (zstd, br or gzip), caching only the immutable bundles."""
    server.config.update(
        COMPRESS_CACHE_BACKEND=ImmutableBundleCache,
        COMPRESS_CACHE_KEY=_cache_key,
    )
    return Compress(server)
