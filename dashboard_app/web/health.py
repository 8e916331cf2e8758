"""``/health``: the snapshot store's facts in the IETF health-check response shape.

``application/health+json`` (draft-inadarei-api-health-check). HTTP 200 with
``pass`` while a fresh snapshot is served, 200 with ``warn`` when the data are
stale or the last refresh failed (a late export must never make the orchestrator
restart or roll back the app), 503 with ``fail`` when no snapshot can be served.
Cheap: it reads facts the store already holds, never reloads a snapshot.

The public document says *that* a refresh failed and when, never why: error texts name database
users, hosts, ports and paths. An operator gets them (and the snapshot's source) with
``Authorization: Bearer <OPERATOR_TOKEN>`` or on ``METRICS_PORT`` (:mod:`dashboard_app.web.operator`),
in the log, and from ``neo-explorer status``.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from typing import Any

from flask import Blueprint, Response, current_app
from flask.typing import ResponseReturnValue

from dashboard_app import __version__
from dashboard_app.snapshot.store import NoSnapshotError, current_snapshot
from dashboard_app.web import operator

SERVICE_ID = "neo-explorer"
DESCRIPTION = "NEO Discovery Statistics Explorer"
MEDIA_TYPE = "application/health+json"
HTTP_STATUS = {"pass": 200, "warn": 200, "fail": 503}
REFRESH_WARN_STATES = frozenset({"failed", "interrupted", "unknown"})
"""Refresh states (``status.json``) that make the document ``warn``: the data may be getting old."""
REFRESH_FIELDS = ("started_utc", "finished_utc", "snapshot_id", "error")

blueprint = Blueprint("health", __name__)


def _refresh_note(refresh: Mapping[str, Any], state: str, *, detail: bool) -> str:
    if detail:
        return f"Refresh {state}: {refresh.get('error') or 'see the exporter log'}"
    when = refresh.get("finished_utc") or refresh.get("started_utc")
    return f"Last refresh {state}" + (f" at {when}" if when else "")


def health_report(
    facts: Mapping[str, Any],
    *,
    stale_after_hours: float,
    release_id: str,
    uptime_s: float,
    detail: bool = False,
) -> dict[str, Any]:
    """The health document for the store's ``facts`` (see :meth:`SnapshotStore.health`).

    ``detail`` (operators only) adds error texts and the snapshot's source; without it the document
    says what failed and when, but nothing about users, hosts, ports or paths.
    """
    snapshot_id = facts.get("snapshot_id")
    age = facts.get("age_hours")
    refresh = dict(facts.get("refresh") or {"state": "none"})
    refresh_state = refresh.get("state", "unknown")
    last_error = (facts.get("last_error") or {}).get("message")
    notes: list[str] = []

    if snapshot_id is None:
        age_status = "fail"
        reason = (last_error if detail else last_error and "the last one could not be loaded") or (
            "none has been published yet"
        )
        notes.append(f"No snapshot can be served: {reason}")
    elif facts.get("stale"):  # the store's one rule (its clock, STALE_AFTER_HOURS)
        age_status = "warn"
        notes.append(f"Snapshot is {age:.1f} h old, older than STALE_AFTER_HOURS={stale_after_hours:g}")
    else:
        age_status = "pass"
    refresh_status = "warn" if refresh_state in REFRESH_WARN_STATES else "pass"
    if refresh_status == "warn":
        notes.append(_refresh_note(refresh, refresh_state, detail=detail))
    if snapshot_id is not None and last_error:
        notes.append(f"Still serving {snapshot_id}: {last_error if detail else 'a newer snapshot could not be loaded'}")
        refresh_status = "warn"
    refresh_fields = REFRESH_FIELDS if detail else tuple(k for k in REFRESH_FIELDS if k != "error")
    watcher = facts.get("watcher", "not started")
    watcher_status = "warn" if watcher in ("stuck", "dead") else "pass"
    if watcher_status == "warn":  # this worker would not pick up a new snapshot
        check_age = facts.get("last_check_age_s")
        since = "never" if check_age is None else f"{check_age:.0f} s ago"
        notes.append(f"The snapshot watcher of this worker is {watcher} (last completed check: {since})")

    status = (
        "fail" if age_status == "fail" else "warn" if "warn" in (age_status, refresh_status, watcher_status) else "pass"
    )
    row_counts = dict(facts.get("row_counts") or {})
    report: dict[str, Any] = {
        "status": status,
        "version": __version__,
        "releaseId": release_id or __version__,
        "serviceId": SERVICE_ID,
        "description": DESCRIPTION,
        "notes": notes,
        "checks": {
            "snapshot:age": [
                {
                    "componentId": snapshot_id,
                    "componentType": "datastore",
                    "observedValue": None if age is None else round(age, 3),
                    "observedUnit": "h",
                    "status": age_status,
                    "time": facts.get("created_utc"),
                    "synthetic": facts.get("synthetic"),
                }
            ],
            "snapshot:rows": [
                {
                    "componentId": snapshot_id,
                    "componentType": "datastore",
                    "observedValue": sum(row_counts.values()),
                    "observedUnit": "rows",
                    "status": "pass" if snapshot_id is not None else "fail",
                    "tables": row_counts,
                }
            ],
            "snapshot:refresh": [
                {
                    "componentType": "component",
                    "observedValue": refresh_state,
                    "status": refresh_status,
                    **{k: refresh[k] for k in refresh_fields if k in refresh},
                }
            ],
            "snapshot:watcher": [
                {
                    "componentType": "component",
                    "observedValue": facts.get("last_check_age_s"),
                    "observedUnit": "s",
                    "status": watcher_status,
                    "state": watcher,
                    "time": facts.get("last_check_utc"),
                    "pollInterval": facts.get("poll_interval_s"),
                }
            ],
            "uptime": [
                {
                    "componentType": "system",
                    "observedValue": round(uptime_s, 1),
                    "observedUnit": "s",
                    "status": "pass",
                    "pid": os.getpid(),
                }
            ],
        },
    }
    if detail:
        report["checks"]["snapshot:age"][0]["source"] = facts.get("source")
        if last_error:
            report["checks"]["snapshot:refresh"][0]["lastLoadError"] = last_error
    return report


def _snapshot_source() -> str | None:
    try:
        return current_snapshot().meta.get("source")
    except NoSnapshotError:
        return None


@blueprint.route("/health", methods=["GET", "HEAD"])
def health() -> ResponseReturnValue:
    """Answer the health document with 200 (pass/warn) or 503 (fail); details for operators."""
    settings = current_app.extensions["neo_settings"]
    store = current_app.extensions["neo_store"]
    access = operator.request_access()
    if access is operator.Access.DENIED:
        return operator.denied()
    facts = store.health()
    if access is operator.Access.OPERATOR:
        facts["source"] = _snapshot_source()
    report = health_report(
        facts,
        stale_after_hours=settings.stale_after_hours,
        release_id=settings.git_commit,
        uptime_s=time.monotonic() - current_app.extensions["neo_started"],
        detail=access is operator.Access.OPERATOR,
    )
    return Response(
        json.dumps(report, default=str),
        status=HTTP_STATUS[report["status"]],
        mimetype=MEDIA_TYPE,
        headers={"Cache-Control": "no-store"},
    )
