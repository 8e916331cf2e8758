"""Benchmark: object pages, search and the data API under concurrent clients, through real HTTP to gunicorn.

Runs a real gunicorn (``gunicorn.conf.py``; 2 workers × 4 threads by default, rate limit lifted) on a
demo snapshot and measures, client-side over loopback, what each kind of request costs:

- **cold**: the first suggestion after start (the designation index is built then), the first
  ``/api/v1/snapshot`` (the SHA-256 comes from the publisher's record);
- **under load**: ``--clients`` threads, each with its own connection, send a mix for ``--seconds``:
  the object page as the browser loads it (``GET /neo/<designation>`` and the page-routing callback
  that draws it), its JSON, suggestions as the search box asks for them (the callback) and as the
  API serves them, chart data from the API (CSV and JSON, memo hits after the first), a 1 MiB range of
  the snapshot file. NEOs are drawn at random from the snapshot (mostly first visits: cold per-NEO
  records), prefixes are 2–7 characters of real designations.

- **server CPU per request**: the same kinds of request sent one at a time to the app in this process
  (Flask's test client, no sockets), each timed by the CPU time of the thread that served it: what a
  request costs the server, a figure a busy machine distorts far less than latency. A tab page's
  ``GET`` is measured beside the object page's for comparison (Dash's page HTML is the same for both).

Goal (issue #17): object page p95 ≤ 50 ms at full scale. ``python -m bench.neo_pages [--scale 1.0 |
--data-dir DIR] [--clients 8] [--seconds 60]``; writes the "Object pages, search and data API"
section of ``bench/results.md`` unless ``--no-write``.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import requests

from bench.results_file import load_average, write_section
from bench.tabs import Client, build_demo

SECTION = "Object pages, search and data API"
GOAL_MS = 50.0
CPU_ROUNDS = 100


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class Mix:
    """The requests one simulated client sends, in turn, with fresh random NEOs and prefixes."""

    def __init__(self, base: str, deps: list[dict[str, Any]], slugs: list[str], prefixes: list[str], seed: int):
        self.client = Client(base)
        self.client.deps = deps
        self.rng = random.Random(seed)
        self.slugs, self.prefixes = slugs, prefixes
        self.router = next(d for d in deps if "_pages_content.children" in d["output"])
        self.suggest = next(d for d in deps if d["inputs"][0]["id"] == "neo-search-query")

    def _get(self, path: str, **headers: str) -> float:
        t0 = time.perf_counter()
        r = self.client.session.get(self.client.base + path, headers=headers, timeout=60)
        elapsed = time.perf_counter() - t0
        if r.status_code not in (200, 206):
            raise RuntimeError(f"GET {path}: HTTP {r.status_code}")
        return elapsed

    def page(self) -> float:
        slug = quote(self.rng.choice(self.slugs))
        return self._get(f"/neo/{slug}")

    def page_callback(self) -> float:
        slug = quote(self.rng.choice(self.slugs))
        values = {"_pages_location.pathname": f"/neo/{slug}", "_pages_location.search": ""}
        return self.client.post(self.router, values, ["_pages_location.pathname"])

    def neo_json(self) -> float:
        return self._get(f"/api/v1/neo/{quote(self.rng.choice(self.slugs))}")

    def suggestions(self) -> float:
        values = {"neo-search-query.data": self.rng.choice(self.prefixes)}
        return self.client.post(self.suggest, values, ["neo-search-query.data"])

    def search_json(self) -> float:
        return self._get(f"/api/v1/search?q={quote(self.rng.choice(self.prefixes))}")

    def chart_csv(self) -> float:
        return self._get(self.rng.choice(CHART_PATHS) + ".csv")

    def chart_json(self) -> float:
        return self._get(self.rng.choice(CHART_PATHS) + ".json")

    def snapshot_range(self) -> float:
        start = self.rng.randrange(0, max(1, SNAPSHOT_BYTES[0] - (1 << 20)))
        return self._get(SNAPSHOT_PATH[0], Range=f"bytes={start}-{start + (1 << 20) - 1}")

    def tab_page(self) -> float:
        return self._get("/discoveries")


KINDS: dict[str, Callable[[Mix], float]] = {
    "object page: GET /neo/<designation>": Mix.page,
    "object page: routing callback (draws the page)": Mix.page_callback,
    "object JSON: /api/v1/neo/<designation>": Mix.neo_json,
    "suggestions: search-box callback": Mix.suggestions,
    "suggestions: /api/v1/search": Mix.search_json,
    "chart data: /api/v1/<tab>/<chart>.csv": Mix.chart_csv,
    "chart data: /api/v1/<tab>/<chart>.json": Mix.chart_json,
    "snapshot file: 1 MiB range": Mix.snapshot_range,
}
CHART_PATHS: list[str] = []
SNAPSHOT_PATH: list[str] = []
SNAPSHOT_BYTES: list[int] = [0]


class _InProcessResponse:
    def __init__(self, response: Any):
        self.status_code = response.status_code
        self.text = response.get_data().decode("utf-8", "replace")  # read only for errors and dependencies


class _InProcessSession:
    """What :class:`Mix` needs of a ``requests.Session``, answered by the app in this process."""

    def __init__(self, client: Any):
        self.client = client

    def get(self, url: str, headers: dict[str, str] | None = None, timeout: float | None = None) -> Any:
        return _InProcessResponse(self.client.get(url, headers=headers or {}))

    def post(self, url: str, json: Any = None, timeout: float | None = None) -> Any:
        return _InProcessResponse(self.client.post(url, json=json))


def cpu_costs(data_dir: Path, slugs: list[str], prefixes: list[str], rounds: int) -> list[str]:
    """Markdown rows: server CPU ms (median, p95) per kind of request, ``rounds`` of each, one at a time."""
    from dashboard_app.app import create_app
    from dashboard_app.settings import load_settings

    settings = {"DATA_DIR": str(data_dir), "LOG_FORMAT": "text", "LOG_LEVEL": "warning", "RATE_LIMIT": "1000000/minute"}
    app = create_app(load_settings(settings, env_file=None))
    try:
        client = Client("")
        client.session = _InProcessSession(app.server.test_client())  # type: ignore[assignment]
        client.deps = json.loads(client.session.get("/_dash-dependencies").text)
        mix = Mix("", client.deps, slugs, prefixes, 7)
        mix.client = client
        kinds: dict[str, Callable[[Mix], float]] = {
            **KINDS,
            "tab page: GET /discoveries (for comparison)": Mix.tab_page,
        }
        for call in kinds.values():
            call(mix)  # warm: the index, the charts' default views, the page's first render
        rows = []
        for name, call in kinds.items():
            cpu: list[float] = []
            for _ in range(rounds):
                t0 = time.thread_time()
                call(mix)
                cpu.append(time.thread_time() - t0)
            rows.append(f"| {name} | {rounds} | {1000 * statistics.median(cpu):.1f} | {1000 * _pct(cpu, 0.95):.1f} |")
        return rows
    finally:
        app.server.extensions["neo_store"].stop()


def run(data_dir: Path, clients: int, seconds: float, workers: int) -> tuple[str, dict[str, Any]]:
    """Measure against a gunicorn on ``data_dir``; returns (Markdown, raw figures)."""
    from dashboard_app.snapshot.model import load_snapshot
    from dashboard_app.snapshot.publish import current_snapshot_path
    from tests.harness.server import launch

    snapshot = load_snapshot(current_snapshot_path(data_dir))
    slugs = [
        str(p) if isinstance(p, str) and p else str(d).replace(" ", "_")
        for frame in (snapshot.discoveries, snapshot.missing)
        for d, p in zip(frame["provid"], frame["permid"], strict=True)
    ]
    rng = random.Random(17)
    prefixes = [s.replace("_", " ")[: rng.randint(2, 7)] for s in rng.sample(slugs, min(2000, len(slugs)))]
    log = Path(tempfile.mkdtemp(prefix="bench-neo-log-")) / "server.log"
    env = {"WORKERS": str(workers), "THREADS": "4", "RATE_LIMIT": "1000000/minute", "LOG_LEVEL": "warning"}
    server = launch(data_dir, log, **env)
    samples: dict[str, list[float]] = defaultdict(list)
    cold: dict[str, float] = {}
    try:
        probe = Client(server.url)
        probe.get("/_dash-dependencies")
        index = probe.session.get(server.url + "/api/v1/", timeout=60).json()
        CHART_PATHS[:] = [f"/api/v1/{t['tab']}/{chart}" for t in index["tabs"] for chart in t["charts"]]
        SNAPSHOT_PATH[:] = [f"/api/v1/snapshot/{snapshot.path.name}"]
        SNAPSHOT_BYTES[0] = snapshot.path.stat().st_size
        first = Mix(server.url, probe.deps, slugs, prefixes, 0)
        cold["first suggestions (index built)"] = first.suggestions()
        cold["first /api/v1/snapshot"] = first._get("/api/v1/snapshot")
        for path in CHART_PATHS:  # each chart's default view computed once, so the load measures serving
            first._get(path + ".json")
        for worker_warm in range(workers * 4):  # every worker builds its index before the timed part
            Mix(server.url, probe.deps, slugs, prefixes, 1000 + worker_warm).suggestions()
        load_before = load_average()
        stop = time.monotonic() + seconds
        lock = threading.Lock()
        errors: list[str] = []

        def user(n: int) -> None:
            mix = Mix(server.url, probe.deps, slugs, prefixes, n)
            kinds = list(KINDS.items())
            i = n
            while time.monotonic() < stop:
                name, call = kinds[i % len(kinds)]
                i += 1
                try:
                    elapsed = call(mix)
                except (RuntimeError, requests.RequestException) as exc:
                    with lock:
                        errors.append(f"{name}: {exc}")
                    continue
                with lock:
                    samples[name].append(elapsed)

        threads = [threading.Thread(target=user, args=(n,)) for n in range(clients)]
        t0 = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.monotonic() - t0
        load_after = load_average()
    finally:
        server.stop()
    total = sum(len(v) for v in samples.values())
    rows = [
        f"| {name} | {len(v):,} | {1000 * statistics.median(v):.1f} | {1000 * _pct(v, 0.95):.1f} "
        f"| {1000 * _pct(v, 0.99):.1f} |"
        for name, v in samples.items()
    ]
    page_p95 = max(1000 * _pct(samples[k], 0.95) for k in list(KINDS)[:2] if samples[k])
    body = "\n".join(
        [
            f"Snapshot: {len(snapshot.discoveries):,} NEOs with discovery data + {len(snapshot.missing):,} without "
            f"(`{snapshot.id}`, {snapshot.meta.get('source', '')}). gunicorn {workers} workers × 4 threads on "
            f"127.0.0.1; {clients} client threads, each its own connection, for {wall:.0f} s: {total:,} requests "
            f"({total / wall:.0f}/s), {len(errors)} errors. Latency measured by the client (ms).",
            f"Load average before the timed part: {load_before}; after: {load_after}.",
            "",
            f"Cold: first suggestions {1000 * cold['first suggestions (index built)']:.0f} ms (the worker builds the "
            f"designation index), first `/api/v1/snapshot` {1000 * cold['first /api/v1/snapshot']:.0f} ms.",
            "",
            "| Request | n | median | p95 | p99 |",
            "|---|---:|---:|---:|---:|",
            *rows,
            "",
            f"Object page p95 (worse of its two requests): **{page_p95:.1f} ms** (goal ≤ {GOAL_MS:.0f} ms)"
            + ("." if page_p95 <= GOAL_MS else " — over the goal on this run."),
        ]
    )
    if errors:
        body += "\n\nFirst errors: " + "; ".join(errors[:5])
    load_cpu = load_average()
    cpu_rows = cpu_costs(data_dir, slugs, prefixes, CPU_ROUNDS)
    body += "\n".join(
        [
            "",
            "",
            f"Server CPU per request ({load_cpu}): each kind sent {CPU_ROUNDS} times, one at a time, to the app in "
            "one process; CPU time of the serving thread (ms). Random NEOs: most object requests build a record.",
            "",
            "| Request | n | CPU median | CPU p95 |",
            "|---|---:|---:|---:|",
            *cpu_rows,
        ]
    )
    return body, {"samples": samples, "cold": cold, "errors": errors}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, help="a data directory with a published snapshot")
    parser.add_argument("--scale", type=float, default=1.0, help="demo scale when no --data-dir (1.0 ≈ 44k NEOs)")
    parser.add_argument("--seed", type=int, default=20260329)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-write", action="store_true", help="print only; leave bench/results.md alone")
    args = parser.parse_args(argv)
    data_dir = args.data_dir or build_demo(args.scale, args.seed)
    body, _raw = run(data_dir, args.clients, args.seconds, args.workers)
    print(body)
    if not args.no_write:
        write_section(SECTION, body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
