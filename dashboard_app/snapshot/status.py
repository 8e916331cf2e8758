"""``neo-explorer status DATA_DIR``: the current snapshot, its meta and the refresh status.

Exit codes:

- 0: a current snapshot is published and readable, and the last refresh did not fail;
- 1: no usable snapshot (none published, or the pointer names a missing or unreadable file,
  or ``--validate`` found it or its Arrow companion invalid);
- 2: bad usage (e.g. DATA_DIR does not exist);
- 9: a snapshot is current, but the last refresh failed or was interrupted.

(The codes of all commands: :mod:`dashboard_app.exit_codes`.)
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dashboard_app import exit_codes
from dashboard_app.snapshot.datadir import current_snapshot_path, read_status, snapshot_files
from dashboard_app.snapshot.frames import CompanionError, companion_path, open_companion, snapshot_id_of
from dashboard_app.snapshot.model import SnapshotError, connect_readonly, parse_utc
from dashboard_app.snapshot.validate import SnapshotInvalidError, validate_snapshot

EXIT_OK = exit_codes.OK
EXIT_NO_SNAPSHOT = exit_codes.FAILED
EXIT_USAGE = exit_codes.USAGE
EXIT_REFRESH_FAILED = exit_codes.REFRESH_FAILED


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the ``status`` options."""
    parser.add_argument("data_dir", metavar="DATA_DIR", type=Path, help="the snapshot directory")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    parser.add_argument(
        "--validate", action="store_true", help="also run the full validator on the current snapshot (slower)"
    )
    parser.epilog = (
        f"exit codes: {EXIT_OK} ok, {EXIT_NO_SNAPSHOT} no usable snapshot, {EXIT_USAGE} bad usage, "
        f"{EXIT_REFRESH_FAILED} last refresh failed or was interrupted"
    )


def collect(data_dir: Path, *, validate: bool = False) -> dict[str, Any]:
    """The facts ``status`` prints, as a JSON-ready dict."""
    facts: dict[str, Any] = {"data_dir": str(data_dir), "current": None, "current_error": None}
    try:
        path = current_snapshot_path(data_dir)
    except SnapshotError as exc:
        path, facts["current_error"] = None, str(exc)
    if path is None and facts["current_error"] is None:
        facts["current_error"] = "no snapshot has been published in this directory"
    elif path is not None:
        try:
            con = connect_readonly(path)
            try:
                meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
            finally:
                con.close()
            companion = companion_path(path)
            facts["current"] = {
                "file": path.name,
                "size_bytes": path.stat().st_size,
                "meta": meta,
                "companion": (
                    {"dir": companion.name, "size_bytes": sum(p.stat().st_size for p in companion.iterdir())}
                    if companion.is_dir()
                    else None
                ),
            }
            if validate:
                validate_snapshot(path, immutable=True)
                if companion.is_dir():  # checksums, sizes, row counts, snapshot id (what every worker checks)
                    open_companion(companion, snapshot_id=snapshot_id_of(path), snapshot_path=path)
                facts["current"]["valid"] = True
        except (SnapshotInvalidError, CompanionError) as exc:
            facts["current"]["valid"] = False
            facts["current_error"] = str(exc)
        except (SnapshotError, OSError, sqlite3.Error) as exc:
            facts["current_error"] = f"the pointer names {path.name}, which cannot be read: {exc}"
    facts["refresh"] = read_status(data_dir)
    facts["snapshots"] = [p.name for p in snapshot_files(data_dir)]
    return facts


def exit_code(facts: dict[str, Any]) -> int:
    """The documented exit code for the collected facts."""
    if facts["current"] is None or facts["current"].get("valid") is False:
        return EXIT_NO_SNAPSHOT
    if (facts["refresh"] or {}).get("state") in ("failed", "interrupted", "unknown"):
        return EXIT_REFRESH_FAILED
    return EXIT_OK


def _age(value: str | None, now: datetime) -> str:
    if not value:
        return "-"
    try:
        hours = (now - parse_utc(value)).total_seconds() / 3600
    except ValueError:
        return value
    return f"{value} ({hours:.1f} h ago)"


def render(facts: dict[str, Any], now: datetime | None = None) -> str:
    """Human-readable text of the collected facts."""
    now = now or datetime.now(UTC)
    lines = [f"Data directory: {facts['data_dir']}"]
    current = facts["current"]
    if current is None:
        lines.append(f"Current snapshot: none ({facts['current_error']})")
    else:
        meta = current["meta"]
        lines += [
            f"Current snapshot: {meta.get('snapshot_id', '?')} "
            f"({current['file']}, {current['size_bytes'] / 1e6:.1f} MB)",
            f"  created:     {_age(meta.get('created_utc'), now)}",
            f"  data time:   {_age(meta.get('newest_observation_utc'), now)}",
            f"  synthetic:   {'yes' if meta.get('synthetic') == '1' else 'no'}",
        ]
        companion = current.get("companion")
        lines.append(
            f"  frames:      {companion['dir']} ({companion['size_bytes'] / 1e6:.1f} MB, mapped by the app)"
            if companion
            else "  frames:      none (published by older code; the app builds them once into FRAMES_CACHE_DIR)"
        )
        if "valid" in current:
            lines.append(f"  valid:       {'yes' if current['valid'] else 'NO: ' + str(facts['current_error'])}")
        lines.append("  meta:")
        lines += [f"    {k} = {v}" for k, v in sorted(meta.items())]
    refresh = facts["refresh"]
    if refresh is None:
        lines.append("Refresh: none recorded")
    else:
        lines.append(
            f"Refresh: {refresh.get('state')} (stage {refresh.get('stage')}, pid {refresh.get('pid')} "
            f"on {refresh.get('host')}, started {refresh.get('started_utc')}, finished {refresh.get('finished_utc')})"
        )
        if refresh.get("error"):
            lines.append(f"  error: {refresh['error']}")
    lines.append(f"Snapshots kept: {len(facts['snapshots'])}")
    lines += [f"  {name}" for name in facts["snapshots"]]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Print the status of ``args.data_dir``; return the documented exit code."""
    if not args.data_dir.is_dir():
        print(f"neo-explorer status: {args.data_dir} is not a directory", file=sys.stderr)
        return EXIT_USAGE
    facts = collect(args.data_dir, validate=args.validate)
    print(json.dumps(facts, indent=2) if args.json else render(facts))
    return exit_code(facts)
