"""A local stand-in for Sentry's ingest endpoint: an HTTP server on 127.0.0.1 that keeps every envelope."""

from __future__ import annotations

import gzip
import json
import threading
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def _decode(body: bytes, encoding: str) -> bytes:
    if encoding == "gzip":
        return gzip.decompress(body)
    if encoding == "deflate":
        return zlib.decompress(body)
    if encoding == "br":
        import brotli  # only when the SDK found brotli installed

        return brotli.decompress(body)
    return body


def parse_envelope(raw: bytes) -> list[tuple[dict[str, Any], Any]]:
    """(item header, payload) pairs of a Sentry envelope (newline-separated JSON)."""
    lines = raw.split(b"\n")
    items, i = [], 1
    while i < len(lines):
        if not lines[i].strip():
            i += 1
            continue
        header = json.loads(lines[i])
        payload = lines[i + 1] if i + 1 < len(lines) else b""
        try:
            items.append((header, json.loads(payload)))
        except ValueError:
            items.append((header, payload))
        i += 2
    return items


@dataclass
class Sink:
    """What the sink received; ``dsn`` points the SDK at it."""

    port: int
    bodies: list[bytes] = field(default_factory=list)

    @property
    def dsn(self) -> str:
        return f"http://publickey@127.0.0.1:{self.port}/42"

    def events(self) -> list[dict[str, Any]]:
        return [p for raw in list(self.bodies) for h, p in parse_envelope(raw) if h.get("type") == "event"]

    def wait_for_events(self, n: int = 1, timeout_s: float = 15.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and len(self.events()) < n:
            time.sleep(0.1)
        return self.events()


@contextmanager
def sentry_sink() -> Iterator[Sink]:
    """Run the sink for the duration of the block."""
    bodies: list[bytes] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            bodies.append(_decode(body, self.headers.get("Content-Encoding", "")))
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield Sink(httpd.server_address[1], bodies)
    finally:
        httpd.shutdown()
        httpd.server_close()
