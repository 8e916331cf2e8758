"""Benchmark: synthetic-sky generation, publishing, snapshot size, and loading (time and memory).

``python -m bench.snapshot [--scale 1.0] [--seed 1] [--no-write]`` generates the synthetic sky,
publishes its snapshot into a temporary data directory, then loads it in fresh processes (so each
memory figure is a clean process's): once per reader (``pandas.read_sql`` over ``sqlite3`` and the
Arrow ADBC driver, the default) and once through the app's :class:`SnapshotStore` (validation +
load, as each worker does on a new snapshot). Reports generation and publishing time, file size,
load times, process RSS after load and the frames' memory by table; writes the
"Snapshot: generation, publishing, loading" section of ``bench/results.md`` unless ``--no-write``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.results_file import write_section

REPO = Path(__file__).resolve().parents[1]
SECTION = "Snapshot: generation, publishing, loading"
FRAMES = ("discoveries", "apparitions", "stations", "missing")


def _rss_mb() -> tuple[float, float]:
    """(current RSS, peak RSS) of this process in MB, from /proc."""
    values = {}
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith(("VmRSS:", "VmHWM:")):
                key, kb, _ = line.split()
                values[key] = int(kb) / 1024
    return values["VmRSS:"], values["VmHWM:"]


def measure_load(path: Path, how: str) -> dict[str, Any]:
    """Load ``path`` in this (fresh) process with ``how`` (a reader name or "store"); time and memory."""
    import adbc_driver_sqlite.dbapi  # noqa: F401  (libraries loaded first: "before" is then code, not data)
    import pyarrow  # noqa: F401

    from dashboard_app.snapshot.model import load_snapshot
    from dashboard_app.snapshot.store import SnapshotStore

    before, _ = _rss_mb()
    t0 = time.perf_counter()
    store = SnapshotStore(path.parent, 5.0)
    snapshot = store.load_initial() if how == "store" else load_snapshot(path, reader=how)
    seconds = time.perf_counter() - t0
    after, peak = _rss_mb()
    frames = {name: getattr(snapshot, name) for name in FRAMES}
    return {
        "how": how,
        "seconds": seconds,
        "rss_before_mb": before,
        "rss_after_mb": after,
        "rss_peak_mb": peak,
        "frames_mb": {name: float(f.memory_usage(deep=True).sum()) / 1e6 for name, f in frames.items()},
        "rows": {name: len(f) for name, f in frames.items()},
    }


def _load_in_subprocess(path: Path, how: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.snapshot", "--measure-load", str(path), "--how", how],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=900,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def run(scale: float, seed: int) -> str:
    """Run every measurement; return the Markdown report."""
    from dashboard_app.sky import generate
    from dashboard_app.snapshot.publish import publish
    from dashboard_app.snapshot.validate import validate_snapshot

    t0 = time.perf_counter()
    sky = generate(seed, scale)
    gen_s = time.perf_counter() - t0
    gen_rss, gen_peak = _rss_mb()
    n_obs = len(sky.source["obs_sbn"])
    print(f"generated scale {scale:g} in {gen_s:.1f} s ({n_obs:,} observations)", flush=True)

    with tempfile.TemporaryDirectory(prefix="bench-snapshot-") as tmp:
        data_dir = Path(tmp)
        t0 = time.perf_counter()
        result = publish(data_dir, sky.build, max_row_drop=None)
        pub_s = time.perf_counter() - t0
        del sky
        t0 = time.perf_counter()
        validate_snapshot(result.path, immutable=True)
        full_validate_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        validate_snapshot(result.path, quick=True, immutable=True)
        quick_validate_s = time.perf_counter() - t0
        size_mb = result.path.stat().st_size / 1e6
        print(f"published {result.snapshot_id} ({size_mb:.1f} MB) in {pub_s:.1f} s", flush=True)
        loads = {how: _load_in_subprocess(result.path, how) for how in ("sqlite3", "adbc", "store")}
        for how, m in loads.items():
            print(f"load {how}: {m['seconds']:.2f} s, RSS {m['rss_after_mb']:.0f} MB", flush=True)

    counts = ", ".join(f"{k} {v:,}" for k, v in result.row_counts.items())
    lines = [
        f"Scale {scale:g}, seed {seed}: {n_obs:,} source observations; snapshot rows: {counts}.",
        "",
        "| Step | Figure |",
        "|---|---|",
        f"| generate the synthetic sky | {gen_s:.1f} s (process RSS {gen_rss:.0f} MB, peak {gen_peak:.0f} MB) |",
        f"| publish (build, content hash, validate, fsync, rename, pointer) | {pub_s:.1f} s |",
        f"| full validation alone (`integrity_check` + schema + values) | {full_validate_s:.2f} s |",
        f"| store's validation alone (`quick_check` + schema + values) | {quick_validate_s:.2f} s |",
        f"| snapshot file size | {size_mb:.1f} MB |",
        "",
        "Loading, each in a fresh process (RSS before = interpreter + libraries, before any data):",
        "",
        "| Loader | Load time | RSS before | RSS after load | Peak RSS | Frames total |",
        "|---|---|---|---|---|---|",
    ]
    names = {
        "sqlite3": "`pandas.read_sql` over `sqlite3`",
        "adbc": "Arrow ADBC (`load_snapshot`, default)",
        "store": "`SnapshotStore.load_initial` (quick validation + ADBC load)",
    }
    for how, m in loads.items():
        lines.append(
            f"| {names[how]} | {m['seconds']:.2f} s | {m['rss_before_mb']:.0f} MB | {m['rss_after_mb']:.0f} MB "
            f"| {m['rss_peak_mb']:.0f} MB | {sum(m['frames_mb'].values()):.1f} MB |"
        )
    lines += ["", "Frames' memory by table (`memory_usage(deep=True)`), same dtypes for both readers:", ""]
    lines += ["| Table | Rows | sqlite3 reader | ADBC reader |", "|---|---|---|---|"]
    for name in FRAMES:
        lines.append(
            f"| {name} | {loads['adbc']['rows'][name]:,} | {loads['sqlite3']['frames_mb'][name]:.1f} MB "
            f"| {loads['adbc']['frames_mb'][name]:.1f} MB |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Command line entry: run the benchmark (or one load measurement, internally)."""
    parser = argparse.ArgumentParser(prog="python -m bench.snapshot", description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="sky size (1.0 ≈ 44,000 NEOs, 5M observations)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-write", action="store_true", help="print only; leave bench/results.md alone")
    parser.add_argument("--measure-load", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--how", default="adbc", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure_load:
        print(json.dumps(measure_load(args.measure_load, args.how)))
        return 0
    body = run(args.scale, args.seed)
    print(body)
    if not args.no_write:
        write_section(SECTION, body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
