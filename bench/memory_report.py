"""bench.memory's report: the Markdown tables of bench/results.md (section written by bench.memory)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from bench.memory_procs import MB, POLL_S, PSS_GAP_S, PSS_SAMPLES, SERVER_PHASES, SLOW_PARTS, SWAP_GAP_S

if TYPE_CHECKING:
    from bench.memory import Growth, Run
    from bench.memory_container import ContainerRun


def _ratio_cell(before: dict[str, float], during: dict[str, float], interval: tuple[float, float]) -> str:
    """p95 before → during, their ratio and its 90 % bootstrap interval: "37 → 45 ms (1.20; 1.02–1.41)"."""
    if not before:
        return "n/a"
    ratio = during["p95_ms"] / before["p95_ms"]
    return f"{before['p95_ms']:.0f} → {during['p95_ms']:.0f} ms ({ratio:.2f}; {interval[0]:.2f}–{interval[1]:.2f})"


def _range(run: Run, point: str) -> str:
    """The lowest and highest PSS sample of ``point``: "262–281"."""
    low, high = run.pss_range.get(point, (float("nan"), float("nan")))
    return f"{low:.0f}–{high:.0f}"


def _share(slow: int, n: int) -> str:
    return f"{slow} of {n} ({100 * slow / n:.0f} %)" if n else "none"


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
        f"Total PSS (master + workers, MB): the median of {PSS_SAMPLES} samples {PSS_GAP_S:g} s apart (under load one "
        "instant may catch requests' temporaries), their range and the load average 1 / 5 min in brackets; "
        "the ratio is of the medians:",
        "",
        "| Point | " + " | ".join(cols) + " |" + ratio_head,
        "|---|" + "---|" * (len(cols) + (1 if ratio_head else 0)),
    ]
    labels = {
        "start": "right after start",
        "load": f"after {args.load_minutes:g} min of load",
        "swap": f"after a swap under load (+{args.swap_seconds:g} s)",
        "swaps": f"after {args.swaps} swaps under load (+{SWAP_GAP_S:g} s)",
    }
    for key, label in labels.items():
        if not all(key in r.pss for r in runs):
            continue
        cells = [f"{r.pss[key]:.0f} ({_range(r, key)}; {r.pss_load[key]})" for r in runs]
        ratio = f" {most.pss[key] / one.pss[key]:.2f} |" if ratio_head and one and most else ""
        lines.append(f"| {label} | " + " | ".join(cells) + " |" + ratio)
    lines += [
        "",
        f"The swap (a second snapshot installed and `CURRENT` replaced under load; poll interval {POLL_S:g} s)"
        + (
            f", then {args.swaps - 1} more, {SWAP_GAP_S:g} s apart, back and forth between the two snapshots "
            "(each new to the workers again); switch figures are the worst of all swaps, the p95 during pools "
            "every swap's window (from `CURRENT` replaced until the slowest worker switched, + 2 s); the 90 % "
            "interval of a ratio is a bootstrap of both windows' callbacks (how much of it is luck):"
            if args.swaps > 1
            else ":"
        ),
        "",
        "| Figure | " + " | ".join(cols) + " |",
        "|---|" + "---|" * len(cols),
        "| slowest worker serves the new snapshot after (goal ≤ poll + 2 s) | "
        + " | ".join(f"{max(r.switch_s.values(), default=float('nan')):.1f} s" for r in runs)
        + " |",
        "| warm-up before the (first) switch (one process per machine as `SCHED_IDLE`, `SWAP_WARM_SECONDS`) | "
        + " | ".join(r.warm for r in runs)
        + " |",
        "| views warmed, each swap | " + " | ".join(" / ".join(map(str, r.warmed_views)) for r in runs) + " |",
        "| watcher CPU per worker for the switch, max (goal ≤ 0.5 s) | "
        + " | ".join(f"{max(r.switch_cpu_s.values(), default=float('nan')):.2f} s" for r in runs)
        + " |",
        "| workers that never logged the switch (recycled meanwhile) | "
        + " | ".join(str(len(r.unswitched)) for r in runs)
        + " |",
        "| /health answers with the old snapshot after poll + 2 s | "
        + " | ".join(str(r.late_answers) for r in runs)
        + " |",
        "| callbacks p95 in the minute before the first swap → during the swaps (ratio, 90 % interval; goal ≤ 1.2) | "
        + " | ".join(_ratio_cell(r.before, r.during, r.interval) for r in runs)
        + " |",
        "| callbacks p95 in as long a time just before each swap → during it, pooled (ratio, 90 % interval) | "
        + " | ".join(_ratio_cell(r.before_each, r.during, r.interval_each) for r in runs)
        + " |",
        "| callbacks in those windows (the minute before / just before each / during) | "
        + " | ".join(f"{r.before['n']:.0f} / {r.before_each.get('n', 0):.0f} / {r.during['n']:.0f}" for r in runs)
        + " |",
        "| of those, slower than the p95 before (5 % of its callbacks): until the first worker switched / after | "
        + " | ".join(" / ".join(_share(*r.slow.get(part, (0, 0))) for part in SLOW_PARTS) for r in runs)
        + " |",
        "| callbacks' time in the server, p95 (access log; callbacks): just before each swap / until the worker that "
        "answered switched / its first 5 s after | " + " | ".join(_server_phases_cell(r) for r in runs) + " |",
        "| workers replaced by fresh forks after the first swap (`SWAP_REFRESH_WORKERS`): count, last at | "
        + " | ".join(_replaced_cell(r) for r in runs)
        + " |",
        "| callbacks p95 while they were replaced (first added worker → last replaced + 2 s), callbacks / failed | "
        + " | ".join(
            f"{r.replacing['p95_ms']:.0f} ms, {r.replacing['n']:.0f} / {r.replacing['failed']:.0f}"
            if r.replacing
            else "none"
            for r in runs
        )
        + " |",
        f"| p95 over the {args.swap_seconds:g} s after the first swap | "
        + " | ".join(f"{r.after['p95_ms']:.0f} ms" for r in runs)
        + " |",
        "| callbacks in the whole run / failed / 429 | "
        + " | ".join(
            f"{r.total['n']:.0f} / {r.total['failed']:.0f} / {r.total['limited']:.0f} {' '.join(r.errors)}"
            for r in runs
        )
        + " |",
        f"| load average {args.swap_seconds:g} s after the first swap | "
        + " | ".join(r.load_during for r in runs)
        + " |",
        "",
        "Cold start (spawning gunicorn → first page HTML / → its first charts, the layout naming the page; "
        "goal ≤ 2 s), the "
        "CPU time gunicorn used until the first page (master + workers; what a quiet machine would take), and the "
        "load average (1 / 5 min) at the first page:",
        "",
        "| " + " | ".join(cols) + " |",
        "|" + "---|" * len(cols),
        "| " + " | ".join(_cold_start_cell(r) for r in runs) + " |",
    ]
    return lines


def _server_phases_cell(r: Run) -> str:
    cells = [r.server_phases.get(name, (float("nan"), 0)) for name in SERVER_PHASES]
    return " / ".join(f"{p95:.0f} ms ({n})" if n else "none" for p95, n in cells)


def _replaced_cell(r: Run) -> str:
    return f"{len(r.replaced)}, +{max(r.replaced):.0f} s" if r.replaced else "none"


def _cold_start_cell(r: Run) -> str:
    return f"{r.page_s:.2f} s / {r.chart_s:.2f} s ({r.startup_cpu_s:.2f} CPU-s; load {r.start_load})"


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
            f"\nLargest growth {worst:.0f} MB against a memo budget of {g.memo_mb / g.workers:g} MB per worker "
            f"(`MEMO_MAX_MB={g.memo_mb}` ÷ {g.workers} workers). Largest worker USS at the end of "
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
                "| of which the processes' own (anon), idle → peak | " + _part(c, "anon") + " |",
                "| of which files in the `/tmp` tmpfs (not reclaimable), idle → peak | " + _part(c, "shmem") + " |",
                "| of which page cache of other files (reclaimable), idle → peak | " + _part(c, "cache") + " |",
                f"| export inside the container: exit code, time | {c.export_code}, {c.export_s:.0f} s |",
                "| the export process's own peak RSS (its summary) | "
                + (f"{c.export_peak_mb:.0f} MB |" if c.export_peak_mb is not None else "— (did not finish) |"),
                f"| OOM-killed / still running / worker SIGKILLs | {c.oom_killed} / {c.running_after} / "
                f"{c.worker_kills} |",
                f"| serves the exported snapshot afterwards | {c.served_new} |",
                f"| callbacks / failed / 429 / p95 | {n.get('n', 0):.0f} / "
                f"{n.get('failed', 0):.0f} / {n.get('limited', 0):.0f} {' '.join(c.errors)} / "
                f"{n.get('p95_ms', float('nan')):.0f} ms |",
                f"| load average at the end | {c.load} |",
            ]
    return "\n".join(lines)


def _part(container: ContainerRun, name: str) -> str:
    """One part of the container's memory (``MemoryParts``) idle → at the peak, in MB ("—" where not read)."""
    values = [getattr(p, name) / MB if p is not None else None for p in (container.idle_parts, container.peak_parts)]
    return " → ".join("—" if v is None else f"{v:.0f}" for v in values) + " MB"
