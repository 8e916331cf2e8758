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

Free memory inside the heap (:func:`release_free_memory_every`): small blocks (chart results kept in the
memo, pandas' objects) stay in the arenas, and a hole between two live blocks is never at the top of the heap,
so ``M_TRIM_THRESHOLD`` cannot return it. Under 20 users varying every control, a worker's heap held
2 → 31 MB of such free memory over 5 minutes while the memo filled. A worker's thread asks glibc for the
figure every few seconds and, above a threshold, calls ``malloc_trim``, which gives back every whole free
page inside the arenas too (a few ms for a heap of this size).

A variable an operator set (``MALLOC_ARENA_MAX``, ``MALLOC_MMAP_THRESHOLD_``, ``MALLOC_TRIM_THRESHOLD_``;
glibc reads them at start) wins over the value here. Elsewhere than glibc (musl, macOS) nothing is done.

Arrow (:func:`arrow_through_malloc`): pandas' string columns are Arrow arrays, and their operations
allocate from pyarrow's default pool, mimalloc, which keeps the pages it freed (a process that made
and freed 150 MB of Arrow buffers held 170 MB more afterwards; through malloc tuned as above, 0.1 MB).
Under the recorded traffic model (20 users, 90 s, 2 workers) master and workers held 440 MB PSS with
mimalloc and 411 MB through malloc (master 136 → 122 MB); ``bench.memory``: 663 → 560 MB with 4 workers.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import logging
import os
import threading
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


@functools.cache
def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name or "libc.so.6")
    except OSError:
        return None
    return libc if hasattr(libc, "mallopt") and hasattr(libc, "gnu_get_libc_version") else None


_MALLINFO2 = ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in _MALLINFO2]


RELEASE_EVERY_S = 5.0
RELEASE_ABOVE_BYTES = 8 * 2**20
"""A worker gives its heap's free memory back when this much more of it is free than after the last release
(checked every RELEASE_EVERY_S): released pages stay counted as free, so the figure alone would trim forever."""


def free_heap_bytes() -> int | None:
    """Bytes free but kept inside malloc's arenas (glibc ≥ 2.33 ``mallinfo2().fordblks``), None elsewhere."""
    libc = _libc()
    if libc is None or not hasattr(libc, "mallinfo2"):
        return None
    libc.mallinfo2.restype = _MallInfo2
    return int(libc.mallinfo2().fordblks)


def release_free_memory() -> bool:
    """Give every whole free page of the heap back to the system (glibc ``malloc_trim(0)``); False elsewhere."""
    libc = _libc()
    if libc is None or not hasattr(libc, "malloc_trim"):
        return False
    libc.malloc_trim(0)
    return True


def release_free_memory_every(
    seconds: float = RELEASE_EVERY_S, above_bytes: int = RELEASE_ABOVE_BYTES, stop: threading.Event | None = None
) -> threading.Thread | None:
    """Start a daemon thread that, every ``seconds``, releases the heap's free memory when ``above_bytes`` more
    of it is free than after the last release (call in each worker after the fork; threads do not survive one).
    None where glibc's ``mallinfo2`` is missing."""
    if free_heap_bytes() is None:
        return None
    halt = stop or threading.Event()

    def run() -> None:
        level = 0  # free bytes after the last release (or the lowest since: holes were reused)
        while not halt.wait(seconds):
            free = free_heap_bytes() or 0
            if free - level > above_bytes:
                release_free_memory()
                level = free_heap_bytes() or 0
            else:
                level = min(level, free)

    thread = threading.Thread(target=run, name="malloc-release", daemon=True)
    thread.start()
    return thread


def tune_malloc(environ: Mapping[str, str] = os.environ) -> dict[str, int]:
    """Apply :data:`TUNING` with ``mallopt`` (glibc only); returns what was set, by variable name."""
    libc = _libc()
    if libc is None:
        return {}
    applied = {}
    for variable, (parameter, value) in TUNING.items():
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
