"""Benchmark (issue #11): how much a CPU-bound low-priority process slows the serving processes beside it.

The warm-up after a swap (``dashboard_app/snapshot/warm.py``) computes views in one process while the workers
serve. This measures, without the app, what such a process costs the others: two processes do 10 ms CPU tasks
at random intervals (about half of each one's time: the shape of callbacks under load) while a third spins
(none / at nice 19 / as ``SCHED_IDLE``, set by the warmer's own ``lower_priority``), and the tasks' wall times
are compared. Rounds alternate the three cases so a change in the shared machine's load hits all of them.

``--task hash`` (the default) hashes 4 KB over and over: its data stay in the core's own cache. ``--task arrays``
gathers and counts over 32 MB numpy arrays, as the analyses do: it also needs the memory bandwidth and the
shared cache, which no scheduling priority reserves for it (the spinner then does the same work).

Run: ``python -m bench.warmer_priority [--seconds 8] [--rounds 3] [--task hash|arrays] [--no-write]``.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import multiprocessing as mp
import os
import random
import statistics
import time

import numpy as np

from bench.results_file import load_average, write_section
from dashboard_app.snapshot import warm

SECTION = "Warm-up priority: a CPU-bound process beside two serving ones"
SECTION_ARRAYS = "Warm-up priority: an array-bound process beside two serving ones"
TASK_TEXT = {
    "hash": "A task hashes 4 KB over and over (its data stay in the core's own cache).",
    "arrays": "A task gathers 100,000 random values of a 32 MB array and counts them, again and again, as the "
    "analyses do (memory-bound); the spinner does the same work.",
}
TASKS = tuple(TASK_TEXT)
TASK_S = 0.010
"""The CPU time of one task (calibrated at start)."""
GAP_S = 0.012
"""The mean pause between one process's tasks (exponential): each process is busy about half the time."""
CASES = ("none", "nice 19", "SCHED_IDLE")


def _work(rounds: int, task: str = "hash") -> object:
    if task == "arrays":
        values, picks = _arrays()
        return [np.bincount(values[picks] % 512, minlength=512) for _ in range(rounds)]
    data = b"a" * 4096
    for _ in range(rounds):
        data = hashlib.sha1(data).digest() * 205
    return data


@functools.cache
def _arrays() -> tuple[np.ndarray, np.ndarray]:
    """32 MB of values and 100,000 random positions into them (built once per process)."""
    rng = np.random.default_rng(os.getpid())
    return rng.integers(0, 1 << 20, 4_000_000), rng.integers(0, 4_000_000, 100_000)


def _calibrate(task: str = "hash") -> int:
    """How many rounds of :func:`_work` take :data:`TASK_S` here (best of 5)."""
    probe = 2000 if task == "hash" else 20
    _work(1, task)
    best = min(_timed(lambda: _work(probe, task)) for _ in range(5))
    return max(1, int(probe * TASK_S / best))


def _timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def _serve(seconds: float, rounds: int, seed: int, out: mp.Queue, task: str = "hash") -> None:
    rng = random.Random(seed)
    times = []
    _work(1, task)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        times.append(_timed(lambda: _work(rounds, task)))
        time.sleep(rng.expovariate(1 / GAP_S))
    out.put(times)


def _spin(case: str, task: str = "hash") -> None:
    if case == "nice 19":
        os.nice(warm.LOW_PRIORITY)
    elif case == "SCHED_IDLE":
        policy = warm.lower_priority()
        if policy != "SCHED_IDLE":
            raise SystemExit(f"SCHED_IDLE refused here ({policy})")
    while True:
        _work(1000 if task == "hash" else 10, task)


def run_case(case: str, seconds: float, rounds: int, seed: int, task: str = "hash") -> list[float]:
    """Task wall times of two serving processes for ``seconds`` beside a spinning process (or none)."""
    spinner = None
    if case != "none":
        spinner = mp.Process(target=_spin, args=(case, task), daemon=True)
        spinner.start()
    out: mp.Queue = mp.Queue()
    servers = [mp.Process(target=_serve, args=(seconds, rounds, seed + i, out, task)) for i in range(2)]
    for p in servers:
        p.start()
    times = [t for _ in servers for t in out.get()]
    for p in servers:
        p.join()
    if spinner is not None:
        spinner.terminate()
        spinner.join()
    return times


def _p(times: list[float], q: float) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0, help="per case and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--task", choices=TASKS, default="hash", help="what each task does (module docstring)")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    rounds = _calibrate(args.task)
    times: dict[str, list[float]] = {case: [] for case in CASES}
    loads = [load_average()]
    for r in range(args.rounds):
        for case in CASES:
            times[case] += run_case(case, args.seconds, rounds, seed=100 * r, task=args.task)
        loads.append(load_average())
    base50, base95 = statistics.median(times["none"]), _p(times["none"], 0.95)
    rows = [
        f"| {case} | {len(ts)} | {1000 * statistics.median(ts):.1f} ms ({statistics.median(ts) / base50:.2f}) | "
        f"{1000 * _p(ts, 0.95):.1f} ms ({_p(ts, 0.95) / base95:.2f}) |"
        for case, ts in times.items()
    ]
    body = "\n".join(
        [
            f"`python -m bench.warmer_priority --seconds {args.seconds:g} --rounds {args.rounds}"
            + ("`" if args.task == "hash" else f" --task {args.task}`"),
            "",
            f"Two processes each run {1000 * TASK_S:.0f} ms CPU tasks with exponential pauses (mean "
            f"{1000 * GAP_S:.0f} ms) for {args.seconds:g} s per case and round, beside a third that spins at the "
            "given priority (the warm-up's process sets its own with `warm.lower_priority`); rounds alternate the "
            f"cases. {TASK_TEXT[args.task]} Task wall time, ratio to no spinner in brackets; load before and after "
            f"each round: {'; '.join(loads)}.",
            "",
            "| Spinner | tasks | p50 | p95 |",
            "|---|---|---|---|",
            *rows,
        ]
    )
    print(body)
    if not args.no_write:
        write_section(SECTION if args.task == "hash" else SECTION_ARRAYS, body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
