"""Intermediates held for one request: large values that several charts of one answer start from.

A tab's answer draws all its charts in one request, and a view's charts often start from one large
intermediate (the Comparison tab's sightings, 13–18 MB at full scale). Memoising it would keep
megabytes per worker that its small results, each memoised on its own, seldom need again; recomputing
it per chart would repeat the work. :func:`per_request` computes it once for the request that needs
it (Flask's ``g``) and lets it go when the request ends.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, TypeVar

import flask

T = TypeVar("T")

_G_NAME = "neo_per_request"


def per_request(key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()`` once per request for ``key`` (include the snapshot id); every call computes outside one."""
    if not flask.has_app_context():
        return compute()
    held: dict[Hashable, Any] = flask.g.setdefault(_G_NAME, {})
    if key not in held:
        held[key] = compute()
    return held[key]
