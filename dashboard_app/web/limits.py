"""Rate limits on the one expensive endpoint, Dash's callback POST, per client address.

Pages, static bundles, assets and ``/health`` are never limited. The client address
is ``request.remote_addr`` after werkzeug's ProxyFix has taken X-Forwarded-For
through exactly ``TRUSTED_PROXY_COUNT`` proxies, so a visitor cannot spoof it.
Counters live in ``RATE_LIMIT_STORAGE_URI`` (``memory://``: per worker process;
a shared ``redis://`` store when several replicas serve the site).
"""

from __future__ import annotations

from flask import Flask, Response, jsonify
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from werkzeug.exceptions import TooManyRequests

from dashboard_app.web.callback_guard import callback_endpoint


def install_rate_limits(server: Flask, *, limit: str, storage_uri: str) -> Limiter:
    """Limit POSTs to Dash's callback endpoint to ``limit`` per client; answer 429 with readable JSON."""
    limiter = Limiter(
        get_remote_address,
        app=server,
        storage_uri=storage_uri,
        headers_enabled=True,
        strategy="moving-window",
        key_prefix="neo-explorer",
    )
    endpoint = callback_endpoint(server)
    server.view_functions[endpoint] = limiter.limit(limit, methods=["POST"])(server.view_functions[endpoint])

    @server.errorhandler(429)
    def _too_many_requests(error: TooManyRequests) -> tuple[Response, int]:
        body = jsonify(
            status=429,
            error="Too many requests",
            message=(
                f"This address sent more chart updates than the site allows ({error.description}). "
                "Wait a minute, then change a control again."
            ),
        )
        return body, 429

    return limiter
