"""Benchmark (issue #11): memory of gunicorn with 1, 2 and 4 workers under load and across a snapshot swap.

    python -m bench.memory [--scale 1.0] [--workers 1,2,4] [--users 20] [--load-minutes 5] [--swaps 4]
                           [--growth-minutes 10] [--container] [--stage DIR] [--no-write]
                           [--setting NAME=VALUE ...]

For each worker count, a real gunicorn (``gunicorn.conf.py``, 4 threads, production settings behind
a trusted proxy) serves a demo snapshot at ``--scale``:

1. **cold start**: from spawning gunicorn to the first page (HTML) and to its first charts (the layout naming the page);
2. total **PSS** (``/proc/PID/smaps_rollup``: shared pages counted once) of master + workers right
   after start, after ``--load-minutes`` of ``--users`` locust users replaying the recorded traffic
   model (:func:`bench.load.run_users`: each user its own address, every answer checked), and after
   a swap under that load;
3. the **swap**: a second snapshot is installed and ``CURRENT`` replaced (the publisher's last step;
   the exporter's own CPU is not on this machine in production), while the load goes on. Reported:
   when each worker served it (its log line) against ``SNAPSHOT_POLL_SECONDS`` + 2 s, the CPU its
   watcher thread spent switching, failed requests, and p95 latency before vs during the swap. Then
   ``--swaps`` − 1 more swaps, :data:`SWAP_GAP_S` apart, between the two snapshots (each one is new to
   the workers again), and PSS after them all: the p95 "during" pools every swap's window (one swap's
   few seconds hold ~60 callbacks, whose p95 is their third slowest), and the switch figures are the
   worst of all swaps. The p95 "before" is that of the minute before the first swap and, matched to the
   windows "during", that of as long a time just before each swap (pooled); each ratio comes with a 90 %
   bootstrap interval (how much of it is the luck of which callbacks fell in the windows). The callbacks'
   time in the server (the access log) is split too: just before each swap, while the worker that answered
   had not switched yet (the warm-up runs then), and its first seconds after: the client's latency adds
   the load generator's own delays, this says whether and when the server itself was slower. After the
   first swap the master replaces the workers by fresh forks, one per poll interval
   (``SWAP_REFRESH_WORKERS``): reported, how many and when the last, and the p95 meanwhile.

Then **growth**: ``--growth-workers`` workers for ``--growth-minutes`` under the harsher load of
:mod:`bench.memory_load` (random year ranges and values everywhere, so nearly every view is new and
memo caches fill and evict), sampling each worker's private memory (USS) against ``MEMO_MAX_MB``.
With ``--container``, the image runs at its documented memory limit (``--container-memory``) under
the traffic model while a real export (PostgreSQL holding the same synthetic sky) runs inside it
and publishes: does anything get OOM-killed?

A run with failed callbacks keeps its servers' logs (the directory is printed). Every table carries the load
average at the time of its figures; the section "Memory: workers,
load, swaps (issue #11)" of ``bench/results.md`` is rewritten unless ``--no-write``. The container
alone (``--workers "" --growth-minutes 0 --container``) writes its own section, "Memory: an export
inside the web container (issues #11, #14)", leaving the workers' figures as they are.

``--setting NAME=VALUE`` gives the servers of the worker and growth runs one of the app's settings (e.g.
``SWAP_REFRESH_WORKERS=false``); their figures go to a section of their own, the section's name followed by the
settings, so the runs with the defaults stay; so do runs of other ``--workers`` or ``--swaps`` than the defaults
(e.g. ``--workers 4 --swaps 16``: enough swaps' callbacks for a p95 ratio whose interval can settle a goal).
Runs of two values one after the other, alternating, are the A/B.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.memory_container import measure_container
from bench.memory_load import UserLoad, summary
from bench.memory_procs import (
    POLL_S,
    REALISTIC,
    SWAP_GAP_S,
    HealthPoller,
    Server,
    before_each,
    children,
    cold_start,
    drive_load,
    install,
    latencies,
    load_avg,
    p95_ratio_interval,
    prepare_snapshots,
    sampled_pss_mb,
    server_p95_by_phase,
    slow_by_part,
    snapshot_id,
    spawn,
    tree_memory,
    when,
    window,
    windows,
)
from bench.memory_report import report
from bench.results_file import write_section

SECTION = "Memory: workers, load, swaps (issue #11)"
CONTAINER_SECTION = "Memory: an export inside the web container (issues #11, #14)"


@dataclass
class Run:
    """Figures of one worker count."""

    workers: int
    page_s: float = 0.0
    chart_s: float = 0.0
    startup_cpu_s: float = 0.0
    start_load: str = ""
    pss: dict[str, float] = field(default_factory=dict)
    pss_load: dict[str, str] = field(default_factory=dict)
    pss_range: dict[str, tuple[float, float]] = field(default_factory=dict)
    """Lowest and highest of the samples whose median is ``pss`` (:func:`bench.memory_procs.sampled_pss_mb`)."""
    switch_s: dict[int, float] = field(default_factory=dict)
    switch_cpu_s: dict[int, float] = field(default_factory=dict)
    unswitched: list[int] = field(default_factory=list)
    late_answers: int = 0
    before: dict[str, float] = field(default_factory=dict)
    during: dict[str, float] = field(default_factory=dict)
    before_each: dict[str, float] = field(default_factory=dict)
    """Callbacks in as long a time just before each swap as its window "during" (pooled)."""
    interval: tuple[float, float] = (float("nan"), float("nan"))
    """90 % bootstrap interval of p95 during ÷ p95 before (the minute before the first swap)."""
    interval_each: tuple[float, float] = (float("nan"), float("nan"))
    """The same with ``before_each``."""
    after: dict[str, float] = field(default_factory=dict)
    total: dict[str, float] = field(default_factory=dict)
    load_during: str = ""
    errors: list[str] = field(default_factory=list)
    warm: str = ""
    """The warm-up's own log line for the first swap's snapshot (views, results, seconds, CPU), if one ran."""
    swaps: int = 1
    warmed_views: list[int] = field(default_factory=list)
    """Views each swap's warm-up computed."""
    slow: dict[str, tuple[int, int]] = field(default_factory=dict)
    """Callbacks slower than the p95 before the swap, and all callbacks, in each part of the swaps' windows
    (pooled): until the first worker switched (detection, mapping, warm-up), and after it."""
    server_phases: dict[str, tuple[float, int]] = field(default_factory=dict)
    """p95 of the callbacks' time in the server (ms) and their count: just before each swap, until the answering
    worker switched, the first seconds after (:func:`bench.memory_procs.server_p95_by_phase`)."""
    replaced: list[float] = field(default_factory=list)
    """Seconds from the first swap to each worker's replacement by a fresh fork (``SWAP_REFRESH_WORKERS``)."""
    replacing: dict[str, float] = field(default_factory=dict)
    """Callbacks from the first added worker until 2 s after the last replacement (the first swap)."""

    def note_pss(self, point: str, sampled: tuple[float, float, float]) -> None:
        """Keep ``sampled_pss_mb``'s (median, lowest, highest) for ``point``."""
        self.pss[point], low, high = sampled
        self.pss_range[point] = (low, high)


def _warm_lines(records: list[dict], new_id: str, since: float) -> list[str]:
    """What the warm-ups of ``new_id`` logged after ``since`` (their lines, after the snapshot id)."""
    out = []
    for record in records:
        message = str(record.get("message", ""))
        if message.startswith(f"warmed snapshot {new_id}: ") and when(record) >= since:
            out.append(message.split(": ", 1)[1])
    return out


def _swap_lines(records: list[dict], new_id: str, since: float) -> dict[int, tuple[float, float]]:
    """pid → (wall time, watcher CPU-s) of each process's first 'serving snapshot <new_id>' line after ``since``."""
    out: dict[int, tuple[float, float]] = {}
    for record in records:
        message = str(record.get("message", ""))
        if message.startswith(f"serving snapshot {new_id} (pid ") and when(record) >= since:
            pid = int(message.split("(pid ", 1)[1].split(";", 1)[0])
            cpu = float(message.rsplit(", ", 1)[1].split(" CPU-s", 1)[0])
            out.setdefault(pid, (when(record), cpu))
    return out


def _warmer_pids(server: Server) -> set[int]:
    """The warm-up processes the master forked so far (its "warming snapshot … in process N" lines)."""
    out = set()
    for record in server.log_records():
        message = str(record.get("message", ""))
        if message.startswith("snapshot store: warming snapshot ") and " in process " in message:
            out.add(int(message.rsplit(" in process ", 1)[1]))
    return out


def _refresh_times(records: list[dict], since: float, until: float) -> tuple[list[float], list[float]]:
    """Wall times of the master's added workers (gunicorn's "Handling signal: ttin") and of its replacements
    ("replacing worker …") between ``since`` and ``until``."""
    added, replaced = [], []
    for record in records:
        message, at = str(record.get("message", "")), when(record)
        if since <= at < until:
            if message == "Handling signal: ttin":
                added.append(at)
            elif message.startswith("replacing worker "):
                replaced.append(at)
    return added, replaced


def _views_warmed(line: str) -> int:
    """The number of views in a warm-up's line ("38 views (64 asked for lately), …")."""
    head = line.split(" views", 1)[0]
    return int(head) if head.isdigit() else 0


def measure_workers(
    workers: int,
    a: Path,
    b: Path,
    tmp: Path,
    users: int,
    load_s: float,
    swap_s: float,
    kind: str,
    swaps: int = 1,
    settings: dict[str, str] | None = None,
) -> Run:
    """Cold start, PSS after start / load / a swap / all ``swaps``, and the swaps themselves, for one worker
    count (``settings``: more of the app's settings for its server)."""
    run = Run(workers, swaps=swaps)
    data_dir = tmp / f"data-{workers}"
    data_dir.mkdir()
    install(a, data_dir)
    server = spawn(data_dir, tmp / f"gunicorn-{workers}.log", **{**REALISTIC, **(settings or {})}, WORKERS=str(workers))
    poller = None
    try:
        run.page_s, run.chart_s = cold_start(server)
        run.startup_cpu_s = server.startup_cpu_s
        run.start_load = load_avg()
        time.sleep(2)
        master = server.process.pid
        run.note_pss("start", sampled_pss_mb(master))
        run.pss_load["start"] = load_avg()
        flips: list[tuple[float, str, list[int]]] = []  # (time, snapshot id, workers then)

        def swap_to(snapshot: Path) -> None:
            warmers = _warmer_pids(server)  # an earlier swap's warm-up, should one still be exiting
            live = [pid for pid in children(master) if pid not in warmers]
            flips.append((install(snapshot, data_dir), snapshot_id(snapshot), live))

        def during() -> None:
            nonlocal poller
            time.sleep(load_s)
            run.note_pss("load", sampled_pss_mb(master))
            run.pss_load["load"] = load_avg()
            poller = HealthPoller(server.url)
            swap_to(b)
            time.sleep(swap_s)
            run.note_pss("swap", sampled_pss_mb(master))
            run.pss_load["swap"] = run.load_during = load_avg()
            for k in range(1, swaps):
                swap_to(a if k % 2 else b)
                time.sleep(SWAP_GAP_S)
            if swaps > 1:
                run.note_pss("swaps", sampled_pss_mb(master))
                run.pss_load["swaps"] = load_avg()

        answers = drive_load(server.url, users, load_s + swap_s + swaps * SWAP_GAP_S + 120, kind, during)
        if poller is not None:
            poller.stop()
        seen = poller.seen if poller is not None else []
        records = server.log_records()
        spans = []
        parts: list[tuple[float, float, float]] = []  # (replaced, first worker switched, slowest + 2 s)
        switched_at: list[dict[int, float]] = []  # each swap's pid → when that worker switched
        for k, (flip, new_id, live) in enumerate(flips):
            lines = _swap_lines(records, new_id, flip)
            warm_lines = _warm_lines(records, new_id, flip)
            run.warmed_views.append(_views_warmed(warm_lines[0]) if warm_lines else 0)
            until = flips[k + 1][0] if k + 1 < len(flips) else float("inf")
            if k == 0:
                run.warm = warm_lines[0] if warm_lines else "none"
                added, replaced = _refresh_times(records, flip, until)
                run.replaced = [t - flip for t in replaced]
                if added and replaced:
                    run.replacing = window(answers, added[0], replaced[-1] + 2)
            for pid in live:
                if pid in lines:
                    run.switch_s[pid] = max(run.switch_s.get(pid, 0.0), lines[pid][0] - flip)
                    run.switch_cpu_s[pid] = max(run.switch_cpu_s.get(pid, 0.0), lines[pid][1])
                else:
                    run.unswitched.append(pid)
            run.late_answers += sum(1 for t, _pid, sid in seen if flip + POLL_S + 2 < t < until and sid != new_id)
            switched_at.append({pid: lines[pid][0] for pid in live if pid in lines})
            switched = [t - flip for t in switched_at[-1].values()]
            slowest = max(switched, default=0.0)
            first = min(switched, default=slowest)
            spans.append((flip, flip + slowest + 2))
            parts.append((flip, flip + first, flip + slowest + 2))
        flip = flips[0][0]
        minute_before, matched = [(flip - swap_s, flip)], before_each(spans)
        run.before = windows(answers, minute_before)
        run.slow = slow_by_part(answers, parts, run.before["p95_ms"])
        run.server_phases = server_p95_by_phase(
            records, [(start, before, at) for (before, start), at in zip(matched, switched_at, strict=True)]
        )
        run.during = windows(answers, spans)
        run.before_each = windows(answers, matched)
        during_ms = latencies(answers, spans)
        run.interval = p95_ratio_interval(latencies(answers, minute_before), during_ms)
        run.interval_each = p95_ratio_interval(latencies(answers, matched), during_ms)
        run.after = window(answers, flip, flip + swap_s)
        run.total = window(answers, 0.0, float("inf"))
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


def measure_growth(
    workers: int, memo_mb: int, a: Path, tmp: Path, users: int, minutes: float, settings: dict[str, str] | None = None
) -> Growth:
    """Each worker's private memory (USS) over ``minutes`` of varied load at ``MEMO_MAX_MB=memo_mb``."""
    data_dir = tmp / f"growth-{memo_mb}"
    data_dir.mkdir()
    install(a, data_dir)
    # no recycling (MAX_REQUESTS=0): is a worker's memory bounded without it?
    server = spawn(
        data_dir,
        tmp / f"growth-{memo_mb}.log",
        **{**REALISTIC, **(settings or {})},
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


def _skies(args: argparse.Namespace, tmp: Path) -> tuple[Path, Path]:
    """The two published skies: from ``--stage`` when it holds them (made for this scale and seed), else new."""
    stage = args.stage or tmp / "stage"
    tag = stage / "skies.txt"
    wanted = f"scale {args.scale:g} seed {args.seed}"
    if args.stage and tag.is_file():
        lines = tag.read_text().splitlines()
        if lines and lines[0] == wanted and all(Path(p).is_file() for p in lines[1:3]):
            print(f"reusing the skies in {stage} ({wanted})", file=sys.stderr)
            return Path(lines[1]), Path(lines[2])
        raise SystemExit(f"{stage} holds other skies ({lines[:1]}); use another --stage")
    print(f"publishing two demo skies ({wanted}) …", file=sys.stderr)
    a, b = prepare_snapshots(args.scale, args.seed, stage)
    if args.stage:
        tag.write_text(f"{wanted}\n{a}\n{b}\n")
    return a, b


def _settings(parser: argparse.ArgumentParser, given: list[str]) -> dict[str, str]:
    """``--setting NAME=VALUE`` options as a mapping; an unknown name or a value the app refuses stops here."""
    from dashboard_app.settings import SETTINGS, SettingsError, parse_setting

    known = {s.name: s for s in SETTINGS}
    out = {}
    for item in given:
        name, sep, value = item.partition("=")
        if not sep or name not in known:
            parser.error(f"--setting {item!r}: expected NAME=VALUE with NAME one of the app's settings")
        try:
            parse_setting(known[name], value)
        except SettingsError as exc:
            parser.error(str(exc))
        out[name] = value
    return out


def _keep_logs(tmp: Path) -> Path:
    """Copy the servers' logs out of the run's temporary directory (a run with failed callbacks): the evidence
    of what failed, which the directory would take with it."""
    kept = Path(tempfile.mkdtemp(prefix="neo-bench-memory-logs-"))
    for log in tmp.glob("*.log"):
        shutil.copy2(log, kept / log.name)
    print(f"callbacks failed: the servers' logs are kept in {kept}", file=sys.stderr)
    return kept


DEFAULT_WORKERS = "1,2,4"
DEFAULT_SWAPS = 4


def section_name(args: argparse.Namespace, settings: dict[str, str]) -> str:
    """The results section of a run: :data:`SECTION` for the default worker counts and swaps, else followed by
    what differs and by the settings (so e.g. a long run of 4 workers' swaps leaves the full run's figures)."""
    shape = []
    if args.workers != DEFAULT_WORKERS:
        shape.append(f"workers {args.workers}")
    if args.swaps != DEFAULT_SWAPS:
        shape.append(f"{args.swaps} swaps")
    return SECTION + "".join(f", {part}" for part in shape) + "".join(f", {k}={v}" for k, v in settings.items())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", default=DEFAULT_WORKERS, help="comma-separated worker counts")
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
    parser.add_argument(
        "--growth-memo-mb", default="128", help="comma-separated MEMO_MAX_MB values (all workers) for growth runs"
    )
    parser.add_argument("--growth-workers", type=int, default=2)
    parser.add_argument("--container", action="store_true", help="also run the image at its memory limit")
    parser.add_argument("--container-memory", default="1g")
    parser.add_argument("--container-load-minutes", type=float, default=2.0)
    parser.add_argument(
        "--stage",
        type=Path,
        default=None,
        help="directory holding the two published skies (made there on first use, reused after: same scale/seed)",
    )
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument(
        "--setting",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="an app setting for the servers of the worker and growth runs (repeatable; e.g. "
        "SWAP_REFRESH_WORKERS=false); their results go to a section of their own, named after the settings",
    )
    parser.add_argument(
        "--swaps",
        type=int,
        default=DEFAULT_SWAPS,
        help=f"swaps under load ({SWAP_GAP_S:g} s apart after the first's comparison)",
    )
    args = parser.parse_args(argv)
    settings = _settings(parser, args.setting)
    workers = [int(w) for w in args.workers.split(",") if w]
    with tempfile.TemporaryDirectory(prefix="neo-bench-memory-") as tmp_name:
        tmp = Path(tmp_name)
        a, b = _skies(args, tmp)
        runs = []
        for w in workers:
            print(f"{w} worker(s) …", file=sys.stderr)
            runs.append(
                measure_workers(
                    w, a, b, tmp, args.users, 60 * args.load_minutes, args.swap_seconds, args.load, args.swaps, settings
                )
            )
            print(report(runs, [], None, args), file=sys.stderr)
        growth = []
        if args.growth_minutes > 0:
            for memo in (int(m) for m in args.growth_memo_mb.split(",") if m):
                print(f"growth at MEMO_MAX_MB={memo} …", file=sys.stderr)
                growth.append(
                    measure_growth(args.growth_workers, memo, a, tmp, args.users, args.growth_minutes, settings)
                )
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
        if any(r.total.get("failed", 0) for r in runs) or any(g.answers.get("failed", 0) for g in growth):
            _keep_logs(tmp)
    command = "python -m bench.memory " + " ".join(argv if argv is not None else sys.argv[1:])
    body = f"`{command.strip()}`\n\n" + report(runs, growth, container, args)
    print(body)
    if not args.no_write:
        # only the container (--workers "" --growth-minutes 0 --container): its own section, the rest stays
        write_section(section_name(args, settings) if runs or growth else CONTAINER_SECTION, body)
    failed = sum(r.total.get("failed", 0) for r in runs)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
