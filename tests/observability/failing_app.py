"""A gunicorn target for the Sentry tests: the real app plus two test-only routes.

- ``/_test/boom`` raises an unhandled error inside Flask (as a bug in a view would);
- ``/_test/sentry`` answers whether this worker's Sentry client is active.

Added through the URL map directly: the factory's warm-up request has already run, after which
Flask refuses new routes through its decorators.
"""

from __future__ import annotations

import sentry_sdk
from werkzeug.routing import Rule

from dashboard_app.wsgi import app, server


def boom() -> str:
    raise RuntimeError("boom from the test route")


def sentry_state() -> dict[str, bool]:
    return {"active": sentry_sdk.get_client().is_active()}


for path, view in (("/_test/boom", boom), ("/_test/sentry", sentry_state)):
    server.url_map.add(Rule(path, endpoint=view.__name__))
    server.view_functions[view.__name__] = view

__all__ = ["app", "server"]
