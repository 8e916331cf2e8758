"""The app factory: ``create_app(settings)`` builds the Dash app from validated settings.

Order matters and is kept in one place:
1. settings → logging; the snapshot store (first snapshot loaded now, so under
   gunicorn's ``preload_app`` it is shared copy-on-write by every worker);
2. the Dash app (assets served locally from ``ASSETS_DIR``, no dev tools, ever);
3. tab pages registered explicitly from :data:`dashboard_app.tabs.TAB_MODULES`
   (``dash.register_page`` per module, no folder scan); the callbacks the tabs and
   the shell declared (:mod:`dashboard_app.callbacks`) registered on this app with
   Dash's public ``app.callback`` / ``app.clientside_callback``;
4. the web layer: forwarded headers from the trusted proxies only, request ids, the callback guard and rate
   limit, the data API (``/api/v1``), ``/health``, CSP reports, 404 for unknown pages, the security-header
   hook, compression, ``/metrics``, Sentry (when configured);
5. one internal warm-up request (Dash finishes its set-up, every layout is
   validated), then the callback shapes the guard checks bodies against (from
   ``/_dash-dependencies``) and the CSP from ``app.csp_hashes()``, now that every
   callback and inline script exists; then metrics start recording.
"""

from __future__ import annotations

import importlib
import time
from pathlib import Path
from types import ModuleType

import dash
from dash.exceptions import DependencyException
from flask import Flask, Response, g, jsonify, redirect, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import RequestEntityTooLarge

from dashboard_app import api, callbacks
from dashboard_app.api import page as open_data_page
from dashboard_app.objects import page as object_page
from dashboard_app.observability import errors
from dashboard_app.settings import Settings, SettingsError, load_settings
from dashboard_app.snapshot.model import Snapshot
from dashboard_app.snapshot.store import SnapshotStore
from dashboard_app.tabs import TAB_MODULES
from dashboard_app.views import warm_up
from dashboard_app.views.prefill import install_layout_headers, prefilled_layout
from dashboard_app.web import (
    callback_guard,
    compression,
    csp_reports,
    first_view,
    health,
    limits,
    logs,
    metrics,
    neo_points,
    not_found,
    proxies,
    security,
    shell,
    static_cache,
)
from dashboard_app.web.plotly_bundle import BundledDash, install_plotly_bundle

CSP_REPORT_LIMIT = "30 per minute"
"""Violation reports accepted per client address (a page with a violation sends one per load)."""

SOURCE_ASSETS_DIR = Path(__file__).resolve().parent.parent / "assets"

INDEX_STRING = """<!DOCTYPE html>
<html lang="en">
    <head>
        {%metas%}
        <title>{%title%}</title>
        {%favicon%}
        {%css%}
    </head>
    <body>
        {%app_entry%}
        {%config%}
        {%scripts%}
        {%renderer%}
    </body>
</html>"""


def tab_modules() -> list[ModuleType]:
    """The tab modules in :data:`TAB_MODULES` order (importing one declares its callbacks)."""
    return [importlib.import_module(name) for name in TAB_MODULES]


def _register_pages(modules: list[ModuleType]) -> None:
    """Register each tab as a Dash page."""
    for module in modules:
        dash.register_page(
            module.__name__,
            path=module.PATH,
            name=module.NAME,
            order=module.ORDER,
            title=f"{module.NAME} · {shell.TITLE}",
            layout=prefilled_layout(module.layout, module.TAB) if hasattr(module, "TAB") else module.layout,
        )


def _register_object_pages() -> None:
    """The object page ``/neo/<designation>`` (unknown designations answer 404) and the open-data page
    ``/data``: neither is in the tab bar."""
    dash.register_page(
        open_data_page.__name__,
        path=open_data_page.PATH,
        name=open_data_page.NAME,
        title=f"{open_data_page.NAME} · {shell.TITLE}",
        layout=open_data_page.layout,
        order=10_001,
        in_tab_bar=False,
    )
    dash.register_page(
        object_page.__name__,
        path_template=object_page.PATH_TEMPLATE,
        name=object_page.NAME,
        title=object_page.title,
        layout=object_page.layout,
        order=10_000,
        in_tab_bar=False,
        exists=object_page.exists,
    )


def _redirect_home_to_first_tab(server: Flask, modules: list[ModuleType]) -> None:
    """Unless a tab lives at ``/``, send ``/`` to the first tab (keeping the query string)."""
    if any(m.PATH == "/" for m in modules):
        return
    first = min(modules, key=lambda m: m.ORDER)

    @server.before_request
    def _home() -> ResponseReturnValue | None:
        if request.path == "/":
            query = request.query_string.decode("latin-1")
            return redirect(dash.get_relative_path(first.PATH) + (f"?{query}" if query else ""), code=302)
        return None


def _switch_dev_tools_off(app: dash.Dash) -> None:
    """Dev tools (error pop-ups with tracebacks, hot reload, dev bundles) off, whatever ``DASH_*`` variables say.

    ``dash.Dash()`` reads ``DASH_UI``, ``DASH_HOT_RELOAD``, … from the environment; explicit values win.
    """
    app.enable_dev_tools(
        debug=False,
        dev_tools_ui=False,
        dev_tools_props_check=False,
        dev_tools_serve_dev_bundles=False,
        dev_tools_hot_reload=False,
        dev_tools_silence_routes_logging=False,
        dev_tools_disable_version_check=True,
        dev_tools_prune_errors=True,
        dev_tools_validate_callbacks=False,
    )


def _not_found(error: DependencyException) -> tuple[str, int]:
    """A script path Dash does not know is a 404, not a 500 with a stack trace in the log."""
    return "Not found", 404


def _too_large(error: RequestEntityTooLarge) -> tuple[Response, int]:
    """Any body over ``MAX_CONTENT_LENGTH`` (``CALLBACK_MAX_BYTES``): a short JSON 413."""
    return jsonify(status=413, error="Request too large", message="The request body is too large."), 413


def _pin_flask_debug_off(server: Flask) -> None:
    """Flask reads ``FLASK_DEBUG`` from the environment: debug would let errors escape to gunicorn's bare
    500 page (no security headers) and the interactive debugger is never wanted here. Pinned off."""
    server.debug = False
    server.config["PROPAGATE_EXCEPTIONS"] = False


def _warm_up(server: Flask) -> None:
    """Serve one internal request so Dash finishes its set-up now, before fork and before the CSP is hashed.

    On its first request Dash validates every page layout, builds its script tags and registers the
    pages router with an inline clientside callback (the page title), whose hash the CSP must list.
    """
    response = server.test_client().get(dash.get_relative_path("/_dash-dependencies"))
    if response.status_code != 200:
        raise RuntimeError(f"the Dash app failed its first request: HTTP {response.status_code}")


def _assets_dir(settings: Settings) -> Path:
    folder = settings.assets_dir or SOURCE_ASSETS_DIR
    if not (folder / "shell.js").is_file():
        raise SettingsError(
            f"ASSETS_DIR={str(folder)!r} is not accepted: expected the project's assets/ folder (with shell.js)"
        )
    return folder


def memo_budget_per_worker(settings: Settings) -> int:
    """Bytes one worker's memo cache may hold: ``MEMO_MAX_MB`` is the budget of all ``WORKERS`` together, so
    the memory a server keeps of computed results does not grow with its number of workers (issue #11)."""
    return settings.memo_max_mb * 2**20 // settings.workers


def build_store(settings: Settings) -> SnapshotStore:
    """The snapshot store for ``DATA_DIR`` (loads nothing until :meth:`SnapshotStore.load_initial`)."""
    return SnapshotStore(
        settings.data_dir,
        settings.snapshot_poll_seconds,
        stale_after_hours=settings.stale_after_hours,
        memo_max_bytes=memo_budget_per_worker(settings),
        cache_dir=settings.frames_cache_dir,
        prepare=prepare_snapshot,
        warm_seconds=settings.swap_warm_seconds,
    )


def prepare_snapshot(snapshot: Snapshot) -> None:
    """Build or map what the tabs share per machine for ``snapshot`` (each tab's ``prepare_snapshot``), before
    a worker switches to it."""
    for module in tab_modules():
        prepare = getattr(module, "prepare_snapshot", None)
        if prepare is not None:
            prepare(snapshot)


def create_app(settings: Settings | None = None, *, store: SnapshotStore | None = None) -> dash.Dash:
    """Build the Dash app; ``server.extensions`` gets ``neo_settings``, ``neo_store`` and ``neo_started``."""
    settings = settings if settings is not None else load_settings()
    logs.configure_logging(settings.log_level, settings.log_format)
    store = store if store is not None else build_store(settings)
    store.load_initial()  # the first snapshot loads now: before fork under gunicorn's preload_app

    app = BundledDash(
        __name__,
        use_pages=True,
        pages_folder="",
        assets_folder=str(_assets_dir(settings)),
        serve_locally=True,
        compress=False,  # compression is set up below, with a cache for the immutable bundles
        title=shell.TITLE,
        update_title=None,  # type: ignore[arg-type]  # documented by Dash (no "Updating..." title); hinted str
        index_string=INDEX_STRING,
        meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"}],
        suppress_callback_exceptions=False,
    )
    _switch_dev_tools_off(app)
    install_plotly_bundle(app, _assets_dir(settings))
    static_cache.install_static_cache(app.server, _assets_dir(settings))
    server = app.server
    _pin_flask_debug_off(server)
    server.config["MAX_CONTENT_LENGTH"] = settings.callback_max_bytes
    server.extensions["neo_settings"] = settings
    store.init_app(server)
    server.extensions["neo_started"] = time.monotonic()

    modules = tab_modules()
    store.set_view_warmer(warm_up.view_warmer(server, modules))
    _register_pages(modules)
    install_layout_headers(server)
    _register_object_pages()
    callbacks.attach(app)  # every callback declared by the tabs and the shell, on this app
    with server.app_context():  # Dash calls the layout function once now to validate it
        app.layout = shell.page_shell

    server.wsgi_app = proxies.TrustedProxies(
        server.wsgi_app, count=settings.trusted_proxy_count, allowed=settings.forwarded_allow_ips
    )
    logs.install_request_ids(server)
    server.register_error_handler(DependencyException, _not_found)
    server.register_error_handler(RequestEntityTooLarge, _too_large)
    _redirect_home_to_first_tab(server, modules)
    not_found.install_page_not_found(server, dash.page_registry.values())
    callback_guard.install_callback_guard(server, max_bytes=settings.callback_max_bytes)
    report_endpoint = csp_reports.install_csp_reports(server)
    limiter = limits.install_rate_limits(server, limit=settings.rate_limit, storage_uri=settings.rate_limit_storage_uri)
    server.view_functions[report_endpoint] = limiter.limit(CSP_REPORT_LIMIT)(server.view_functions[report_endpoint])
    api.install_api(server, modules, limiter=limiter, limit=settings.rate_limit)
    neo_points.install_points_files(server, modules, limiter=limiter, limit=settings.rate_limit)
    neo_points.install_points_preloads(app, modules)
    first_view.install_layout_preload(app)
    server.register_blueprint(health.blueprint)
    security.install_security_headers(server)
    compression.install_compression(server)
    metrics.install_metrics(server)
    _install_error_reports(server, settings, modules)
    _warm_up(server)
    first_tab = dash.get_relative_path(min(modules, key=lambda m: m.ORDER).PATH)
    compression.warm_bundle_cache(server, first_tab, app.preload_urls())  # before fork: workers inherit it
    callback_guard.learn_callback_shapes(server)
    csp = security.content_security_policy(app.csp_hashes())
    server.extensions[security.EXTENSION_KEY] = security.security_headers(csp, serve_tls=settings.serve_tls)
    metrics.start_recording(server, app.callback_map, store)  # after the warm-up, which must not count
    return app


def _install_error_reports(server: Flask, settings: Settings, modules: list[ModuleType]) -> None:
    """Sentry when ``SENTRY_DSN`` is set: view-state query parameters kept, request ids as tags."""
    view_keys = {name for m in modules for name in getattr(getattr(m, "VIEW", None), "names", ())}
    if errors.init_sentry(settings, component="app", view_keys=view_keys):
        server.before_request(errors.request_id_tagger(lambda: g.get("request_id")))
