"""After a snapshot swap, gunicorn's workers are replaced one at a time by fresh forks of the master.

A worker switches to a new snapshot in place (``snapshot/store.py``): it serves the new data within a poll
interval, without a restart. But what the old snapshot's results occupied stays in the worker as memory
freed and kept (glibc's heap, Python's partly used object arenas): measured with ``bench.memory`` at full
scale, each worker kept 12-14 MB more after every swap, and 4 workers together went from 1.32× the memory
of 1 worker to 1.64×. A worker forked from the master after the swap starts with none of that and shares the
master's pages (the code, the new snapshot's mapping), as the workers did at start.

So the master, on its follow timer (``gunicorn.conf.py``), once the swap's warm-up is over and one more poll
interval has passed (the workers have switched in place meanwhile), replaces each worker that was forked
before the swap: it asks gunicorn for one more worker (SIGTTIN), and one interval later for one fewer
(SIGTTOU), which stops the oldest gracefully (it finishes its requests; gunicorn's own choice, mirrored
here), then asks for the next one. When it asks for the extra worker it also tells the one it will stop next
to *drain* (SIGUSR2, ``gunicorn.conf.py``): for that interval the worker answers every request with
``Connection: close``, so each visitor's kept-alive connection to it is closed cleanly after its next answer
instead of being dropped when the worker stops (a request sent on it at that moment would fail: measured once
in 8,013 callbacks over 64 replacements). The configured number of workers keeps serving throughout; one extra
runs for an interval at a time. A new swap meanwhile starts the round again with every worker then alive.
The decisions are here, pure; the hook sends the signals.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Step:
    """What the master does on one tick: retire its oldest worker (``retire``: that worker's pid, SIGTTOU),
    add one (SIGTTIN) and tell the worker it will retire next to drain its connections (``drain``: its pid),
    in that order."""

    retire: int | None = None
    add: bool = False
    drain: int | None = None


NOTHING = Step()
TICK_SLACK = 0.25
"""Steps come one timer tick apart: a tick counts as an interval when it is at most this fraction early."""


class WorkerRefresh:
    """Which workers still predate the last swap, and when to replace the next one (all times monotonic)."""

    def __init__(self, interval_s: float):
        if interval_s <= 0:
            raise ValueError(f"interval_s must be positive, not {interval_s}")
        self.interval_s = float(interval_s)
        self._stale: set[int] = set()
        self._added = False  # one worker more than configured is running (our SIGTTIN)
        self._ready_since: float | None = None
        self._last_step_at = float("-inf")

    @property
    def pending(self) -> int:
        """Workers forked before the last swap and not yet replaced."""
        return len(self._stale)

    def swapped(self, workers: Iterable[int]) -> None:
        """The master switched to a new snapshot: every worker alive now (pids) is to be replaced."""
        self._stale = set(workers)
        self._ready_since = None

    def step(self, workers: Mapping[int, int], settled: bool, now: float, *, extra: bool = True) -> Step:
        """The step for this tick. ``workers``: gunicorn's workers, pid → age (a larger age was forked later);
        ``settled``: the swap's warm-up is over (the workers switched in place, or are about to); ``extra``:
        gunicorn runs more workers than configured (the one added), so retiring one leaves the configured number."""
        if not (self._stale or self._added):
            return NOTHING
        if not settled:
            self._ready_since = None
            return NOTHING
        if self._ready_since is None:
            self._ready_since = now
        early = self.interval_s * (1 - TICK_SLACK)  # the timer's ticks land a little early or late
        if now - self._ready_since < early or now - self._last_step_at < early:
            return NOTHING
        self._stale &= set(workers)  # a worker that exited meanwhile (recycled, crashed) was replaced by gunicorn
        retire = None
        if self._added and extra and workers:
            retire = min(workers, key=workers.__getitem__)  # gunicorn stops its oldest worker on SIGTTOU
            self._stale.discard(retire)
        self._added = bool(self._stale)
        self._last_step_at = now
        left = {pid: age for pid, age in workers.items() if pid != retire}
        drain = min(left, key=left.__getitem__) if self._added and left else None  # the next one retired
        return Step(retire, self._added, drain)
