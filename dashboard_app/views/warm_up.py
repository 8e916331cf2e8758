"""Computing the views visitors asked for lately on a new snapshot, before the workers switch to it.

The snapshot store's warm-up (``snapshot/warm.py``) runs :func:`view_warmer`'s function in one low-priority
process per machine: each tab's page and default view first (every visit without a query asks for them),
then the recorded views, those whose warming saves the most first (asked for often, costly cold), each
through the tab's own update callback (so exactly the memoised results that callback uses are computed),
until the deadline.
"""

from __future__ import annotations

import functools
import json
import logging
import time
from collections.abc import Callable, Iterable
from types import ModuleType
from typing import Any

import flask

from dashboard_app.snapshot.model import Snapshot
from dashboard_app.snapshot.store import ViewWarmer, pin_snapshot
from dashboard_app.snapshot.warm import View
from dashboard_app.theme import DEFAULT_THEME
from dashboard_app.views.tab import TabCallbacks

log = logging.getLogger(__name__)


def view_warmer(server: flask.Flask, modules: Iterable[ModuleType]) -> ViewWarmer:
    """``warm_views(snapshot, views, deadline)`` for the tabs of ``modules`` (those with a ``TAB``)."""
    with_tab = [m for m in modules if hasattr(m, "TAB")]
    tabs: dict[str, TabCallbacks] = {m.TAB.view.tab: m.TAB for m in with_tab}

    def run(snapshot: Snapshot, compute: Callable[[], Any], what: str) -> None:
        """``compute()`` in a request on ``snapshot``; a failure is logged (a visitor's request reports it)."""
        with server.test_request_context("/"):
            pin_snapshot(snapshot)
            try:
                compute()
            except Exception:
                log.warning("warm-up: %s failed", what, exc_info=True)

    def warm_views(snapshot: Snapshot, views: list[View], deadline: float) -> int:
        for module in with_tab:  # the page itself (its controls' options and ranges come from the data)
            run(snapshot, module.layout, f"the page of {module.PATH}")
        done: set[tuple[str, str]] = set()
        ordered: list[tuple[str, Any]] = [(tab, None) for tab in tabs] + list(views)
        for name, values in ordered:
            if time.monotonic() >= deadline:
                break
            tab = tabs.get(name)
            if tab is None:
                continue
            parsed = tab.view.jsonable(tab.view.parse(values, snapshot))
            key = (name, json.dumps(parsed, sort_keys=True))
            if key in done:
                continue
            done.add(key)
            run(snapshot, functools.partial(tab.update, parsed, DEFAULT_THEME, None, shown=None), f"view {key}")
        return len(done)

    return warm_views
