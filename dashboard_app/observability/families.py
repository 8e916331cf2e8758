"""The app's metrics recorded per request and per worker (names, labels, buckets: one place).

Built once per process (:func:`families`), never at import: under gunicorn's ``preload_app`` the
master must not create metric values (they would be files of the master's pid, counted as a live
worker by the ``live*`` gauges). In prometheus_client's multiprocess mode the values go to files
in ``PROMETHEUS_MULTIPROC_DIR`` and ``/metrics`` merges every process's files; otherwise
(one process: tests, ``python -m``) they live in this process and :attr:`Families.registry` holds them.

Gauges say how workers combine: ``livesum`` (added up over live workers), ``livemax``/``livemin``.
Counters and histograms of workers that exited keep counting (their files stay; see
``multiprocess.py``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

PREFIX = "neo"
HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
"""Request latency buckets (s): static files in ms, cold callbacks in seconds, up to the worker timeout."""
REJECTED_CODES = ("400", "413", "429")
"""Answers that mean a request was refused before it reached a callback: bad payload, too large, rate limit."""
EXIT_REASONS = ("max_requests", "timeout", "replaced", "shutdown")


def multiprocess_mode() -> bool:
    """True when prometheus_client writes values to files shared by gunicorn's workers."""
    from prometheus_client import values

    return bool(getattr(values.ValueClass, "_multiprocess", False))


@dataclass
class Families:
    """Every metric this process records; ``registry`` is None in multiprocess mode (files hold the values)."""

    registry: CollectorRegistry | None
    pid: int = field(default_factory=os.getpid)
    http_requests: Any = None
    http_duration: Any = None
    http_rejected: Any = None
    callback_requests: Any = None
    callback_duration: Any = None
    snapshot_served: Any = None
    snapshot_created: Any = None
    snapshot_load: Any = None
    snapshot_swaps: Any = None
    snapshot_refusals: Any = None
    snapshot_refused_files: Any = None
    memo_bytes: Any = None
    memo_max_bytes: Any = None
    memo_entries: Any = None
    memo_hits: Any = None
    memo_misses: Any = None
    memo_evictions: Any = None
    worker_starts: Any = None
    worker_exits: Any = None
    workers: Any = None


def build_families() -> Families:
    """Create the metric objects for this process (in multiprocess mode: no registry, files instead)."""
    registry = None if multiprocess_mode() else CollectorRegistry(auto_describe=True)
    n = PREFIX
    f = Families(registry)
    f.http_requests = Counter(
        f"{n}_http_requests",
        "HTTP requests answered, by route, method and status class.",
        ["route", "method", "status"],
        registry=registry,
    )
    f.http_duration = Histogram(
        f"{n}_http_request_duration_seconds",
        "Time to answer an HTTP request, by route and method.",
        ["route", "method"],
        buckets=HTTP_BUCKETS,
        registry=registry,
    )
    f.http_rejected = Counter(
        f"{n}_http_rejected",
        "Requests refused before the app handled them: 400 bad payload, 413 too large, 429 rate limited.",
        ["route", "code"],
        registry=registry,
    )
    f.callback_requests = Counter(
        f"{n}_callback_requests",
        "Dash callback requests, by tab, callback, chart and status class.",
        ["tab", "callback", "chart", "status"],
        registry=registry,
    )
    f.callback_duration = Histogram(
        f"{n}_callback_duration_seconds",
        "Time to answer a Dash callback request, by tab, callback and chart.",
        ["tab", "callback", "chart"],
        buckets=HTTP_BUCKETS,
        registry=registry,
    )
    f.snapshot_served = Gauge(
        f"{n}_snapshot_served",
        "Workers serving each snapshot id (two ids while a switch is in progress).",
        ["snapshot_id"],
        multiprocess_mode="livesum",
        registry=registry,
    )
    f.snapshot_created = Gauge(
        f"{n}_snapshot_created_timestamp_seconds",
        "Creation time of the oldest snapshot a live worker serves.",
        multiprocess_mode="livemin",
        registry=registry,
    )
    f.snapshot_load = Gauge(
        f"{n}_snapshot_load_seconds",
        "Time the served snapshot took to load (the slowest live worker).",
        multiprocess_mode="livemax",
        registry=registry,
    )
    f.snapshot_swaps = Counter(
        f"{n}_snapshot_swaps", "Switches to a newly published snapshot, counted per worker.", registry=registry
    )
    f.snapshot_refusals = Counter(
        f"{n}_snapshot_refusals",
        "Published snapshot files a worker refused (invalid), counted per worker.",
        registry=registry,
    )
    f.snapshot_refused_files = Gauge(
        f"{n}_snapshot_refused_files",
        "Snapshot files a live worker has refused since it started.",
        multiprocess_mode="livemax",
        registry=registry,
    )
    f.memo_bytes = Gauge(
        f"{n}_memo_bytes",
        "Estimated bytes held by the memo caches of live workers.",
        multiprocess_mode="livesum",
        registry=registry,
    )
    f.memo_max_bytes = Gauge(
        f"{n}_memo_max_bytes",
        "Byte budget of the memo caches of live workers (MEMO_MAX_MB ÷ WORKERS each).",
        multiprocess_mode="livesum",
        registry=registry,
    )
    f.memo_entries = Gauge(
        f"{n}_memo_entries",
        "Entries in the memo caches of live workers.",
        multiprocess_mode="livesum",
        registry=registry,
    )
    f.memo_hits = Counter(f"{n}_memo_hits", "Memo cache lookups answered from the cache.", registry=registry)
    f.memo_misses = Counter(f"{n}_memo_misses", "Memo cache lookups that computed the value.", registry=registry)
    f.memo_evictions = Counter(
        f"{n}_memo_evictions", "Memo entries dropped to stay within the byte budget.", registry=registry
    )
    f.worker_starts = Counter(
        f"{n}_worker_starts", "gunicorn workers started (the first ones and replacements).", registry=registry
    )
    f.worker_exits = Counter(
        f"{n}_worker_exits",
        "gunicorn workers that exited, by reason: max_requests (recycled), timeout, replaced (after a swap), shutdown.",
        ["reason"],
        registry=registry,
    )
    f.workers = Gauge(f"{n}_workers", "Live gunicorn workers.", multiprocess_mode="livesum", registry=registry)
    for code in REJECTED_CODES:  # known series start at 0, so rate() sees their first increase
        f.http_rejected.labels("/_dash-update-component", code)
    for reason in EXIT_REASONS:
        f.worker_exits.labels(reason)
    return f
