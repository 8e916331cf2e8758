"""Publish a snapshot into the data directory, exactly as DESIGN.md's publishing steps say.

1. take an exclusive lock (``DATA_DIR/.publish.lock``; a second publisher gets
   :class:`PublishLockedError`) and remove temporary files left by killed runs;
2. write ``status.json`` saying a refresh is running;
3. build into a temporary file in the same directory (the caller's ``build``
   fills the tables; this module creates the schema and writes ``meta``);
4. validate it (``validate.py``) and refuse a drop in rows beyond
   ``max_row_drop`` against the current snapshot;
5. fsync; write the snapshot's Arrow companion ``snapshot-<id>.frames/`` (``frames.py``: the
   tables the app maps, checked against the SQLite tables, with checksums and the checks run);
   rename to the immutable ``snapshot-<id>.sqlite`` (mode 0444), then atomically replace the
   pointer file ``CURRENT``;
6. keep the newest ``keep`` snapshots and their companions (never the current one or the one
   before) and remove companions whose snapshot is gone;
7. record success or the error in ``status.json``.

On any failure the pointer is untouched, so the previous snapshot stays current. Any UID of the
data directory's group can publish after another: the lock is taken through a read-only
descriptor, and what the publisher creates that others must change or remove (directories) is
group-writable.
Each step passes a named checkpoint (:data:`STAGES`, :func:`dashboard_app.checkpoints.reached`),
where the tests' fault injection pauses a publisher to kill it.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import secrets
import shutil
import socket
import sqlite3
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dashboard_app import __version__, checkpoints
from dashboard_app.snapshot import schema
from dashboard_app.snapshot.datadir import (
    BUILD_PREFIX,
    LOCK_FILE,
    POINTER,
    POINTER_TMP_PREFIX,
    STATUS_FILE,
    STATUS_TMP_PREFIX,
    current_snapshot_path,
    fsync_path,
    read_status,
    snapshot_files,
    write_atomically,
)
from dashboard_app.snapshot.frames import COMPANION_SUFFIX, companion_path, remove_companion, write_companion
from dashboard_app.snapshot.model import SnapshotError, format_utc
from dashboard_app.snapshot.validate import (
    DATA_TABLES,
    SnapshotInvalidError,
    checks_run,
    definition_meta,
    table_counts,
    validate_snapshot,
)

log = logging.getLogger(__name__)

STAGES: tuple[str, ...] = (
    "locked",
    "status_running",
    "building",
    "built",
    "validated",
    "fsynced",
    "companion_written",
    "renamed",
    "pointer_written",
    "pointer_replaced",
    "retention",
    "finished",
)
"""The publisher's checkpoints, in order (``checkpoints.reached("publish", stage)``)."""

BUILD_META_KEYS: tuple[str, ...] = ("source", "synthetic", "newest_observation_utc")
"""``meta`` entries the ``build`` callable must return; ``publish`` writes the others."""

Build = Callable[[sqlite3.Connection], dict[str, str]]
Clock = Callable[[], datetime]


class PublishError(Exception):
    """Publishing failed; the previous snapshot stays current. The message says what to do."""


class PublishLockedError(PublishError):
    """Another publisher holds the data directory's lock."""


class SnapshotRefusedError(PublishError):
    """The new snapshot failed validation or lost too many rows; it was not published."""

    def __init__(self, message: str, problems: list[str] | None = None):
        super().__init__(message)
        self.problems = problems or [message]


@dataclass(frozen=True)
class PublishResult:
    """What one successful publish did."""

    snapshot_id: str
    path: Path
    row_counts: dict[str, int]
    previous: Path | None
    removed: tuple[Path, ...] = field(default=())
    cleaned: tuple[Path, ...] = field(default=())


def _utcnow() -> datetime:
    return datetime.now(UTC)


@contextmanager
def _exclusive_lock(data_dir: Path, wait_s: float) -> Iterator[None]:
    path = data_dir / LOCK_FILE
    # Read-only is enough for flock, so a lock file another UID created (even 0644) works for this one.
    fd = os.open(path, os.O_RDONLY | os.O_CREAT, 0o664)
    try:
        deadline = time.monotonic() + wait_s
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = read_status(data_dir) or {}
                    who = f" (pid {holder.get('pid')} on {holder.get('host')}, started {holder.get('started_utc')})"
                    raise PublishLockedError(
                        f"another publisher is running in {data_dir}"
                        f"{who if holder.get('state') == 'running' else ''}: it holds {path}. "
                        "Wait for it to finish (see `neo-explorer status`), then retry."
                    ) from None
                time.sleep(0.05)
        yield
    finally:
        os.close(fd)  # releases the lock


def _clean_leftovers(data_dir: Path) -> list[Path]:
    """Remove temporary files of killed runs (only ever called while holding the lock)."""
    removed = []
    for p in data_dir.iterdir():
        if p.name.startswith((BUILD_PREFIX, POINTER_TMP_PREFIX, STATUS_TMP_PREFIX)):
            with suppress(FileNotFoundError):
                if p.is_dir():
                    shutil.rmtree(p)
                else:
                    p.unlink()
                removed.append(p)
        elif p.name.endswith(COMPANION_SUFFIX) and not p.with_suffix(".sqlite").exists():
            remove_companion(p)  # renamed by a run killed before its snapshot file was
            removed.append(p)
    if removed:
        log.warning("removed %d temporary file(s) left by an interrupted publish: %s", len(removed), removed)
    return removed


def content_digest(con: sqlite3.Connection) -> str:
    """A hash of every data table's rows in primary-key order (equal contents → equal digest)."""
    h = hashlib.blake2b(digest_size=16)
    for name in DATA_TABLES:
        table = schema.TABLES_BY_NAME[name]
        h.update(f"\x00{name}\x00".encode())
        order = ", ".join(table.primary_key or table.column_names)
        for row in con.execute(f"SELECT * FROM {name} ORDER BY {order}"):
            h.update(repr(row).encode())
    return h.hexdigest()


def _previous_counts(previous: Path | None) -> dict[str, int] | None:
    if previous is None:
        return None
    try:
        con = sqlite3.connect(f"file:{previous.resolve()}?mode=ro&immutable=1", uri=True)
        try:
            return table_counts(con)
        finally:
            con.close()
    except sqlite3.Error as exc:
        log.warning("cannot count rows of the current snapshot %s (%s); skipping the row-drop check", previous, exc)
        return None


def row_drop_problems(old: dict[str, int], new: dict[str, int], max_row_drop: float) -> list[str]:
    """Tables whose rows dropped by more than the fraction ``max_row_drop`` from ``old`` to ``new``."""
    problems = []
    for table, before in old.items():
        after = new.get(table, 0)
        if before > 0 and (before - after) / before > max_row_drop:
            problems.append(
                f"{table} would drop from {before} to {after} rows "
                f"(−{100 * (before - after) / before:.1f} %, limit {100 * max_row_drop:g} %)"
            )
    return problems


def _last_success(previous: Mapping[str, Any] | None) -> dict[str, Any]:
    """``last_success_utc`` / ``last_success_snapshot_id`` carried over from the previous status record."""
    previous = previous or {}
    if previous.get("state") == "succeeded":
        return {
            "last_success_utc": previous.get("finished_utc"),
            "last_success_snapshot_id": previous.get("snapshot_id"),
        }
    return {k: previous.get(k) for k in ("last_success_utc", "last_success_snapshot_id")}


def record_run(data_dir: Path | str, outcome: Mapping[str, Any], *, started_utc: str, lock_wait_s: float = 1.0) -> bool:
    """Add an exporter run's own account (``exit_code``, ``stages``, ``row_counts``, ``error``) to ``status.json``.

    When this process's publish wrote the current record, ``outcome`` is merged into it; when the run
    failed before publishing (database unreachable, bad query), a ``failed`` record is written, so the
    status (and the metrics and ``/health``) never keep saying the last run succeeded. Returns False,
    writing nothing, when another publisher holds the lock (the status is its own) or there is no
    directory.
    """
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        return False
    try:
        with _exclusive_lock(data_dir, lock_wait_s):
            status = read_status(data_dir) or {}
            ours = (
                status.get("pid") == os.getpid()
                and status.get("host") == socket.gethostname()
                and str(status.get("started_utc") or "") >= started_utc
            )
            if not ours:
                status = {
                    "state": "failed",
                    "stage": outcome.get("stage") or "export",
                    "started_utc": started_utc,
                    "finished_utc": format_utc(_utcnow()),
                    "pid": os.getpid(),
                    "host": socket.gethostname(),
                    "snapshot_id": None,
                    "error": outcome.get("error") or "the export failed before publishing",
                    **_last_success(status),
                }
            status.update(outcome)  # a failure's "stage" is the exporter's (connect, apparitions …)
            write_atomically(data_dir / STATUS_FILE, json.dumps(status, indent=2) + "\n", STATUS_TMP_PREFIX)
    except PublishLockedError:
        return False
    return True


class _Publisher:
    """One publish run; holds the status record it keeps writing."""

    def __init__(self, data_dir: Path, build: Build, keep: int, max_row_drop: float | None, clock: Clock):
        self.data_dir = data_dir
        self.build = build
        self.keep = keep
        self.max_row_drop = max_row_drop
        self.clock = clock
        self.tmp: Path | None = None
        self.status: dict[str, Any] = {
            "state": "running",
            "stage": "starting",
            "started_utc": format_utc(clock()),
            "finished_utc": None,
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "snapshot_id": None,
            "error": None,
            **_last_success(read_status(data_dir)),
        }

    def stage(self, name: str) -> None:
        self.status["stage"] = name
        write_atomically(self.data_dir / STATUS_FILE, json.dumps(self.status, indent=2) + "\n", STATUS_TMP_PREFIX)

    def run(self) -> PublishResult:
        cleaned = _clean_leftovers(self.data_dir)
        self.stage("building")
        checkpoints.reached("publish", "status_running")
        try:
            previous = current_snapshot_path(self.data_dir)
        except SnapshotError as exc:  # a damaged pointer is what a new publish repairs
            log.warning("%s", exc)
            previous = None
        if previous is not None and not previous.is_file():
            log.warning("the pointer names %s, which is missing; publishing a replacement", previous.name)
            previous = None
        self.tmp = self.data_dir / f"{BUILD_PREFIX}{os.getpid()}-{secrets.token_hex(4)}.sqlite"
        snapshot_id, counts = self._build(self.tmp)
        checkpoints.reached("publish", "built")

        self.stage("validating")
        self._validate(self.tmp, counts, previous)
        checkpoints.reached("publish", "validated")

        self.stage("publishing")
        fsync_path(self.tmp)
        os.chmod(self.tmp, 0o444)
        checkpoints.reached("publish", "fsynced")
        final = self.data_dir / f"snapshot-{snapshot_id}.sqlite"
        companion = companion_path(final)
        if final.exists() or companion.exists():
            raise PublishError(f"{final} already exists; publish again (ids carry a microsecond time stamp)")
        checks = checks_run() + (["row counts against the previous snapshot"] if self.max_row_drop is not None else [])
        write_companion(self.tmp, companion, checks=checks)
        checkpoints.reached("publish", "companion_written")
        os.rename(self.tmp, final)
        self.tmp = None
        fsync_path(self.data_dir)
        checkpoints.reached("publish", "renamed")
        pointer_tmp = self.data_dir / f"{POINTER_TMP_PREFIX}{os.getpid()}"
        with open(pointer_tmp, "w", encoding="utf-8") as fh:
            fh.write(final.name + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        checkpoints.reached("publish", "pointer_written")
        os.replace(pointer_tmp, self.data_dir / POINTER)
        fsync_path(self.data_dir)
        self.status["snapshot_id"] = snapshot_id
        checkpoints.reached("publish", "pointer_replaced")

        self.stage("retention")
        removed = self._retain(final, previous)
        checkpoints.reached("publish", "retention")

        finished = format_utc(self.clock())
        self.status.update(
            state="succeeded", finished_utc=finished, last_success_utc=finished, last_success_snapshot_id=snapshot_id
        )
        self.stage("finished")
        checkpoints.reached("publish", "finished")
        log.info("published snapshot %s (%s)", snapshot_id, counts)
        return PublishResult(snapshot_id, final, counts, previous, tuple(removed), tuple(cleaned))

    def _build(self, tmp: Path) -> tuple[str, dict[str, int]]:
        con = sqlite3.connect(tmp)
        try:
            # A crash leaves a temporary file the next run deletes, so no journal is needed.
            con.execute("PRAGMA journal_mode = OFF")
            con.execute("PRAGMA synchronous = OFF")
            for statement in schema.create_statements():
                con.execute(statement)
            con.commit()
            checkpoints.reached("publish", "building")
            meta = dict(self.build(con))
            con.commit()
            missing = [k for k in BUILD_META_KEYS if not meta.get(k)]
            if missing:
                raise PublishError(f"the snapshot builder returned no meta {', '.join(missing)}; it must set them")
            owned = sorted(set(meta) & (set(schema.META_KEYS) - set(BUILD_META_KEYS)))
            if owned:
                raise PublishError(f"the snapshot builder returned meta {owned}, which the publisher writes")
            counts = table_counts(con)
            created = self.clock().astimezone(UTC)
            snapshot_id = f"{created:%Y%m%dT%H%M%S.%f}Z-{content_digest(con)[:10]}"
            meta |= definition_meta() | {
                "schema_version": str(schema.SCHEMA_VERSION),
                "snapshot_id": snapshot_id,
                "created_utc": format_utc(created),
                "exporter_version": __version__,
                "row_counts": json.dumps(counts, sort_keys=True),
            }
            con.executemany("INSERT INTO meta (key, value) VALUES (?, ?)", sorted(meta.items()))
            con.commit()
            con.execute("ANALYZE")
            con.commit()
        finally:
            con.close()
        self.status["snapshot_id"] = snapshot_id
        return snapshot_id, counts

    def _validate(self, tmp: Path, counts: dict[str, int], previous: Path | None) -> None:
        try:
            validate_snapshot(tmp, now=self.clock())
        except SnapshotInvalidError as exc:
            raise SnapshotRefusedError(
                f"refusing to publish: the new snapshot breaks the contract: {'; '.join(exc.problems[:8])}",
                exc.problems,
            ) from exc
        old = _previous_counts(previous)
        if old is not None and previous is not None and self.max_row_drop is not None:
            problems = row_drop_problems(old, counts, self.max_row_drop)
            if problems:
                raise SnapshotRefusedError(
                    f"refusing to publish: {'; '.join(problems)} compared with {previous.name}. "
                    "Check the source; if the drop is real, publish with a larger max_row_drop.",
                    problems,
                )

    def _retain(self, current: Path, previous: Path | None) -> list[Path]:
        protected = {current.name} | ({previous.name} if previous else set())
        removed = []
        for i, path in enumerate(snapshot_files(self.data_dir)):
            if i >= self.keep and path.name not in protected:
                with suppress(FileNotFoundError):
                    path.unlink()
                    removed.append(path)
                remove_companion(companion_path(path))
        if removed:
            fsync_path(self.data_dir)
        return removed

    def fail(self, exc: BaseException) -> None:
        """Remove the temporary file and record the failure in ``status.json`` (best effort)."""
        if self.tmp is not None:
            with suppress(OSError):
                self.tmp.unlink()
        self.status.update(
            state="failed",
            finished_utc=format_utc(self.clock()),
            error=str(exc) or type(exc).__name__,
        )
        try:
            self.stage(self.status["stage"])
        except OSError as write_exc:
            log.error("cannot record the failed refresh in %s: %s", STATUS_FILE, write_exc)


def publish(
    data_dir: Path | str,
    build: Build,
    *,
    keep: int = 5,
    max_row_drop: float | None = 0.5,
    lock_wait_s: float = 1.0,
    clock: Clock = _utcnow,
) -> PublishResult:
    """Build, validate and atomically publish a snapshot in ``data_dir`` (see the module docstring).

    ``build(con)`` inserts rows into every table of the open temporary snapshot and
    returns the meta entries ``source``, ``synthetic`` ("1"/"0") and
    ``newest_observation_utc``. ``keep`` snapshots are retained (≥ 1; the current and
    the previous one always). ``max_row_drop`` is the largest tolerated fractional drop
    of any table's rows against the current snapshot (None: no check).
    Raises :class:`PublishLockedError`, :class:`SnapshotRefusedError`, :class:`PublishError`
    or whatever ``build`` raised; in every case the previous snapshot stays current.
    """
    if keep < 1:
        raise ValueError(f"keep must be at least 1, not {keep}")
    if max_row_drop is not None and not 0 <= max_row_drop <= 1:
        raise ValueError(f"max_row_drop is a fraction between 0 and 1, not {max_row_drop}")
    data_dir = Path(data_dir)
    try:
        if not data_dir.is_dir():
            data_dir.mkdir(parents=True)
            os.chmod(data_dir, 0o775)  # any UID of the group may publish next (see the Dockerfile)
    except OSError as exc:
        raise PublishError(f"cannot create the data directory {data_dir}: {exc}") from exc
    if not os.access(data_dir, os.W_OK):
        raise PublishError(f"the data directory {data_dir} is not writable by this user (uid {os.getuid()})")
    with _exclusive_lock(data_dir, lock_wait_s):
        checkpoints.reached("publish", "locked")
        publisher = _Publisher(data_dir, build, keep, max_row_drop, clock)
        try:
            return publisher.run()
        except (sqlite3.Error, OSError) as exc:
            publisher.fail(exc)
            hint = " Check free space and permissions." if isinstance(exc, OSError) or "disk" in str(exc) else ""
            raise PublishError(
                f"building the snapshot in {data_dir} failed: {exc}.{hint} The previous snapshot stays current."
            ) from exc
        except BaseException as exc:
            publisher.fail(exc)
            raise
