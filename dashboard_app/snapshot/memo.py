"""The memo cache of derived results: bounded by bytes, least recently used first out, computed once.

One :class:`MemoCache` per worker process (the snapshot store owns it; every snapshot it loads
uses it) with ``MEMO_MAX_MB`` ÷ ``WORKERS`` bytes, so ``MEMO_MAX_MB`` bounds what all workers keep
together whatever the number of workers and of snapshots served. Keys start with the snapshot id,
so a switch never serves mixed data; after a switch the store drops the old snapshot's entries
(:meth:`MemoCache.keep_only`). Concurrent requests for the same key wait for the one computing it
(single flight) instead of computing it again.

Sizes are estimated (:func:`estimate_bytes`): pandas' own accounting for frames and series plus the
Python objects pandas builds around their data (a few KB per frame: pandas does not count them, and
they outweigh the numbers of most small chart results), ``nbytes`` for arrays (plus the objects an
object array points to; nothing for views of mapped files, which are shared), ``sys.getsizeof``
summed over containers and object attributes.
"""

from __future__ import annotations

import logging
import mmap
import pickle
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, fields, is_dataclass
from typing import Any, TypeVar

import numpy as np
import pandas as pd

log = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_MAX_BYTES = 64 * 2**20
"""Budget of a cache built without one (tests, scripts); the app takes ``MEMO_MAX_MB``."""
_MAX_DEPTH = 6
_FRAME_OVERHEAD = 4_500
"""Bytes of a DataFrame's own objects (block manager, index, column index, flags) beyond its data."""
_BLOCK_OVERHEAD = 1_000
"""Bytes of each of a frame's blocks (block, its placement, the ndarray object). Both measured with
``tracemalloc`` on pandas 3.1: a worker's memo entries (chart tables of 1–9 blocks) held 7–16 KB each of which
pandas' ``memory_usage`` counted 0.5–5 KB; fresh aggregated tables 2.7 KB + 0.9 KB per block; these constants
sit between (tests/snapshot/test_memo.py keeps them within 0.6–1.6× of what tracemalloc sees)."""
_SERIES_OVERHEAD = 1_200
"""Bytes of a Series' own objects beyond its data (measured as above)."""

MemoKey = tuple[str, Hashable, Hashable]
"""(snapshot id, analysis name, its arguments)."""


def estimate_bytes(value: Any) -> int:
    """Approximate memory held by ``value`` (frames, arrays, dataclasses, containers, plain objects)."""
    return _estimate(value, set(), 0)


def _estimate(value: Any, seen: set[int], depth: int) -> int:
    if id(value) in seen or value is None or isinstance(value, (bool, type)):
        return 0
    seen.add(id(value))
    if isinstance(value, pd.DataFrame):
        blocks = getattr(getattr(value, "_mgr", None), "nblocks", value.shape[1])
        return _frame_data_bytes(value) + _FRAME_OVERHEAD + _BLOCK_OVERHEAD * blocks
    if isinstance(value, pd.Series):
        return int(value.memory_usage(index=True, deep=True)) + _SERIES_OVERHEAD
    if isinstance(value, pd.Index):
        return int(value.memory_usage(deep=True))
    if isinstance(value, np.ndarray):
        if _mapped(value):
            return 112  # a view of a mapped file (shared derived values): its pages are not this process's
        size = int(value.nbytes) + 112  # the array object itself
        return size + _objects_bytes(value) if value.dtype == object else size
    if isinstance(value, (str, bytes, int, float, complex)):
        return sys.getsizeof(value)
    size = sys.getsizeof(value, 64)
    if depth >= _MAX_DEPTH:
        return size
    if isinstance(value, dict):
        return size + _sampled(
            list(value.items()), lambda kv: _estimate(kv[0], seen, depth + 1) + _estimate(kv[1], seen, depth + 1)
        )
    if isinstance(value, (list, tuple, set, frozenset)):
        return size + _sampled(
            value if isinstance(value, (list, tuple)) else list(value), lambda v: _estimate(v, seen, depth + 1)
        )
    if hasattr(value, "__dict__"):  # dataclasses and objects, with cached properties already computed
        return size + _estimate(vars(value), seen, depth + 1)
    if is_dataclass(value):  # slotted dataclass
        return size + sum(_estimate(getattr(value, f.name, None), seen, depth + 1) for f in fields(value))
    return size


def _frame_data_bytes(frame: pd.DataFrame) -> int:
    """The bytes of a frame's columns and index, block by block: what ``memory_usage(deep=True)`` sums, ~50×
    faster on the small tables most memo entries are (9 µs instead of 0.5 ms for five columns: pandas builds a
    Series per call, and every result computed is measured). Strings in object columns are summed or sampled as
    for arrays."""
    blocks = getattr(getattr(frame, "_mgr", None), "blocks", None)
    if blocks is None:  # not the block manager this was written for
        return int(frame.memory_usage(index=True, deep=True).sum())
    total = int(frame.index.memory_usage(deep=True))
    for block in blocks:
        values = block.values
        if isinstance(values, np.ndarray):
            total += int(values.nbytes) + (_objects_bytes(values) if values.dtype == object else 0)
        elif hasattr(values, "memory_usage"):  # Categorical, Arrow-backed strings
            total += int(values.memory_usage(deep=True))
        else:
            total += int(values.nbytes)
    return total


_SAMPLE = 1024


def _sampled(items: Sequence[Any], estimate: Callable[[Any], int]) -> int:
    """``estimate`` summed over ``items``, or over :data:`_SAMPLE` of them spread evenly and scaled when there
    are more (a dict of a few thousand station labels took ~6 ms item by item)."""
    if len(items) <= _SAMPLE:
        return sum(estimate(item) for item in items)
    step = len(items) / _SAMPLE
    return int(sum(estimate(items[int(i * step)]) for i in range(_SAMPLE)) * step)


def _mapped(array: np.ndarray) -> bool:
    """True when ``array`` is a (view of a) memory-mapped file."""
    base: Any = array
    for _ in range(8):
        base = getattr(base, "base", None)
        if base is None:
            return False
        if isinstance(base, mmap.mmap):
            return True
    return False


def _objects_bytes(array: np.ndarray) -> int:
    """The Python objects an object array points to (strings, mostly): summed, or sampled when large."""
    flat = array.reshape(-1)
    if len(flat) <= 4 * _SAMPLE:
        return sum(sys.getsizeof(x) for x in flat)
    sample = flat[np.linspace(0, len(flat) - 1, _SAMPLE).astype(np.intp)]
    return int(sum(sys.getsizeof(x) for x in sample) * len(flat) / _SAMPLE)


@dataclass(frozen=True)
class MemoStats:
    """A snapshot of the cache's counters (for logs, metrics and benchmarks)."""

    entries: int
    bytes: int
    max_bytes: int
    hits: int
    misses: int
    waits: int
    evictions: int
    too_large: int


class Pickled:
    """A memo value still pickled (a warm-up's result, ``warm.py``): unpickled on its first use, so a worker
    switching to a new snapshot reads the warm-up's file in milliseconds instead of unpickling every result at
    once beside the requests it serves, every worker at the same moment (measured at full scale: a 6.1 MB file of
    224 results, 0.027–0.087 CPU-s unpickled at once, 0.008–0.012 s kept pickled), and a result nobody asks for
    is never unpickled."""

    __slots__ = ("blob",)

    def __init__(self, blob: bytes):
        self.blob = blob


class _Flight:
    """One computation in progress; other threads asking for the same key wait on it."""

    __slots__ = ("done", "error", "value")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.value: Any = None
        self.error: BaseException | None = None


class MemoCache:
    """Thread-safe LRU cache bounded by the estimated bytes of its values, with single-flight computing."""

    def __init__(self, max_bytes: int = DEFAULT_MAX_BYTES):
        if max_bytes < 0:
            raise ValueError(f"max_bytes must be ≥ 0, not {max_bytes}")
        self.max_bytes = int(max_bytes)
        self._entries: OrderedDict[MemoKey, tuple[Any, int]] = OrderedDict()
        self._inflight: dict[MemoKey, _Flight] = {}
        self._bytes = 0
        self._live: str | None = None
        self._lock = threading.Lock()
        self._hits = self._misses = self._waits = self._evictions = self._too_large = 0

    def get(self, key: MemoKey, compute: Callable[[], T]) -> T:
        """The value for ``key`` = ``(snapshot_id, name, params)``, computing it at most once at a time.

        A value larger than the whole budget is returned but not kept. An exception from
        ``compute`` reaches every waiting caller and nothing is cached. A large intermediate that several
        charts of one answer start from belongs in ``views.per_request``, not here.
        """
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and isinstance(entry[0], Pickled):
                entry = self._unpickled(key, entry)
            if entry is not None:
                self._entries.move_to_end(key)
                self._hits += 1
                return entry[0]
            flight = self._inflight.get(key)
            leader = flight is None
            if leader:
                flight = self._inflight[key] = _Flight()
                self._misses += 1
            else:
                self._waits += 1
        assert flight is not None
        if not leader:
            flight.done.wait()
            if flight.error is not None:
                raise flight.error
            return flight.value
        try:
            value = compute()
        except BaseException as exc:
            flight.error = exc
            with self._lock:
                self._inflight.pop(key, None)
            flight.done.set()
            raise
        flight.value = value
        flight.done.set()  # waiting requests go on; the flight stays registered until the value is stored
        size = estimate_bytes(value)
        with self._lock:
            self._inflight.pop(key, None)
            if self._live is None or key[0] == self._live:  # an old snapshot's late result is not kept
                self._store(key, value, size)
        return value

    def _unpickled(self, key: MemoKey, entry: tuple[Any, int]) -> tuple[Any, int] | None:
        """``entry`` with its value unpickled and kept so (under the lock: one result, ~0.1 ms on average); None,
        and the entry dropped, when it cannot be unpickled (then it is computed like any other miss)."""
        try:
            value = pickle.loads(entry[0].blob)
        except Exception as exc:  # whatever unpickling raises: the value is computed instead
            log.warning("memo: a warmed result of %s cannot be read (%s); computing it", key[1], exc)
            self._bytes -= self._entries.pop(key)[1]
            return None
        entry = self._entries[key] = (value, entry[1])
        return entry

    def _store(self, key: MemoKey, value: Any, size: int) -> None:
        if size > self.max_bytes:
            self._too_large += 1
            log.debug("memo: %s (%d bytes) exceeds the whole budget (%d bytes); not kept", key[1], size, self.max_bytes)
            return
        old = self._entries.pop(key, None)
        if old is not None:
            self._bytes -= old[1]
        self._entries[key] = (value, size)
        self._bytes += size
        while self._bytes > self.max_bytes:
            _, (_, dropped) = self._entries.popitem(last=False)
            self._bytes -= dropped
            self._evictions += 1

    def entries_of(self, snapshot_id: str) -> list[tuple[MemoKey, Any, int]]:
        """The entries of one snapshot with their estimated bytes, least recently used first (what a warm-up
        hands to the workers)."""
        with self._lock:
            return [(key, value, size) for key, (value, size) in self._entries.items() if key[0] == snapshot_id]

    def preload(self, entries: list[tuple[MemoKey, Any, int]]) -> int:
        """Keep ``entries`` (computed elsewhere for a snapshot about to be served, with their estimated bytes),
        the last the most recent; how many were kept. Entries already held are left as they are; the budget
        applies as for any value."""
        kept = 0
        for key, value, size in entries:
            with self._lock:
                if key in self._entries or size > self.max_bytes:
                    continue
                self._store(key, value, size)
                kept += 1
        return kept

    def keep_only(self, snapshot_id: str) -> None:
        """Drop every entry of other snapshots and keep none of theirs from now on (after a switch)."""
        with self._lock:
            self._live = snapshot_id
            for key in [k for k in self._entries if k[0] != snapshot_id]:
                self._bytes -= self._entries.pop(key)[1]

    def after_fork(self) -> None:
        """Fresh locks, no in-flight computations and zeroed counters in a forked child (the parent's threads are
        gone; its entries stay, shared, but what it computed is not this process's hits and misses)."""
        self._lock = threading.Lock()
        self._inflight = {}
        self._hits = self._misses = self._waits = self._evictions = self._too_large = 0

    def stats(self) -> MemoStats:
        """Current counters."""
        with self._lock:
            return MemoStats(
                len(self._entries),
                self._bytes,
                self.max_bytes,
                self._hits,
                self._misses,
                self._waits,
                self._evictions,
                self._too_large,
            )
