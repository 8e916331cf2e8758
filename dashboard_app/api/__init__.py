"""The read-only data API, ``/api/v1/…``: every chart's numbers, single NEOs, and the snapshot file.

==========================================  ==========================================================
``GET /api/v1/``                            what the API offers (tabs, charts, parameters, links)
``GET /api/v1/<tab>?<page query>``          a tab's charts and their data URLs for that view
``GET /api/v1/<tab>/<chart>.csv?<query>``   the chart's CSV download, byte for byte
``GET /api/v1/<tab>/<chart>.json?<query>``  the same numbers as JSON, filters echoed
``GET /api/v1/neo/<designation>``           one NEO (any designation form): what its page shows
``GET /api/v1/search?q=<text>``             the search box's suggestions
``GET /api/v1/snapshot``                    the snapshot file's name, size, SHA-256, schema version
``GET /api/v1/snapshot/<file>``             the SQLite snapshot itself (``latest.sqlite`` redirects)
``GET /api/v1/docs/api.md``                 this API's documentation (also ``docs/api.md``)
``GET /api/v1/docs/snapshot-schema.md``     the snapshot schema
==========================================  ==========================================================

Chart endpoints come from the tabs' own declarations (:mod:`.charts`), so a new tab gets its endpoints
with no API code. Answers carry the snapshot id (``ETag``, ``X-Snapshot-Id``) and data time
(``X-Data-Time``) and answer conditional requests with 304 (:mod:`.responses`). Bad parameters get a 400
that lists the accepted values. Requests are rate limited per client address like the page's
callbacks (the same ``RATE_LIMIT``, counted separately).
"""

from __future__ import annotations

from collections.abc import Iterable
from types import ModuleType
from typing import TYPE_CHECKING, cast

from flask import Flask
from flask_limiter import Limiter

from dashboard_app.api.charts import data_tabs
from dashboard_app.api.routes import PREFIX, TABS_KEY, blueprint

if TYPE_CHECKING:
    from flask.typing import RouteCallable

RATE_LIMIT_SCOPE = "data-api"

__all__ = ["PREFIX", "install_api"]


def install_api(server: Flask, tab_modules: Iterable[ModuleType], *, limiter: Limiter, limit: str) -> None:
    """Serve ``/api/v1`` for ``tab_modules``, every endpoint sharing one ``limit`` per client address."""
    server.extensions[TABS_KEY] = data_tabs(tab_modules)
    server.register_blueprint(blueprint)
    shared = limiter.shared_limit(limit, scope=RATE_LIMIT_SCOPE)
    for endpoint, view in list(server.view_functions.items()):
        if endpoint.startswith(f"{blueprint.name}."):
            # cast: Flask-Limiter's Callable[P, R] -> Callable[P, R] does not map Flask's sync-or-async
            # RouteCallable union onto itself (see web.limits)
            server.view_functions[endpoint] = cast("RouteCallable", shared(view))
