"""Optional error reports to Sentry for the app and the exporter (``SENTRY_DSN``; off when empty).

What is sent is deliberately little: the exception, its stack (without local variables), the
release and environment, the request's method, path and id, and of the query string only the
view-state parameters the tabs define. Never IP addresses, cookies, headers beyond a short list,
the raw query string, gunicorn's access-log lines (they carry client addresses), or any secret
the caller names (database passwords): :func:`scrub_event` runs on every event before it leaves.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from dashboard_app import __version__

KEPT_HEADERS = frozenset({"accept", "accept-encoding", "content-length", "content-type", "x-request-id"})
IGNORED_LOGGERS = ("gunicorn.access", "dashboard_app.exporter.outcome")
"""Loggers whose records never become Sentry breadcrumbs or events: access lines hold client addresses;
the exporter's failure line is reported as its exception instead (one event, with the stack)."""
REDACTED = "[redacted]"
_ADDRESS = re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b|\b[0-9a-f]{1,4}(?::[0-9a-f]{0,4}){2,7}\b", re.IGNORECASE)


def _view_query(query: str, view_keys: Collection[str]) -> str:
    return urlencode([(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k in view_keys])


def _redact(value: Any, secrets: tuple[str, ...]) -> Any:
    if isinstance(value, str):
        for secret in secrets:
            value = value.replace(secret, REDACTED)
        return value
    if isinstance(value, dict):
        return {k: _redact(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact(v, secrets) for v in value]
    return value


def scrub_event(
    event: dict[str, Any], *, view_keys: Collection[str] = (), secrets: Iterable[str] = ()
) -> dict[str, Any]:
    """``event`` without personal data: see the module docstring."""
    event.pop("user", None)
    request = event.get("request")
    if isinstance(request, dict):
        for key in ("env", "cookies"):
            request.pop(key, None)
        headers = request.get("headers")
        if isinstance(headers, dict):
            request["headers"] = {k: v for k, v in headers.items() if k.lower() in KEPT_HEADERS}
        query = request.get("query_string")
        request["query_string"] = _view_query(query, view_keys) if isinstance(query, str) else ""
        url = request.get("url")
        if isinstance(url, str):
            parts = urlsplit(url)
            request["url"] = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
    crumbs = event.get("breadcrumbs")
    if isinstance(crumbs, dict) and isinstance(crumbs.get("values"), list):
        crumbs["values"] = [c for c in crumbs["values"] if c.get("category") not in IGNORED_LOGGERS]
    for crumb in (crumbs or {}).get("values", []) if isinstance(crumbs, dict) else []:
        if isinstance(crumb.get("message"), str):
            crumb["message"] = _ADDRESS.sub("[address]", crumb["message"])
    cleaned = tuple(s for s in secrets if s)
    return _redact(event, cleaned) if cleaned else event


def init_sentry(settings: Any, *, component: str, view_keys: Collection[str] = (), secrets: Iterable[str] = ()) -> bool:
    """Start the Sentry SDK when ``SENTRY_DSN`` is set; returns whether it did. ``component``: app or exporter."""
    if not settings.sentry_dsn:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.logging import ignore_logger

    secrets = tuple(secrets)
    keys = frozenset(view_keys)

    def before_send(event: Any, hint: dict[str, Any]) -> Any:
        return scrub_event(event, view_keys=keys, secrets=secrets)

    for name in IGNORED_LOGGERS:
        ignore_logger(name)
    release = f"neo-explorer@{__version__}" + (f"+{settings.git_commit[:12]}" if settings.git_commit else "")
    sentry_sdk.init(
        dsn=settings.sentry_dsn,
        environment=settings.sentry_environment,
        release=release,
        sample_rate=settings.sentry_sample_rate,
        traces_sample_rate=settings.sentry_traces_sample_rate,
        send_default_pii=False,
        include_local_variables=False,
        max_request_body_size="small",
        before_send=before_send,
        before_send_transaction=before_send,
    )
    sentry_sdk.set_tag("component", component)
    return True


def request_id_tagger(get_request_id: Callable[[], str | None]) -> Callable[[], None]:
    """A ``before_request`` hook that tags the request's Sentry scope with its request id."""
    import sentry_sdk

    def tag_request_id() -> None:
        request_id = get_request_id()
        if request_id:
            sentry_sdk.set_tag("request_id", request_id)

    return tag_request_id


def capture_exception(exc: BaseException) -> None:
    """Report ``exc`` when Sentry is on (a no-op otherwise)."""
    import sentry_sdk

    if sentry_sdk.get_client().is_active():
        sentry_sdk.capture_exception(exc)
