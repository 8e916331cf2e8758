"""The points files: per-NEO columns of the one-point-per-NEO charts, sent once per snapshot.

``GET /_neo-points/<snapshot id>/<name>.json`` answers the file ``name`` that a tab module declares in
its ``POINT_FILES`` mapping (``name → build(snapshot) -> JSON bytes``), for the snapshot being served.
The URL names the snapshot, so the answer never changes: a year of browser caching (``immutable``)
and an ETag, so the browser asks once per snapshot; the page of a tab that uses one asks for it in its
HTML (``<link rel="preload">``). Any other snapshot id (an old page after a publish) or name gets a 404.
How the charts use the file: :mod:`dashboard_app.figures.neo_points`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from types import ModuleType

import dash
from flask import Flask, Response, has_request_context, request
from flask_limiter import Limiter

from dashboard_app.figures.neo_points import ROUTE, points_path
from dashboard_app.snapshot.model import Snapshot
from dashboard_app.views import request_snapshot
from dashboard_app.web.plotly_bundle import BundledDash

IMMUTABLE = "public, max-age=31536000, immutable"
ENDPOINT = "neo_points_file"
RATE_LIMIT_SCOPE = "neo-points"

Builder = Callable[[Snapshot], bytes]


def point_files(tab_modules: Iterable[ModuleType]) -> dict[str, Builder]:
    """Every ``POINT_FILES`` entry of the tab modules (a name declared twice is a bug)."""
    files: dict[str, Builder] = {}
    for module in tab_modules:
        declared: Mapping[str, Builder] = getattr(module, "POINT_FILES", {})
        for name, build in declared.items():
            if name in files:
                raise ValueError(f"points file {name!r} declared twice")
            files[name] = build
    return files


def page_points_files(tab_modules: Iterable[ModuleType]) -> dict[str, tuple[str, ...]]:
    """Page path (a tab module's ``PATH``) → the points files its charts use."""
    return {m.PATH: tuple(m.POINT_FILES) for m in tab_modules if getattr(m, "POINT_FILES", None)}


def install_points_preloads(app: BundledDash, tab_modules: Iterable[ModuleType]) -> None:
    """The page of a tab with points files names them in its HTML (``<link rel="preload" as="fetch">``): the
    browser fetches them beside the page's scripts instead of after the layout and the first answer (the
    answer names the same URL, so ``assets/neo_points.js`` gets the preloaded response)."""
    pages = page_points_files(tab_modules)

    def urls() -> list[str]:
        names = pages.get(request.path.rstrip("/"), ()) if has_request_context() else ()
        snapshot = request_snapshot() if names else None
        if snapshot is None:
            return []
        return [dash.get_relative_path(points_path(snapshot.id, name)) for name in names]

    app.fetch_preloads = (*app.fetch_preloads, urls)


def _not_found(message: str) -> Response:
    return Response(message + "\n", status=404, mimetype="text/plain", headers={"Cache-Control": "no-store"})


def install_points_files(server: Flask, tab_modules: Iterable[ModuleType], *, limiter: Limiter, limit: str) -> None:
    """Serve ``<ROUTE>/<snapshot id>/<name>.json`` for the tab modules' points files (rate limited like the API)."""
    files = point_files(tab_modules)

    def points_file(snapshot_id: str, name: str) -> Response:
        build = files.get(name)
        snapshot = request_snapshot()
        if build is None:
            return _not_found(f"No points file {name!r}.")
        if snapshot is None or snapshot.id != snapshot_id:
            return _not_found("That snapshot is no longer served; reload the page.")
        response = Response(build(snapshot), mimetype="application/json")
        response.set_etag(f"{snapshot.id}.{name}")
        response.headers["Cache-Control"] = IMMUTABLE
        response.make_conditional(request)  # 304 when the browser holds this very file (If-None-Match)
        return response

    view = limiter.shared_limit(limit, scope=RATE_LIMIT_SCOPE)(points_file)
    server.add_url_rule(f"{ROUTE}/<snapshot_id>/<name>.json", ENDPOINT, view, methods=["GET", "HEAD"])
