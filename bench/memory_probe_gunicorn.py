"""gunicorn configuration for ``bench.memory_probe`` only: the production ``gunicorn.conf.py`` unchanged, plus a
SIGUSR2 handler in each worker that writes the worker's memory facts to ``$PROBE_DIR/probe-<pid>.json``.

Never used by the app: a benchmark's instrument, so the probe cannot change what production runs.
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import sys
import tracemalloc
from pathlib import Path
from typing import Any

_PRODUCTION = Path(__file__).resolve().parents[1] / "gunicorn.conf.py"
exec(compile(_PRODUCTION.read_text(), str(_PRODUCTION), "exec"))  # every setting and hook of production

_production_post_worker_init = post_worker_init  # type: ignore[name-defined]  # noqa: F821  (defined by the exec)
_MB = 2**20
_modules_at_start: set[str] = set()


class _MallInfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in (
            "arena",
            "ordblks",
            "smblks",
            "hblks",
            "hblkhd",
            "usmblks",
            "fsmblks",
            "uordblks",
            "fordblks",
            "keepcost",
        )
    ]


def _facts() -> dict[str, Any]:
    from dashboard_app.wsgi import server as flask_server

    facts: dict[str, Any] = {"pid": os.getpid()}
    facts["new_modules"] = sorted(set(sys.modules) - _modules_at_start)  # imported by this worker, not the master
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallinfo2.restype = _MallInfo2
        info = libc.mallinfo2()
        facts["malloc"] = {k: round(getattr(info, k) / _MB, 1) for k in ("arena", "hblkhd", "uordblks", "fordblks")}
    except (OSError, AttributeError):  # not glibc
        facts["malloc"] = {}
    import pyarrow as pa

    facts["arrow_peak"] = round(pa.default_memory_pool().max_memory() / _MB, 1)
    memo = flask_server.extensions["neo_store"].memo_cache
    facts["memo"] = round(memo.stats().bytes / _MB, 1)
    by_name: dict[str, float] = {}
    with memo._lock:  # request threads add and evict meanwhile
        entries = list(memo._entries.items())
    for key, (_value, size) in entries:
        by_name[str(key[1])] = by_name.get(str(key[1]), 0.0) + size / _MB
    facts["memo_by_name"] = {k: round(v, 2) for k, v in by_name.items()}
    if tracemalloc.is_tracing():  # PROBE_TRACEMALLOC: what the worker allocated since it started, by line
        stats = tracemalloc.take_snapshot().statistics("lineno")
        facts["traced_mb"] = round(sum(s.size for s in stats) / _MB, 1)
        facts["traced_top"] = [[str(s.traceback[0]), round(s.size / _MB, 2), s.count] for s in stats[:15]]
    return facts


def _write_facts(_signum: int, _frame: Any) -> None:
    directory = Path(os.environ.get("PROBE_DIR", "/tmp"))
    tmp = directory / f".probe-{os.getpid()}.json"
    tmp.write_text(json.dumps(_facts()))
    os.replace(tmp, directory / f"probe-{os.getpid()}.json")


def post_worker_init(worker):  # type: ignore[no-redef]
    """Production's hook, then the probe's handler (gunicorn resets worker signals before this hook)."""
    _production_post_worker_init(worker)
    signal.signal(signal.SIGUSR2, _write_facts)
    _modules_at_start.update(sys.modules)
    if os.environ.get("PROBE_TRACEMALLOC"):  # trace only what this worker allocates from now on
        tracemalloc.start(int(os.environ["PROBE_TRACEMALLOC"]))
