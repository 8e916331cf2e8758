"""``neo-explorer demo DATA_DIR``: build and publish a synthetic demo snapshot (no database needed).

The snapshot's meta says it is synthetic (``synthetic = 1``), so every page shows a banner.
``--write-source DIR`` also writes the source tables, the truth and the planted cases into
``DIR/synthetic-sky-<seed>-<scale>.sqlite`` for a person to open.

Exit codes: 0 published; 1 refused or failed (bad option, unwritable directory, validation,
not enough memory for ``--scale``); 2 bad usage; 6 another publisher holds the data directory's
lock (try again later).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from dashboard_app import exit_codes
from dashboard_app.cli import bounded_float, bounded_int, directory_path, fraction

DEFAULT_SEED = 1
DEFAULT_SCALE = 0.1
MAX_SEED = 2**31 - 1
EXIT_OK, EXIT_FAILED, EXIT_LOCKED = exit_codes.OK, exit_codes.FAILED, exit_codes.LOCKED  # the one table

# Peak resident memory of `demo` (generation + publishing) ≈ BASE + PER_SCALE × scale, measured with
# /usr/bin/time at scales 0.05, 0.2 and 0.4 (0.27, 0.64, 1.10 GB: 2.33 GB per unit of scale), rounded up.
PEAK_MEMORY_BASE_BYTES = 300 * 10**6
PEAK_MEMORY_PER_SCALE_BYTES = 2_500 * 10**6


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the ``demo`` options."""
    parser.add_argument("data_dir", metavar="DATA_DIR", type=directory_path, help="data directory to publish into")
    parser.add_argument(
        "--seed",
        type=bounded_int(0, MAX_SEED),
        default=DEFAULT_SEED,
        help=f"generator seed, 0-{MAX_SEED} (default {DEFAULT_SEED})",
    )
    parser.add_argument(
        "--scale",
        type=bounded_float(0, 1000),
        default=DEFAULT_SCALE,
        help=f"sky size; 1.0 = the real catalogue's 41,516 NEOs, ~5 million observations and "
        f"{estimated_peak_memory(1) / 1e9:.1f} GB "
        f"of memory while generating (default {DEFAULT_SCALE})",
    )
    parser.add_argument(
        "--keep", type=bounded_int(1, 1000), default=5, help="snapshots to keep in DATA_DIR (default 5)"
    )
    parser.add_argument(
        "--max-row-drop",
        type=fraction,
        default=None,
        help="refuse to publish when a table loses more than this fraction of rows (default: no check for demos)",
    )
    parser.add_argument(
        "--write-source", type=directory_path, metavar="DIR", help="also write source + truth as SQLite"
    )


def estimated_peak_memory(scale: float) -> int:
    """Bytes of memory ``demo --scale scale`` needs at its peak (see :data:`PEAK_MEMORY_PER_SCALE_BYTES`)."""
    return int(PEAK_MEMORY_BASE_BYTES + PEAK_MEMORY_PER_SCALE_BYTES * scale)


def available_memory() -> int | None:
    """Bytes this process may still use: the smaller of MemAvailable and the cgroup's headroom (None: unknown)."""
    limits = []
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    limits.append(int(line.split()[1]) * 1024)
    except (OSError, ValueError):
        pass
    try:
        maximum = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        if maximum != "max":
            current = int(Path("/sys/fs/cgroup/memory.current").read_text())
            limits.append(int(maximum) - current)
    except (OSError, ValueError):
        pass
    return min(limits) if limits else None


def memory_refusal(scale: float, available: int | None) -> str | None:
    """Why ``scale`` cannot be generated with ``available`` bytes, or None when it fits."""
    needed = estimated_peak_memory(scale)
    if available is None or needed <= available:
        return None
    largest = max((available - PEAK_MEMORY_BASE_BYTES) / PEAK_MEMORY_PER_SCALE_BYTES, 0)
    return (
        f"--scale {scale:g} needs about {needed / 1e9:,.1f} GB of memory to generate, but about "
        f"{available / 1e9:,.1f} GB is available here; use --scale {largest:.2g} or less"
    )


def run(args: argparse.Namespace) -> int:
    """Generate the sky and publish its truth as the current snapshot; returns the exit code."""
    from dashboard_app.sky import generate
    from dashboard_app.snapshot.publish import PublishError, PublishLockedError, publish

    refusal = memory_refusal(args.scale, available_memory())
    if refusal:
        print(f"neo-explorer demo: {refusal}", file=sys.stderr)
        return EXIT_FAILED
    for folder, purpose in ((args.data_dir, "publish into"), (args.write_source, "write the source into")):
        if folder is None:
            continue
        try:  # before the minutes of generating, not after
            if folder.exists() and not folder.is_dir():
                raise NotADirectoryError(20, "not a directory")
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            print(f"neo-explorer demo: cannot {purpose} {folder}: {exc.strerror or exc}", file=sys.stderr)
            return EXIT_FAILED
    t0 = time.perf_counter()
    sky = generate(args.seed, args.scale)
    generated = time.perf_counter() - t0
    try:
        result = publish(args.data_dir, sky.build, keep=args.keep, max_row_drop=args.max_row_drop)
    except PublishLockedError as exc:
        print(f"neo-explorer demo: {exc}", file=sys.stderr)
        return EXIT_LOCKED
    except (PublishError, OSError) as exc:
        print(f"neo-explorer demo: cannot publish into {args.data_dir}: {exc}", file=sys.stderr)
        return EXIT_FAILED
    counts = ", ".join(f"{k} {v:,}" for k, v in result.row_counts.items())
    print(f"published synthetic snapshot {result.snapshot_id} ({counts}) in {generated:.1f} s generation")
    if args.write_source:
        path = args.write_source / f"synthetic-sky-{args.seed}-{args.scale:g}.sqlite"
        try:
            path.unlink(missing_ok=True)
            sky.write_sqlite(path)
        except OSError as exc:
            print(f"neo-explorer demo: cannot write {path}: {exc.strerror or exc}", file=sys.stderr)
            return EXIT_FAILED
        print(f"wrote source, truth and planted cases to {path}")
    return EXIT_OK
