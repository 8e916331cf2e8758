"""Computing the views visitors asked for lately on a new snapshot, before the workers switch to it.

The snapshot store's warm-up (``snapshot/warm.py``) runs :func:`view_warmer`'s function in one low-priority
process per machine: each tab's page and default view first (every visit without a query asks for them),
then the recorded views, the most asked for first, each through the tab's own update callback (so exactly
the memoised results that callback uses are computed), until the deadline.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable
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

    def warm_views(snapshot: Snapshot, views: list[View], deadline: float) -> int:
        for module in with_tab:  # the page itself (its controls' options and ranges come from the data)
            with server.test_request_context("/"):
                pin_snapshot(snapshot)
                try:
                    module.layout()
                except Exception:
                    log.warning("warm-up: the page of %s failed", module.PATH, exc_info=True)
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
            with server.test_request_context("/"):
                pin_snapshot(snapshot)
                try:
                    tab.update(parsed, DEFAULT_THEME, None, shown=None)
                except Exception:  # one view that fails is computed (and reported) when a visitor asks for it
                    log.warning("warm-up: view %s %s failed", name, parsed, exc_info=True)
        return len(done)

    return warm_views
