"""Operator access: who may see ``/metrics`` and the operator detail of ``/health``.

One rule for every operator-only answer (see /work/notes/operator-access.md): a request is an
operator's when it arrived on ``METRICS_PORT`` (a second bind that Traefik does not route; the
port comes from the listening socket, never from a header) or carries
``Authorization: Bearer <OPERATOR_TOKEN>``. With neither setting configured there is no operator
access over HTTP at all, which is the default: nothing operator-only is public.

Use from a view that has a public and an operator answer (``/health``)::

    access = operator.request_access()
    if access is operator.Access.DENIED:
        return operator.denied()
    detail = access is operator.Access.OPERATOR
"""

from __future__ import annotations

import enum
import hmac
from typing import Any

from flask import Request, Response, current_app, jsonify, request

OPERATOR_PATHS = frozenset({"/metrics", "/health"})
"""The only paths answered on ``METRICS_PORT``; everything else there is a 404."""


def operator_access_configured(settings: Any) -> bool:
    """True when some operator access is configured (a token or the separate port)."""
    return bool(settings.operator_token) or settings.metrics_port > 0


def arrived_on_metrics_port(req: Request, settings: Any) -> bool:
    """True when ``req`` came in through the ``METRICS_PORT`` listener (gunicorn sets ``SERVER_PORT`` from it)."""
    return settings.metrics_port > 0 and req.environ.get("SERVER_PORT") == str(settings.metrics_port)


def has_operator_token(req: Request, settings: Any) -> bool:
    """True when ``req`` carries ``Authorization: Bearer <OPERATOR_TOKEN>`` (constant-time comparison)."""
    token = settings.operator_token
    if not token:
        return False
    scheme, _, offered = req.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(offered.strip().encode(), token.encode())


def is_operator_request(req: Request | None = None) -> bool:
    """True when the current request (or ``req``) may see operator-only answers."""
    req = request if req is None else req
    settings = current_app.extensions["neo_settings"]
    return arrived_on_metrics_port(req, settings) or has_operator_token(req, settings)


class Access(enum.Enum):
    """What a request may see: the public answer, the operator's, or nothing (a bearer token that is wrong)."""

    PUBLIC = "public"
    OPERATOR = "operator"
    DENIED = "denied"


def request_access(req: Request | None = None) -> Access:
    """The current request's access: OPERATOR per :func:`is_operator_request`; DENIED for any other bearer
    token (a typo is noticed instead of silently answered with the public view); else PUBLIC."""
    req = request if req is None else req
    if is_operator_request(req):
        return Access.OPERATOR
    scheme, _, _ = req.headers.get("Authorization", "").partition(" ")
    return Access.DENIED if scheme.lower() == "bearer" else Access.PUBLIC


def denied() -> tuple[Response, int, dict[str, str]]:
    """401 with a bearer challenge, for :attr:`Access.DENIED`."""
    body = jsonify(status=401, error="Unauthorized", message="The bearer token is not this site's OPERATOR_TOKEN.")
    return body, 401, {"WWW-Authenticate": 'Bearer realm="neo-explorer operator"', "Cache-Control": "no-store"}
