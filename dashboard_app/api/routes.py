"""The routes of the read-only data API, ``/api/v1/…`` (see :mod:`dashboard_app.api` for the list)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import flask
from flask import Blueprint, Response, redirect, request, send_file

from dashboard_app import objects
from dashboard_app.api import charts, responses, snapshot_file
from dashboard_app.api.charts import DataTab, ParameterError
from dashboard_app.designations import MAX_INPUT_CHARS
from dashboard_app.snapshot.model import Snapshot
from dashboard_app.snapshot.schema import markdown as schema_markdown
from dashboard_app.views import request_snapshot

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


# --- index and documents -----------------------------------------------------------------------------


@blueprint.get("/")
def index() -> Response:
    """What the API offers: every tab and chart (with default-view URLs), the object and snapshot endpoints."""
    snap = _snapshot()
    if snap is None:
        return _unavailable()
    if responses.etag_matches(snap.id):
        return responses.not_modified(snap)
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
def api_doc() -> Response:
    """This API's documentation, generated from the code for the snapshot being served."""
    from dashboard_app.api import docs  # the generator is only needed here

    snap = _snapshot()
    if snap is None:
        return _unavailable()
    response = Response(docs.markdown(_tabs(), snap), mimetype="text/markdown")
    return responses.with_snapshot_headers(response, snap)


# --- the snapshot file ---------------------------------------------------------------------------------


@blueprint.get("/snapshot")
def snapshot_facts() -> Response:
    """The current snapshot file's name, size, SHA-256, schema version and download URL."""
    snap = _snapshot()
    if snap is None:
        return _unavailable()
    if responses.etag_matches(snap.id):
        return responses.not_modified(snap)
    facts = snapshot_file.facts(snap, _url(f"{PREFIX}/snapshot/{snap.path.name}"), _url(SCHEMA_DOC))
    return responses.json_response(facts, snap)


@blueprint.get("/snapshot/<name>")
def snapshot_download(name: str) -> Response:
    """The current snapshot file (``latest.sqlite`` redirects to its immutable name)."""
    snap = _snapshot()
    if snap is None:
        return _unavailable()
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


@blueprint.get("/neo/<designation>")
def neo(designation: str) -> Response:
    """One NEO's data as JSON: exactly what its page shows."""
    snap = _snapshot()
    if snap is None:
        return _unavailable()
    hit = objects.find(snap, designation)
    if hit is None:
        near = [h.designation for h in objects.suggest(snap, designation, 5)]
        shown = designation[:MAX_INPUT_CHARS]
        return responses.error(
            404, "Not found", f"No NEO of this snapshot has the designation {shown!r}.", suggestions=near
        )
    if responses.etag_matches(snap.id):
        return responses.not_modified(snap)
    body = {
        **objects.record(snap, hit),
        "links": {"page": _url(objects.page_path(hit)), "json": _url(f"{PREFIX}/neo/{quote(hit.slug)}")},
        "snapshot": responses.snapshot_facts(snap),
    }
    return responses.json_response(body, snap)


@blueprint.get("/search")
def search() -> Response:
    """Designations starting with ``q`` (any form, spacing and case aside): what the search box suggests."""
    snap = _snapshot()
    if snap is None:
        return _unavailable()
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
    if responses.etag_matches(snap.id):
        return responses.not_modified(snap)
    results: list[dict[str, Any]] = [
        {
            "designation": h.designation,
            "provid": h.provid,
            "permid": h.permid,
            "discovered": h.discovered,
            "page": _url(objects.page_path(h)),
            "json": _url(f"{PREFIX}/neo/{quote(h.slug)}"),
        }
        for h in objects.suggest(snap, text, int(limit_text))
    ]
    return responses.json_response({"query": text, "results": results}, snap)


# --- charts ----------------------------------------------------------------------------------------------


def _tab(slug: str) -> DataTab | None:
    return next((t for t in _tabs() if t.slug == slug), None)


def _no_tab(slug: str) -> Response:
    return responses.error(
        404, "Not found", f"no data endpoint {slug!r}", accepted=[t.slug for t in _tabs()] + ["neo", "snapshot"]
    )


@blueprint.get("/<tab_slug>")
def tab(tab_slug: str) -> Response:
    """A tab's charts with their CSV and JSON URLs for the query given (the page's own parameters)."""
    snap, found = _snapshot(), _tab(tab_slug)
    if found is None:
        return _no_tab(tab_slug)
    if snap is None:
        return _unavailable()
    try:
        values = charts.parse_query(found.view, _query_args(), snap)
    except ParameterError as exc:
        return _parameter_error(exc)
    if responses.etag_matches(snap.id):
        return responses.not_modified(snap)
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
def chart(tab_slug: str, file_name: str) -> Response:
    """One chart's data, ``<chart>.csv`` (the chart's CSV download, byte for byte) or ``<chart>.json``."""
    snap, found = _snapshot(), _tab(tab_slug)
    if found is None:
        return _no_tab(tab_slug)
    index, _, fmt = file_name.rpartition(".")
    target = found.chart(index)
    if target is None or fmt not in charts.FORMATS:
        return responses.error(
            404,
            "Not found",
            f"no chart {file_name!r} on {tab_slug!r}; use <chart>.csv or <chart>.json",
            accepted=[f"{c.index}.{f}" for c in found.charts for f in charts.FORMATS],
        )
    if snap is None:
        return _unavailable()
    try:
        values = charts.parse_query(found.view, _query_args(), snap)
    except ParameterError as exc:
        return _parameter_error(exc)
    if responses.etag_matches(snap.id):
        return responses.not_modified(snap)
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
