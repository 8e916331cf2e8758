"""gunicorn configuration for the NEO Discovery Statistics Explorer (every value from the settings table).

Run: ``gunicorn -c gunicorn.conf.py`` (``make run`` and ``neo-explorer serve`` do). Choices:
- ``preload_app``: code loads once in the master and workers share it copy-on-write;
  ``gc.freeze()`` before each fork keeps the collector from touching (and so copying) those
  pages; the collector is off while the app loads (it costs start-up CPU and finds nothing).
  scipy/statsmodels (the Follow-up tab's survival analysis) load here too although they cost ~0.5 s of
  start-up CPU: imported lazily, each worker would hold its own ~54 MB (measured: private dirty pages
  of ``import scipy.stats`` in a forked child) instead of sharing one copy. Snapshot data are
  memory-mapped Arrow files (``dashboard_app/snapshot/frames.py``), shared
  through the page cache by every process after any number of swaps. Before each fork the master
  switches to the current snapshot (cheap: a mapping), so a recycled worker serves it at once; between
  forks it follows the pointer on a SIGALRM timer (``when_ready``), so after a swap no process keeps the
  old companion mapped. Once a swap has been served in place and its warm-up is over, the same timer
  replaces the workers forked before it by fresh forks, one per poll interval (SWAP_REFRESH_WORKERS,
  ``dashboard_app/web/worker_refresh.py``): they share the master's pages again instead of each keeping
  the memory the old snapshot's results left.
  The first worker forks at once; before a fork while another worker serves, the master computes every tab's
  page and default view on its snapshot (``pre_fork``, once per snapshot, ~0.4 s at full scale), and after a
  swap it loads the warm-up's results before the refresh forks: each of those workers starts with them and
  with the code paths that made them already run, in pages it shares (~8 MB less private memory per worker
  after load, measured by ``bench.memory_probe``).
  Per-worker resources (the snapshot store's watcher thread) start in ``post_fork``.
- ``gthread`` workers: requests are CPU-bound pandas work plus I/O to the browser; threads share
  the worker's memo caches.
- ``graceful_timeout`` (GRACEFUL_TIMEOUT, default 8 s) stays below Docker's / Dokploy's default stop
  grace period of 10 s, so in-flight requests finish before the orchestrator's SIGKILL. Raise both
  together.
- ``max_requests`` (MAX_REQUESTS, default 0: never): the workers' memory is bounded by MEMO_MAX_MB
  and the snapshot is shared, so recycling is only insurance; when set, 10 % jitter keeps workers
  from recycling all at once, and a recycled worker serves the current snapshot at once.
- Non-root with a read-only home: no control socket (gunicorn 27 puts it in ~/.gunicorn), worker
  heartbeat files in /dev/shm (or the temp dir), no pid file, logs to stdout.
- The ``Server`` header: gunicorn always sends ``Server: gunicorn`` (the product, never its version)
  and has no setting to change it; we leave it (patching gunicorn's private ``Response`` breaks on
  upgrade). A proxy in front can drop it (DEPLOYMENT.md, step 6).
- Memory: glibc malloc is tuned first thing, in the master (``dashboard_app/allocator.py``): large
  temporaries are mapped and unmapped instead of parked in per-thread heap arenas, so a worker gives
  back what a request freed (measured: a worker kept ~128 MB of free heap after 2 minutes of the
  traffic model with glibc's defaults; each worker paid it privately). Forked workers inherit it;
  MALLOC_ARENA_MAX / MALLOC_MMAP_THRESHOLD_ / MALLOC_TRIM_THRESHOLD_ in the environment win. pyarrow
  (pandas' string columns) allocates through that malloc too, not its mimalloc pool, which keeps what it
  freed; ARROW_DEFAULT_MEMORY_POOL in the environment wins.
- Metrics (when OPERATOR_TOKEN or METRICS_PORT is set): prometheus_client's multiprocess mode in
  METRICS_DIR (on the tmpfs), emptied at start; hooks count worker starts and exits and fold a dead
  worker's files (``dashboard_app/observability/multiprocess.py``); METRICS_PORT is a second bind.
"""

from __future__ import annotations

import contextlib
import gc
import os
import signal
import sys
import tempfile
import time

# Loading the app creates ~300,000 long-lived objects; the collector's passes over them while they
# accumulate cost ~20 % of the start's CPU and find next to nothing (measured: 3.6 → 2.9 CPU-s at load ~20;
# one collection afterwards frees ~2,000 objects). Switched off while loading, back on at the first fork,
# after gc.freeze() (pre_fork).
gc.disable()

from dashboard_app.allocator import arrow_through_malloc, tune_malloc  # noqa: E402

tune_malloc()  # before the app allocates anything large: every worker forked later inherits it
arrow_through_malloc()  # pandas' Arrow string columns allocate through that tuned malloc, not mimalloc

from dashboard_app.settings import SettingsError, load_settings  # noqa: E402
from dashboard_app.web.logs import gunicorn_logconfig  # noqa: E402
from dashboard_app.web.worker_refresh import WorkerRefresh  # noqa: E402

try:
    _settings = load_settings()
except SettingsError as _exc:
    print(f"neo-explorer: {_exc}", file=sys.stderr)
    sys.exit(2)

_host = f"[{_settings.host}]" if ":" in _settings.host and not _settings.host.startswith("[") else _settings.host

wsgi_app = "dashboard_app.wsgi:server"
bind = [f"{_host}:{_settings.port}"]
worker_class = "gthread"
workers = _settings.workers
threads = _settings.threads
timeout = _settings.timeout
graceful_timeout = _settings.graceful_timeout
keepalive = 5
max_requests = _settings.max_requests
max_requests_jitter = _settings.max_requests // 10
preload_app = True
forwarded_allow_ips = _settings.forwarded_allow_ips
proc_name = "neo-explorer"
worker_tmp_dir = "/dev/shm" if os.access("/dev/shm", os.W_OK) else tempfile.gettempdir()
control_socket_disable = True
loglevel = _settings.log_level
logconfig_dict = gunicorn_logconfig(_settings.log_level, _settings.log_format)
WARM_BEFORE_FORK_S = 1.0
"""At most this long (plus one view) computing the default views in the master before a fork (``pre_fork``)."""
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms request_id=%({x-request-id}o)s'


def pre_fork(server, worker):
    """Map the current snapshot in the master; while another worker serves, compute its default views here first
    (once per snapshot); then freeze what it loaded so workers keep sharing those pages."""
    from dashboard_app.wsgi import server as flask_server

    store = flask_server.extensions["neo_store"]
    store.before_fork()
    if server.WORKERS:  # never while no worker serves (the first one, or a lone one replaced): no visitor waits
        started = time.monotonic()
        try:
            views = store.warm_here(WARM_BEFORE_FORK_S)
        except Exception:  # never let a fork fail for it: the worker computes them on first use instead
            server.log.exception("snapshot store: the master could not compute the default views")
            views = 0
        if views:
            server.log.info(
                "computed the default views of %d tabs before forking in %.2f s", views, time.monotonic() - started
            )
    gc.freeze()
    gc.enable()  # off while the app loaded (above); the frozen objects are never scanned again


def when_ready(server):
    """The master follows new snapshots on a timer (SIGALRM every poll interval, or sooner when a worker sees a
    new pointer; threads must not cross a fork), so after a swap it does not keep the old companion mapped
    beside the workers' new one, and it starts the new snapshot's warm-up."""
    from dashboard_app.wsgi import server as flask_server

    store = flask_server.extensions["neo_store"]
    # Before the workers fork: each new snapshot is warmed in a process forked from here (snapshot/warm.py),
    # which must not keep the listening sockets open (a restarted server could not bind them meanwhile).
    store.warm_in_master(close_in_child=lambda: [listener.close() for listener in server.LISTENERS])

    refresh = WorkerRefresh(store.poll_interval_s) if _settings.swap_refresh_workers else None
    served = [store.snapshot_id]

    def follow(_signum, _frame):
        try:
            store.follow_in_master()
            store.hold_warm_in_master()  # before the refresh forks: they share the warmed results
            if refresh is not None:
                _refresh_workers(server, store, refresh, served)
        except Exception:  # never let the master die of it: the workers serve regardless
            server.log.exception("snapshot store: the master could not follow the pointer")

    signal.signal(signal.SIGALRM, follow)
    signal.setitimer(signal.ITIMER_REAL, store.poll_interval_s, store.poll_interval_s)


def _refresh_workers(server, store, refresh, served):
    """After a swap, replace the workers forked before it by fresh forks of the master, one per poll interval
    (``dashboard_app/web/worker_refresh.py``), through gunicorn's own signals for one more or one fewer worker."""
    if store.snapshot_id != served[0]:  # switched here, by this timer or before a fork (a recycled worker)
        served[0] = store.snapshot_id
        refresh.swapped(server.WORKERS)
        server.log.info(
            "replacing the %d workers forked before snapshot %s by fresh forks, one every %g s",
            refresh.pending,
            served[0],
            refresh.interval_s,
        )
    workers = {pid: w.age for pid, w in server.WORKERS.items()}
    extra = server.num_workers > server.cfg.workers  # the one we added runs: retiring one never goes below WORKERS
    step = refresh.step(workers, store.warm_settled(), time.monotonic(), extra=extra)
    if step.retire is not None:
        if _metrics_on:
            _metrics.mark_replaced(step.retire)
        server.log.info(
            "replacing worker %d, forked before snapshot %s (%d more to go)", step.retire, served[0], refresh.pending
        )
        os.kill(os.getpid(), signal.SIGTTOU)  # gunicorn stops its oldest worker gracefully
    if step.add:
        os.kill(os.getpid(), signal.SIGTTIN)  # a fresh fork, on the master's snapshot
    if step.drain is not None:  # the worker retired next closes its kept-alive connections meanwhile
        with contextlib.suppress(ProcessLookupError):  # it exited on its own: gunicorn replaced it already
            os.kill(step.drain, signal.SIGUSR2)


def on_exit(server):
    """Disarm the master's timer: at interpreter exit its handler is gone and a late SIGALRM would kill the master."""
    signal.setitimer(signal.ITIMER_REAL, 0)


def post_fork(server, worker):
    """Start per-worker resources: the snapshot store's watcher (threads must not cross a fork)."""
    from dashboard_app.wsgi import server as flask_server

    signal.signal(signal.SIGALRM, signal.SIG_DFL)  # the master's timer is not inherited; nor is its handler
    flask_server.extensions["neo_store"].start()


# --- metrics (issue #19): multiprocess mode for prometheus_client, set before the app is imported ---
from dashboard_app.observability import multiprocess as _metrics  # noqa: E402
from dashboard_app.web.operator import operator_access_configured  # noqa: E402

_metrics_on = operator_access_configured(_settings)
if _metrics_on:
    _metrics.enable(_metrics.metrics_dir(_settings))
    if _settings.metrics_port:
        bind.append(f"{_host}:{_settings.metrics_port}")


def on_starting(server):
    """Empty the metrics directory: a restart starts counting from zero."""
    if _metrics_on:
        _metrics.on_starting(server)


def post_worker_init(worker):
    """Count the worker's start; on SIGUSR2 from the master (which retires this worker next, SWAP_REFRESH_WORKERS),
    drain: answer every request with ``Connection: close``. (Not SIGWINCH, which gunicorn's worker ignores: a
    terminal sends that to the whole process group when resized.)"""
    signal.signal(signal.SIGUSR2, lambda _signum, _frame: _drain(worker))
    if _metrics_on:
        _metrics.post_worker_init(worker)


def _drain(worker):
    """Close each kept-alive connection after its next answer, so no visitor's next request meets a connection
    dropped by the worker's stop. gthread closes a connection after its answer once it keeps ``max_keepalived``
    of them: 0 from now on. (Not ``keepalive`` 0: that would also close at once a connection whose answer had
    just announced keep-alive, on which the client may be sending its next request already.) Those idle longer
    than ``keepalive`` are closed by their timeout meanwhile."""
    if getattr(worker, "max_keepalived", 0):
        worker.max_keepalived = 0
        worker.log.info("worker %d drains its kept-alive connections: the master replaces it next", worker.pid)
    elif not hasattr(worker, "max_keepalived"):
        worker.log.warning("worker %d cannot drain its connections (%s)", worker.pid, type(worker).__name__)


def worker_abort(worker):
    """Count a timed-out worker's exit."""
    if _metrics_on:
        _metrics.worker_abort(worker)


def worker_exit(server, worker):
    """Count the worker's exit (recycled by max_requests, or shut down)."""
    if _metrics_on:
        _metrics.worker_exit(server, worker)


def child_exit(server, worker):
    """Fold the dead worker's metric files."""
    if _metrics_on:
        _metrics.child_exit(server, worker)
