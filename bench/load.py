"""Benchmark: the recorded traffic model under 20/50/100 users, a snapshot swap mid-run, and a flood.

Runs a real gunicorn with the production settings (``gunicorn.conf.py``, 2 workers × 4 threads, the
default ``RATE_LIMIT`` and its storage, ``TRUSTED_PROXY_COUNT=1`` with 127.0.0.1 as the proxy) on a
demo snapshot, and replays ``bench/traffic_model.json`` with locust (:mod:`bench.traffic_locustfile`):
each user its own client address, 1–3 s think time, every answer checked. Reports per tab the
callback p50/p95/p99, errors and throughput at each user count, the server's CPU per request; then

- **swap**: the same traffic while ``neo-explorer demo`` publishes a new snapshot into the data
  directory; latency and errors before, while the exporter runs, and after the workers switched;
- **rate limit**: the model at its most active (1 s think time) sees no 429, a scripted flood
  from one address does.

``python -m bench.load [--data-dir DIR | --scale 1.0] [--users 20,50,100] [--seconds 60] [--no-write]``
writes the "Load" section of ``bench/results.md``. For other benchmarks, :func:`run_users` runs N
users for T seconds against any URL and returns :class:`LoadStats`.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench.results_file import load_average, write_section
from bench.traffic_model import MODEL, TrafficModel

REPO = Path(__file__).resolve().parents[1]
LOCUSTFILE = Path(__file__).with_name("traffic_locustfile.py")
SECTION = "Load: recorded traffic model"
SWAP_AT_S = 30


@dataclass(frozen=True)
class Record:
    """One request a simulated user made."""

    t: float
    user: int
    tab: str
    kind: str
    ms: float
    status: int
    error: str


@dataclass
class LoadStats:
    """What one locust run saw: every request, the steady window (all users started) and its length."""

    users: int
    seconds: float
    records: list[Record]
    steady_from: float = 0.0
    events: dict[str, float] = field(default_factory=dict)

    def select(
        self, tab: str | None = None, kind: str | None = "callback", since: float = 0.0, until: float = float("inf")
    ) -> list[Record]:
        """Records of one tab / kind (None: all) with ``since <= t < until`` (wall-clock seconds)."""
        since = max(since, self.steady_from)
        return [
            r
            for r in self.records
            if (tab is None or r.tab == tab) and (kind is None or r.kind == kind) and since <= r.t < until
        ]

    @property
    def steady_seconds(self) -> float:
        ts = [r.t for r in self.records if r.t >= self.steady_from]
        return (max(ts) - min(ts)) if len(ts) > 1 else 0.0

    def throughput(self) -> float:
        """Requests per second (all kinds) in the steady window."""
        n = len(self.select(kind=None))
        return n / self.steady_seconds if self.steady_seconds else 0.0

    def tabs(self) -> list[str]:
        return sorted({r.tab for r in self.records})


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..1); NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered) + 0.5) - 1))]


def summary(records: list[Record]) -> dict[str, float]:
    """count, errors, 429s, p50/p95/p99 in ms of some records."""
    ms = [r.ms for r in records]
    return {
        "count": len(records),
        "errors": sum(1 for r in records if r.error),
        "limited": sum(1 for r in records if r.status == 429),
        "p50": percentile(ms, 0.50),
        "p95": percentile(ms, 0.95),
        "p99": percentile(ms, 0.99),
    }


def run_users(
    url: str,
    users: int,
    seconds: float,
    *,
    model: Path = MODEL,
    think_s: tuple[float, float] = (1.0, 3.0),
    spawn_rate: float | None = None,
    seed: int = 0,
    during: Callable[[LoadStats], None] | None = None,
    after_during_s: float = 30.0,
) -> LoadStats:
    """Replay the traffic model with ``users`` locust users for ``seconds`` against ``url``.

    The server must trust 127.0.0.1 as its proxy (``TRUSTED_PROXY_COUNT=1``) for the per-user
    addresses to count. ``during(stats)`` runs in a thread while the users run (e.g. to publish a
    snapshot) and may write wall-clock times into ``stats.events``; the run then ends
    ``after_during_s`` after it returns (``seconds`` is the upper bound).
    """
    spawn_rate = spawn_rate or max(1.0, users / 5)
    workdir = Path(tempfile.mkdtemp(prefix="bench-load-"))
    log = workdir / "requests.csv"
    env = os.environ | {
        "NEO_TRAFFIC_MODEL": str(model),
        "NEO_TRAFFIC_LOG": str(log),
        "NEO_TRAFFIC_THINK": ",".join(str(x) for x in think_s),
        "NEO_TRAFFIC_SEED": str(seed),
        "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
    }
    cmd = [
        sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--host", url,
        "-u", str(users), "-r", f"{spawn_rate:g}", "-t", f"{seconds:g}s", "--stop-timeout", "10",
        "--only-summary", "--loglevel", "WARNING", "--exit-code-on-error", "0",
    ]  # fmt: skip
    stats = LoadStats(users, seconds, [])
    started = time.time()
    stats.steady_from = started + users / spawn_rate + 3.0  # all users spawned, their page loads done
    helper = threading.Thread(target=during, args=(stats,), daemon=True) if during else None
    with (workdir / "locust.log").open("w") as out:
        process = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
        if helper:
            helper.start()
            helper.join(timeout=seconds)
            try:
                process.wait(timeout=after_during_s)
            except subprocess.TimeoutExpired:
                process.send_signal(signal.SIGTERM)  # locust stops its users and writes its log
        code = process.wait(timeout=seconds + 120)
    if code not in (0, -signal.SIGTERM) or not log.exists():
        raise RuntimeError(f"locust exited with {code}:\n{(workdir / 'locust.log').read_text()[-3000:]}")
    with log.open(newline="", encoding="utf-8") as f:
        stats.records = [
            Record(float(t), int(u), tab, kind, float(ms), int(st), err)
            for t, u, tab, kind, ms, st, err in csv.reader(f)
        ]
    return stats


# --- the server and its CPU ---------------------------------------------------------------------------


def process_tree_cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process and its children so far (gunicorn master and workers), including
    workers that have exited (recycled after MAX_REQUESTS): the kernel adds those to their parent's account."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    pending = [pid]
    while pending:
        p = pending.pop()
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += sum(int(f) for f in fields[11:15]) / ticks  # utime, stime, cutime, cstime
            children = Path(f"/proc/{p}/task/{p}/children").read_text().split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        pending += [int(c) for c in children]
    return total


def snapshot_id(url: str) -> str:
    """The snapshot id ``/health`` reports (its ``snapshot:age`` check), or "" when it names none."""
    with urllib.request.urlopen(f"{url}/health", timeout=10) as response:
        body = json.loads(response.read())
    checks = body.get("checks", {}).get("snapshot:age") or [{}]
    return str(checks[0].get("componentId") or "")


def publish_during(data_dir: Path, url: str, at_s: float, scale: float) -> Callable[[LoadStats], None]:
    """A ``during`` hook: after ``at_s``, publish a new demo snapshot; note when the workers serve it."""

    def run(stats: LoadStats) -> None:
        time.sleep(at_s)
        old = snapshot_id(url)
        stats.events["publish_start"] = time.time()
        cmd = [sys.executable, "-m", "dashboard_app", "demo", str(data_dir), "--scale", str(scale), "--seed", "2"]
        subprocess.run(cmd, cwd=REPO, check=True, capture_output=True)
        stats.events["publish_end"] = time.time()
        deadline = time.time() + 60
        while time.time() < deadline:
            if snapshot_id(url) not in ("", old):
                stats.events["switched"] = time.time()
                return
            time.sleep(0.25)

    return run


# --- the rate limit: the most active visitor and a flood -------------------------------------------


def flood(url: str, seconds: float, connections: int = 4) -> Counter[int]:
    """Statuses of a scripted flood: one address, ``connections`` loops POSTing a recorded callback."""
    model = TrafficModel.load()
    body = next(r.body for s in model.steps for r in s.requests if r.is_callback and r.figures)
    data = json.dumps(body).encode()
    statuses: Counter[int] = Counter()
    lock = threading.Lock()
    deadline = time.time() + seconds

    def loop() -> None:
        while time.time() < deadline:
            request = urllib.request.Request(
                f"{url}/_dash-update-component",
                data=data,
                headers={"Content-Type": "application/json", "X-Forwarded-For": "10.255.255.254"},
            )
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    status = response.status
            except urllib.error.HTTPError as exc:
                status = exc.code
            with lock:
                statuses[status] += 1

    threads = [threading.Thread(target=loop) for _ in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return statuses


# --- the report ---------------------------------------------------------------------------------------


def _ms(x: float) -> str:
    return "–" if x != x else f"{x:.0f}"


def _table_rows(stats: LoadStats, cpu_s: float) -> list[str]:
    rows = []
    for tab in [*stats.tabs(), None]:
        s = summary(stats.select(tab))
        label = f"`{tab}`" if tab else "**all callbacks**"
        rows.append(
            f"| {stats.users} | {label} | {s['count']} | {s['errors']} | {s['limited']} | {_ms(s['p50'])} "
            f"| {_ms(s['p95'])} | {_ms(s['p99'])} |"
        )
    everything = stats.select(kind=None)
    per_request = cpu_s / len(everything) * 1000 if everything else float("nan")
    rows.append(
        f"| {stats.users} | all requests (pages too) | {len(everything)} | {sum(1 for r in everything if r.error)} "
        f"| {sum(1 for r in everything if r.status == 429)} | {stats.throughput():.1f} req/s | server CPU "
        f"{cpu_s / max(stats.steady_seconds, 1e-9) * 100:.0f} % of a core | {_ms(per_request)} ms CPU/request |"
    )
    return rows


def _errors(stats: LoadStats) -> str:
    kinds = Counter(r.error for r in stats.records if r.error)
    return "; ".join(f"{n} × {e}" for e, n in kinds.most_common(5)) or "none"


def _swap_lines(stats: LoadStats) -> list[str]:
    ev = stats.events
    if "publish_start" not in ev:
        return ["The swap did not happen (see the log)."]
    end = max(r.t for r in stats.records)
    windows = [
        ("before the export", stats.steady_from, ev["publish_start"]),
        ("while `neo-explorer demo` runs", ev["publish_start"], ev.get("publish_end", end)),
        ("export done → workers switched", ev.get("publish_end", end), ev.get("switched", end)),
        ("first 20 s on the new snapshot", ev.get("switched", end), ev.get("switched", end) + 20),
        ("after that", ev.get("switched", end) + 20, end),
    ]
    lines = [
        "| Window | Seconds | Callbacks | Errors | p50 ms | p95 ms | p99 ms |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for label, lo, hi in windows:
        s = summary(stats.select(since=lo, until=hi))
        lines.append(
            f"| {label} | {max(0.0, hi - lo):.1f} | {s['count']} | {s['errors']} | {_ms(s['p50'])} "
            f"| {_ms(s['p95'])} | {_ms(s['p99'])} |"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, help="use (and publish the swap into) this data directory")
    parser.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help="demo snapshot scale (built when no --data-dir; the swap publishes one)",
    )
    parser.add_argument("--users", default="20,50,100", help="comma-separated user counts")
    parser.add_argument("--seconds", type=float, default=60.0, help="length of each run")
    parser.add_argument("--swap-users", type=int, default=20)
    parser.add_argument("--no-write", action="store_true", help="print only; leave bench/results.md alone")
    args = parser.parse_args(argv)
    from bench.tabs import build_demo
    from dashboard_app.settings import load_settings
    from tests.harness.server import launch

    data_dir = args.data_dir or build_demo(args.scale, 1)
    limit = load_settings({}, env_file=None).rate_limit
    log_path = Path(tempfile.mkdtemp(prefix="bench-load-log-")) / "server.log"
    server = launch(
        data_dir, log_path, WORKERS="2", THREADS="4", TRUSTED_PROXY_COUNT="1", FORWARDED_ALLOW_IPS="127.0.0.1",
        LOG_LEVEL="warning",
    )  # fmt: skip
    model = TrafficModel.load()
    lines: list[str] = []
    try:
        run_users(server.url, 10, 15)  # warm-up: memo caches of the common views, connections
        rows, plateau = [], []
        for users in [int(u) for u in args.users.split(",")]:
            cpu0 = process_tree_cpu_s(server.process.pid)
            stats = run_users(server.url, users, args.seconds, seed=users)
            cpu = process_tree_cpu_s(server.process.pid) - cpu0
            rows += _table_rows(stats, cpu)
            plateau.append(f"{users} users: {stats.throughput():.1f} req/s ({load_average()})")
            print(f"{users} users: {stats.throughput():.1f} req/s, errors: {_errors(stats)}", file=sys.stderr)
        swap = run_users(
            server.url, args.swap_users, 900, seed=7,
            during=publish_during(data_dir, server.url, SWAP_AT_S, args.scale),
        )  # fmt: skip
        active = run_users(server.url, 5, 75, think_s=(1.0, 1.0), seed=11)
        busiest = busiest_minute(active)
        flooded = flood(server.url, 15)
    finally:
        server.stop()
    lines += [
        f"Model: `bench/traffic_model.json` ({len(model.steps)} steps recorded {model.recorded_utc} at "
        f"`{model.app_commit}`; callbacks per step: "
        + ", ".join(f"{k} {v:.1f}" for k, v in model.callbacks_per_step().items())
        + "). Server: gunicorn 2 workers × 4 threads, "
        f"`RATE_LIMIT={limit}` (default), each locust user its own address via X-Forwarded-For; think time "
        f"1–3 s; every answer checked (status, JSON, figures and tables present). Runs of {args.seconds:g} s after "
        "a 15 s warm-up, measured once all users have started. Load generator on the same 2 cores.",
        "",
        "| Users | Tab | Callbacks | Errors | 429 | p50 ms | p95 ms | p99 ms |",
        "|---:|---|---:|---:|---:|---:|---:|---:|",
        *rows,
        "",
        "Throughput by users (plateau): " + "; ".join(plateau) + ".",
        "",
        f"**Snapshot swap** ({args.swap_users} users; `neo-explorer demo --scale {args.scale:g}` publishes a new "
        f"snapshot into the served directory {SWAP_AT_S} s into the run, on the same machine): "
        f"errors {_errors(swap)}.",
        "",
        *_swap_lines(swap),
        "",
        f"**Rate limit** `{limit}`: the model at its most active (5 users, 1 s think time, 75 s) sent at most "
        f"{busiest} callbacks in one minute per user and got {summary(active.select())['limited']} × 429; "
        f"a flood from one address (4 connections, 15 s) got {flooded.get(429, 0)} × 429 of "
        f"{sum(flooded.values())} ({dict(flooded)}).",
    ]
    body = "\n".join(lines)
    print(body)
    if not args.no_write:
        write_section(SECTION, body)
    return 0


def busiest_minute(stats: LoadStats) -> int:
    """The most callbacks one user sent within any 60 s (what the rate limit must allow a person)."""
    by_user: dict[int, list[float]] = {}
    for r in stats.records:
        if r.kind == "callback":
            by_user.setdefault(r.user, []).append(r.t)
    best = 0
    for times in by_user.values():
        times.sort()
        j = 0
        for i, t in enumerate(times):
            while times[j] <= t - 60:
                j += 1
            best = max(best, i - j + 1)
    return best


if __name__ == "__main__":
    sys.exit(main())
