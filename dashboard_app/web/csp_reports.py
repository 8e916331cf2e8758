"""``POST /_csp-report``: Content-Security-Policy violation reports from browsers, one log line each.

Browsers post either the Reporting API's ``application/reports+json`` (a list of reports with
``type: "csp-violation"``, from ``report-to``) or the older ``application/csp-report``
(``{"csp-report": {...}}``, from ``report-uri``). Either way each violation becomes one warning
line naming the directive, the blocked resource and the page.

The endpoint is public and unauthenticated, so it is bounded three ways: bodies over
:data:`MAX_BODY_BYTES` get 413, at most :data:`MAX_REPORTS_PER_REQUEST` reports of one request
are read, and each worker logs at most :data:`LOG_BUDGET_PER_MINUTE` reports a minute (the
rest are counted and summed up in one line when logging resumes). The answer is always
an empty 204 (or the 4xx), never the report back.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator, Mapping
from typing import Any

from flask import Blueprint, Flask, Response, current_app, request
from werkzeug.exceptions import RequestEntityTooLarge

REPORT_PATH = "/_csp-report"
MAX_BODY_BYTES = 16 * 1024
MAX_REPORTS_PER_REQUEST = 10
LOG_BUDGET_PER_MINUTE = 60
MAX_FIELD_CHARS = 200
BUDGET_KEY = "neo_csp_report_budget"

# Field names in the Reporting API body (camelCase) and in the legacy csp-report (kebab-case).
_FIELDS = {
    "directive": ("effectiveDirective", "effective-directive", "violated-directive"),
    "blocked": ("blockedURL", "blocked-uri"),
    "page": ("documentURL", "document-uri"),
    "source": ("sourceFile", "source-file"),
    "line": ("lineNumber", "line-number"),
    "disposition": ("disposition",),
}

log = logging.getLogger(__name__)
blueprint = Blueprint("csp_reports", __name__)


class LogBudget:
    """A per-process token bucket: ``rate`` log lines a minute, the rest counted as dropped."""

    def __init__(self, rate: int, clock: Any = time.monotonic) -> None:
        self.rate = rate
        self._clock = clock
        self._tokens = float(rate)
        self._stamp = clock()
        self._dropped = 0
        self._lock = threading.Lock()

    def take(self) -> tuple[bool, int]:
        """``(allowed, dropped_before)``: whether one more line may be logged, and how many were dropped since."""
        with self._lock:
            now = self._clock()
            self._tokens = min(float(self.rate), self._tokens + (now - self._stamp) * self.rate / 60)
            self._stamp = now
            if self._tokens < 1:
                self._dropped += 1
                return False, 0
            self._tokens -= 1
            dropped, self._dropped = self._dropped, 0
            return True, dropped


def _text(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value)
    text = "".join(c if c.isprintable() else "?" for c in text)
    return text if len(text) <= MAX_FIELD_CHARS else text[: MAX_FIELD_CHARS - 1] + "…"


def _violations(payload: Any) -> Iterator[Mapping[str, Any]]:
    """The violation bodies in either report format (anything else is skipped)."""
    if isinstance(payload, dict) and isinstance(payload.get("csp-report"), dict):
        yield payload["csp-report"]
    elif isinstance(payload, list):
        for report in payload:
            if (
                isinstance(report, dict)
                and report.get("type") == "csp-violation"
                and isinstance(report.get("body"), dict)
            ):
                yield report["body"]


def summarize(violation: Mapping[str, Any]) -> dict[str, str]:
    """The few fields worth a log line, each bounded to :data:`MAX_FIELD_CHARS` printable characters."""
    out = {}
    for name, keys in _FIELDS.items():
        value = next((violation[k] for k in keys if violation.get(k) not in (None, "")), None)
        if value is not None:
            out[name] = _text(value)
    return out


def install_csp_reports(server: Flask) -> str:
    """Serve :data:`REPORT_PATH` on ``server``; returns the view's endpoint name (for a rate limit)."""
    server.extensions[BUDGET_KEY] = LogBudget(LOG_BUDGET_PER_MINUTE)
    server.register_blueprint(blueprint)
    return f"{blueprint.name}.{csp_report.__name__}"


@blueprint.route(REPORT_PATH, methods=["POST"])
def csp_report() -> Response | tuple[str, int]:
    """Log each violation in the posted report(s) as one line; answer 204."""
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        return "", 413
    request.max_content_length = MAX_BODY_BYTES
    try:
        payload = json.loads(request.get_data(cache=False))
    except RequestEntityTooLarge:
        return "", 413
    except (ValueError, RecursionError):
        return "", 400
    budget: LogBudget = current_app.extensions[BUDGET_KEY]
    for i, violation in enumerate(_violations(payload)):
        if i >= MAX_REPORTS_PER_REQUEST:
            break
        allowed, dropped = budget.take()
        if not allowed:
            continue
        if dropped:
            log.warning("CSP violation reports dropped: %d over the budget of %d a minute", dropped, budget.rate)
        f = summarize(violation)
        where = f" ({f['source']}:{f.get('line', '?')})" if "source" in f else ""
        log.warning(
            "CSP violation: %s blocked %s on %s%s%s",
            f.get("directive", "?"),
            f.get("blocked", "?"),
            f.get("page", "?"),
            where,
            " [report-only]" if f.get("disposition") == "report" else "",
        )
    return Response(status=204)
