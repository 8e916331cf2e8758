"""Warm results for a new snapshot, computed once per machine before the workers switch to it.

After a swap every view a visitor asks for is new to every worker's memo cache, so for a while each answer
takes the time of a cold computation (measured by ``bench.memory``: callback p95 in the seconds after a swap
3.6–3.9× the p95 before it, with 1 worker as with 4). Instead:

- each worker records the views its visitors ask for (:class:`RecentViews`: a tab and its control values,
  with counts and the CPU time of the costliest answer) and writes them to ``<cache dir>/views/<pid>.json``
  when they changed (once per poll);
- a worker that sees a new snapshot asks the gunicorn master to follow now (the master's follow timer
  signal); the master maps the snapshot and forks one *warmer* at the lowest CPU priority (and with malloc
  reusing its freed temporaries: ``allocator.favour_speed``; pausing while other processes wait to run:
  :class:`YieldToOthers`), which computes
  the recorded views on the new snapshot, those asked for often and costly cold first, for at most
  ``SWAP_WARM_SECONDS`` and writes its memo entries to :func:`warm_file`, beside the snapshot's derived
  values (``derived.py``);
- each worker waits for that file while it goes on serving the old snapshot (:func:`wait_for_warm`), loads
  the entries into its memo cache and switches: the first answers on the new snapshot come from the cache.

The files are written by this user into the per-user cache directory, which is refused when another user
owns it (``derived.py``), so unpickling them trusts nothing the code itself does not. Anything missing or
failing (no gunicorn master, no warmer within :data:`START_WAIT_S`, an unreadable file) makes a worker
switch with a cold cache, as it would without any of this.
"""

from __future__ import annotations

import json
import logging
import os
import pickle
import secrets
import signal
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from contextlib import suppress
from pathlib import Path
from typing import Any

from dashboard_app import allocator
from dashboard_app.snapshot import derived
from dashboard_app.snapshot.memo import MemoKey, Pickled

log = logging.getLogger(__name__)

VIEWS_DIR = "views"
"""Subdirectory of the cache directory where each worker writes the views it served (``<pid>.json``)."""
START_WAIT_S = 1.5
"""How long a worker waits for the warmer to start (its marker file) before switching cold."""
FINISH_GRACE_S = 1.5
"""How long a worker waits beyond the warm-up's own time for its file (the writing, a busy machine)."""
VIEWS_MAX_AGE_S = 1800.0
"""Views older than this (a worker's file last written longer ago) are not warmed."""
MAX_VIEWS = 64
"""The most views a warm-up considers (those whose warming saves the most first: :func:`read_views`)."""
MIN_COST_S = 0.005
"""The cost a view is ranked with when its answers took less (or were not timed): a cold answer's floor."""
LOW_PRIORITY = 19
"""The warmer's nice value (where it cannot run as ``SCHED_IDLE``): the workers' answers come first."""
YIELD_TICK_S = 0.001
"""How often, in its own CPU time, a warm-up looks whether another process waits to run (:class:`YieldToOthers`)."""
YIELD_PAUSE_S = 0.02
"""The longest a warm-up pauses at a time for other processes (longer than most answers take)."""
YIELD_SLEEP_S = 0.0005
"""How long a paused warm-up sleeps before it looks again."""
YIELD_BUDGET_S = 1.0
"""The most a warm-up pauses in all: it still ends within ``SWAP_WARM_SECONDS`` on a machine that is never idle."""

View = tuple[str, dict[str, Any] | None]
"""A tab (its view name) and control values as the tab's request store holds them (None: its defaults)."""


class WarmError(Exception):
    """A warm file that cannot be read (truncated, another format, not this snapshot's)."""


class RecentViews:
    """The views this process served lately, with how often and what the costliest answer took: bounded, least
    recently asked dropped first."""

    def __init__(self, limit: int = 256):
        self.limit = limit
        self._counts: OrderedDict[tuple[str, str], tuple[int, float]] = OrderedDict()
        self._dirty = False
        self._lock = threading.Lock()

    def note(self, tab: str, values: Mapping[str, Any], seconds: float = 0.0) -> None:
        """Count one request of ``tab`` for ``values`` (JSON-able control values) that took ``seconds`` of CPU
        (the largest kept: a cold answer's cost, what the warm-up saves)."""
        try:
            key = (tab, json.dumps(values, sort_keys=True, separators=(",", ":")))
        except (TypeError, ValueError):
            return
        with self._lock:
            count, cost = self._counts.pop(key, (0, 0.0))
            self._counts[key] = (count + 1, max(cost, float(seconds)))
            while len(self._counts) > self.limit:
                self._counts.popitem(last=False)
            self._dirty = True

    def after_fork(self) -> None:
        """A fresh lock and no views in a forked child (it has served nothing yet)."""
        self._lock = threading.Lock()
        self._counts = OrderedDict()
        self._dirty = False

    def dump(self, cache_dir: Path) -> bool:
        """Write the views to ``<cache_dir>/views/<pid>.json`` if they changed since the last dump; True if written."""
        with self._lock:
            if not self._dirty:
                return False
            rows = [[tab, values, count, round(cost, 4)] for (tab, values), (count, cost) in self._counts.items()]
            self._dirty = False
        directory = Path(cache_dir) / VIEWS_DIR
        try:
            derived.own_directory(Path(cache_dir))
            directory.mkdir(mode=0o700, exist_ok=True)
            _write_atomic(directory / f"{os.getpid()}.json", json.dumps(rows).encode())
        except (OSError, derived.DerivedError) as exc:
            log.debug("recent views: cannot write them to %s: %s", directory, exc)
            return False
        return True


def read_views(cache_dir: Path, *, max_age_s: float = VIEWS_MAX_AGE_S, limit: int = MAX_VIEWS) -> list[View]:
    """The views every worker recorded lately, those whose warming saves the most first: how often each was
    asked for times what its costliest answer took (:func:`_saving`). Files older than ``max_age_s`` are deleted:
    their workers are gone."""
    directory = Path(cache_dir) / VIEWS_DIR
    totals: dict[tuple[str, str], tuple[int, float]] = {}
    now = time.time()
    with suppress(FileNotFoundError):
        for path in directory.glob("*.json"):
            try:
                if now - path.stat().st_mtime > max_age_s:
                    path.unlink()
                    continue
                for row in json.loads(path.read_text(encoding="utf-8")):
                    tab, values, count = row[:3]
                    cost = float(row[3]) if len(row) > 3 else 0.0
                    key = (str(tab), str(values))
                    seen, costliest = totals.get(key, (0, 0.0))
                    totals[key] = (seen + int(count), max(costliest, cost))
            except (OSError, ValueError, TypeError) as exc:
                log.debug("recent views: skipping %s: %s", path, exc)
    ranked = sorted(totals.items(), key=lambda item: -_saving(*item[1]))[:limit]
    views: list[View] = []
    for (tab, values), _ in ranked:
        with suppress(ValueError):
            parsed = json.loads(values)
            if isinstance(parsed, dict):
                views.append((tab, parsed))
    return views


def _saving(count: int, cost_s: float) -> float:
    """What warming a view saves, relatively: how often it was asked for times its cold cost (at least
    :data:`MIN_COST_S`, so views of unknown cost rank by count). A cheap view answered cold after the switch
    barely shows in the answers' p95; a costly one asked for often does."""
    return count * max(cost_s, MIN_COST_S)


def warm_file(cache_dir: Path, snapshot_id: str) -> Path:
    """Where the warm memo entries of ``snapshot_id`` are written (by this code: its fingerprint is in the name)."""
    return derived.snapshot_dir(cache_dir, snapshot_id) / f"warm-{derived.code_fingerprint()}.pickle"


def started_file(cache_dir: Path, snapshot_id: str) -> Path:
    """The marker a warmer writes as it starts (its pid), so workers know one is coming."""
    return warm_file(cache_dir, snapshot_id).with_suffix(".started")


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except BaseException:
        with suppress(OSError):
            tmp.unlink()
        raise


def write_warm(
    path: Path, snapshot_id: str, entries: list[tuple[MemoKey, Any, int]], max_bytes: int
) -> tuple[int, int]:
    """Write the memo entries of ``snapshot_id`` (key, value, estimated bytes; least recently used first) that
    pickle, at most ``max_bytes`` of them (the most recent kept); how many entries and bytes were written."""
    blobs: list[tuple[MemoKey, int, bytes]] = []
    total = 0
    for key, value, size in reversed(entries):
        if key[0] != snapshot_id:
            continue
        try:
            blob = value.blob if isinstance(value, Pickled) else pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:  # a value pickle cannot hold: computed on first use instead
            log.debug("warm-up: %s cannot be pickled (%s); skipped", key[1], exc)
            continue
        if total + len(blob) > max_bytes:
            continue
        blobs.append((key, size, blob))
        total += len(blob)
    blobs.reverse()
    _write_atomic(path, pickle.dumps((snapshot_id, blobs), protocol=pickle.HIGHEST_PROTOCOL))
    return len(blobs), total


def read_warm(cache_dir: Path, snapshot_id: str, *, lazy: bool = False) -> list[tuple[MemoKey, Any, int]]:
    """The entries (key, value, estimated bytes) in the warm file of ``snapshot_id``, each value still
    :class:`~dashboard_app.snapshot.memo.Pickled` when ``lazy`` (the memo cache unpickles it on first use);
    :class:`WarmError` when there is none to trust."""
    path = warm_file(cache_dir, snapshot_id)
    try:
        if not derived.owned(Path(cache_dir)):
            raise WarmError(f"the cache directory {cache_dir} belongs to another user; not used")
        owner, blobs = pickle.loads(path.read_bytes())
        if owner != snapshot_id:
            raise WarmError(f"{path} holds results of snapshot {owner}, not {snapshot_id}")
        read: Callable[[bytes], Any] = Pickled if lazy else pickle.loads
        return [(key, read(blob), int(size)) for key, size, blob in blobs if key[0] == snapshot_id]
    except WarmError:
        raise
    except Exception as exc:  # a truncated or foreign file: whatever unpickling raises
        raise WarmError(f"cannot read {path}: {exc}") from exc


def wait_for_warm(
    cache_dir: Path, snapshot_id: str, warm_seconds: float, *, start_wait_s: float = START_WAIT_S
) -> Path | None:
    """Wait for the warm file of ``snapshot_id``: None at once when no warmer starts within ``start_wait_s``,
    when it exits without writing one, or ``warm_seconds`` + :data:`FINISH_GRACE_S` after it started."""
    path, marker = warm_file(cache_dir, snapshot_id), started_file(cache_dir, snapshot_id)
    began = time.monotonic()
    started: float | None = None
    pid: int | None = None
    while True:
        if path.is_file():
            return path
        now = time.monotonic()
        if pid is None:
            with suppress(OSError, ValueError):
                pid = int(marker.read_text(encoding="ascii"))
                started = now
        if pid is None and now - began > start_wait_s:
            return None
        overdue = started is not None and now - started > warm_seconds + FINISH_GRACE_S
        if pid is not None and (overdue or not _alive(pid)):
            return path if path.is_file() else None
        time.sleep(0.05)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def lower_priority() -> str:
    """Run this process only when the CPU has nothing else to do: ``SCHED_IDLE`` (a waking worker preempts it at
    once), else nice :data:`LOW_PRIORITY`; the policy set. On a 2-vCPU VM a spinning process beside two serving
    ones raised their tasks' p95 by 65 % at nice 19 and by 27 % as ``SCHED_IDLE`` (``bench.warmer_priority``)."""
    with suppress(AttributeError, OSError):
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
        return "SCHED_IDLE"
    os.nice(LOW_PRIORITY)
    return f"nice {LOW_PRIORITY}"


class YieldToOthers:
    """While active (in the main thread), pause this process whenever another one waits to run, so a warm-up
    computes only in the machine's idle time; at most :data:`YIELD_PAUSE_S` at a time and ``budget_s`` in all.

    Its priority alone does not keep it out of the way: beside a worker's answer it competes for the shared
    cache and memory bandwidth, which no scheduling class reserves (``bench.warmer_priority``). So every
    :data:`YIELD_TICK_S` of its own CPU time (``ITIMER_PROF``: no wake-ups while it sleeps; in practice every
    kernel tick, 4 ms at the usual 250 Hz, or later when a C function runs longer) a signal handler
    looks at the kernel's count of runnable tasks (``/proc/loadavg``) and sleeps while any other is runnable.
    Once the budget is spent (a machine busy all the time) it computes on regardless, at its low priority."""

    def __init__(self, budget_s: float):
        self.budget_s = budget_s
        self.pauses = 0
        self.paused_s = 0.0
        self._inside = False
        self._armed = False
        self._previous: Any = None  # the handler before; None too when it was not set from Python

    def __enter__(self) -> YieldToOthers:
        if self.budget_s > 0 and threading.current_thread() is threading.main_thread() and others_running() is not None:
            self._previous = signal.signal(signal.SIGPROF, self._tick)
            signal.siginterrupt(signal.SIGPROF, False)  # a system call in a C library restarts, never fails (EINTR)
            signal.setitimer(signal.ITIMER_PROF, YIELD_TICK_S, YIELD_TICK_S)
            self._armed = True
        return self

    def __exit__(self, *exc: object) -> None:
        if self._armed:
            signal.setitimer(signal.ITIMER_PROF, 0)
            # a handler set in C cannot be put back from Python: ignore the signal rather than let it end the process
            signal.signal(signal.SIGPROF, signal.SIG_IGN if self._previous is None else self._previous)
            self._armed = False

    def _tick(self, _signum: int, _frame: object) -> None:
        if self._inside or self.paused_s >= self.budget_s:
            return
        self._inside = True
        try:
            started = time.monotonic()
            limit = min(YIELD_PAUSE_S, self.budget_s - self.paused_s)
            paused = False
            while others_running() and time.monotonic() - started < limit:
                paused = True
                time.sleep(YIELD_SLEEP_S)
            if paused:
                self.pauses += 1
                self.paused_s += time.monotonic() - started
        finally:
            self._inside = False


def others_running() -> bool | None:
    """Whether a task other than this one is runnable on the machine now (``/proc/loadavg``'s fourth field
    counts them, this one included); None when the kernel does not say."""
    try:
        with open("/proc/loadavg", "rb") as loadavg:
            return int(loadavg.read().split()[3].split(b"/")[0]) > 1
    except (OSError, IndexError, ValueError):
        return None


def private_mb() -> float:
    """This process's private memory in MB (what it costs beyond the pages it shares with the master); 0 if unknown."""
    try:
        rollup = Path("/proc/self/smaps_rollup").read_text(encoding="ascii")
    except OSError:
        return 0.0
    private = ("Private_Clean:", "Private_Dirty:")
    return sum(int(line.split()[1]) for line in rollup.splitlines() if line.startswith(private)) / 1024


def fork_warmer(
    cache_dir: Path,
    snapshot_id: str,
    work: Callable[[], None],
    close_in_child: Callable[[], None],
    *,
    limit_s: float = 60.0,
) -> int:
    """Fork a process at the lowest CPU priority that writes the started marker, runs ``work()`` and exits;
    its pid. The process is killed (SIGALRM) if it still runs after ``limit_s`` (a hang must not keep its
    memory). A warm-up whose snapshot was replaced meanwhile (its derived values removed) ends quietly.
    Call only in a process without threads (the gunicorn master)."""
    marker = started_file(cache_dir, snapshot_id)
    marker.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    pid = os.fork()
    if pid:
        return pid
    code = 1
    try:  # the child: never returns into the caller's code (gunicorn's arbiter)
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT, signal.SIGALRM, signal.SIGCHLD):
            signal.signal(sig, signal.SIG_DFL)
        signal.setitimer(signal.ITIMER_REAL, max(limit_s, 0.001))  # SIGALRM's default action ends the process
        close_in_child()
        lower_priority()
        allocator.favour_speed()  # short-lived: reuse freed temporaries rather than fault in fresh zeroed pages
        _write_atomic(marker, str(os.getpid()).encode("ascii"))
        work()
        code = 0
    except BaseException:
        if marker.parent.is_dir():
            log.exception("warm-up of snapshot %s failed; the workers switch with cold caches", snapshot_id)
        else:  # a newer snapshot was loaded and removed this one's derived values: nobody waits for the results
            log.info("warm-up of snapshot %s stopped: a newer snapshot replaced it", snapshot_id)
            code = 0
    finally:
        logging.shutdown()
        os._exit(code)
