"""The routes of the read-only data API, ``/api/v1/…`` (see :mod:`dashboard_app.api` for the list)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import flask
from flask import Blueprint, Response, redirect, request, send_file
from werkzeug.wrappers import Response as BaseResponse

from dashboard_app import objects
from dashboard_app.analysis.designation_index import Hit
from dashboard_app.api import charts, responses, snapshot_file
from dashboard_app.api.charts import DataTab, ParameterError
from dashboard_app.designations import MAX_INPUT_CHARS
from dashboard_app.snapshot.model import Snapshot
from dashboard_app.snapshot.schema import markdown as schema_markdown
from dashboard_app.views import request_snapshot
from dashboard_app.views.tab import Chart

PREFIX = "/api/v1"
TABS_KEY = "neo_api_tabs"
SEARCH_LIMIT_MAX = 50
SCHEMA_DOC = f"{PREFIX}/docs/snapshot-schema.md"
API_DOC = f"{PREFIX}/docs/api.md"

blueprint = Blueprint("neo_api", __name__, url_prefix=PREFIX)


def _tabs() -> list[DataTab]:
    return flask.current_app.extensions[TABS_KEY]


def _snapshot() -> Snapshot | None:
    return request_snapshot()


def _unavailable() -> Response:
    return responses.error(503, "No data", "No data snapshot is loaded yet; try again after the next publish.")


def _query_args() -> dict[str, list[str]]:
    return {k: request.args.getlist(k) for k in request.args}


def _url(path: str, query: str = "") -> str:
    return f"{request.host_url.rstrip('/')}{path}{query}"


def _chart_links(tab: DataTab, index: str, query: str) -> dict[str, str]:
    return {
        "page": _url(tab.path, query),
        "csv": _url(f"{PREFIX}/{tab.slug}/{index}.csv", query),
        "json": _url(f"{PREFIX}/{tab.slug}/{index}.json", query),
    }


def _parameter_error(exc: ParameterError) -> Response:
    return responses.error(400, "Bad parameter", exc.message, parameter=exc.parameter, accepted=exc.accepted)


Step = Callable[..., BaseResponse | dict[str, Any]]
"""A route's check: an error response, or more keyword arguments for the route's view."""
View = Callable[..., BaseResponse]


def snapshot_route(
    *, before: Step | None = None, check: Step | None = None, conditional: bool = True
) -> Callable[[View], View]:
    """Answer a route from the snapshot being served, in one order for every route:

    1. ``before(**route_args)`` — checks that need no data (an unknown tab is a 404 even without a snapshot);
    2. no snapshot loaded → 503;
    3. ``check(snap, **args)`` — the request's own errors (400 bad parameter, 404 unknown NEO), so a bad
       request is refused even when the client's cached copy is current;
    4. ``conditional``: 304 when ``If-None-Match`` names the snapshot being served;
    5. ``view(snap, **args)``, with the route's arguments and whatever the checks returned.
    """

    def decorate(view: View) -> View:
        @functools.wraps(view)
        def route(**args: Any) -> BaseResponse:
            if before is not None:
                found = before(**args)
                if isinstance(found, BaseResponse):
                    return found
                args |= found
            snap = _snapshot()
            if snap is None:
                return _unavailable()
            if check is not None:
                found = check(snap, **args)
                if isinstance(found, BaseResponse):
                    return found
                args |= found
            if conditional and responses.etag_matches(snap.id):
                return responses.not_modified(snap)
            return view(snap, **args)

        return route

    return decorate


# --- index and documents -----------------------------------------------------------------------------


@blueprint.get("/")
@snapshot_route()
def index(snap: Snapshot) -> Response:
    """What the API offers: every tab and chart (with default-view URLs), the object and snapshot endpoints."""
    tabs = [
        {
            "tab": t.slug,
            "name": t.name,
            "url": _url(f"{PREFIX}/{t.slug}"),
            "parameters": charts.accepted_parameters(t.view, snap),
            "charts": {c.index: _chart_links(t, c.index, "") for c in t.charts},
        }
        for t in _tabs()
    ]
    body = {
        "snapshot": responses.snapshot_facts(snap),
        "documentation": {"api": _url(API_DOC), "snapshot_schema": _url(SCHEMA_DOC)},
        "tabs": tabs,
        "objects": {"page": _url("/neo/{designation}"), "json": _url(f"{PREFIX}/neo/{{designation}}")},
        "search": _url(f"{PREFIX}/search?q={{text}}"),
        "snapshot_file": _url(f"{PREFIX}/snapshot"),
    }
    return responses.json_response(body, snap)


@blueprint.get("/docs/snapshot-schema.md")
def schema_doc() -> Response:
    """The snapshot schema (the same text as ``docs/snapshot-schema.md``, generated from the code)."""
    response = Response(schema_markdown(), mimetype="text/markdown")
    response.headers.update(responses.OPEN_HEADERS)
    return response


@blueprint.get("/docs/api.md")
@snapshot_route(conditional=False)
def api_doc(snap: Snapshot) -> Response:
    """This API's documentation, generated from the code for the snapshot being served."""
    from dashboard_app.api import docs  # the generator is only needed here

    response = Response(docs.markdown(_tabs(), snap), mimetype="text/markdown")
    return responses.with_snapshot_headers(response, snap)


# --- the snapshot file ---------------------------------------------------------------------------------


@blueprint.get("/snapshot")
@snapshot_route()
def snapshot_facts(snap: Snapshot) -> Response:
    """The current snapshot file's name, size, SHA-256, schema version and download URL."""
    facts = snapshot_file.facts(snap, _url(f"{PREFIX}/snapshot/{snap.path.name}"), _url(SCHEMA_DOC))
    return responses.json_response(facts, snap)


@blueprint.get("/snapshot/<name>")
@snapshot_route(conditional=False)  # send_file answers If-None-Match itself (the file's own validator)
def snapshot_download(snap: Snapshot, name: str) -> BaseResponse:
    """The current snapshot file (``latest.sqlite`` redirects to its immutable name)."""
    current = snap.path.name
    if name == "latest.sqlite":
        response = redirect(f"{PREFIX}/snapshot/{quote(current)}", code=302)
        response.headers["Cache-Control"] = "no-cache"
        return response
    if not snapshot_file.is_published_name(name) or name != current:
        return responses.error(
            404, "Not found", f"{name!r} is not the snapshot being served; it is {current!r}.", current=current
        )
    response = send_file(
        snap.path,
        mimetype=snapshot_file.MEDIA_TYPE,
        as_attachment=True,
        download_name=current,
        conditional=True,
        etag=snap.id,
        max_age=snapshot_file.IMMUTABLE_MAX_AGE_S,
    )
    response.headers["Cache-Control"] = f"public, max-age={snapshot_file.IMMUTABLE_MAX_AGE_S}, immutable"
    response.headers["X-Snapshot-Id"] = snap.id
    response.headers["X-Data-Time"] = responses.data_time(snap)
    response.headers["X-Checksum-SHA256"] = snapshot_file.sha256(snap)
    response.headers.update(responses.OPEN_HEADERS)
    return response


# --- single NEOs -----------------------------------------------------------------------------------------


def _find_neo(snap: Snapshot, designation: str) -> Response | dict[str, Any]:
    hit = objects.find(snap, designation)
    if hit is None:
        near = [h.designation for h in objects.suggest(snap, designation, 5)]
        shown = designation[:MAX_INPUT_CHARS]
        return responses.error(
            404, "Not found", f"No NEO of this snapshot has the designation {shown!r}.", suggestions=near
        )
    return {"hit": hit}


@blueprint.get("/neo/<designation>")
@snapshot_route(check=_find_neo)
def neo(snap: Snapshot, designation: str, hit: Hit) -> Response:
    """One NEO's data as JSON: exactly what its page shows."""
    body = {
        **objects.record(snap, hit),
        "links": {"page": _url(objects.page_path(hit)), "json": _url(f"{PREFIX}/neo/{quote(hit.slug)}")},
        "snapshot": responses.snapshot_facts(snap),
    }
    return responses.json_response(body, snap)


def _search_arguments(snap: Snapshot) -> Response | dict[str, Any]:
    unknown = sorted(set(request.args) - {"q", "limit"})
    if unknown:
        return responses.error(400, "Bad parameter", f"unknown parameter {unknown[0]!r}", accepted=["q", "limit"])
    text = request.args.get("q", "")
    limit_text = request.args.get("limit", "8")
    if not limit_text.isdigit() or not 1 <= int(limit_text) <= SEARCH_LIMIT_MAX:
        return responses.error(
            400,
            "Bad parameter",
            f"limit must be an integer from 1 to {SEARCH_LIMIT_MAX}",
            parameter="limit",
            accepted={"min": 1, "max": SEARCH_LIMIT_MAX},
        )
    if not text.strip() or len(text) > MAX_INPUT_CHARS:
        return responses.error(
            400, "Bad parameter", f"q must be 1 to {MAX_INPUT_CHARS} characters", parameter="q", accepted={}
        )
    return {"text": text, "limit": int(limit_text)}


@blueprint.get("/search")
@snapshot_route(check=_search_arguments)
def search(snap: Snapshot, text: str, limit: int) -> Response:
    """Designations starting with ``q`` (any form, spacing and case aside): what the search box suggests."""
    results: list[dict[str, Any]] = [
        {
            "designation": h.designation,
            "provid": h.provid,
            "permid": h.permid,
            "discovered": h.discovered,
            "page": _url(objects.page_path(h)),
            "json": _url(f"{PREFIX}/neo/{quote(h.slug)}"),
        }
        for h in objects.suggest(snap, text, limit)
    ]
    return responses.json_response({"query": text, "results": results}, snap)


# --- charts ----------------------------------------------------------------------------------------------


def _tab(slug: str) -> DataTab | None:
    return next((t for t in _tabs() if t.slug == slug), None)


def _find_tab(tab_slug: str, **_: Any) -> Response | dict[str, Any]:
    found = _tab(tab_slug)
    if found is None:
        return responses.error(
            404,
            "Not found",
            f"no data endpoint {tab_slug!r}",
            accepted=[t.slug for t in _tabs()] + ["neo", "snapshot"],
        )
    return {"found": found}


def _find_chart(tab_slug: str, file_name: str) -> Response | dict[str, Any]:
    looked_up = _find_tab(tab_slug)
    if isinstance(looked_up, BaseResponse):
        return looked_up
    found: DataTab = looked_up["found"]
    index, _, fmt = file_name.rpartition(".")
    target = found.chart(index)
    if target is None or fmt not in charts.FORMATS:
        return responses.error(
            404,
            "Not found",
            f"no chart {file_name!r} on {tab_slug!r}; use <chart>.csv or <chart>.json",
            accepted=[f"{c.index}.{f}" for c in found.charts for f in charts.FORMATS],
        )
    return {"found": found, "target": target, "fmt": fmt}


def _filter_values(snap: Snapshot, found: DataTab, **_: Any) -> Response | dict[str, Any]:
    try:
        return {"values": charts.parse_query(found.view, _query_args(), snap)}
    except ParameterError as exc:
        return _parameter_error(exc)


@blueprint.get("/<tab_slug>")
@snapshot_route(before=_find_tab, check=_filter_values)
def tab(snap: Snapshot, tab_slug: str, found: DataTab, values: dict[str, Any]) -> Response:
    """A tab's charts with their CSV and JSON URLs for the query given (the page's own parameters)."""
    query = found.view.query_string(values, snap)
    body = {
        "tab": found.slug,
        "name": found.name,
        "filters": found.view.jsonable(values),
        "query": query,
        "parameters": charts.accepted_parameters(found.view, snap),
        "charts": {c.index: _chart_links(found, c.index, query) for c in found.charts},
        "snapshot": responses.snapshot_facts(snap),
    }
    return responses.json_response(body, snap)


@blueprint.get("/<tab_slug>/<file_name>")
@snapshot_route(before=_find_chart, check=_filter_values)
def chart(
    snap: Snapshot,
    tab_slug: str,
    file_name: str,
    found: DataTab,
    target: Chart,
    fmt: str,
    values: dict[str, Any],
) -> Response:
    """One chart's data, ``<chart>.csv`` (the chart's CSV download, byte for byte) or ``<chart>.json``."""
    headers = {"X-Filters": charts.filters_header(found.view, values)}
    if fmt == "csv":
        text, name = charts.chart_csv(found, target, values, snap)
        response = Response(text, mimetype="text/csv")
        response.headers.update(headers)
        response.headers["Content-Disposition"] = f'inline; filename="{name}"'
        return responses.with_snapshot_headers(response, snap)
    links = _chart_links(found, target.index, found.view.query_string(values, snap))
    body = {**charts.chart_json(found, target, values, snap, links), "snapshot": responses.snapshot_facts(snap)}
    return responses.json_response(body, snap, headers=headers)


@blueprint.route("/<path:rest>", methods=["GET", "HEAD"])
def unknown(rest: str) -> Response:
    """Any other path under the API: a JSON 404 naming what exists."""
    return responses.error(404, "Not found", f"no API endpoint /{rest}", accepted=[t.slug for t in _tabs()])


@blueprint.errorhandler(429)
def too_many_requests(error: Any) -> Response:
    """The API's rate limit: JSON that says when to come back (``Retry-After`` is set by the limiter)."""
    return responses.error(
        429,
        "Too many requests",
        f"This address made more data requests than the site allows ({getattr(error, 'description', '')}). "
        "Wait a minute and try again; for everything at once, download the snapshot file.",
    )
