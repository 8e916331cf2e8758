"""Benchmark: the serving layer through a real gunicorn (``gunicorn.conf.py``) on a demo snapshot.

Measures start-up until ``/health`` answers, ``/health`` latency, what a first visit
transfers (raw and compressed), the memory of the master and workers (RSS and PSS:
PSS splits pages shared copy-on-write after the preload, so the sum is the real
footprint), and the SIGTERM shutdown time. Writes the ``serving`` section of
``bench/results.md``.

    python -m bench.serving [--scale 1.0] [--workers 2] [--requests 300]
"""

from __future__ import annotations

import argparse
import re
import statistics
import tempfile
import time
from pathlib import Path

import requests

from bench.results_file import write_section

BROWSER_ENCODINGS = "gzip, deflate, br, zstd"  # what Chromium sends


def _memory_kb(pid: int) -> tuple[int, int]:
    """(RSS, PSS) of one process in kB from /proc/<pid>/smaps_rollup."""
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines() if ":" in line
    )
    return int(fields["Rss"].split()[0]), int(fields["Pss"].split()[0])


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def _first_visit_bytes(session: requests.Session, base: str, encoding: str) -> tuple[int, int]:
    """(number of files, bytes on the wire) for the page, its scripts and styles, and plotly.js."""
    headers = {"Accept-Encoding": encoding}
    page = session.get(f"{base}/about", headers=headers)
    urls = re.findall(r'src="([^"]+)"', page.text) + re.findall(r'href="(/assets/[^"]+)"', page.text)
    urls.append("/_dash-component-suites/plotly/package_data/plotly.min.js")
    total = len(page.content) if encoding == "identity" else int(page.headers.get("Content-Length") or 0)
    for url in urls:
        with session.get(base + url, headers=headers, stream=True) as response:
            total += sum(len(chunk) for chunk in response.raw.stream(65536, decode_content=False))
    return len(urls) + 1, total


def measure(scale: float, workers: int, n_requests: int) -> str:
    """Run everything once; returns the Markdown section."""
    from dashboard_app.sky import generate
    from dashboard_app.snapshot.publish import publish
    from tests.harness.server import launch

    with tempfile.TemporaryDirectory(prefix="bench-serving-") as tmp:
        data_dir = Path(tmp) / "data"
        publish(data_dir, generate(1, scale).build, max_row_drop=None)
        started = time.monotonic()
        server = launch(data_dir, Path(tmp) / "server.log", WORKERS=str(workers), THREADS="4")
        ready_s = time.monotonic() - started
        session = requests.Session()
        try:
            latencies = []
            for _ in range(n_requests):
                t = time.perf_counter()
                assert session.get(f"{server.url}/health", timeout=10).status_code == 200
                latencies.append((time.perf_counter() - t) * 1000)
            latencies.sort()
            files, raw = _first_visit_bytes(session, server.url, "identity")
            t = time.perf_counter()
            _, compressed = _first_visit_bytes(session, server.url, BROWSER_ENCODINGS)
            cold_visit_s = time.perf_counter() - t
            t = time.perf_counter()
            _first_visit_bytes(session, server.url, BROWSER_ENCODINGS)
            warm_visit_s = time.perf_counter() - t
            master = server.process.pid
            procs = [master, *_children(master)]
            memory = {pid: _memory_kb(pid) for pid in procs}
        finally:
            code, stop_s = server.stop()
    rows = "\n".join(
        f"| {'master' if pid == master else 'worker'} {pid} | {rss / 1024:.0f} | {pss / 1024:.0f} |"
        for pid, (rss, pss) in memory.items()
    )
    total_pss = sum(p for _, p in memory.values()) / 1024
    p50, p95, worst = statistics.median(latencies), latencies[int(0.95 * len(latencies)) - 1], latencies[-1]
    visit = f"{compressed / 1e6:.2f} MB; served in {cold_visit_s * 1000:.0f} ms / {warm_visit_s * 1000:.0f} ms"
    return f"""Demo snapshot at scale {scale:g}, gunicorn with `gunicorn.conf.py`, {workers} workers × 4 threads.

| Figure | Value |
|---|---|
| start-up until `/health` answers (preload: code + snapshot) | {ready_s:.1f} s |
| `/health` latency over {n_requests} sequential requests: median / p95 / max | {p50:.1f} / {p95:.1f} / {worst:.1f} ms |
| first visit, {files} files (page, scripts, styles, plotly.js): uncompressed | {raw / 1e6:.2f} MB |
| first visit, compressed as for Chromium; time: first visit / again (bundle cache) | {visit} |
| shutdown on SIGTERM (exit code {code}) | {stop_s:.1f} s |

Memory after the requests above (PSS counts shared copy-on-write pages once; total PSS {total_pss:.0f} MB):

| Process | RSS MB | PSS MB |
|---|---|---|
{rows}
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    body = measure(args.scale, args.workers, args.requests)
    print(body)
    write_section("serving", body)


if __name__ == "__main__":
    main()
