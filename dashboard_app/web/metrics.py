"""``GET /metrics``: Prometheus metrics of the app, for operators only.

Installed by the app factory last, so it times everything the app does. When no operator access
is configured (``OPERATOR_TOKEN`` and ``METRICS_PORT`` both unset, the default) nothing is
recorded and ``/metrics`` is a 404 like any unknown path. Otherwise:

- a WSGI middleware around the whole app times each request and counts it by route (the Flask URL
  rule, a bounded set), method and status class, plus the callback's tab, callback and chart for
  Dash callback requests (:mod:`dashboard_app.observability.callbacks`); on ``METRICS_PORT`` it
  answers only ``/metrics`` and ``/health``;
- after each request the worker's snapshot and memo-cache counters are synced into its metrics;
- ``/metrics`` answers operators (:mod:`dashboard_app.web.operator`) with the merged values of
  every gunicorn worker plus facts read at scrape time (:mod:`dashboard_app.observability.collectors`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from flask import Blueprint, Flask, Response, current_app, request
from prometheus_client import CollectorRegistry
from prometheus_client.exposition import choose_encoder
from prometheus_client.registry import Collector
from werkzeug.exceptions import NotFound

from dashboard_app.observability import multiprocess
from dashboard_app.observability.collectors import ExporterStatusCollector, MemoryCollector, SnapshotCollector
from dashboard_app.observability.recorder import Recorder
from dashboard_app.web import operator
from dashboard_app.web.callback_guard import CALLBACK_PATH

EXTENSION_KEY = "neo_metrics"
ROUTE_KEY = "neo.metrics.route"
CALLBACK_KEY = "neo.metrics.callback"
UNMATCHED_ROUTE = "<unmatched>"
MAX_LABELLED_BODY = 256 * 1024
"""Callback bodies larger than this are not parsed just to label a rejected request."""

blueprint = Blueprint("metrics", __name__)

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class MetricsMiddleware:
    """Times and counts every request; on ``METRICS_PORT`` answers only the operator paths."""

    def __init__(self, app: WsgiApp, extensions: dict[str, Any], metrics_port: int):
        self.app = app
        self.extensions = extensions  # the recorder appears there once the app is ready (after its warm-up)
        self.metrics_port = str(metrics_port) if metrics_port else None

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if (
            self.metrics_port is not None
            and environ.get("SERVER_PORT") == self.metrics_port
            and environ.get("PATH_INFO") not in operator.OPERATOR_PATHS
        ):
            return NotFound()(environ, start_response)
        recorder: Recorder | None = self.extensions.get(EXTENSION_KEY)
        if recorder is None:
            return self.app(environ, start_response)
        started = time.perf_counter()
        status: list[int] = []

        def _start_response(line: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            status[:] = [int(line.split(" ", 1)[0])]
            return start_response(line, headers, exc_info)

        try:
            body = self.app(environ, _start_response)
        except BaseException:
            _record(recorder, environ, 500, time.perf_counter() - started)
            raise
        _record(recorder, environ, status[0] if status else 500, time.perf_counter() - started)
        return body


def _record(recorder: Recorder, environ: dict[str, Any], status: int, seconds: float) -> None:
    recorder.record_request(
        environ.get(ROUTE_KEY, UNMATCHED_ROUTE),
        environ.get("REQUEST_METHOD", "GET"),
        status,
        seconds,
        environ.get(CALLBACK_KEY),
    )
    recorder.sync_worker()


def _label_request(response: Response) -> Response:
    """``after_request``: note the route (and the callback) for the middleware, which sees no Flask request."""
    recorder: Recorder | None = current_app.extensions.get(EXTENSION_KEY)
    if recorder is None:
        return response
    rule = request.url_rule
    environ = request.environ
    environ[ROUTE_KEY] = rule.rule if rule is not None else UNMATCHED_ROUTE
    if request.method == "POST" and request.path.endswith(CALLBACK_PATH) and response.status_code != 413:
        length = request.content_length
        if length is not None and length <= MAX_LABELLED_BODY:
            try:
                body = request.get_json(silent=True)  # parsed already (and cached) unless the rate limit refused it
            except Exception:  # a body the app refused must not turn into an error here
                body = None
            if isinstance(body, dict):
                environ[CALLBACK_KEY] = recorder.callback_labels(body)
    return response


class _Families(Collector):
    """The single-process registry's metrics, re-yielded into a scrape registry."""

    def __init__(self, registry: CollectorRegistry):
        self.registry = registry

    def collect(self) -> Iterator[Any]:
        yield from self.registry.collect()


def exposition_registry(recorder: Recorder, extra: Iterable[Collector]) -> CollectorRegistry:
    """A registry for one scrape: every worker's values (or this process's) plus the scrape-time collectors."""
    from prometheus_client import multiprocess as prom_multiprocess

    registry = CollectorRegistry(auto_describe=False)
    path = multiprocess.current_dir()
    if path is not None:
        prom_multiprocess.MultiProcessCollector(registry, str(path))
    else:
        own = recorder.families().registry
        assert own is not None  # single-process mode keeps the values in the process's registry
        registry.register(_Families(own))
    for collector in extra:
        registry.register(collector)
    return registry


@blueprint.route("/metrics", methods=["GET"])
def metrics() -> Response:
    """The exposition for operators; 404 to everyone else (401 with a challenge when a token is configured)."""
    settings = current_app.extensions["neo_settings"]
    recorder: Recorder | None = current_app.extensions.get(EXTENSION_KEY)
    if recorder is None or not operator.is_operator_request():
        if recorder is not None and settings.operator_token:
            return Response(
                "Unauthorized: send Authorization: Bearer <OPERATOR_TOKEN>\n",
                401,
                {"WWW-Authenticate": 'Bearer realm="neo-explorer operator"', "Cache-Control": "no-store"},
                mimetype="text/plain",
            )
        return Response("Not found\n", 404, mimetype="text/plain")
    recorder.sync_worker()
    collectors: Mapping[str, Collector] = current_app.extensions["neo_metrics_collectors"]
    registry = exposition_registry(recorder, collectors.values())
    encoder, content_type = choose_encoder(request.headers.get("Accept", ""))
    path = multiprocess.current_dir()
    if path is not None:
        with multiprocess.scrape_lock(path):
            body = encoder(registry)
    else:
        body = encoder(registry)
    return Response(body, 200, {"Content-Type": content_type, "Cache-Control": "no-store"})


def install_metrics(server: Flask) -> None:
    """Serve ``/metrics`` and, when operator access is configured, wrap the app to record requests.

    Nothing is recorded until :func:`start_recording` (after the factory's internal warm-up request,
    which must not count, and in the gunicorn master must not create metric files).
    """
    settings = server.extensions["neo_settings"]
    server.register_blueprint(blueprint)
    if not operator.operator_access_configured(settings):
        return
    server.after_request(_label_request)
    server.wsgi_app = MetricsMiddleware(server.wsgi_app, server.extensions, settings.metrics_port)  # type: ignore[method-assign]


def start_recording(server: Flask, callback_map: Mapping[str, Any], store: Any) -> Recorder | None:
    """Start recording (when operator access is configured); returns the recorder."""
    settings = server.extensions["neo_settings"]
    if not operator.operator_access_configured(settings):
        return None
    server.extensions["neo_metrics_collectors"] = {
        "snapshot": SnapshotCollector(store, stale_after_hours=settings.stale_after_hours, release=settings.git_commit),
        "exporter": ExporterStatusCollector(settings.data_dir),
        "memory": MemoryCollector(under_gunicorn=multiprocess.current_dir() is not None),
    }
    recorder = server.extensions[EXTENSION_KEY] = Recorder(store, callback_map)
    return recorder
