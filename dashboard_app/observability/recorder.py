"""Records requests and this worker's facts (snapshot, memo cache, life cycle) into its metrics.

One :class:`Recorder` per app, created in the process that builds the app (the gunicorn master
under ``preload_app``) and inherited by every worker over fork. Metric objects and per-process
state are created on first use in each process (:meth:`Recorder.families`), so the master writes
no metric files.

The snapshot store and the memo cache keep plain counters of their own (cheap, no Prometheus
dependency); :meth:`Recorder.sync_worker` turns their increases since the last look into counter
increments after each request, so totals survive a worker's exit and recycling.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from dashboard_app.observability.callbacks import CallbackLabeller, CallbackLabels
from dashboard_app.observability.families import EXIT_REASONS, REJECTED_CODES, Families, build_families


def status_class(status: int) -> str:
    """``"2xx"`` … ``"5xx"`` (bounded label values)."""
    return f"{min(max(status // 100, 1), 5)}xx"


def memo_stats(store: Any) -> Any | None:
    """The memo cache's counters (``entries``, ``bytes``, ``max_bytes``, ``hits``, ``misses``, ``evictions``), if any.

    The cache belongs to the store (one per worker) or, in older layouts, to the served snapshot.
    """
    for owner in (store, store.current() if hasattr(store, "current") else None):
        cache = getattr(owner, "memo_cache", None)
        if cache is not None and hasattr(cache, "stats"):
            return cache.stats()
    return None


@dataclass
class _Seen:
    """Counter values already turned into metric increments (per process)."""

    switches: int = 0
    refusals: int = 0
    hits: int = 0
    misses: int = 0
    evictions: int = 0


def _seen_now(store: Any) -> _Seen:
    stats = store.stats()
    memo = memo_stats(store)
    seen = _Seen(stats.switches, stats.refusals)
    if memo is not None:
        seen.hits, seen.misses, seen.evictions = memo.hits, memo.misses, memo.evictions
    return seen


@dataclass
class _Process:
    """What one process has recorded: its metric objects, label children, and counters seen."""

    families: Families
    seen: _Seen
    served_id: str | None = None
    gauges: dict[str, float] = field(default_factory=dict)  # last value set, so unchanged ones are not rewritten
    children: dict[tuple[str, ...], Any] = field(default_factory=dict)
    sync_lock: threading.Lock = field(default_factory=threading.Lock)


def _set(proc: _Process, name: str, value: float) -> None:
    """Set gauge ``name`` unless it already holds ``value`` (a multiprocess write costs a lock and an mmap write)."""
    if proc.gauges.get(name) != value:
        getattr(proc.families, name).set(value)
        proc.gauges[name] = value


class Recorder:
    """Turns requests and the store's counters into this process's metrics."""

    def __init__(self, store: Any, callback_map: Mapping[str, Mapping[str, Any]]):
        self.store = store
        self._callback_map = callback_map
        self._labeller: CallbackLabeller | None = None
        self._baseline = _seen_now(store)  # what the loading process did before fork is not a worker's event
        self._process: _Process | None = None
        self._lock = threading.Lock()

    # --- per-process state ------------------------------------------------------------

    def process(self) -> _Process:
        """This process's metrics, created on first use after a fork."""
        current = self._process
        if current is not None and current.families.pid == os.getpid():
            return current
        with self._lock:
            if self._process is None or self._process.families.pid != os.getpid():
                self._process = _Process(build_families(), _Seen(**vars(self._baseline)))
            return self._process

    def families(self) -> Families:
        return self.process().families

    def callback_labels(self, body: Mapping[str, Any]) -> CallbackLabels | None:
        """Labels of the callback a request body names, or None when the app has no such callback."""
        labeller = self._labeller
        if labeller is None:  # built on first use: every callback is registered by then
            labeller = self._labeller = CallbackLabeller(self._callback_map)
        return labeller(body)

    # --- requests ---------------------------------------------------------------------

    def record_request(
        self, route: str, method: str, status: int, seconds: float, callback: CallbackLabels | None = None
    ) -> None:
        """Count one answered request (and its callback) and observe its duration."""
        proc = self.process()
        f, children = proc.families, proc.children
        cls = status_class(status)
        key: tuple[str, ...] = ("r", route, method, cls)
        child = children.get(key)
        if child is None:
            child = children[key] = (f.http_requests.labels(route, method, cls), f.http_duration.labels(route, method))
        child[0].inc()
        child[1].observe(seconds)
        code = str(status)
        if code in REJECTED_CODES:
            f.http_rejected.labels(route, code).inc()
        if callback is not None:
            key = ("c", *callback, cls)
            child = children.get(key)
            if child is None:
                child = children[key] = (
                    f.callback_requests.labels(*callback, cls),
                    f.callback_duration.labels(*callback),
                )
            child[0].inc()
            child[1].observe(seconds)

    # --- worker facts -----------------------------------------------------------------

    def sync_worker(self) -> None:
        """Bring the snapshot and memo metrics up to date with the store (cheap; skipped if another thread is at it)."""
        proc = self.process()
        if not proc.sync_lock.acquire(blocking=False):
            return
        try:
            self._sync(proc)
        finally:
            proc.sync_lock.release()

    def _sync(self, proc: _Process) -> None:
        f, seen = proc.families, proc.seen
        stats = self.store.stats()
        snapshot = self.store.current()
        served = snapshot.id if snapshot is not None else None
        if served != proc.served_id:
            if proc.served_id is not None:
                f.snapshot_served.labels(proc.served_id).set(0)
            if served is not None:
                f.snapshot_served.labels(served).set(1)
                f.snapshot_created.set(snapshot.created.timestamp())
            proc.served_id = served
        if stats.last_load_seconds is not None:
            _set(proc, "snapshot_load", stats.last_load_seconds)
        if stats.switches > seen.switches:
            f.snapshot_swaps.inc(stats.switches - seen.switches)
            seen.switches = stats.switches
        if stats.refusals > seen.refusals:
            f.snapshot_refusals.inc(stats.refusals - seen.refusals)
            seen.refusals = stats.refusals
        _set(proc, "snapshot_refused_files", stats.refused_files)
        memo = memo_stats(self.store)
        if memo is not None:
            _set(proc, "memo_bytes", memo.bytes)
            _set(proc, "memo_max_bytes", memo.max_bytes)
            _set(proc, "memo_entries", memo.entries)
            for name in ("hits", "misses", "evictions"):
                now, before = getattr(memo, name), getattr(seen, name)
                if now > before:
                    getattr(f, f"memo_{name}").inc(now - before)
                setattr(seen, name, now)

    def worker_started(self) -> None:
        """A gunicorn worker is ready (``post_worker_init``)."""
        f = self.families()
        f.worker_starts.inc()
        f.workers.set(1)
        self.sync_worker()

    def worker_exited(self, reason: str) -> None:
        """A gunicorn worker is leaving (``worker_exit`` / ``worker_abort``, in the worker itself)."""
        f = self.families()
        f.worker_exits.labels(reason if reason in EXIT_REASONS else "shutdown").inc()
        f.workers.set(0)
