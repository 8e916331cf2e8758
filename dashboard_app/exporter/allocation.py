"""How the export process allocates: memory it frees goes back to the system, not into allocator caches.

An export allocates and frees a batch's arrays ~40 times, then the publisher reads the snapshot
back. With the defaults, glibc raises its mmap threshold after the first large ``free`` (later
large arrays then come from the heap and stay resident after they are freed) and pyarrow's
mimalloc pool keeps freed pages: measured at full scale, ~170 MB of freed memory stayed resident
and added to every later stage's peak. :func:`return_freed_memory` fixes both for this process:
glibc tuned as in the gunicorn master (``dashboard_app/allocator.py``; an operator's ``MALLOC_*``
variables win), and Arrow allocating through malloc (an operator's ``ARROW_DEFAULT_MEMORY_POOL`` wins).
"""

from __future__ import annotations

import ctypes
import ctypes.util

from dashboard_app.allocator import arrow_through_malloc, tune_malloc


def return_freed_memory() -> dict[str, int]:
    """Tune glibc malloc (see ``allocator.tune_malloc``) and make Arrow allocate through it.

    Returns the glibc settings applied (empty elsewhere than glibc, e.g. musl: nothing to change).
    """
    arrow_through_malloc()
    return tune_malloc()


def trim() -> None:
    """Give the heap's free pages back to the system (between stages; glibc only, else nothing)."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name or "libc.so.6")
    except OSError:
        return
    if hasattr(libc, "malloc_trim"):
        libc.malloc_trim(0)
