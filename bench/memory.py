"""Benchmark (issue #11): memory of gunicorn with 1, 2 and 4 workers under load and across a snapshot swap.

    python -m bench.memory [--scale 1.0] [--workers 1,2,4] [--users 20] [--load-minutes 5]
                           [--growth-minutes 10] [--container] [--no-write]

For each worker count, a real gunicorn (``gunicorn.conf.py``, 4 threads, production settings behind
a trusted proxy) serves a demo snapshot at ``--scale``:

1. **cold start**: from spawning gunicorn to the first page (HTML) and to the first chart callback;
2. total **PSS** (``/proc/PID/smaps_rollup``: shared pages counted once) of master + workers right
   after start, after ``--load-minutes`` of ``--users`` locust users replaying the recorded traffic
   model (:func:`bench.load.run_users`: each user its own address, every answer checked), and after
   a swap under that load;
3. the **swap**: a second snapshot is installed and ``CURRENT`` replaced (the publisher's last step;
   the exporter's own CPU is not on this machine in production), while the load goes on. Reported:
   when each worker served it (its log line) against ``SNAPSHOT_POLL_SECONDS`` + 2 s, the CPU its
   watcher thread spent switching, failed requests, and p95 latency before vs during the swap.

Then **growth**: ``--growth-workers`` workers for ``--growth-minutes`` under the harsher load of
:mod:`bench.memory_load` (random year ranges and values everywhere, so nearly every view is new and
memo caches fill and evict), sampling each worker's private memory (USS) against ``MEMO_MAX_MB``.
With ``--container``, the image runs at its documented memory limit (``--container-memory``) under
the traffic model while a real export (PostgreSQL holding the same synthetic sky) runs inside it
and publishes: does anything get OOM-killed?

Every table carries the load average at the time of its figures; the section "Memory: workers,
load, swaps (issue #11)" of ``bench/results.md`` is rewritten unless ``--no-write``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import requests

from bench.memory_load import UserLoad, summary
from bench.results_file import write_section

REPO = Path(__file__).resolve().parents[1]
SECTION = "Memory: workers, load, swaps (issue #11)"
REALISTIC = {"TRUSTED_PROXY_COUNT": "1", "FORWARDED_ALLOW_IPS": "127.0.0.1"}
"""Production-like: the rate limit applies per locust user (each its own address through a trusted proxy)."""
POLL_S = 5.0  # SNAPSHOT_POLL_SECONDS, the default
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
    """Copy a published snapshot and its companion into ``data_dir``, then replace CURRENT; returns the wall time."""
    companion = snapshot.with_suffix(".frames")
    tmp_file, tmp_dir = data_dir / f".build-bench{snapshot.suffix}", data_dir / ".build-bench.frames"
    shutil.copy2(snapshot, tmp_file)
    if companion.is_dir():
        shutil.copytree(companion, tmp_dir)
        os.rename(tmp_dir, data_dir / companion.name)
    os.rename(tmp_file, data_dir / snapshot.name)
    pointer_tmp = data_dir / ".CURRENT.tmp-bench"
    pointer_tmp.write_text(snapshot.name + "\n")
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
    """Seconds from spawning to the first page (HTML), and to the first chart callback's answer."""
    from importlib import import_module

    from bench.memory_load import UserLoad, _post_checked
    from bench.tabs import Client, _request_key, _values

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
    client.get("/_dash-dependencies")
    values = _values(module.VIEW, UserLoad._defaults(client, module))
    key = _request_key(module.VIEW)
    dep = next(d for d in client.triggered({key}, initial=True) if "figure" in d["output"])
    status, ok, error = _post_checked(client, dep, values, [key])
    if not ok:
        raise RuntimeError(f"the first chart callback failed: {status} {error}")
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


@dataclass
class Run:
    """Figures of one worker count."""

    workers: int
    page_s: float = 0.0
    chart_s: float = 0.0
    startup_cpu_s: float = 0.0
    pss: dict[str, float] = field(default_factory=dict)
    pss_load: dict[str, str] = field(default_factory=dict)
    switch_s: dict[int, float] = field(default_factory=dict)
    switch_cpu_s: dict[int, float] = field(default_factory=dict)
    unswitched: list[int] = field(default_factory=list)
    late_answers: int = 0
    before: dict[str, float] = field(default_factory=dict)
    during: dict[str, float] = field(default_factory=dict)
    after: dict[str, float] = field(default_factory=dict)
    total: dict[str, float] = field(default_factory=dict)
    load_during: str = ""
    errors: list[str] = field(default_factory=list)


def _swap_lines(server: Server, new_id: str) -> dict[int, tuple[float, float]]:
    """pid → (wall time, watcher CPU-s) of each process's 'serving snapshot <new_id>' log line."""
    out = {}
    for record in server.log_records():
        message = str(record.get("message", ""))
        if message.startswith(f"serving snapshot {new_id} (pid "):
            pid = int(message.split("(pid ", 1)[1].split(";", 1)[0])
            cpu = float(message.rsplit(", ", 1)[1].split(" CPU-s", 1)[0])
            out[pid] = (datetime.fromisoformat(record["time"]).timestamp(), cpu)
    return out


def _window(answers: list[dict[str, Any]], since: float, until: float) -> dict[str, float]:
    """n, failed (not counting 429), limited (429) and p95 (ms) of the callbacks answered in [since, until)."""
    inside = sorted(a["ms"] for a in answers if since <= a["t"] < until)
    failed = sum(1 for a in answers if since <= a["t"] < until and a["error"] and a["status"] != 429)
    limited = sum(1 for a in answers if since <= a["t"] < until and a["status"] == 429)
    p95 = inside[min(len(inside) - 1, int(0.95 * len(inside)))] if inside else float("nan")
    return {"n": len(inside), "failed": failed, "limited": limited, "p95_ms": p95}


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


def measure_workers(
    workers: int, a: Path, b: Path, tmp: Path, users: int, load_s: float, swap_s: float, kind: str
) -> Run:
    """Cold start, PSS after start / load / swap, and the swap itself, for one worker count."""
    run = Run(workers)
    data_dir = tmp / f"data-{workers}"
    data_dir.mkdir()
    install(a, data_dir)
    server = spawn(data_dir, tmp / f"gunicorn-{workers}.log", **REALISTIC, WORKERS=str(workers))
    poller = None
    events: dict[str, float] = {}
    try:
        run.page_s, run.chart_s = cold_start(server)
        run.startup_cpu_s = server.startup_cpu_s
        time.sleep(2)
        master = server.process.pid
        run.pss["start"] = total_pss_mb(tree_memory(master))
        run.pss_load["start"] = load_avg()
        live: list[int] = []

        def during() -> None:
            nonlocal poller, live
            time.sleep(load_s)
            run.pss["load"] = total_pss_mb(tree_memory(master))
            run.pss_load["load"] = load_avg()
            live = children(master)
            poller = HealthPoller(server.url)
            events["flip"] = install(b, data_dir)
            time.sleep(swap_s)
            run.pss["swap"] = total_pss_mb(tree_memory(master))
            run.pss_load["swap"] = run.load_during = load_avg()

        answers = drive_load(server.url, users, load_s + swap_s + 120, kind, during)
        if poller is not None:
            poller.stop()
        flip = events["flip"]
        lines = _swap_lines(server, snapshot_id(b))
        for pid in live:
            if pid in lines:
                run.switch_s[pid] = lines[pid][0] - flip
                run.switch_cpu_s[pid] = lines[pid][1]
            else:
                run.unswitched.append(pid)
        seen = poller.seen if poller is not None else []
        run.late_answers = sum(1 for t, _pid, sid in seen if t > flip + POLL_S + 2 and sid != snapshot_id(b))
        window_end = flip + max([*run.switch_s.values(), 0.0]) + 2
        run.before = _window(answers, flip - swap_s, flip)
        run.during = _window(answers, flip, window_end)
        run.after = _window(answers, flip, flip + swap_s)
        run.total = _window(answers, 0.0, float("inf"))
        run.errors = sorted({str(x["error"])[:60] for x in answers if x["error"]})[:5]
    finally:
        if poller is not None:
            poller.stop()
        server.stop()
    return run


# --- growth --------------------------------------------------------------------------------------


@dataclass
class Growth:
    workers: int
    memo_mb: int
    minutes: float
    uss_start: dict[int, float]
    uss_peak: dict[int, float]
    uss_end: dict[int, float]
    recycled: int
    answers: dict[str, float]
    load: str
    errors: list[str] = field(default_factory=list)
    by_minute: list[float] = field(default_factory=list)  # largest worker USS at the end of each minute


def measure_growth(workers: int, memo_mb: int, a: Path, tmp: Path, users: int, minutes: float) -> Growth:
    """Each worker's private memory (USS) over ``minutes`` of varied load at ``MEMO_MAX_MB=memo_mb``."""
    data_dir = tmp / f"growth-{memo_mb}"
    data_dir.mkdir()
    install(a, data_dir)
    # no recycling (MAX_REQUESTS=0): is a worker's memory bounded without it?
    server = spawn(
        data_dir,
        tmp / f"growth-{memo_mb}.log",
        **REALISTIC,
        WORKERS=str(workers),
        MEMO_MAX_MB=str(memo_mb),
        MAX_REQUESTS="0",
    )
    load = None
    try:
        cold_start(server)
        master = server.process.pid
        load = UserLoad(server.url, users=users, max_seconds=minutes * 60 + 120)
        load.start()
        time.sleep(20)  # every worker has loaded its code paths once: growth is measured from here
        first = {pid: m["uss"] / 1024 for pid, m in tree_memory(master).items() if pid != master}
        peak, last = dict(first), dict(first)
        seen = set(first)
        started = time.monotonic()
        end = started + minutes * 60
        by_minute: list[float] = []
        while time.monotonic() < end:
            time.sleep(5)
            memory = tree_memory(master)
            if time.monotonic() - started >= 60 * (len(by_minute) + 1):
                by_minute.append(max((m["uss"] / 1024 for p, m in memory.items() if p != master), default=0.0))
            for pid, m in memory.items():
                if pid == master:
                    continue
                seen.add(pid)
                uss = m["uss"] / 1024
                first.setdefault(pid, uss)
                peak[pid] = max(peak.get(pid, 0.0), uss)
                last[pid] = uss
        load.stop()
        errors = sorted({a.error or str(a.status) for a in load.answers if not a.ok})[:5]
        return Growth(
            workers,
            memo_mb,
            minutes,
            first,
            peak,
            last,
            len(seen) - workers,
            summary(load.answers),
            load_avg(),
            errors,
            by_minute,
        )
    finally:
        if load is not None:
            load.stop()
        server.stop()


# --- the container at its memory limit -------------------------------------------------------------


@dataclass
class ContainerRun:
    memory_limit: str
    skipped: str = ""
    peak_mb: float = 0.0
    idle_mb: float = 0.0
    oom_killed: str = ""
    running_after: str = ""
    export_code: int | None = None
    export_s: float = 0.0
    served_new: bool = False
    worker_kills: int = 0
    answers: dict[str, float] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    load: str = ""


def _build_context(tmp: Path) -> Path:
    """The repository as a build context; a git worktree (whose .git is a file) is cloned first (committed code)."""
    if (REPO / ".git").is_dir():
        return REPO
    context = tmp / "context"
    subprocess.run(["git", "clone", "--quiet", str(REPO), str(context)], check=True, timeout=300)
    print("bench.memory: building the image from the committed HEAD (worktree)", file=sys.stderr)
    return context


def measure_container(
    a: Path, tmp: Path, *, users: int, load_s: float, memory: str, scale: float, seed: int, kind: str
) -> ContainerRun:
    """The image at ``--memory``: load, a real export inside the container (publishing a swap), no OOM kill."""
    from dashboard_app import __version__
    from dashboard_app.sky import generate
    from tests.container.engine import find_engine
    from tests.harness.postgres import READER_PASSWORD, load_sky, start_server
    from tests.harness.server import find_free_port

    result = ContainerRun(memory)
    engine, reason = find_engine()
    if engine is None:
        result.skipped = reason
        return result
    tag, name = f"localhost/neo-explorer:bench-memory-{os.getpid()}", f"neo-bench-memory-{os.getpid()}"
    context = _build_context(tmp)
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=context, capture_output=True, text=True).stdout.strip()
    engine.build(tag, context=context, build_args={"VERSION": __version__, "GIT_COMMIT": commit})
    data_dir = tmp / "container-data"
    data_dir.mkdir()
    data_dir.chmod(0o777)
    install(a, data_dir)
    secret = tmp / "db-password"
    secret.write_text(READER_PASSWORD, encoding="utf-8")
    secret.chmod(0o644)
    database = start_server()
    try:
        sky = generate(seed, scale)
        load_sky(database, "mpc_sbn", sky)
        del sky
        url_db = database.reader_url("mpc_sbn", with_password=False)
        port = find_free_port()
        engine.run_detached(
            name,
            [
                "--network", "host", "--memory", memory, "--memory-swap", memory,
                "--read-only", "--tmpfs", "/tmp",
                "-e", "HOST=127.0.0.1", "-e", f"PORT={port}",
                "-e", "TRUSTED_PROXY_COUNT=1", "-e", "FORWARDED_ALLOW_IPS=127.0.0.1",
                "-e", "DEMO_IF_EMPTY=false", "-e", f"DATABASE_URL={url_db}",
                "-e", "DATABASE_PASSWORD_FILE=/run/secrets/db-password",
                "-v", f"{secret}:/run/secrets/db-password:ro", "-v", f"{data_dir}:/data",
            ],
            tag,
        )  # fmt: skip
        engine.wait_healthy(name, timeout=300)
        url = f"http://127.0.0.1:{port}"
        time.sleep(3)
        result.idle_mb = engine.memory_bytes(name) / MB
        peak = [result.idle_mb]
        stop = threading.Event()

        def sample() -> None:
            while not stop.wait(2):
                try:
                    peak.append(engine.memory_bytes(name) / MB)
                except Exception:  # the container may be gone: reported below
                    return

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()

        def during() -> None:
            time.sleep(load_s)
            started = time.monotonic()
            proc = engine.command("exec", name, "neo-explorer", "export", timeout=1800, check=False)
            result.export_s = time.monotonic() - started
            result.export_code = proc.returncode
            time.sleep(POLL_S + 10)

        answers = drive_load(url, users, load_s + 1800, kind, during)
        stop.set()
        sampler.join(10)
        result.peak_mb = max(peak)
        result.answers = _window(answers, 0.0, float("inf"))
        result.errors = sorted({str(x["error"])[:60] for x in answers if x["error"]})[:5]
        result.oom_killed = engine.inspect(name, "{{.State.OOMKilled}}")
        result.running_after = engine.inspect(name, "{{.State.Running}}")
        logs = engine.logs(name)
        result.worker_kills = logs.count("was sent SIGKILL")
        current = (data_dir / "CURRENT").read_text().strip()
        try:
            served = requests.get(url + "/health", timeout=10).json()["checks"]["snapshot:age"][0]["componentId"]
            result.served_new = current == f"snapshot-{served}.sqlite" and current != a.name
        except (requests.RequestException, KeyError, ValueError):
            result.served_new = False
        result.load = load_avg()
    finally:
        engine.remove(name)
        engine.command("rmi", "-f", tag, check=False)
        database.stop()
    return result


# --- the report ----------------------------------------------------------------------------------


def _runs_report(
    runs: list[Run], one: Run | None, most: Run | None, cols: list[str], ratio_head: str, args: argparse.Namespace
) -> list[str]:
    lines = [
        "",
        f"Workers: `MEMO_MAX_MB` default; load: {args.users} users, "
        + (
            "locust replaying the recorded traffic model (`bench.load.run_users`)"
            if args.load == "model"
            else "`bench.memory_load` (every control varied at random)"
        )
        + "; each user its own address behind a trusted proxy, default `RATE_LIMIT`, 1–3 s think time, "
        "every answer checked.",
        "",
        "Total PSS (master + workers, MB; load average 1 / 5 min in brackets):",
        "",
        "| Point | " + " | ".join(cols) + " |" + ratio_head,
        "|---|" + "---|" * (len(cols) + (1 if ratio_head else 0)),
    ]
    labels = {
        "start": "right after start",
        "load": f"after {args.load_minutes:g} min of load",
        "swap": f"after a swap under load (+{args.swap_seconds:g} s)",
    }
    for key, label in labels.items():
        cells = [f"{r.pss[key]:.0f} ({r.pss_load[key]})" for r in runs]
        ratio = f" {most.pss[key] / one.pss[key]:.2f} |" if ratio_head and one and most else ""
        lines.append(f"| {label} | " + " | ".join(cells) + " |" + ratio)
    lines += [
        "",
        f"The swap (a second snapshot installed and `CURRENT` replaced under load; poll interval {POLL_S:g} s):",
        "",
        "| Figure | " + " | ".join(cols) + " |",
        "|---|" + "---|" * len(cols),
        "| slowest worker serves it after (goal ≤ poll + 2 s) | "
        + " | ".join(f"{max(r.switch_s.values(), default=float('nan')):.1f} s" for r in runs)
        + " |",
        "| watcher CPU per worker for the switch, max (goal ≤ 0.5 s) | "
        + " | ".join(f"{max(r.switch_cpu_s.values(), default=float('nan')):.2f} s" for r in runs)
        + " |",
        "| workers that never logged the switch (recycled meanwhile) | "
        + " | ".join(str(len(r.unswitched)) for r in runs)
        + " |",
        "| /health answers with the old snapshot after poll + 2 s | "
        + " | ".join(str(r.late_answers) for r in runs)
        + " |",
        "| callbacks p95 before → during the swap (ratio; goal ≤ 1.2) | "
        + " | ".join(
            f"{r.before['p95_ms']:.0f} → {r.during['p95_ms']:.0f} ms ({r.during['p95_ms'] / r.before['p95_ms']:.2f})"
            for r in runs
        )
        + " |",
        "| callbacks in those windows (before / during) | "
        + " | ".join(f"{r.before['n']:.0f} / {r.during['n']:.0f}" for r in runs)
        + " |",
        f"| p95 over the {args.swap_seconds:g} s after the swap (cold memo caches) | "
        + " | ".join(f"{r.after['p95_ms']:.0f} ms" for r in runs)
        + " |",
        "| callbacks in the whole run / failed / 429 | "
        + " | ".join(
            f"{r.total['n']:.0f} / {r.total['failed']:.0f} / {r.total['limited']:.0f} {' '.join(r.errors)}"
            for r in runs
        )
        + " |",
        "| load average during the swap | " + " | ".join(r.load_during for r in runs) + " |",
        "",
        "Cold start (spawning gunicorn → first page HTML / → first chart callback answered; goal ≤ 2 s), and the "
        "CPU time gunicorn used until the first page (master + workers; what a quiet machine would take):",
        "",
        "| " + " | ".join(cols) + " |",
        "|" + "---|" * len(cols),
        "| " + " | ".join(f"{r.page_s:.2f} s / {r.chart_s:.2f} s ({r.startup_cpu_s:.2f} CPU-s)" for r in runs) + " |",
    ]
    return lines


def report(runs: list[Run], growth: list[Growth], container: ContainerRun | None, args: argparse.Namespace) -> str:
    cols = [f"{r.workers} worker{'s' if r.workers > 1 else ''}" for r in runs]
    one = next((r for r in runs if r.workers == 1), None)
    most = max(runs, key=lambda r: r.workers) if runs else None
    ratio_head = f" {most.workers} ÷ 1 |" if one and most and most is not one else ""
    lines = [f"Demo snapshot at scale {args.scale:g}; gunicorn with `gunicorn.conf.py`, 4 threads per worker."]
    if runs:
        lines += _runs_report(runs, one, most, cols, ratio_head, args)
    for g in growth:
        worst = max((g.uss_peak[p] - g.uss_start[p] for p in g.uss_start), default=float("nan"))
        lines += [
            "",
            f"Growth: {g.workers} workers, `MEMO_MAX_MB={g.memo_mb}`, `MAX_REQUESTS=0` (no recycling), "
            f"{g.minutes:g} min of {args.users} users "
            "varying every control at random (`bench.memory_load`) "
            f"({g.answers['n']:.0f} callbacks, {g.answers['failed']:.0f} failed {' '.join(g.errors)}, "
            f"p95 {g.answers['p95_ms']:.0f} ms; "
            f"load average {g.load}; workers recycled meanwhile: {g.recycled}). Private memory (USS) per worker:",
            "",
            "| Worker | USS after 20 s of load | peak | end | growth (peak − first) |",
            "|---|---|---|---|---|",
        ]
        for pid in sorted(g.uss_start):
            lines.append(
                f"| {pid} | {g.uss_start[pid]:.0f} MB | {g.uss_peak[pid]:.0f} MB | {g.uss_end[pid]:.0f} MB | "
                f"{g.uss_peak[pid] - g.uss_start[pid]:.0f} MB |"
            )
        lines.append(
            f"\nLargest growth {worst:.0f} MB against `MEMO_MAX_MB={g.memo_mb}`. Largest worker USS at the end of "
            "each minute: " + ", ".join(f"{v:.0f}" for v in g.by_minute) + " MB."
        )
    if container is not None:
        lines += ["", f"Container at `--memory {container.memory_limit}` (image built from this checkout):", ""]
        if container.skipped:
            lines.append(f"Not run: {container.skipped}")
        else:
            c, n = container, container.answers
            lines += [
                "| Figure | Value |",
                "|---|---|",
                f"| memory idle → peak under load + export + swap | {c.idle_mb:.0f} → {c.peak_mb:.0f} MB |",
                f"| export inside the container: exit code, time | {c.export_code}, {c.export_s:.0f} s |",
                f"| OOM-killed / still running / worker SIGKILLs | {c.oom_killed} / {c.running_after} / "
                f"{c.worker_kills} |",
                f"| serves the exported snapshot afterwards | {c.served_new} |",
                f"| callbacks / failed / 429 / p95 | {n.get('n', 0):.0f} / "
                f"{n.get('failed', 0):.0f} / {n.get('limited', 0):.0f} {' '.join(c.errors)} / "
                f"{n.get('p95_ms', float('nan')):.0f} ms |",
                f"| load average at the end | {c.load} |",
            ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", default="1,2,4", help="comma-separated worker counts")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--load-minutes", type=float, default=5.0)
    parser.add_argument(
        "--load",
        choices=("model", "random"),
        default="model",
        help="model: the recorded traffic model (locust); random: bench.memory_load (every control varied)",
    )
    parser.add_argument("--swap-seconds", type=float, default=60.0, help="load before the swap compared, and after")
    parser.add_argument("--growth-minutes", type=float, default=10.0, help="0: skip the growth run")
    parser.add_argument("--growth-memo-mb", default="64", help="comma-separated MEMO_MAX_MB values for growth runs")
    parser.add_argument("--growth-workers", type=int, default=2)
    parser.add_argument("--container", action="store_true", help="also run the image at its memory limit")
    parser.add_argument("--container-memory", default="1g")
    parser.add_argument("--container-load-minutes", type=float, default=2.0)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    workers = [int(w) for w in args.workers.split(",") if w]
    with tempfile.TemporaryDirectory(prefix="neo-bench-memory-") as tmp_name:
        tmp = Path(tmp_name)
        print(f"publishing two demo skies (scale {args.scale:g}) …", file=sys.stderr)
        a, b = prepare_snapshots(args.scale, args.seed, tmp / "stage")
        runs = []
        for w in workers:
            print(f"{w} worker(s) …", file=sys.stderr)
            runs.append(measure_workers(w, a, b, tmp, args.users, 60 * args.load_minutes, args.swap_seconds, args.load))
            print(report(runs, [], None, args), file=sys.stderr)
        growth = []
        if args.growth_minutes > 0:
            for memo in (int(m) for m in args.growth_memo_mb.split(",") if m):
                print(f"growth at MEMO_MAX_MB={memo} …", file=sys.stderr)
                growth.append(measure_growth(args.growth_workers, memo, a, tmp, args.users, args.growth_minutes))
        container = None
        if args.container:
            print(f"container at --memory {args.container_memory} …", file=sys.stderr)
            container = measure_container(
                a,
                tmp,
                users=args.users,
                load_s=60 * args.container_load_minutes,
                memory=args.container_memory,
                scale=args.scale,
                seed=args.seed,
                kind=args.load,
            )
    command = "python -m bench.memory " + " ".join(argv if argv is not None else sys.argv[1:])
    body = f"`{command.strip()}`\n\n" + report(runs, growth, container, args)
    print(body)
    if not args.no_write:
        write_section(SECTION, body)
    failed = sum(r.total.get("failed", 0) for r in runs)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
