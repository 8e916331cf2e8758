"""Benchmark: what recording metrics costs per request, and a sample of ``/metrics`` after a load run.

Three measurements, one run:

1. **In process, per call** (a child process in prometheus_client's multiprocess mode, files in a
   temp dir as under gunicorn): the time ``Recorder.record_request`` + ``Recorder.sync_worker`` take
   per request, over the real snapshot store.
2. **In process, per request through Flask** (test client, no network, single-process mode):
   ``GET /health`` with metrics off vs on (``OPERATOR_TOKEN`` set); the difference per request.
3. **Real gunicorn under load** (2 workers × 4 threads, rate limit lifted): the tabs' chart callbacks,
   pages and ``/health`` from ``--clients`` concurrent clients, ``--requests`` per run, metrics off and
   on alternately for ``--rounds`` rounds: requests/s and median / p95 latency. Then one ``/metrics``
   scrape: its time and size; the exposition is saved to ``bench/metrics-exposition.txt``.

``python -m bench.metrics [--scale 1.0] [--requests 1500] [--clients 8] [--rounds 2] [--no-write]``;
writes the "metrics" section of ``bench/results.md`` unless ``--no-write``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

from bench.results_file import load_average, write_section
from bench.tabs import build_demo

SECTION = "metrics"
REPO = Path(__file__).resolve().parents[1]
SAMPLE = Path(__file__).with_name("metrics-exposition.txt")
TOKEN = "bench-" + "0123456789abcdef" * 3


# --- 1. per call, multiprocess mode (run in a child process: the mode is chosen before any metric exists) ---


def _per_call(data_dir: Path, n: int) -> dict[str, float]:
    from dashboard_app.observability import multiprocess

    folder = Path(tempfile.mkdtemp(prefix="bench-metrics-mp-"))
    multiprocess.enable(folder)
    from dashboard_app.observability.callbacks import CallbackLabels
    from dashboard_app.observability.recorder import Recorder
    from dashboard_app.snapshot.store import SnapshotStore

    store = SnapshotStore(data_dir, 3600)
    store.load_initial()
    recorder = Recorder(store, {})
    labels = CallbackLabels("sizes", "update", "main")
    recorder.record_request("/_dash-update-component", "POST", 200, 0.01, labels)  # first use builds the families
    t = time.perf_counter()
    for i in range(n):
        recorder.record_request("/_dash-update-component", "POST", 200, 0.001 * (i % 50), labels)
    record_us = (time.perf_counter() - t) / n * 1e6
    t = time.perf_counter()
    for _ in range(n):
        recorder.sync_worker()
    sync_us = (time.perf_counter() - t) / n * 1e6
    shutil.rmtree(folder, ignore_errors=True)
    return {"record_us": record_us, "sync_us": sync_us}


def per_call(data_dir: Path, n: int) -> dict[str, float]:
    code = f"import json; from bench.metrics import _per_call; print(json.dumps(_per_call({str(data_dir)!r}, {n})))"
    env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, cwd=REPO, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


# --- 2. per request through Flask, in process ------------------------------------------------------------------


def per_flask_request(data_dir: Path, n: int) -> dict[str, float]:
    """``GET /health`` alternately on an app without and with metrics, ``n`` pairs; medians and paired difference."""
    import logging

    from dashboard_app.app import create_app
    from dashboard_app.settings import load_settings

    apps = {}
    for name, extra in (("off", {}), ("on", {"OPERATOR_TOKEN": TOKEN})):
        env = {"DATA_DIR": str(data_dir), "LOG_LEVEL": "warning", **extra}
        apps[name] = create_app(load_settings(env, env_file=None))
    logging.getLogger("dashboard_app").setLevel(logging.WARNING)
    clients = {name: app.server.test_client() for name, app in apps.items()}
    for client in clients.values():  # warm both
        for _ in range(50):
            client.get("/health")
    times: dict[str, list[float]] = {"off": [], "on": []}
    for i in range(n):  # pairs in alternating order: drift on a shared machine hits both alike
        for name in ("off", "on") if i % 2 else ("on", "off"):
            t = time.perf_counter()
            clients[name].get("/health")
            times[name].append((time.perf_counter() - t) * 1e6)
    for app in apps.values():
        app.server.extensions["neo_store"].stop()
    diffs = [on - off for on, off in zip(times["on"], times["off"], strict=True)]
    return {
        "off_us": statistics.median(times["off"]),
        "on_us": statistics.median(times["on"]),
        "diff_us": statistics.median(diffs),
    }


# --- 3. real gunicorn under load ------------------------------------------------------------------------------


def _load(base: str, bodies: list[bytes], n: int, clients: int) -> dict[str, float]:
    """``n`` requests from ``clients`` threads: 80 % chart callbacks, 10 % pages, 10 % /health."""
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    counter = iter(range(n))

    def client() -> None:
        session = requests.Session()
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                return
            t = time.perf_counter()
            if i % 10 == 0:
                r = session.get(f"{base}/health", timeout=60)
            elif i % 10 == 1:
                r = session.get(f"{base}/sizes", timeout=60)
            else:
                r = session.post(
                    f"{base}/_dash-update-component",
                    data=bodies[i % len(bodies)],
                    headers={"Content-Type": "application/json"},
                    timeout=60,
                )
            elapsed = time.perf_counter() - t
            with lock:
                latencies.append(elapsed)
                if r.status_code not in (200, 204):
                    errors.append(f"{r.status_code} {r.url}")

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    wall = time.perf_counter() - started
    if errors:
        raise RuntimeError(f"{len(errors)} failed requests, e.g. {errors[:3]}")
    latencies.sort()
    return {
        "rps": n / wall,
        "p50_ms": statistics.median(latencies) * 1000,
        "p95_ms": latencies[int(0.95 * len(latencies)) - 1] * 1000,
    }


def under_load(data_dir: Path, n: int, clients: int, rounds: int) -> tuple[dict[str, list[dict[str, float]]], dict]:
    from tests.harness.server import find_free_port, launch
    from tests.observability.traffic import chart_callbacks

    runs: dict[str, list[dict[str, float]]] = {"off": [], "on": []}
    scrape: dict = {}
    logs = Path(tempfile.mkdtemp(prefix="bench-metrics-"))
    common = {"WORKERS": "2", "THREADS": "4", "RATE_LIMIT": "1000000/minute", "LOG_LEVEL": "warning"}
    for r in range(rounds):
        for mode in ("off", "on"):
            metrics_port = find_free_port()
            extra = {"METRICS_PORT": str(metrics_port), "METRICS_DIR": str(logs / f"mp-{r}")} if mode == "on" else {}
            server = launch(data_dir, logs / f"{mode}-{r}.log", **common, **extra)
            try:
                bodies = [c.body for c in chart_callbacks(server.url)]
                _load(server.url, bodies, len(bodies) * 2, clients)  # warm the memo caches of both workers
                runs[mode].append(_load(server.url, bodies, n, clients))
                if mode == "on" and r == rounds - 1:
                    url = f"http://127.0.0.1:{metrics_port}/metrics"
                    t = time.perf_counter()
                    text = requests.get(url, timeout=30).text
                    scrape = {"ms": (time.perf_counter() - t) * 1000, "bytes": len(text.encode()), "text": text}
                    scrape["files"] = len(list((logs / f"mp-{r}").glob("*.db")))
            finally:
                server.stop()
    shutil.rmtree(logs, ignore_errors=True)
    return runs, scrape


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--requests", type=int, default=1500)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()

    data_dir = build_demo(args.scale, 1)
    try:
        load_1 = load_average()
        calls = per_call(data_dir, 20000)
        flask = per_flask_request(data_dir, 3000)
        load_2 = load_average()
        runs, scrape = under_load(data_dir, args.requests, args.clients, args.rounds)
        load_3 = load_average()
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)

    def best(mode: str, key: str) -> float:
        values = [run[key] for run in runs[mode]]
        return max(values) if key == "rps" else min(values)

    rows = "\n".join(
        f"| metrics {mode}, run {i + 1} | {run['rps']:.0f} | {run['p50_ms']:.1f} | {run['p95_ms']:.1f} |"
        for mode in ("off", "on")
        for i, run in enumerate(runs[mode])
    )
    body = f"""Demo snapshot at scale {args.scale:g}. Figures from one run; the machine is shared, so compare
the on/off pairs measured minutes apart, not single numbers.

**Per call, multiprocess mode** (as in a gunicorn worker; {load_1}): `record_request` (one counter +
one histogram for the route, the same for the callback) {calls["record_us"]:.1f} µs, `sync_worker`
(store and memo counters, snapshot gauges) {calls["sync_us"]:.1f} µs: **{calls["record_us"] + calls["sync_us"]:.1f} µs
per request** in all.

**Per request through Flask, in process** (test client, `GET /health`, 3000 pairs alternating between an
app without and one with metrics; {load_2}): median off {flask["off_us"]:.0f} µs, on {flask["on_us"]:.0f} µs;
median paired difference **{flask["diff_us"]:+.0f} µs per request**.

**Real gunicorn** (2 workers × 4 threads, {args.clients} concurrent clients, {args.requests} requests a run:
80 % chart callbacks with warm memo caches, 10 % pages, 10 % `/health`; {load_3} after the runs):

| Run | requests/s | median ms | p95 ms |
|---|---|---|---|
{rows}

Best on / best off: throughput ×{best("on", "rps") / best("off", "rps"):.3f}, median latency
×{best("on", "p50_ms") / best("off", "p50_ms"):.3f}.

**Scrape after the load run**: `/metrics` answered in {scrape["ms"]:.0f} ms, {scrape["bytes"] / 1024:.0f} KiB,
{scrape["files"]} metric files; the exposition is in `bench/metrics-exposition.txt`.
"""
    print(body)
    SAMPLE.write_text(scrape["text"], encoding="utf-8")
    if not args.no_write:
        write_section(SECTION, body)


if __name__ == "__main__":
    main()
