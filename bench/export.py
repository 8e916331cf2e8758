"""Benchmark the exporter end to end against a real PostgreSQL holding a synthetic sky.

    python -m bench.export [--scale 1.0] [--seed 1] [--background 0.0] [--no-write]

Starts a private PostgreSQL server (tests/harness/postgres.py), generates the sky,
loads it with COPY and creates the setup indexes (timed separately, not part of
the export), then runs ``neo-explorer export`` as a subprocess and reports the
wall time per stage and the time spent waiting for PostgreSQL, the exporter's
peak memory (and its peak per stage and publisher step: where it is), and the
key lines of PostgreSQL's plan for each query (which indexes probe
``obs_sbn``; a sequential scan of it is reported as a failure).
Figures go to ``bench/results.md`` (section "export").
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.results_file import write_section  # noqa: E402
from bench.rss_steps import run_sampled  # noqa: E402

GOAL_S = 60.0
MEMORY_GOAL_MB = 400
_TICKS = os.sysconf("SC_CLK_TCK")


def postgres_cpu_s(data_dir: Path) -> float:
    """CPU seconds used so far by a PostgreSQL server: postmaster, live children, and reaped children.

    A finished backend's time is added to the postmaster's children time when it
    exits, so the difference before/after an export is what PostgreSQL spent on it,
    however busy the rest of the machine is.
    """
    postmaster = int((data_dir / "postmaster.pid").read_text().split()[0])
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid, ppid = int(stat.parent.name), int(fields[1])
        if pid == postmaster:
            total += sum(int(x) for x in fields[11:15])  # utime, stime, cutime, cstime
        elif ppid == postmaster:
            total += int(fields[11]) + int(fields[12])
    return total / _TICKS


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _plan_lines(server, dbname: str) -> tuple[list[str], list[str]]:
    """Per stage: the scans of the source tables in the plan; and any problem (a Seq Scan of obs_sbn)."""
    from dashboard_app.exporter import plans

    lines, problems = [], []
    with server.connect(dbname, autocommit=False) as con:
        con.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        for stage, query in plans.stage_queries(con).items():
            plan = plans.explain(con, query)
            scans = []
            for table in ("obs_sbn", "mpc_orbits", "numbered_identifications", "current_identifications", "obscodes"):
                for node, index in plans.scans_of(plan, table):
                    scans.append(f"{node} on {table}" + (f" using {index}" if index else ""))
                    if table == "obs_sbn" and node == "Seq Scan":
                        problems.append(f"{stage}: sequential scan of obs_sbn")
            lines.append(f"| {stage} | {'; '.join(dict.fromkeys(scans))} |")
    return lines, problems


def run(scale: float, seed: int, write: bool, background: float = 0.0) -> int:
    from dashboard_app.sky import generate
    from tests.harness.postgres import load_sky, start_server

    t0 = time.perf_counter()
    sky = generate(seed, scale)
    gen_s = time.perf_counter() - t0
    n_obs = len(sky.source["obs_sbn"])
    n_orbits = len(sky.source["mpc_orbits"])
    if background:
        from dashboard_app.sky.background import plan

        extra = plan(background, sky)
        n_obs, n_orbits = n_obs + extra.observations, n_orbits + extra.objects
    print(f"generated seed={seed} scale={scale}: {n_orbits:,} orbits, {n_obs:,} observations in {gen_s:.1f}s")
    server = start_server()
    try:
        load = load_sky(server, "mpc_sbn", sky, background=background)
        print("loaded: " + ", ".join(f"{k} {v:.1f}s" for k, v in load.items()))
        with server.connect("mpc_sbn") as con:
            db_size = con.execute("SELECT pg_size_pretty(pg_database_size('mpc_sbn'))").fetchone()[0]
        plan_rows, problems = _plan_lines(server, "mpc_sbn")

        env = {k: v for k, v in os.environ.items() if not k.startswith(("PG", "DATABASE_", "NEO_"))}
        env.update(server.reader_env("mpc_sbn"), PYTHONPATH=str(REPO))
        with tempfile.TemporaryDirectory(prefix="neo-bench-export-") as tmp:
            load_before = os.getloadavg()[0]
            pg_cpu0, py_cpu0 = postgres_cpu_s(server.data_dir), _children_cpu_s()
            t0 = time.perf_counter()
            proc = run_sampled(
                ["/usr/bin/time", "-f", "maxrss_kb=%M", sys.executable, "-m", "dashboard_app", "export",
                 "--data-dir", str(Path(tmp) / "data")],
                env=env,
                cwd=REPO,
                status=Path(tmp) / "data" / "status.json",
                timeout=1800,
            )  # fmt: skip
            wall_s = time.perf_counter() - t0
            pg_cpu, py_cpu = postgres_cpu_s(server.data_dir) - pg_cpu0, _children_cpu_s() - py_cpu0
            load_after = os.getloadavg()[0]
            rss = [line for line in proc.stderr.splitlines() if line.startswith("maxrss_kb=")]
            peak_mb = int(rss[-1].split("=")[1]) / 1024 if rss else float("nan")
            snapshot_mb = sum(p.stat().st_size for p in (Path(tmp) / "data").glob("snapshot-*")) / 2**20
        sys.stderr.write(proc.stderr)
        if proc.returncode != 0:
            print(f"export failed with exit code {proc.returncode}", file=sys.stderr)
            return 1
        summary = json.loads(proc.stdout.strip().splitlines()[-1])
    finally:
        server.destroy()

    steps = [f"| {step} | {mb:.0f} |" for step, mb in proc.steps]
    stages = summary["stages"]
    db_total = sum(s["db_seconds"] for s in stages)
    stage_rows = [f"| {s['name']} | {s['rows']:,} | {s['seconds']:.2f} | {s['db_seconds']:.2f} |" for s in stages]
    counts = ", ".join(f"{k} {v:,}" for k, v in sorted(summary["row_counts"].items()))
    verdict = "met" if wall_s <= GOAL_S else "NOT met"
    body = "\n".join(
        [
            f"`python -m bench.export --scale {scale} --seed {seed} --background {background:g}`: {n_orbits:,} orbits, "
            f"{n_obs:,} observations "
            f"in PostgreSQL 15 (database {db_size}), 2 cores shared with other work.",
            "",
            f"- **End to end `neo-explorer export`: {wall_s:.1f} s** (process start to exit; goal ≤ {GOAL_S:g} s: "
            f"{verdict}); waiting for PostgreSQL {db_total:.1f} s of it, the rest Python (parse, assemble, "
            f"circumstances, SQLite write, validation).",
            f"- CPU time, which does not depend on how busy the shared machine was (load average "
            f"{load_before:.1f} before, {load_after:.1f} after): **PostgreSQL {pg_cpu:.1f} s**, exporter process "
            f"{py_cpu:.1f} s (user + system), {pg_cpu + py_cpu:.1f} s together; the exporter mostly waits while "
            f"PostgreSQL runs a query, so on two idle cores the export takes at most about that sum.",
            f"- **Exporter peak RSS {peak_mb:.0f} MB** (goal ≤ {MEMORY_GOAL_MB} MB: "
            f"{'met' if peak_mb <= MEMORY_GOAL_MB else 'NOT met'}); snapshot file {snapshot_mb:.1f} MB; "
            f"rows: {counts}.",
            f"- Not counted: generating the sky {gen_s:.1f} s; loading it (default setup tier): "
            + ", ".join(f"{k.removesuffix('_s')} {v:.1f} s" for k, v in load.items())
            + ".",
            "",
            'Wall time per stage ("waiting" = from sending the query until its last row arrived: PostgreSQL '
            "executing plus the transfer):",
            "",
            "| Stage | Rows | Wall s | Waiting for PostgreSQL s |",
            "|---|---:|---:|---:|",
            *stage_rows,
            "",
            "Peak RSS per step (the exporter process sampled every 20 ms; `bench/rss_steps.py`):",
            "",
            "| Step | Peak RSS MB |",
            "|---|---:|",
            *steps,
            "",
            "Plans (EXPLAIN at this scale; scans of the source tables per stage query):",
            "",
            "| Stage | Scans |",
            "|---|---|",
            *plan_rows,
            "",
            "Sequential scans of obs_sbn: " + ("; ".join(problems) if problems else "none."),
        ]
    )
    print(body)
    if write:
        write_section("export", body)
    return 0 if not problems else 2


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--background", type=float, default=0.0, help="other objects, × the real proportions")
    parser.add_argument("--no-write", action="store_true", help="print only; do not update bench/results.md")
    args = parser.parse_args(argv)
    return run(args.scale, args.seed, not args.no_write, args.background)


if __name__ == "__main__":
    sys.exit(main())
