"""Operator access: who may see ``/metrics`` and the operator detail of ``/health``.

One rule for every operator-only answer (see /work/notes/operator-access.md): a request is an
operator's when it arrived on ``METRICS_PORT`` (a second bind that Traefik does not route; the
port comes from the listening socket, never from a header) or carries
``Authorization: Bearer <OPERATOR_TOKEN>``. With neither setting configured there is no operator
access over HTTP at all, which is the default: nothing operator-only is public.
"""

from __future__ import annotations

import hmac
from typing import Any

from flask import Request, current_app, request

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
