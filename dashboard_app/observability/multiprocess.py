"""prometheus_client's multiprocess mode under gunicorn: its directory, the hooks that keep it clean.

Each gunicorn worker writes its metric values to small memory-mapped files named after its pid in
``METRICS_DIR``; ``/metrics`` merges all of them, whichever worker answers. ``gunicorn.conf.py``
calls :func:`enable` before the app is imported (prometheus_client picks its value class from the
environment on first use) and wires the hooks:

- ``on_starting`` (:func:`on_starting`): empty the directory, so a restart never adds up the
  previous run's counters;
- ``post_worker_init`` / ``worker_exit`` / ``worker_abort``: a worker counts its own start and exit
  (``max_requests`` recycling, timeout, replacement after a swap, shutdown);
- ``child_exit`` (:func:`child_exit`, in the master): drop the dead worker's ``live*`` gauges and fold
  its counters and histograms into one ``*_archive.db`` file per type, so recycled workers do not
  pile up files that every scrape must read. A lock file keeps a scrape from reading the archive
  and the folded file at once (which would count them twice).
"""

from __future__ import annotations

import fcntl
import glob
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ENV = "PROMETHEUS_MULTIPROC_DIR"
LOCK_NAME = ".scrape.lock"
ARCHIVE_ID = "archive"
REPLACED_PREFIX = "replaced-"
"""Marker files (``replaced-<pid>``) of workers the master stops to replace them after a swap."""
FOLDED_TYPES = ("counter", "histogram")
"""Types whose values add up across processes, so a dead worker's values can be folded into an archive."""


def metrics_dir(settings: Any) -> Path:
    """``METRICS_DIR``, or ``neo-explorer-metrics-<PORT>`` in the temp directory (the container's tmpfs)."""
    return settings.metrics_dir or Path(tempfile.gettempdir()) / f"neo-explorer-metrics-{settings.port}"


def enable(path: Path) -> Path:
    """Use multiprocess mode with ``path`` in this process and the workers it forks (call before any metric exists)."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.environ[ENV] = str(path)
    from prometheus_client import values

    if not getattr(values.ValueClass, "_multiprocess", False):  # prometheus_client was imported before the env
        values.ValueClass = values.MultiProcessValue()
    return path


def current_dir() -> Path | None:
    """The multiprocess directory of this process, or None in single-process mode."""
    value = os.environ.get(ENV)
    return Path(value) if value else None


@contextmanager
def _locked(path: Path, mode: int) -> Iterator[None]:
    fd = os.open(path / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, mode)
        yield
    finally:
        os.close(fd)


def scrape_lock(path: Path) -> Any:
    """Shared lock held while ``/metrics`` reads the files (folding takes it exclusively)."""
    return _locked(path, fcntl.LOCK_SH)


def clear(path: Path) -> None:
    """Remove every metric file (at start: the previous run's values must not count)."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    for name in glob.glob(str(path / "*.db")) + glob.glob(str(path / f"{REPLACED_PREFIX}*")):
        os.remove(name)


def fold_dead_worker(path: Path, pid: int) -> None:
    """Drop ``pid``'s live gauges and add its counters and histograms into the archive files."""
    from prometheus_client import multiprocess
    from prometheus_client.mmap_dict import MmapedDict

    multiprocess.mark_process_dead(pid, str(path))
    with _locked(path, fcntl.LOCK_EX):
        for typ in FOLDED_TYPES:
            dead = path / f"{typ}_{pid}.db"
            if not dead.exists():
                continue
            archive = path / f"{typ}_{ARCHIVE_ID}.db"
            totals: dict[str, float] = {}
            for source in (archive, dead):
                if source.exists():
                    for key, value, _timestamp, _pos in MmapedDict.read_all_values_from_file(str(source)):
                        totals[key] = totals.get(key, 0.0) + value
            tmp = path / f".{typ}_{ARCHIVE_ID}.tmp"  # not *.db: a scrape never globs it
            tmp.unlink(missing_ok=True)
            folded = MmapedDict(str(tmp))
            try:
                for key, value in totals.items():
                    folded.write_value(key, value, 0.0)
            finally:
                folded.close()
            os.replace(tmp, archive)
            dead.unlink()
        for other in glob.glob(str(path / f"*_{pid}.db")):  # gauges of non-live modes: not used here
            os.remove(other)
    _replaced_marker(path, pid).unlink(missing_ok=True)


# --- gunicorn hooks (gunicorn.conf.py wires them when metrics are on) ----------------------------


def on_starting(server: Any) -> None:
    """Master, before the first worker: empty the directory."""
    path = current_dir()
    if path is not None:
        clear(path)


def _recorder() -> Any:
    from dashboard_app.wsgi import server as flask_server

    return flask_server.extensions.get("neo_metrics")


def post_worker_init(worker: Any) -> None:
    """Worker, ready to serve: count the start."""
    recorder = _recorder()
    if recorder is not None:
        recorder.worker_started()


def worker_abort(worker: Any) -> None:
    """Worker, timed out (SIGABRT): count the exit before gunicorn ends it."""
    recorder = _recorder()
    if recorder is not None and not getattr(worker, "_neo_exit_counted", False):
        worker._neo_exit_counted = True
        recorder.worker_exited("timeout")


def _replaced_marker(path: Path, pid: int) -> Path:
    return path / f"{REPLACED_PREFIX}{pid}"


def mark_replaced(pid: int) -> None:
    """Master, about to stop worker ``pid`` to replace it after a swap: its exit will count as ``replaced``."""
    path = current_dir()
    if path is not None:
        _replaced_marker(path, pid).touch(mode=0o600)


def worker_exit(server: Any, worker: Any) -> None:
    """Worker, leaving: count the exit as recycling (``max_requests`` reached), replacement after a swap (the
    master marked it) or shutdown."""
    if os.getpid() != worker.pid or getattr(worker, "_neo_exit_counted", False):
        return  # gunicorn also calls this in the master for a worker that vanished
    recorder = _recorder()
    if recorder is not None:
        worker._neo_exit_counted = True
        path = current_dir()
        if worker.nr >= worker.max_requests:
            reason = "max_requests"
        elif path is not None and _replaced_marker(path, worker.pid).exists():
            reason = "replaced"
        else:
            reason = "shutdown"
        recorder.worker_exited(reason)


def child_exit(server: Any, worker: Any) -> None:
    """Master, a worker has exited: fold its files."""
    path = current_dir()
    if path is not None:
        try:
            fold_dead_worker(path, worker.pid)
        except Exception:  # never let bookkeeping break the master
            server.log.exception("metrics: cannot fold the files of worker %s", worker.pid)
