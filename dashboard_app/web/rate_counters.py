"""Rate-limit counters in shared memory: one count per client for all gunicorn workers, no extra service.

``limits``' ``memory://`` storage counts per worker process (whether a visitor is limited depended on
which worker answered), and its expiry timer thread raced under the gthread worker (``RuntimeError:
threads can only be started once`` → HTTP 500, once in ~38,000 requests; issue #12). This storage,
registered with ``limits`` under the scheme ``shared-memory://``, keeps the counters in one block of
shared memory created by the factory in gunicorn's master *before* the workers fork (``preload_app``,
which ``gunicorn.conf.py`` sets), so every worker reads and writes the same counters.

- **Moving window** (what the app uses): per client key, a ring of the timestamps of its last
  ``capacity`` accepted requests. A request is refused when the ``limit``-th newest is still inside
  the window, exactly as ``limits``' own moving window; ``Retry-After`` is when that one leaves it.
  The app sizes ``capacity`` to its largest limit (``?capacity=N``, at most :data:`MAX_CAPACITY`); a
  limit beyond the capacity (thousands a minute: no limit in practice) is counted in fixed windows.
- **Fixed window** (``incr``/``get``/``get_expiry``) on the same slots, for completeness.
- **Layout**: a fixed table of slots (``?slots=N``; by default as many as fit in 16 MiB), open
  addressing with linear probing over the 64-bit hash of the key; slots whose window has passed are
  reused, and when a probe run is full the one that expires first is evicted (a lost count only
  ever lets a visitor through, never refuses one wrongly). Memory pages are only used once written.
- **Atomicity**: every operation holds a thread lock (threads of one worker) and a POSIX record lock
  on the memory's file descriptor (``fcntl.lockf``: workers). The kernel drops the record lock of a
  process that dies, so a worker killed mid-update cannot block the others.

Use ``redis://`` instead when several replicas (containers) serve the site: this memory is shared by
the workers of one gunicorn only.
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import math
import mmap
import os
import struct
import tempfile
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qs, urlsplit

from limits.storage import MovingWindowSupport, Storage

SCHEME = "shared-memory"
DEFAULT_CAPACITY = 256
MAX_CAPACITY = 4096
TABLE_BYTES = 16 << 20
MAX_PROBE = 64
# key hash (0: never used), ring head, entries, newest time, window seconds; a fixed-window count and its end
_HEAD = struct.Struct("<QIIddQd")
_STAMP = struct.Struct("<d")


def _hash(key: str) -> int:
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "little") or 1


def _option(uri: str, options: dict[str, Any], name: str, default: int, low: int, high: int) -> int:
    value = int(options.get(name) or parse_qs(urlsplit(uri).query).get(name, [str(default)])[-1])
    if not low <= value <= high:
        raise ValueError(f"{SCHEME}:// {name} must be {low} … {high}, not {value}")
    return value


def check_uri(uri: str) -> None:
    """ValueError when a ``shared-memory://`` URI asks for a table size or capacity out of range."""
    capacity = _option(uri, {}, "capacity", DEFAULT_CAPACITY, 1, MAX_CAPACITY)
    _option(uri, {}, "slots", TABLE_BYTES // (_HEAD.size + 8 * capacity), 64, 1 << 22)


def _shared_file() -> int:
    """A file descriptor for memory that no file system holds (memfd), or an unlinked temporary file."""
    if hasattr(os, "memfd_create"):
        return os.memfd_create("neo-explorer-rate-limits", os.MFD_CLOEXEC)
    fd, path = tempfile.mkstemp(prefix="neo-explorer-rate-limits-")
    os.unlink(path)
    return fd


def _renew_thread_lock(ref: weakref.ReferenceType[SharedMemoryStorage]) -> None:
    storage = ref()
    if storage is not None:
        storage._thread_lock = threading.Lock()  # a fork copies a lock in whatever state it was


class SharedMemoryStorage(Storage, MovingWindowSupport):
    """``limits`` storage in memory shared by the processes forked after it was created."""

    STORAGE_SCHEME = [SCHEME]  # noqa: RUF012 (limits reads this class attribute to register the scheme)

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options: Any) -> None:
        uri = uri or f"{SCHEME}://"
        self.capacity = _option(uri, options, "capacity", DEFAULT_CAPACITY, 1, MAX_CAPACITY)
        self._slot_size = _HEAD.size + 8 * self.capacity
        self.slots = _option(uri, options, "slots", TABLE_BYTES // self._slot_size, 64, 1 << 22)
        self._fd = _shared_file()
        os.ftruncate(self._fd, self.slots * self._slot_size)  # sparse: pages are used once written
        self._memory = mmap.mmap(self._fd, self.slots * self._slot_size, mmap.MAP_SHARED)
        self._thread_lock = threading.Lock()
        os.register_at_fork(after_in_child=functools.partial(_renew_thread_lock, weakref.ref(self)))
        super().__init__(uri, wrap_exceptions=wrap_exceptions)

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return (OSError, ValueError)

    @contextmanager
    def _locked(self) -> Iterator[float]:
        """Hold both locks; yields the current time."""
        with self._thread_lock:
            fcntl.lockf(self._fd, fcntl.LOCK_EX)
            try:
                yield time.time()
            finally:
                fcntl.lockf(self._fd, fcntl.LOCK_UN)

    # --- the table (call with the locks held) ------------------------------------------------------

    def _head(self, slot: int) -> tuple[int, int, int, float, float]:
        return _HEAD.unpack_from(self._memory, slot * self._slot_size)[:5]

    def _set_head(self, slot: int, h: int, head: int, n: int, newest: float, window: float) -> None:
        count, until = _HEAD.unpack_from(self._memory, slot * self._slot_size)[5:]
        _HEAD.pack_into(self._memory, slot * self._slot_size, h, head, n, newest, window, count, until)

    def _fixed(self, slot: int) -> tuple[int, float]:
        return _HEAD.unpack_from(self._memory, slot * self._slot_size)[5:]

    def _set_fixed(self, slot: int, count: int, until: float) -> None:
        h, head, n, newest, window = self._head(slot)
        _HEAD.pack_into(self._memory, slot * self._slot_size, h, head, n, newest, window, count, until)

    def _find(self, key: str, now: float, create: bool) -> int | None:
        """Slot of ``key`` while it still matters; with ``create``, a fresh empty one when it has none."""
        h = _hash(key)
        start = h % self.slots
        free = None
        oldest, oldest_until = start, math.inf
        for i in range(MAX_PROBE):
            slot = (start + i) % self.slots
            used, _head, _n, newest, window = self._head(slot)
            until = newest + window
            if used == h and until > now:
                return slot
            if used == 0 or until <= now:
                free = slot if free is None else free
                if used == 0:
                    break  # slots never return to 0 (except reset): the key is not further on
            elif until < oldest_until:
                oldest, oldest_until = slot, until
        if not create:
            return None
        slot = free if free is not None else oldest
        _HEAD.pack_into(self._memory, slot * self._slot_size, h, 0, 0, now, 0.0, 0, 0.0)
        return slot

    def _nth_newest(self, slot: int, head: int, k: int) -> float:
        """The timestamp of a slot's ``k``-th newest entry (0: the newest); the ring is in time order."""
        offset = slot * self._slot_size + _HEAD.size + 8 * ((head - 1 - k) % self.capacity)
        return _STAMP.unpack_from(self._memory, offset)[0]

    # --- the moving window -------------------------------------------------------------------------

    def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        if amount > limit:
            return False
        with self._locked() as now:
            slot = self._find(key, now, create=True)
            assert slot is not None
            h, head, n, _newest, window = self._head(slot)
            if limit > self.capacity:  # more than the ring holds: a fixed window
                count, until = self._fixed(slot)
                count, until = (count, until) if until > now else (0, now + expiry)
                if count + amount > limit:
                    return False
                self._set_head(slot, h, head, n, now, max(window, until - now))
                self._set_fixed(slot, count + amount, until)
                return True
            if n > limit - amount and self._nth_newest(slot, head, limit - amount) > now - expiry:
                return False
            base = slot * self._slot_size + _HEAD.size
            for _ in range(amount):
                _STAMP.pack_into(self._memory, base + 8 * head, now)
                head = (head + 1) % self.capacity
            self._set_head(slot, h, head, min(n + amount, self.capacity), now, max(window, float(expiry)))
            return True

    def get_moving_window(self, key: str, limit: int, expiry: int) -> tuple[float, int]:
        with self._locked() as now:
            slot = self._find(key, now, create=False)
            if slot is None:
                return now, 0
            _h, head, n, _newest, _window = self._head(slot)
            if limit > self.capacity:
                count, until = self._fixed(slot)
                return (until - expiry, count) if until > now else (now, 0)
            lo, hi = 0, n  # binary search: how many of the newest entries are inside the window
            while lo < hi:
                mid = (lo + hi) // 2
                if self._nth_newest(slot, head, mid) > now - expiry:
                    lo = mid + 1
                else:
                    hi = mid
            return (self._nth_newest(slot, head, lo - 1), lo) if lo else (now, 0)

    # --- fixed window counters (limits' Storage) ---------------------------------------------------

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        with self._locked() as now:
            slot = self._find(key, now, create=True)
            assert slot is not None
            h, _head, count, until, _window = self._head(slot)
            if count == 0:
                until = now + expiry
            self._set_head(slot, h, 0, count + amount, until, 0.0)
            return count + amount

    def get(self, key: str) -> int:
        with self._locked() as now:
            slot = self._find(key, now, create=False)
            return self._head(slot)[2] if slot is not None else 0

    def get_expiry(self, key: str) -> float:
        with self._locked() as now:
            slot = self._find(key, now, create=False)
            return self._head(slot)[3] if slot is not None else now

    def check(self) -> bool:
        return not self._memory.closed

    def reset(self) -> int | None:
        with self._locked():
            used = sum(1 for s in range(self.slots) if self._head(s)[0] != 0)
            self._memory[:] = bytes(len(self._memory))
            return used

    def clear(self, key: str) -> None:
        with self._locked() as now:
            slot = self._find(key, now, create=False)
            if slot is not None:
                self._set_head(slot, _hash(key), 0, 0, 0.0, 0.0)
