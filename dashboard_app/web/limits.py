"""Rate limits on the expensive endpoints, per client address: Dash's callback POST, and the layout
request that names a page (``/_dash-layout?page=...``: it draws the page's first charts, see
:mod:`dashboard_app.views.prefill`), each with its own count of ``RATE_LIMIT``.

Pages, static bundles, assets, the plain layout and ``/health`` are never limited. The client address is
``request.remote_addr`` after :class:`~dashboard_app.web.proxies.TrustedProxies` has taken
X-Forwarded-For from the configured proxies only, so a visitor cannot spoof it.

Strategy: the moving window (``limits``): a request is refused while the client's last N accepted
requests all fall within the period, and ``Retry-After`` says when the oldest of them leaves it — no
burst at window edges, an exact wait. Counters live in ``RATE_LIMIT_STORAGE_URI``: ``shared-memory://``
(default; :mod:`dashboard_app.web.rate_counters`, one count per client across all workers of the
gunicorn) or ``redis://`` when several replicas serve the site.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from flask import Flask, Response, jsonify
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits import parse_many
from werkzeug.exceptions import TooManyRequests

from dashboard_app.web import rate_counters  # registers the shared-memory:// scheme
from dashboard_app.web.callback_guard import callback_endpoint, route_endpoint
from dashboard_app.web.first_view import LAYOUT_PATH, requested_page

if TYPE_CHECKING:
    from flask.typing import RouteCallable

STRATEGY = "moving-window"


def install_rate_limits(server: Flask, *, limit: str, storage_uri: str) -> Limiter:
    """Limit Dash's callback POSTs and page-naming layout requests to ``limit`` per client each (429, readable JSON)."""
    options: dict[str, str | int] = {}
    if storage_uri.startswith(f"{rate_counters.SCHEME}://"):  # room for the largest limit's timestamps
        largest = max(item.amount for item in parse_many(limit))
        options["capacity"] = min(rate_counters.MAX_CAPACITY, max(rate_counters.DEFAULT_CAPACITY, largest))
    limiter = Limiter(
        get_remote_address,
        app=server,
        storage_uri=storage_uri,
        storage_options=options,
        headers_enabled=True,
        strategy=STRATEGY,
        key_prefix="neo-explorer",
    )
    endpoint = callback_endpoint(server)
    # Flask-Limiter types its decorator Callable[P, R] -> Callable[P, R], which does not map Flask's
    # sync-or-async RouteCallable union onto itself (mypy infers one callable returning either).
    limited = limiter.limit(limit, methods=["POST"])(server.view_functions[endpoint])
    server.view_functions[endpoint] = cast("RouteCallable", limited)
    layout = route_endpoint(server, LAYOUT_PATH)
    limited = limiter.limit(limit, exempt_when=lambda: requested_page() is None)(server.view_functions[layout])
    server.view_functions[layout] = cast("RouteCallable", limited)

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
