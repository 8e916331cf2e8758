"""What every data API answer shares: snapshot headers, ETag = snapshot id, conditional GET, JSON errors.

Data change only when a new snapshot is published, so a response's validator is the snapshot id:
``ETag: "<snapshot id>"``. A client sending it back in ``If-None-Match`` gets ``304 Not Modified``
(also for the ``"<id>:gzip"`` form the compression layer gives compressed answers). Every answer carries
``X-Snapshot-Id`` and ``X-Data-Time`` (the newest observation in the data, ISO 8601 UTC), may be read by
scripts and notebooks on other sites (``Access-Control-Allow-Origin: *``: public, read-only data, no
credentials) and is cached briefly (``max-age`` :data:`MAX_AGE_S`, then revalidated).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from flask import Response, request

from dashboard_app.snapshot.model import Snapshot, format_utc

MAX_AGE_S = 60
"""Seconds a cache may reuse an answer before revalidating it (a new snapshot is published nightly)."""
JSON_TYPE = "application/json"
CSV_TYPE = "text/csv; charset=utf-8"
OPEN_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": "ETag, X-Snapshot-Id, X-Data-Time, X-Filters, Content-Disposition",
}
"""Headers that let other sites' scripts read the data with ``fetch`` (CORS; set on API answers only)."""


def json_bytes(value: Any) -> bytes:
    """``value`` as compact JSON (NaN → null, NumPy scalars and arrays as numbers)."""
    return orjson.dumps(value, option=orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS)


def data_time(snapshot: Snapshot) -> str:
    """The snapshot's data time (newest observation; its build time when unknown), ISO 8601 UTC."""
    return format_utc(snapshot.data_time or snapshot.created)


def snapshot_facts(snapshot: Snapshot) -> dict[str, Any]:
    """The ``snapshot`` block of JSON answers."""
    return {
        "id": snapshot.id,
        "data_time_utc": data_time(snapshot),
        "created_utc": format_utc(snapshot.created),
        "schema_version": _int_or_none(snapshot.meta.get("schema_version")),
        "synthetic": snapshot.synthetic,
    }


def _int_or_none(text: str | None) -> int | None:
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None


def etag_matches(snapshot_id: str) -> bool:
    """True when the request's ``If-None-Match`` names this snapshot (strong, weak or compressed form)."""
    header = request.headers.get("If-None-Match", "")
    if not header:
        return False
    if header.strip() == "*":
        return True
    for tag in header.split(","):
        tag = tag.strip().removeprefix("W/").strip('"')
        if tag == snapshot_id or tag.split(":", 1)[0] == snapshot_id:
            return True
    return False


def with_snapshot_headers(response: Response, snapshot: Snapshot, *, max_age: int = MAX_AGE_S) -> Response:
    """Add the snapshot headers, the ETag and caching to ``response``."""
    response.set_etag(snapshot.id)
    response.headers["X-Snapshot-Id"] = snapshot.id
    response.headers["X-Data-Time"] = data_time(snapshot)
    response.headers["Cache-Control"] = f"public, max-age={max_age}"
    response.headers.update(OPEN_HEADERS)
    return response


def not_modified(snapshot: Snapshot) -> Response:
    """A 304 for a client that already has this snapshot's answer."""
    return with_snapshot_headers(Response(status=304), snapshot)


def json_response(
    value: Any, snapshot: Snapshot | None = None, *, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    """A JSON answer; with ``snapshot``, the snapshot headers and ETag too."""
    response = Response(json_bytes(value), status=status, mimetype=JSON_TYPE)
    if headers:
        response.headers.update(headers)
    if snapshot is not None:
        return with_snapshot_headers(response, snapshot)
    response.headers.update(OPEN_HEADERS)
    response.headers["Cache-Control"] = "no-store"
    return response


def error(status: int, title: str, message: str, **details: Any) -> Response:
    """A JSON error answer: ``{"status", "error", "message", ...details}`` (never a traceback)."""
    return json_response({"status": status, "error": title, "message": message, **details}, status=status)
