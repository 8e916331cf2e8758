"""The data directory's layout: the ``CURRENT`` pointer, versioned snapshot files, ``status.json``, the lock.

Readers (the store, ``neo-explorer status``, the shell's banners) and the publisher share these names and
the few functions that read them; only ``publish.py`` ever writes.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
from pathlib import Path
from typing import Any

from dashboard_app.snapshot.model import SnapshotError

POINTER = "CURRENT"
STATUS_FILE = "status.json"
LOCK_FILE = ".publish.lock"
BUILD_PREFIX = ".build-"
POINTER_TMP_PREFIX = ".CURRENT.tmp-"
STATUS_TMP_PREFIX = ".status.tmp-"
SNAPSHOT_NAME = re.compile(r"^snapshot-(\d{8}T\d{6}\.\d{6}Z-[0-9a-f]{10})\.sqlite$")


def fsync_path(path: Path) -> None:
    """Flush a file's data, or a directory's entries (renames), to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomically(path: Path, text: str, tmp_prefix: str) -> None:
    """Write ``text`` to ``path`` via a fsynced temporary file and ``os.replace``."""
    tmp = path.with_name(f"{tmp_prefix}{os.getpid()}")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    fsync_path(path.parent)


def current_snapshot_path(data_dir: Path) -> Path | None:
    """The snapshot file ``CURRENT`` names (it may have vanished), or None when nothing is published."""
    pointer = Path(data_dir) / POINTER
    try:
        name = pointer.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise SnapshotError(f"cannot read the snapshot pointer {pointer}: {exc}") from exc
    if not SNAPSHOT_NAME.match(name):
        raise SnapshotError(
            f"the snapshot pointer {pointer} holds {name[:80]!r}, not a snapshot file name; "
            "publish a new snapshot to replace it"
        )
    return Path(data_dir) / name


def snapshot_files(data_dir: Path) -> list[Path]:
    """Published snapshot files in ``data_dir``, newest first."""
    files = [p for p in Path(data_dir).iterdir() if SNAPSHOT_NAME.match(p.name)]
    return sorted(files, key=lambda p: p.name, reverse=True)


def lock_is_held(data_dir: Path) -> bool:
    """True while some process holds the publish lock of ``data_dir``."""
    try:
        fd = os.open(Path(data_dir) / LOCK_FILE, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # closing releases a shared lock we may have taken
    return False


def read_status(data_dir: Path) -> dict[str, Any] | None:
    """The refresh status from ``status.json`` (None when no refresh ever ran).

    A status left at ``running`` by a publisher that no longer holds the lock
    (killed, machine restarted) is reported as ``interrupted``.
    """
    path = Path(data_dir) / STATUS_FILE
    try:
        status = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        return {"state": "unknown", "error": f"cannot read {path}: {exc}"}
    if not isinstance(status, dict):
        return {"state": "unknown", "error": f"{path} does not hold a JSON object"}
    if status.get("state") == "running" and not lock_is_held(data_dir):
        status["state"] = "interrupted"
        status["error"] = (
            f"the refresh started at {status.get('started_utc')} (pid {status.get('pid')}) stopped without "
            "finishing, probably killed; the next refresh cleans up after it"
        )
    return status
