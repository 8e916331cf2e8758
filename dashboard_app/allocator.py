"""glibc malloc tuning for the long-lived gunicorn processes: return freed memory instead of keeping it.

Measured under the recorded traffic model (bench/memory.py, issue #11): with glibc's defaults, a
worker's heap held ~128 MB of *free* memory after two minutes (``mallinfo2().fordblks``) beside
~120 MB in use. Analysis temporaries (pandas/numpy arrays of 0.1–30 MB) are freed at once, but
glibc raises its mmap threshold after the first large free (up to 32 MB), so later arrays come
from the heap arenas, whose holes are rarely returned to the system; each of the worker's threads
may also get an arena of its own. Every worker paid that privately, so total memory grew with the
worker count. Three settings, made once in the gunicorn master before the app loads (forked
workers inherit them):

- ``M_MMAP_THRESHOLD`` fixed at 128 KiB (which also stops the dynamic raise): large blocks are
  mapped and unmapped, never parked in an arena;
- ``M_TRIM_THRESHOLD`` 128 KiB: free memory at the top of the heap goes back promptly;
- ``M_ARENA_MAX`` 2: the worker's threads share two arenas (the GIL serialises most allocation anyway).

A variable an operator set (``MALLOC_ARENA_MAX``, ``MALLOC_MMAP_THRESHOLD_``, ``MALLOC_TRIM_THRESHOLD_``;
glibc reads them at start) wins over the value here. Elsewhere than glibc (musl, macOS) nothing is done.

The warm-up after a swap (``snapshot/warm.py``) is the exception: a process forked from the master that lives
a few seconds, computing beside the serving workers. Mapping each large temporary costs it a page fault per
4 KiB and the kernel's zero-filling of every page, a fifth of its time, so it favours speed instead
(:func:`favour_speed`); what it keeps goes back when it exits.

Arrow (:func:`arrow_through_malloc`): pandas' string columns are Arrow arrays, and their operations
allocate from pyarrow's default pool, mimalloc, which keeps the pages it freed (a process that made
and freed 150 MB of Arrow buffers held 170 MB more afterwards; through malloc tuned as above, 0.1 MB).
Under the recorded traffic model (20 users, 90 s, 2 workers) master and workers held 440 MB PSS with
mimalloc and 411 MB through malloc (master 136 → 122 MB); ``bench.memory``: 663 → 560 MB with 4 workers.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
from collections.abc import Mapping

log = logging.getLogger(__name__)

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
M_ARENA_MAX = -8

ARROW_POOL_VARIABLE = "ARROW_DEFAULT_MEMORY_POOL"
"""pyarrow's own variable naming its default pool (``system``, ``mimalloc``, ``jemalloc``); an operator's wins."""

TUNING: dict[str, tuple[int, int]] = {
    "MALLOC_MMAP_THRESHOLD_": (M_MMAP_THRESHOLD, 128 * 1024),
    "MALLOC_TRIM_THRESHOLD_": (M_TRIM_THRESHOLD, 128 * 1024),
    "MALLOC_ARENA_MAX": (M_ARENA_MAX, 2),
}
"""Environment variable glibc would read → (``mallopt`` parameter, the value set here)."""

SPEED: dict[str, tuple[int, int]] = {
    "MALLOC_MMAP_THRESHOLD_": (M_MMAP_THRESHOLD, 32 * 1024 * 1024),
    "MALLOC_TRIM_THRESHOLD_": (M_TRIM_THRESHOLD, 256 * 1024 * 1024),
}
"""What :func:`favour_speed` sets instead, for a short-lived process (glibc's largest mmap threshold)."""


def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name or "libc.so.6")
    except OSError:
        return None
    return libc if hasattr(libc, "mallopt") and hasattr(libc, "gnu_get_libc_version") else None


def tune_malloc(environ: Mapping[str, str] = os.environ) -> dict[str, int]:
    """Apply :data:`TUNING` with ``mallopt`` (glibc only); returns what was set, by variable name."""
    return _apply(TUNING, environ)


def favour_speed(environ: Mapping[str, str] = os.environ) -> dict[str, int]:
    """In a short-lived process forked from a tuned one (the warm-up after a swap): keep freed temporaries in the
    heap for the next ones instead of mapping, zero-filling and unmapping each (:data:`SPEED`); its memory goes
    back when it exits. Measured on the 64 recorded views at full scale, in one process: 1.20 → 0.97 s, of which
    system time 0.20 → 0.00 s (235,000 → ~0 page faults); in ``bench.memory``'s warm-up under load: 2.03 s and
    1.94 CPU-s → 1.58 s and 1.53 CPU-s, its private memory 88 → 116 MB for those 1.6 s. An operator's variable
    wins, as for :func:`tune_malloc`. Returns what was set, by variable name."""
    return _apply(SPEED, environ)


def _apply(settings: Mapping[str, tuple[int, int]], environ: Mapping[str, str]) -> dict[str, int]:
    libc = _libc()
    if libc is None:
        return {}
    applied = {}
    for variable, (parameter, value) in settings.items():
        if variable in environ:
            continue  # the operator's value, already applied by glibc at start
        if libc.mallopt(ctypes.c_int(parameter), ctypes.c_int(value)) == 1:
            applied[variable] = value
        else:
            log.warning("mallopt(%d, %d) was refused; %s keeps glibc's default", parameter, value, variable)
    return applied


def arrow_through_malloc(environ: Mapping[str, str] = os.environ) -> str:
    """Make pyarrow allocate through malloc (tuned by :func:`tune_malloc`) unless ``ARROW_DEFAULT_MEMORY_POOL``
    names a pool; returns the name of the pool now in use."""
    import pyarrow as pa

    if ARROW_POOL_VARIABLE not in environ:
        pa.set_memory_pool(pa.system_memory_pool())
    return str(pa.default_memory_pool().backend_name)
