"""bench.memory's parts for one gunicorn: processes and their memory (PSS/USS from smaps_rollup) and CPU,
the two published skies and their installation, spawning and cold start, /health polling, and the load."""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import requests

from bench.memory_load import UserLoad

REPO = Path(__file__).resolve().parents[1]
REALISTIC = {"TRUSTED_PROXY_COUNT": "1", "FORWARDED_ALLOW_IPS": "127.0.0.1"}
"""Production-like: the rate limit applies per locust user (each its own address through a trusted proxy)."""
POLL_S = 5.0  # SNAPSHOT_POLL_SECONDS, the default
SWAP_GAP_S = 45.0
"""Seconds between bench.memory's swaps after the first: a switch takes ~5 s and the master's replacement of
4 workers after it ~35 s (one per poll interval), so each swap starts from a settled server and the time just
before it is a fair "before" (:func:`before_each`)."""
MB = 2**20


# --- processes and memory ----------------------------------------------------------------------


def memory_kb(pid: int) -> dict[str, int]:
    """Rss, Pss, and Private (USS = Private_Clean + Private_Dirty) of one process in kB."""
    fields = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        key, _, rest = line.partition(":")
        if rest.strip().endswith("kB"):
            fields[key] = int(rest.split()[0])
    return {"rss": fields["Rss"], "pss": fields["Pss"], "uss": fields["Private_Clean"] + fields["Private_Dirty"]}


def children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def tree_memory(master: int) -> dict[int, dict[str, int]]:
    """Memory of the master and each of its workers (processes that vanish meanwhile are skipped)."""
    out = {}
    for pid in [master, *children(master)]:
        try:
            out[pid] = memory_kb(pid)
        except (FileNotFoundError, ProcessLookupError, KeyError):
            continue
    return out


def tree_cpu_s(master: int) -> float:
    """CPU seconds (user + system) the master and its live workers used so far."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in [master, *children(master)]:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def total_pss_mb(memory: dict[int, dict[str, int]]) -> float:
    return sum(m["pss"] for m in memory.values()) / 1024


PSS_SAMPLES = 5
PSS_GAP_S = 1.5


def sampled_pss_mb(master: int, samples: int = PSS_SAMPLES, gap_s: float = PSS_GAP_S) -> tuple[float, float, float]:
    """Total PSS of the master and its workers ``samples`` times ``gap_s`` apart: (median, lowest, highest) MB.

    Under load one instant may catch requests' temporaries (a comparison view's intermediate frames, tens of
    MB while it runs), which a worker gives back when they end; the median says what the server keeps."""
    values = []
    for k in range(samples):
        if k:
            time.sleep(gap_s)
        values.append(total_pss_mb(tree_memory(master)))
    return statistics.median(values), min(values), max(values)


def load_avg() -> str:
    one, five, _ = os.getloadavg()
    return f"{one:.1f} / {five:.1f}"


# --- snapshots -----------------------------------------------------------------------------------


def prepare_snapshots(scale: float, seed: int, stage: Path) -> tuple[Path, Path]:
    """Publish the synthetic skies ``seed`` and ``seed + 1`` into ``stage/a`` and ``stage/b``.

    Two skies, so the swap brings different data (as a nightly export does: nothing carries over).
    In a subprocess, so the generator's memory (2.4 GB at scale 1) goes back to the system.
    """
    code = (
        "import sys; from dashboard_app.sky import generate; from dashboard_app.snapshot.publish import publish; "
        f"[print(publish(sys.argv[1] + '/' + d, generate(s, {scale}).build, max_row_drop=None).path) "
        f"for d, s in (('a', {seed}), ('b', {seed + 1}))]"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(stage)], cwd=REPO, capture_output=True, text=True, check=True, timeout=1800
    )
    a, b = (Path(line) for line in out.stdout.split())
    return a, b


def install(snapshot: Path, data_dir: Path) -> float:
    """Copy a published snapshot and its companion into ``data_dir`` (unless they are there already, from an
    earlier swap), then replace CURRENT; returns the wall time."""
    if (data_dir / snapshot.name).exists():
        return _point_to(snapshot.name, data_dir)
    companion = snapshot.with_suffix(".frames")
    tmp_file, tmp_dir = data_dir / f".build-bench{snapshot.suffix}", data_dir / ".build-bench.frames"
    shutil.copy2(snapshot, tmp_file)
    if companion.is_dir():
        shutil.copytree(companion, tmp_dir)
        os.rename(tmp_dir, data_dir / companion.name)
    os.rename(tmp_file, data_dir / snapshot.name)
    return _point_to(snapshot.name, data_dir)


def _point_to(name: str, data_dir: Path) -> float:
    pointer_tmp = data_dir / ".CURRENT.tmp-bench"
    pointer_tmp.write_text(name + "\n")
    os.replace(pointer_tmp, data_dir / "CURRENT")
    return time.time()


def snapshot_id(path: Path) -> str:
    return path.name.removeprefix("snapshot-").removesuffix(".sqlite")


# --- one gunicorn --------------------------------------------------------------------------------


@dataclass
class Server:
    process: subprocess.Popen
    url: str
    log_path: Path
    spawned: float
    startup_cpu_s: float = 0.0

    def log_records(self) -> list[dict[str, Any]]:
        records = []
        for line in self.log_path.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("{"):
                try:
                    records.append(json.loads(line))
                except ValueError:
                    continue
        return records

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


def spawn(data_dir: Path, log_path: Path, **settings: str) -> Server:
    from tests.harness.server import GUNICORN_CONF, find_free_port, server_env

    port = find_free_port()
    env = server_env(data_dir, port, {"THREADS": "4", **settings})
    with log_path.open("w", encoding="utf-8") as log:
        spawned = time.monotonic()
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--config", str(GUNICORN_CONF)],
            cwd=log_path.parent,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return Server(process, f"http://127.0.0.1:{port}", log_path, spawned)


def cold_start(server: Server, timeout_s: float = 120) -> tuple[float, float]:
    """Seconds from spawning to the first page (HTML), and to its first charts (the layout naming the page)."""
    from importlib import import_module

    from bench.memory_load import _layout_checked
    from bench.tabs import Client

    module = import_module("dashboard_app.tabs.discoveries")
    session = requests.Session()
    session.trust_env = False
    deadline = time.monotonic() + timeout_s
    while True:
        if server.process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"gunicorn did not serve a page:\n{server.log_path.read_text()[-3000:]}")
        try:
            if session.get(server.url + module.PATH, timeout=5).status_code == 200:
                break
        except requests.RequestException:
            pass
        time.sleep(0.02)
    page_s = time.monotonic() - server.spawned
    server.startup_cpu_s = tree_cpu_s(server.process.pid)
    client = Client(server.url, session=session)
    status, ok, error = _layout_checked(client, module.PATH)  # the page's layout holds its first charts
    if not ok:
        raise RuntimeError(f"the first chart failed: {status} {error}")
    return page_s, time.monotonic() - server.spawned


class HealthPoller:
    """GET /health on new connections (so every worker answers now and then): (time, pid, snapshot id)."""

    def __init__(self, url: str, interval_s: float = 0.1):
        self.url, self.interval_s = url, interval_s
        self.seen: list[tuple[float, int, str]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        session = requests.Session()
        session.trust_env = False
        while not self._stop.wait(self.interval_s):
            try:
                checks = session.get(self.url + "/health", headers={"Connection": "close"}, timeout=10).json()["checks"]
                self.seen.append((time.time(), checks["uptime"][0]["pid"], checks["snapshot:age"][0]["componentId"]))
            except (requests.RequestException, KeyError, ValueError):
                continue

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)


def window(answers: list[dict[str, Any]], since: float, until: float) -> dict[str, float]:
    """n, failed (not counting 429), limited (429) and p95 (ms) of the callbacks answered in [since, until)."""
    return windows(answers, [(since, until)])


def windows(answers: list[dict[str, Any]], spans: list[tuple[float, float]]) -> dict[str, float]:
    """:func:`window` over the callbacks answered in any of ``spans`` (pooled: one p95 of them all)."""
    chosen = _inside(answers, spans)
    inside = sorted(a["ms"] for a in chosen)
    failed = sum(1 for a in chosen if a["error"] and a["status"] != 429)
    limited = sum(1 for a in chosen if a["status"] == 429)
    p95 = inside[_p95_index(len(inside))] if inside else float("nan")
    return {"n": len(inside), "failed": failed, "limited": limited, "p95_ms": p95}


def _inside(answers: list[dict[str, Any]], spans: list[tuple[float, float]]) -> list[dict[str, Any]]:
    return [a for a in answers if any(since <= a["t"] < until for since, until in spans)]


def _p95_index(n: int) -> int:
    return min(n - 1, int(0.95 * n))


def latencies(answers: list[dict[str, Any]], spans: list[tuple[float, float]]) -> list[float]:
    """Milliseconds of the callbacks answered in any of ``spans`` (those :func:`windows` takes the p95 of)."""
    return [a["ms"] for a in _inside(answers, spans)]


def before_each(spans: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """For each swap's window ``(replaced, end)``, as long a time just before it: the "before" matched to each
    "during", so a ratio of the two compares the same minutes of the run, not the run's start with its end."""
    return [(start - (end - start), start) for start, end in spans]


def p95_ratio_interval(
    before_ms: list[float], during_ms: list[float], rounds: int = 2000, seed: int = 0
) -> tuple[float, float]:
    """A 90 % bootstrap interval of p95(during) ÷ p95(before) (both resampled with replacement): how much of
    a ratio is the luck of which callbacks fell in the windows. ``(nan, nan)`` without callbacks."""
    if not before_ms or not during_ms:
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)

    def p95s(ms: list[float]) -> np.ndarray:  # the p95 of each resample, as :func:`windows` takes it
        return np.sort(rng.choice(np.asarray(ms, float), (rounds, len(ms))), axis=1)[:, _p95_index(len(ms))]

    low, high = np.quantile(p95s(during_ms) / p95s(before_ms), [0.05, 0.95])
    return float(low), float(high)


SLOW_PARTS = ("until the first switch", "after it")
"""The parts of the swaps' windows :func:`slow_by_part` counts, in order."""


def slow_by_part(
    answers: list[dict[str, Any]], parts: list[tuple[float, float, float]], limit_ms: float
) -> dict[str, tuple[int, int]]:
    """Callbacks slower than ``limit_ms`` (the p95 before the swap: 5 % of those) and all callbacks, pooled over
    swaps ``(replaced, first worker switched, window end)``: until the first switch, and after it."""
    counts = {name: [0, 0] for name in SLOW_PARTS}
    for answer in answers:
        for replaced, switched, end in parts:
            if replaced <= answer["t"] < end:
                part = counts[SLOW_PARTS[0] if answer["t"] < switched else SLOW_PARTS[1]]
                part[0] += answer["ms"] > limit_ms
                part[1] += 1
                break
    return {name: (slow, n) for name, (slow, n) in counts.items()}


SERVER_PHASES = ("just before the swap", "until its worker switched", "first 5 s after it switched")
"""The parts :func:`server_p95_by_phase` pools, in order."""
AFTER_SWITCH_S = 5.0


def server_p95_by_phase(
    records: list[dict[str, Any]], swaps: list[tuple[float, float, dict[int, float]]]
) -> dict[str, tuple[float, int]]:
    """The p95 of the callbacks' time *in the server* (the access log's ``duration_ms``) and their count, pooled over
    ``swaps`` ``(replaced, start of as long a time just before, {worker pid: when it switched})``: just before each
    swap, from the swap until the worker that answered had switched, and the first seconds after. The client's
    latency adds the load generator's own delays; this says whether the server itself was slower, and when."""
    calls = [
        (when(r), int(r["pid"]), float(r["duration_ms"]))
        for r in records
        if r.get("logger") == "gunicorn.access"
        and r.get("path") == "/_dash-update-component"
        and isinstance(r.get("duration_ms"), (int, float))
        and isinstance(r.get("pid"), int)
    ]
    parts: dict[str, list[float]] = {name: [] for name in SERVER_PHASES}
    for replaced, before_from, switched in swaps:
        for t, pid, ms in calls:
            if before_from <= t < replaced:
                parts[SERVER_PHASES[0]].append(ms)
            elif pid in switched and replaced <= t < switched[pid]:
                parts[SERVER_PHASES[1]].append(ms)
            elif pid in switched and switched[pid] <= t < switched[pid] + AFTER_SWITCH_S:
                parts[SERVER_PHASES[2]].append(ms)
    return {name: (sorted(ms)[_p95_index(len(ms))] if ms else float("nan"), len(ms)) for name, ms in parts.items()}


def when(record: dict[str, Any]) -> float:
    """A JSON log record's time as a Unix timestamp."""
    return datetime.fromisoformat(str(record["time"])).timestamp()


def drive_load(url: str, users: int, seconds: float, kind: str, during: Any) -> list[dict[str, Any]]:
    """Run ``users`` users of the chosen load until ``during()`` returns; every callback as a dict.

    ``model``: the recorded traffic model replayed by locust (:func:`bench.load.run_users`);
    ``random``: :mod:`bench.memory_load` (every control varied at random). Both give each user its
    own address through the trusted proxy, so the default rate limit applies per person.
    """
    if kind == "model":
        from bench.load import run_users

        stats = run_users(url, users, seconds, during=lambda _stats: during(), after_during_s=1.0)
        return [
            {"t": r.t, "ms": r.ms, "status": r.status, "error": r.error} for r in stats.records if r.kind == "callback"
        ]
    load = UserLoad(url, users=users, max_seconds=seconds)
    load.start()
    try:
        during()
    finally:
        load.stop()
    return [
        {"t": a.sent + a.seconds, "ms": 1000 * a.seconds, "status": a.status, "error": "" if a.ok else a.error or "?"}
        for a in load.answers
    ]
