"""``neo-explorer demo DATA_DIR``: build and publish a synthetic demo snapshot (no database needed).

The snapshot's meta says it is synthetic (``synthetic = 1``), so every page shows a banner.
``--write-source DIR`` also writes the source tables, the truth and the planted cases into
``DIR/synthetic-sky-<seed>-<scale>.sqlite`` for a person to open.

Exit codes: 0 published; 1 refused or failed (bad option, unwritable directory, validation);
75 another publisher holds the data directory's lock (try again later).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

DEFAULT_SEED = 1
DEFAULT_SCALE = 0.1
EXIT_OK, EXIT_FAILED, EXIT_LOCKED = 0, 1, 75


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the ``demo`` options."""
    parser.add_argument("data_dir", metavar="DATA_DIR", type=Path, help="data directory to publish into")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"generator seed (default {DEFAULT_SEED})")
    parser.add_argument(
        "--scale",
        type=float,
        default=DEFAULT_SCALE,
        help=f"sky size; 1.0 ≈ 44,000 NEOs and 5 million observations (default {DEFAULT_SCALE})",
    )
    parser.add_argument("--keep", type=int, default=5, help="snapshots to keep in DATA_DIR (default 5)")
    parser.add_argument(
        "--max-row-drop",
        type=float,
        default=None,
        help="refuse to publish when a table loses more than this fraction of rows (default: no check for demos)",
    )
    parser.add_argument("--write-source", type=Path, metavar="DIR", help="also write source + truth as SQLite")


def run(args: argparse.Namespace) -> int:
    """Generate the sky and publish its truth as the current snapshot; returns the exit code."""
    from dashboard_app.sky import generate
    from dashboard_app.snapshot.publish import PublishError, PublishLockedError, publish

    if not args.scale > 0:
        print("neo-explorer demo: --scale must be positive", file=sys.stderr)
        return EXIT_FAILED
    t0 = time.perf_counter()
    sky = generate(args.seed, args.scale)
    generated = time.perf_counter() - t0
    try:
        args.data_dir.mkdir(parents=True, exist_ok=True)
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
        args.write_source.mkdir(parents=True, exist_ok=True)
        path = args.write_source / f"synthetic-sky-{args.seed}-{args.scale:g}.sqlite"
        path.unlink(missing_ok=True)
        sky.write_sqlite(path)
        print(f"wrote source, truth and planted cases to {path}")
    return EXIT_OK
