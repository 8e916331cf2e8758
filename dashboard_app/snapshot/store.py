"""The app's snapshot store: the one piece of mutable state, holding the snapshot being served.

Frames come from the snapshot's Arrow companion (``frames.py``), memory-mapped: every process
maps the same files, so the data live once in the OS page cache whatever the number of workers
and swaps, and loading a snapshot costs its checksums (hashed by one process of the machine and trusted from
its records by the others: ``checksums.py``) plus a few small derived columns. A
snapshot published without a companion (older code) gets one built once into ``cache_dir``;
when that is impossible the process reads the SQLite file privately and logs why.

Life cycle under gunicorn with ``preload_app``: the app factory calls
:meth:`SnapshotStore.load_initial` in the master; before each fork gunicorn's ``pre_fork``
calls :meth:`SnapshotStore.before_fork`, so a new or recycled worker starts on the current
snapshot (the master never pins the first one). Each worker then runs its own
watcher thread (threads do not survive a fork, so it starts in the worker: on
the first :meth:`~SnapshotStore.current` / :meth:`~SnapshotStore.health` call
after a fork, or earlier when gunicorn's ``post_fork`` hook calls
:meth:`~SnapshotStore.start`). The loading process itself never starts a watcher
on its own (it may fork later, and threads must not cross a fork): a server
that does not fork calls :meth:`~SnapshotStore.start`.

The watcher reads the pointer file every ``poll_interval_s``; when it names a new
file, it verifies and maps it in the background and swaps one reference. Requests also
peek at the pointer (at most every :data:`PEEK_INTERVAL_S`; a read of a few bytes) and wake
the watcher when it names another file, so the workers of one server switch within about a
load time of each other rather than up to a poll interval apart (each worker polls on its
own phase). Every completed check records a heartbeat; :meth:`~SnapshotStore.health` reports
the watcher as not watching when its thread died or its last check is older than
:func:`stuck_after_s` (a hung read of a shared volume, a deadlock), not just "thread alive".
Requests hold the :class:`Snapshot` they started with (``current_snapshot()``
pins it for the request), and memo entries are keyed by snapshot id (one cache per process,
bounded by bytes: ``memo.py``; a switch drops the old snapshot's entries), so a switch never
serves mixed data. A new file (or companion) that fails verification is refused (and not
retried), the old snapshot kept, and the error logged and reported by :meth:`~SnapshotStore.health`;
so is a pointer that disappears or names a missing file.

Under gunicorn each new snapshot is also *warmed* before the workers switch (``warm.py``): the master forks
one low-priority process that computes the views visitors asked for lately on the new snapshot, and each
worker loads those results into its memo cache before it switches, so the first answers after a swap are
not all cold computations.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dashboard_app.snapshot import derived, frames, warm
from dashboard_app.snapshot.checksums import Verifier
from dashboard_app.snapshot.datadir import POINTER, SNAPSHOT_NAME, current_snapshot_path, read_status
from dashboard_app.snapshot.memo import DEFAULT_MAX_BYTES, MemoCache
from dashboard_app.snapshot.model import Snapshot, SnapshotError, format_utc, read_tables, snapshot_from_tables
from dashboard_app.snapshot.validate import checks_run, validate_snapshot

log = logging.getLogger(__name__)

EXTENSION_KEY = "neo_store"
"""Key of the store in ``flask_app.extensions``."""

Clock = Callable[[], datetime]
ViewWarmer = Callable[[Snapshot, list[warm.View], float], int]
"""``warm_views(snapshot, views, deadline)``: compute these views on ``snapshot`` until ``time.monotonic()``
reaches ``deadline``; how many were computed (``views.warm_up``)."""

FRAMES_MAPPED = "mapped companion"
FRAMES_CACHED = "mapped companion built into the cache"
FRAMES_PRIVATE = "read from SQLite into this process"

PEEK_INTERVAL_S = 0.25
"""Requests read the pointer at most this often per process (to wake the watcher early)."""
WARM_HANG_S = 60.0
"""A warm-up process still running this long after its own time (``warm_seconds``) is killed."""
STUCK_AFTER_POLLS = 3
STUCK_MIN_S = 30.0


def stuck_after_s(poll_interval_s: float) -> float:
    """Seconds without a completed check after which a watcher counts as not watching.

    A few poll intervals, but never less than :data:`STUCK_MIN_S`: verifying and mapping a new
    snapshot (or building the companion of one published without it) is part of a check.
    """
    return max(STUCK_AFTER_POLLS * poll_interval_s, STUCK_MIN_S)


@dataclass(frozen=True)
class StoreStats:
    """Counters of this process's store (for metrics): switches to a new snapshot, refusals, last load time."""

    switches: int
    refusals: int
    refused_files: int
    last_load_seconds: float | None


class NoSnapshotError(SnapshotError):
    """No valid snapshot can be served (none published yet, or every candidate was refused)."""


def _child_of_this_process(pid: int) -> bool:
    """Whether ``pid`` is a live (or not yet reaped) child of this process."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
    except OSError:
        return False
    return int(stat.rsplit(")", 1)[1].split()[1]) == os.getpid()  # the fields after the command's name: state, ppid


def _utcnow() -> datetime:
    return datetime.now(UTC)


def default_cache_dir() -> Path:
    """Where companions of snapshots published without one are built: a per-user temp directory."""
    import tempfile

    return Path(tempfile.gettempdir()) / f"neo-explorer-frames-{os.getuid()}"


def _hours(later: datetime, earlier: datetime | None) -> float | None:
    return None if earlier is None else round((later - earlier).total_seconds() / 3600, 3)


class SnapshotStore:
    """Serves the current snapshot of ``data_dir`` and switches to new ones without a restart."""

    _start_lock = threading.Lock()  # serialises watcher start-up across instances (cheap, never held at fork)

    def __init__(
        self,
        data_dir: Path | str,
        poll_interval_s: float = 5.0,
        *,
        stale_after_hours: float | None = None,
        clock: Clock = _utcnow,
        validate: bool = True,
        memo_max_bytes: int = DEFAULT_MAX_BYTES,
        cache_dir: Path | str | None = None,
        prepare: Callable[[Snapshot], None] | None = None,
        warm_seconds: float = 0.0,
    ):
        if poll_interval_s <= 0:
            raise ValueError(f"poll_interval_s must be positive, not {poll_interval_s}")
        self.data_dir = Path(data_dir)
        self.poll_interval_s = float(poll_interval_s)
        self.stale_after_hours = stale_after_hours
        self._clock = clock
        self._validate = validate
        self.cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
        self._prepare = prepare
        self.warm_seconds = float(warm_seconds)
        self.memo_cache = MemoCache(memo_max_bytes)
        self.recent_views = warm.RecentViews()
        self._warm_views: ViewWarmer | None = None
        self._master_warms = False  # set in the gunicorn master (warm_in_master), inherited by its workers
        self._close_in_child: Callable[[], None] = lambda: None
        self._warmer: tuple[int, str, float] | None = None  # the master's last warm-up: pid, snapshot, started
        self._held_warm: str | None = None  # the snapshot whose warmed results the master holds (its forks share them)
        self._warmed_here: str | None = None  # the snapshot whose default views the master computed (warm_here)
        self._snapshot: Snapshot | None = None
        self._frames_source: str | None = None
        self._loaded_name: str | None = None
        self._loaded_at: datetime | None = None
        self._refused: dict[str, str] = {}
        self._last_error: dict[str, Any] | None = None
        self._switches = self._refusals = 0
        self._last_load_seconds: float | None = None
        self._check_lock = threading.Lock()
        self._last_check_at: datetime | None = None  # heartbeat: when a check last completed
        self._peeked_at = 0.0  # monotonic time a request last read the pointer
        self._origin_pid: int | None = None
        self._watcher: threading.Thread | None = None
        self._watcher_pid: int | None = None
        self._stop = threading.Event()
        self._wake = threading.Event()

    # --- serving -------------------------------------------------------------------

    def current(self) -> Snapshot | None:
        """The snapshot to serve now (cheap). Call once per request and use that object throughout."""
        self._ensure_watcher()
        self._peek()
        return self._snapshot

    def _peek(self) -> None:
        """Wake this process's watcher when the pointer names another file (read at most every PEEK_INTERVAL_S)."""
        now = time.monotonic()
        if self._watcher_pid != os.getpid() or now - self._peeked_at < PEEK_INTERVAL_S:
            return
        self._peeked_at = now
        try:
            path = current_snapshot_path(self.data_dir)
        except SnapshotError:
            return  # the watcher reports it on its own schedule
        if path is not None and path.name != self._loaded_name and path.name not in self._refused:
            self._wake.set()

    def load_initial(self) -> Snapshot | None:
        """Load the current snapshot now, in this process (the gunicorn master, before fork)."""
        self._origin_pid = os.getpid()
        self.check_now()
        if self._snapshot is None:
            log.warning("no snapshot to serve yet: %s", (self._last_error or {}).get("message"))
        return self._snapshot

    def unavailable_reason(self) -> str:
        """Why :meth:`current` returns None, in words for an operator."""
        if self._last_error:
            return str(self._last_error["message"])
        return f"no snapshot has been loaded from {self.data_dir} yet"

    def before_fork(self) -> None:
        """In the loading process, just before gunicorn forks a worker: switch to the current snapshot.

        A worker forked later (recycled) then starts on the snapshot being served, and the master
        lets go of older ones. Cheap: mapping a snapshot costs its checksums.
        """
        if self._origin_pid == os.getpid():
            self.check_now()

    def follow_in_master(self) -> bool:
        """In the loading process, on a timer (gunicorn's master runs no threads): switch when the pointer
        names a new snapshot with a companion, so the master never keeps an old companion mapped beside
        the one its workers moved to (that cost the size of the touched frames after every swap).

        Never waits: skipped while a check is running; a snapshot without a companion (a build takes
        long) is left to :meth:`before_fork`. True when it switched.
        """
        if self._origin_pid != os.getpid():
            return False
        try:
            path = current_snapshot_path(self.data_dir)
        except SnapshotError:
            return False
        if path is None or path.name == self._loaded_name or path.name in self._refused:
            return False
        if not frames.companion_path(path).is_dir():
            return False
        switched = self.check_now()
        if switched and self._master_warms and self._snapshot is not None:
            self._start_warmer(self._snapshot)
        return switched

    @property
    def snapshot_id(self) -> str | None:
        """The id of the snapshot this process serves (or maps, in the master); None before the first."""
        return self._snapshot_id()

    def warm_settled(self) -> bool:
        """In the loading process: whether the last warm-up is over (its results written, or its time and the
        workers' grace for it passed), so the workers have switched in place or are switching; True when none ran."""
        if self._warmer is None:
            return True
        _pid, snapshot_id, started = self._warmer
        overdue = time.monotonic() - started > self.warm_seconds + warm.FINISH_GRACE_S
        return overdue or warm.warm_file(self.cache_dir, snapshot_id).is_file()

    def set_view_warmer(self, warm_views: ViewWarmer) -> None:
        """How a warm-up computes views on a new snapshot (the app's tabs: ``views.warm_up``)."""
        self._warm_views = warm_views

    def warm_in_master(self, close_in_child: Callable[[], None]) -> bool:
        """In the loading process (gunicorn's master, before it forks workers): from now on warm each new
        snapshot before the workers switch (module docstring; off when ``warm_seconds`` is 0 or no view
        warmer is set). ``close_in_child`` closes the listening sockets in the warming process. True when on."""
        if self._origin_pid == os.getpid() and self.warm_seconds > 0 and self._warm_views is not None:
            self._master_warms = True
            self._close_in_child = close_in_child
        return self._master_warms

    def warm_here(self, seconds: float) -> int:
        """In the loading process, before it forks: compute every tab's page and default view on the current
        snapshot into this process's memo cache, within about ``seconds``, once per snapshot; how many views
        (0 when done before for this snapshot).

        Every worker forked from it then starts with those results and with the code paths that compute
        them already run (plotly's validators, pandas' lazily imported modules, CPython's specialised
        bytecode), sharing those pages instead of each building its own (measured: ~8 MB less private
        memory per worker after load; ~0.4 s of the master's CPU at full scale).
        """
        snapshot = self._snapshot
        if self._origin_pid != os.getpid() or self._warm_views is None or snapshot is None:
            return 0
        if self._warmed_here == snapshot.id:
            return 0
        self._warmed_here = snapshot.id
        return self._warm_views(snapshot, [], time.monotonic() + seconds)

    def hold_warm_in_master(self) -> bool:
        """In the loading process, on its timer: once the warm-up of the snapshot it maps wrote its results,
        load them into its own memo cache, so every worker forked from now on (the refresh after a swap, a
        recycled one) starts with them in pages it shares instead of each reading its own copy. True when
        it loaded them now (once per snapshot)."""
        snapshot = self._snapshot
        if self._origin_pid != os.getpid() or not self._master_warms or snapshot is None:
            return False
        if self._held_warm == snapshot.id or not warm.warm_file(self.cache_dir, snapshot.id).is_file():
            return False
        self._held_warm = snapshot.id
        kept = self._load_warm(snapshot)
        log.info("snapshot store: the master holds %d warmed results of snapshot %s for its forks", kept, snapshot.id)
        return True

    def _start_warmer(self, snapshot: Snapshot) -> None:
        self._stop_superseded_warmer()
        try:
            pid = warm.fork_warmer(
                self.cache_dir,
                snapshot.id,
                lambda: self._warm(snapshot),
                self._close_in_child,
                limit_s=self.warm_seconds + WARM_HANG_S,
            )
        except (OSError, derived.DerivedError) as exc:
            log.warning("snapshot store: cannot start warming snapshot %s: %s", snapshot.id, exc)
            return
        log.info("snapshot store: warming snapshot %s in process %d", snapshot.id, pid)
        self._warmer = (pid, snapshot.id, time.monotonic())

    def _stop_superseded_warmer(self) -> None:
        """End the last warm-up if it still runs: its snapshot was replaced, so its results would be thrown away
        (and the workers waiting for them stop waiting when it is gone)."""
        if self._warmer is None:
            return
        (pid, snapshot_id, started), self._warmer = self._warmer, None
        if time.monotonic() - started > self.warm_seconds + WARM_HANG_S or not _child_of_this_process(pid):
            return  # it ended (its time limit ends a hang); the pid may be another process's by now
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
            log.info(
                "snapshot store: stopped warming snapshot %s (process %d): a newer one replaced it", snapshot_id, pid
            )

    def _warm(self, snapshot: Snapshot) -> None:
        """In the warming process: the shared values, then the views asked for lately, written for the workers."""
        started, cpu = time.monotonic(), time.process_time()
        deadline = started + self.warm_seconds
        self.memo_cache.after_fork()
        views = warm.read_views(self.cache_dir)
        assert self._warm_views is not None
        with warm.YieldToOthers(warm.YIELD_BUDGET_S) as yielded:
            if self._prepare is not None:
                self._prepare(snapshot)
            computed = self._warm_views(snapshot, views, deadline)
        entries = self.memo_cache.entries_of(snapshot.id)
        count, size = warm.write_warm(
            warm.warm_file(self.cache_dir, snapshot.id), snapshot.id, entries, self.memo_cache.max_bytes
        )
        log.info(
            "warmed snapshot %s: %d views (%d asked for lately), %d results (%.1f MB) in %.2f s, %.2f CPU-s, "
            "%.0f MB private memory; paused %d times for %.2f s while other processes ran",
            snapshot.id,
            computed,
            len(views),
            count,
            size / 2**20,
            time.monotonic() - started,
            time.process_time() - cpu,
            warm.private_mb(),
            yielded.pauses,
            yielded.paused_s,
        )

    def init_app(self, app: Any) -> None:
        """Register the store on a Flask app as ``app.extensions["neo_store"]``."""
        app.extensions[EXTENSION_KEY] = self

    # --- watching --------------------------------------------------------------------

    def start(self) -> None:
        """Start this process's watcher thread (idempotent; call after fork, never before).

        First checks the pointer synchronously: a worker forked long after the master loaded
        (e.g. recycled by ``max_requests``) must not serve the master's older snapshot even once.
        """
        with self._start_lock:
            if self._watcher_pid == os.getpid() and self._watcher is not None and self._watcher.is_alive():
                return
            self._stop = threading.Event()
            self._wake = threading.Event()
            self._check_lock = threading.Lock()  # a copy inherited over fork may be held by a dead thread
            forked = self._origin_pid is not None and os.getpid() != self._origin_pid
            if forked:
                self.memo_cache.after_fork()
                self.recent_views.after_fork()
            self.check_now()
            if forked and self._master_warms and self._snapshot is not None and self._held_warm != self._snapshot.id:
                self._load_warm(self._snapshot)  # forked after a swap, before the master held them: read them here
            self._watcher = threading.Thread(target=self._watch, name="neo-snapshot-watcher", daemon=True)
            self._watcher_pid = os.getpid()
            self._watcher.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop this process's watcher (tests, shutdown)."""
        self._stop.set()
        self._wake.set()
        if self._watcher is not None and self._watcher_pid == os.getpid():
            self._watcher.join(timeout_s)
        self._watcher = None

    def _ensure_watcher(self) -> None:
        pid = os.getpid()
        if self._watcher_pid == pid:
            return
        if self._origin_pid is not None and pid != self._origin_pid:
            self.start()  # first use in a forked worker (never in the loading process: it may fork later)

    def _watch(self) -> None:
        stop, wake = self._stop, self._wake
        while not stop.is_set():
            try:
                self.check_now()
            except Exception:  # the watcher must survive anything; the error is logged
                log.exception("snapshot watcher: unexpected error while checking %s", self.data_dir)
            if self._master_warms:
                self.recent_views.dump(self.cache_dir)  # for the next warm-up
            wake.wait(self.poll_interval_s)  # the poll interval, or earlier when a request saw a new pointer
            wake.clear()

    def check_now(self) -> bool:
        """Read the pointer; load, validate and switch to a new snapshot. True when it switched."""
        if not self._check_lock.acquire(blocking=False):
            return False  # another thread is checking (and maybe loading) right now
        try:
            switched = self._check()
            self._last_check_at = self._clock()  # the heartbeat: a check completed (an error counts: it was seen)
            return switched
        finally:
            self._check_lock.release()

    def _check(self) -> bool:
        try:
            path = current_snapshot_path(self.data_dir)
        except SnapshotError as exc:
            self._record_error(f"{exc}; {self._serving()}", None)
            return False
        if path is None:
            if self._snapshot is None:
                self._record_error(f"no snapshot has been published in {self.data_dir} yet", None)
            else:
                self._record_error(f"the snapshot pointer {self.data_dir / POINTER} is gone; {self._serving()}", None)
            return False
        if path.name == self._loaded_name:
            if self._last_error is not None:  # the pointer names what is served again: nothing is wrong now
                log.info("snapshot store: the pointer names the served snapshot %s again", self._snapshot_id())
                self._last_error = None
            return False
        if path.name in self._refused:
            return False
        if not path.is_file():  # not refused for good: a slow shared volume may show it later
            self._record_error(f"the pointer names {path.name}, which does not exist; {self._serving()}", path.name)
            return False
        started, cpu_started = self._clock(), time.thread_time()  # this thread only: the load, not the requests
        try:
            snapshot, source = self._load(path)
            match = SNAPSHOT_NAME.match(path.name)
            if match and snapshot.id != match.group(1):
                raise SnapshotError(f"{path.name} says its snapshot_id is {snapshot.id}; the file was renamed")
        except FileNotFoundError as exc:
            self._record_error(f"the pointer names {path.name}, which is gone ({exc}); {self._serving()}", path.name)
            return False
        except (SnapshotError, OSError) as exc:
            self._refused[path.name] = str(exc)
            self._refusals += 1
            self._record_error(f"refused snapshot {path.name}: {exc}; {self._serving()}", path.name)
            return False
        warmed = 0
        if self._snapshot is not None and os.getpid() != self._origin_pid:
            warmed = self._prepare_switch(snapshot)
        self._switches += self._snapshot is not None
        self._loaded_name = path.name  # before the swap: whoever sees the new snapshot sees it is not pending
        self._loaded_at = self._clock()
        self._last_load_seconds = (self._loaded_at - started).total_seconds()
        self._last_error = None
        self._frames_source = source
        self._snapshot = snapshot  # one reference swap; requests in flight keep the old object
        self.memo_cache.keep_only(snapshot.id)
        self._remove_old_derived(snapshot.id)
        log.info(
            "serving snapshot %s (pid %d; frames %s; %.2f s, %.2f CPU-s; %d warmed results)",
            snapshot.id,
            os.getpid(),
            source,
            (self._loaded_at - started).total_seconds(),
            time.thread_time() - cpu_started,
            warmed,
        )
        return True

    def _load(self, path: Path) -> tuple[Snapshot, str]:
        """The snapshot at ``path`` and where its frames come from (see the module docstring)."""
        snapshot_id = frames.snapshot_id_of(path)
        companion = frames.companion_path(path)
        if companion.is_dir():  # validated by the publisher; verified here against its manifest
            return self._open_companion(companion, path, snapshot_id), FRAMES_MAPPED
        cached = frames.companion_path(path, self.cache_dir)
        try:
            if not cached.is_dir():
                frames.build_companion(path, self.cache_dir, check=self._check_sqlite)
            return self._open_companion(cached, path, snapshot_id), FRAMES_CACHED
        except (OSError, frames.CompanionError) as exc:  # an invalid SQLite file (SnapshotError) is refused
            log.warning(
                "snapshot %s has no companion and none could be built in %s (%s): reading it into this process",
                path.name,
                self.cache_dir,
                exc,
            )
        self._check_sqlite(path)
        meta, tables = read_tables(path)
        return snapshot_from_tables(path, meta, tables, self.memo_cache, self.cache_dir), FRAMES_PRIVATE

    def _open_companion(self, companion: Path, path: Path, snapshot_id: str) -> Snapshot:
        """The snapshot at ``path`` from a companion, its checksums checked once per machine (``checksums.py``)."""
        with Verifier(derived.records_dir(self.cache_dir, snapshot_id)) as verifier:
            meta, tables = frames.open_companion(
                companion, snapshot_id=snapshot_id, snapshot_path=path, verifier=verifier
            )
        return snapshot_from_tables(path, meta, tables, self.memo_cache, self.cache_dir)

    def _prepare_switch(self, snapshot: Snapshot) -> int:
        """Before a serving process switches: wait for the warm-up (when the master warms), build (or map) the
        values shared per machine (``prepare``) and load the warmed results, so the first requests on the new
        snapshot do not wait for them; how many results were loaded. Not at start: it would delay the first page."""
        if self._master_warms:
            self.recent_views.dump(self.cache_dir)
            self._ask_master_to_follow()
            warm.wait_for_warm(self.cache_dir, snapshot.id, self.warm_seconds)
        if self._prepare is not None:
            try:
                self._prepare(snapshot)
            except Exception:  # never block a switch: the values are computed on first use instead
                log.exception(
                    "snapshot store: preparing snapshot %s failed; its values are computed on first use", snapshot.id
                )
        return self._load_warm(snapshot, lazy=True) if self._master_warms else 0

    def _ask_master_to_follow(self) -> None:
        """Signal the master's follow timer now (it maps the snapshot and starts the warm-up) instead of at its
        next tick. Only to the gunicorn master this worker was forked from, which set the handler."""
        origin = self._origin_pid
        if origin is not None and origin != os.getpid() and os.getppid() == origin:
            try:
                os.kill(origin, signal.SIGALRM)
            except (ProcessLookupError, PermissionError) as exc:
                log.debug("snapshot store: cannot signal the master %d: %s", origin, exc)

    def _load_warm(self, snapshot: Snapshot, *, lazy: bool = False) -> int:
        """Put the warm-up's results for ``snapshot`` into this process's memo cache; how many were kept. ``lazy``
        (a worker switching while it serves): each is unpickled on first use, not all now beside the requests.
        The master unpickles them at once: its forks then share the values instead of each unpickling its own."""
        if not warm.warm_file(self.cache_dir, snapshot.id).is_file():
            return 0  # none was written (no warm-up yet, or it failed: its process logged why)
        try:
            entries = warm.read_warm(self.cache_dir, snapshot.id, lazy=lazy)
        except warm.WarmError as exc:
            log.warning("snapshot store: the warmed results of snapshot %s are not used: %s", snapshot.id, exc)
            return 0
        return self.memo_cache.preload(entries)

    def _remove_old_derived(self, snapshot_id: str) -> None:
        """Delete other snapshots' shared derived values from the cache (any process may; mappings survive)."""
        try:
            removed = derived.remove_others(self.cache_dir, snapshot_id)
        except OSError as exc:
            log.warning("snapshot store: cannot clean %s: %s", self.cache_dir, exc)
            return
        if removed:
            log.info("snapshot store: removed the derived values of %d older snapshot(s)", removed)

    def _check_sqlite(self, path: Path) -> list[str]:
        if not self._validate:
            return ["none (validation switched off)"]
        validate_snapshot(path, quick=True, immutable=True)
        return checks_run(quick=True)

    def _snapshot_id(self) -> str | None:
        return self._snapshot.id if self._snapshot is not None else None

    def _serving(self) -> str:
        """How the error affects users, for an operator's message."""
        if self._snapshot is None:
            return "no snapshot is served yet"
        return f"still serving snapshot {self._snapshot.id}"

    def _record_error(self, message: str, file: str | None) -> None:
        if self._last_error is None or self._last_error["message"] != message:
            log.error("snapshot store: %s", message)
        self._last_error = {"message": message, "file": file, "at_utc": format_utc(self._clock())}

    # --- health ----------------------------------------------------------------------

    def stats(self) -> StoreStats:
        """This process's counters (cheap; read after every request by the metrics)."""
        return StoreStats(self._switches, self._refusals, len(self._refused), self._last_load_seconds)

    def _check_age_s(self, now: datetime) -> float | None:
        last = self._last_check_at
        return None if last is None else round(max((now - last).total_seconds(), 0.0), 3)

    def _watcher_state(self, now: datetime) -> str:
        """``watching`` (alive, a check completed within :func:`stuck_after_s`), ``stuck``, ``dead``, or
        ``not started`` (this process never started one: the loading process, tests)."""
        thread = self._watcher
        if self._watcher_pid != os.getpid():
            return "not started"
        if thread is None or not thread.is_alive():
            return "dead"
        age = self._check_age_s(now)
        return "watching" if age is not None and age <= stuck_after_s(self.poll_interval_s) else "stuck"

    def health(self) -> dict[str, Any]:
        """Facts for ``/health``: what is served, how old it is, the refresh status, the last error."""
        self._ensure_watcher()
        snapshot = self._snapshot
        now = self._clock()
        try:
            pointer = current_snapshot_path(self.data_dir)
        except SnapshotError:
            pointer = None
        facts: dict[str, Any] = {
            "snapshot_id": None,
            "snapshot_file": self._loaded_name,
            "created_utc": None,
            "age_hours": None,
            "data_time_utc": None,
            "data_age_hours": None,
            "row_counts": None,
            "synthetic": None,
            "stale": None,
            "loaded_at_utc": format_utc(self._loaded_at) if self._loaded_at else None,
            "frames": self._frames_source,
            "pointer_file": pointer.name if pointer else None,
            "pending": bool(pointer and pointer.name != self._loaded_name and pointer.name not in self._refused),
            "refresh": read_status(self.data_dir),
            "last_error": dict(self._last_error) if self._last_error else None,
            "poll_interval_s": self.poll_interval_s,
            "watcher": (watcher := self._watcher_state(now)),
            "watching": watcher == "watching",
            "last_check_utc": format_utc(self._last_check_at) if self._last_check_at else None,
            "last_check_age_s": self._check_age_s(now),
            "pid": os.getpid(),
        }
        if snapshot is not None:
            created = snapshot.created
            age = _hours(now, created)
            facts |= {
                "snapshot_id": snapshot.id,
                "created_utc": format_utc(created),
                "age_hours": age,
                "data_time_utc": format_utc(snapshot.data_time) if snapshot.data_time else None,
                "data_age_hours": _hours(now, snapshot.data_time),
                "row_counts": snapshot.row_counts,
                "synthetic": snapshot.synthetic,
                "stale": None if self.stale_after_hours is None or age is None else age > self.stale_after_hours,
            }
        return facts


def current_snapshot() -> Snapshot:
    """The snapshot for the current Flask/Dash request (the same object for the whole request).

    Raises :class:`NoSnapshotError` when none can be served.
    """
    import flask  # imported here so the store does not need Flask outside the app

    pinned = flask.g.get("_neo_snapshot")
    if pinned is not None:
        return pinned
    store: SnapshotStore = flask.current_app.extensions[EXTENSION_KEY]
    snapshot = store.current()
    if snapshot is None:
        raise NoSnapshotError(f"no data to show yet: {store.unavailable_reason()}")
    flask.g._neo_snapshot = snapshot
    return snapshot


def pin_snapshot(snapshot: Snapshot) -> None:
    """Serve ``snapshot`` for the rest of the current Flask request (a warm-up computing views on a new one)."""
    import flask

    flask.g._neo_snapshot = snapshot


def note_view(tab: str, values: dict[str, Any], seconds: float = 0.0) -> None:
    """Count a view served in this request (a tab and its JSON-able control values; ``seconds`` of CPU its
    answer took) for the next warm-up."""
    import flask

    store = flask.current_app.extensions.get(EXTENSION_KEY) if flask.has_app_context() else None
    if isinstance(store, SnapshotStore):
        store.recent_views.note(tab, values, seconds)
