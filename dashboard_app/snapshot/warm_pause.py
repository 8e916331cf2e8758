"""Pause the warm-up process while any worker answers a request.

The warm-up (``warm.py``) runs as ``SCHED_IDLE``, so it never takes a CPU from a worker that wants one; yet on a
2-vCPU machine it still slowed the answers computed beside it (shared caches, sibling hyperthreads): in the
server, callbacks' p95 was 18 ms just before a swap, 28 ms while the warm-up ran and 17–19 ms after the switch
(``bench.memory``'s server phases, session 22). So it runs only while no request is in flight:

- the gunicorn master creates a :class:`WarmPause` before it forks (anonymous shared memory: one counter per
  worker slot, and the warm-up process's pid and start time) and gives each worker a slot (``pre_fork``);
- each worker counts its requests in flight in its slot (:class:`PauseWhileServing`, the outermost WSGI layer):
  when its first starts it stops the warm-up (``SIGSTOP``); when its last ends and no slot counts one, it lets it
  go on (``SIGCONT``), then looks once more and stops it again if a request began meanwhile;
- the warm-up registers itself as it starts and waits while a request that began before is in flight.

Only during the warm-up's own time plus the workers' grace for it (:meth:`WarmPause.register`'s ``window_s``):
after that the workers switch without its results anyway, so a busy server lets it finish and leave (its
results still serve later forks); the master's timer resumes one left stopped (:meth:`WarmPause.tend`),
and a worker that died mid-request has its slot emptied by the master (``child_exit``).
Signals go through a pidfd opened on the registered pid and checked against its start time, so a pid reused by
another process is never signalled. Where any of this is unavailable (no pidfd, no slot), nothing is paused.
"""

from __future__ import annotations

import logging
import mmap
import os
import signal
import threading
import time
from collections.abc import Callable, Iterable
from contextlib import suppress
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

SLOTS = 256
"""Worker slots: more than the most workers gunicorn runs at once (WORKERS ≤ 64, one extra while refreshing, the
ones still draining after a recycle)."""
_PID, _STARTED, _UNTIL, _HEADER = 0, 1, 2, 3  # int64 cells: warm-up pid, its start (clock ticks), pause until (ms)


def _start_ticks(pid: int) -> int | None:
    """When process ``pid`` started, in clock ticks since boot (``/proc/<pid>/stat`` field 22); None if gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[19])


def _now_ms() -> int:
    return int(time.monotonic() * 1000)  # CLOCK_MONOTONIC: the same clock in every process of the machine


class WarmPause:
    """Shared between the gunicorn master and its forks: which worker slots have requests in flight, and the
    warm-up process to stop while any has (module docstring)."""

    def __init__(self, slots: int = SLOTS):
        self._memory = mmap.mmap(-1, 8 * (_HEADER + slots))  # MAP_SHARED | MAP_ANONYMOUS: inherited over fork
        self._cells = memoryview(self._memory).cast("q")
        self.slots = slots
        self._slot: int | None = None  # this worker's slot (set after the fork)
        self._in_flight = 0
        self._lock = threading.Lock()
        self._target: tuple[int, int, int] | None = None  # pid, start ticks, pidfd of the warm-up last signalled
        self._pidfd_works = hasattr(os, "pidfd_open") and hasattr(signal, "pidfd_send_signal")

    # --- the master ---------------------------------------------------------------------------------------

    def assign(self, taken: Iterable[int | None]) -> int | None:
        """In the master before a fork: a free slot for the new worker (not in ``taken``, the live workers'),
        emptied; None when all are taken (that worker never pauses the warm-up)."""
        used = set(taken)
        for slot in range(self.slots):
            if slot not in used:
                self._cells[_HEADER + slot] = 0
                return slot
        return None

    def release(self, slot: int | None) -> None:
        """In the master when a worker exited: empty its slot (it may have died mid-request), then :meth:`tend`."""
        if slot is not None and 0 <= slot < self.slots:
            self._cells[_HEADER + slot] = 0
        self.tend()

    def tend(self) -> None:
        """In the master (its timer, a worker's exit): let the warm-up go on unless a request is in flight within
        its window; past the window, forget it (insurance against one left stopped)."""
        if not self._cells[_PID]:
            return
        if not self._pausing():
            self._signal(signal.SIGCONT)
            self._cells[_PID] = 0
            self._forget()
        elif not self._busy():
            self._signal(signal.SIGCONT)

    # --- the warm-up process ------------------------------------------------------------------------------

    def register(self, window_s: float) -> None:
        """In the warm-up process as it starts: name it as the one to pause for the next ``window_s`` seconds, then
        wait while a request is in flight (one that began before it was named sends it no ``SIGSTOP``; every
        one that begins from now on does)."""
        pid = os.getpid()
        self._cells[_PID] = 0  # never a pid beside another process's start time
        self._cells[_STARTED] = _start_ticks(pid) or 0
        self._cells[_UNTIL] = _now_ms() + int(window_s * 1000)
        self._cells[_PID] = pid
        while self._pausing() and self._busy():
            time.sleep(0.005)

    def unregister(self) -> None:
        """In the warm-up process as it ends: nobody stops it any more."""
        if self._cells[_PID] == os.getpid():
            self._cells[_PID] = 0

    # --- a worker -----------------------------------------------------------------------------------------

    def claim(self, slot: int | None) -> None:
        """In a worker after the fork: the slot the master gave it (None: it never pauses the warm-up)."""
        self._slot = slot if slot is not None and 0 <= slot < self.slots else None
        self._lock = threading.Lock()
        self._in_flight = 0
        self._target = None

    def started(self) -> None:
        """A request of this worker started: count it; the first in flight stops the warm-up."""
        if self._slot is None:
            return
        with self._lock:
            self._in_flight += 1
            self._cells[_HEADER + self._slot] = self._in_flight
            if self._in_flight == 1 and self._pausing():
                self._signal(signal.SIGSTOP)

    def ended(self) -> None:
        """A request of this worker ended: the last in flight on the machine lets the warm-up go on (and any, once
        its window is over: it finishes then whatever the traffic)."""
        if self._slot is None:
            return
        with self._lock:
            self._in_flight = max(self._in_flight - 1, 0)
            self._cells[_HEADER + self._slot] = self._in_flight
            if self._in_flight or not self._cells[_PID]:
                return
            if not self._pausing():
                self._signal(signal.SIGCONT)
            elif not self._busy():
                self._signal(signal.SIGCONT)
                if self._busy():  # a request began elsewhere before the SIGCONT arrived: its SIGSTOP came first
                    self._signal(signal.SIGSTOP)

    # --- shared -------------------------------------------------------------------------------------------

    def _busy(self) -> bool:
        return any(self._cells[_HEADER:])

    def _pausing(self) -> bool:
        return self._cells[_PID] != 0 and _now_ms() < self._cells[_UNTIL]

    def _signal(self, signum: int) -> None:
        """Send ``signum`` to the registered warm-up, through a pidfd checked against its start time."""
        pid, started = self._cells[_PID], self._cells[_STARTED]
        if not pid or not self._pidfd_works:
            return
        if self._target is None or self._target[:2] != (pid, started):
            self._forget()
            try:
                fd = os.pidfd_open(pid)
            except ProcessLookupError:  # it ended
                return
            except OSError as exc:  # no pidfds here (kernel < 5.3, a seccomp filter): nothing is paused
                log.info("warm-up pause: off in process %d (%s)", os.getpid(), exc)
                self._pidfd_works = False
                return
            if _start_ticks(pid) != started:  # checked after the open: a pid reused before it shows another start
                os.close(fd)
                return
            self._target = (pid, started, fd)
        with suppress(ProcessLookupError, OSError):
            signal.pidfd_send_signal(self._target[2], signum)

    def _forget(self) -> None:
        if self._target is not None:
            with suppress(OSError):
                os.close(self._target[2])
            self._target = None


class PauseWhileServing:
    """WSGI middleware, the outermost layer: counts this worker's requests in flight for :class:`WarmPause`
    (``pause()`` returns the store's, or None where the master does not warm: then it only passes through)."""

    def __init__(self, app: Callable[..., Any], pause: Callable[[], WarmPause | None]):
        self.app = app
        self._pause = pause

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        pause = self._pause()
        if pause is None:
            return self.app(environ, start_response)
        pause.started()
        try:
            return self.app(environ, start_response)
        finally:
            pause.ended()
