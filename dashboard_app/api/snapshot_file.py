"""The published snapshot file itself, for download: immutable, validated, with its SHA-256.

Only the SQLite file is the published download (the Arrow companion beside it is the app's own).
The file is streamed from disk by werkzeug (``send_file``): never read into memory, ``Range``
requests (resumed and parallel downloads) and conditional requests answered, ``ETag`` = the snapshot
id, cached for a year (the URL names the snapshot, whose file never changes). The SHA-256 is the one
the publisher recorded in the companion's manifest (checked against the file's size), else computed
once per snapshot and memoised.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from dashboard_app.snapshot import frames
from dashboard_app.snapshot.model import Snapshot, SnapshotError
from dashboard_app.snapshot.schema import SCHEMA_VERSION

FILE_NAME = re.compile(r"snapshot-[0-9A-Za-z.\-]+\.sqlite")
"""What a published snapshot's file name looks like (``snapshot-<id>.sqlite``)."""
MEDIA_TYPE = "application/vnd.sqlite3"
IMMUTABLE_MAX_AGE_S = 365 * 86_400


def recorded_sha256(path: Path) -> str | None:
    """The SHA-256 the publisher recorded for ``path`` in its companion's manifest, if it matches the file's size."""
    try:
        manifest = frames.read_manifest(frames.companion_path(path))
        entry = manifest.get("sqlite") or {}
        if entry.get("file") == path.name and entry.get("bytes") == path.stat().st_size:
            sha = entry.get("sha256")
            return sha if isinstance(sha, str) and re.fullmatch(r"[0-9a-f]{64}", sha) else None
    except (SnapshotError, OSError):
        return None
    return None


def sha256(snapshot: Snapshot) -> str:
    """The snapshot file's SHA-256 (hex): recorded by the publisher, or computed once and memoised."""
    return snapshot.memo(
        "api.snapshot_sha256",
        (),
        lambda: recorded_sha256(snapshot.path) or frames.sha256_file(snapshot.path),
    )


def facts(snapshot: Snapshot, download_url: str, schema_url: str) -> dict[str, Any]:
    """What a person needs before downloading: name, size, checksum, schema version, times, row counts."""
    path = snapshot.path
    try:
        version: int | None = int(snapshot.meta.get("schema_version", ""))
    except ValueError:
        version = None
    return {
        "snapshot_id": snapshot.id,
        "file": path.name,
        "bytes": path.stat().st_size,
        "sha256": sha256(snapshot),
        "media_type": MEDIA_TYPE,
        "schema_version": version,
        "schema_version_of_this_code": SCHEMA_VERSION,
        "created_utc": snapshot.meta.get("created_utc"),
        "data_time_utc": snapshot.meta.get("newest_observation_utc"),
        "synthetic": snapshot.synthetic,
        "row_counts": snapshot.row_counts,
        "download": download_url,
        "schema": schema_url,
        "verify": f"sha256sum {path.name}  # should print {sha256(snapshot)}",
    }


def is_published_name(name: str) -> bool:
    """True when ``name`` looks like a published snapshot's file name (no other file, no path tricks)."""
    return bool(FILE_NAME.fullmatch(name))
