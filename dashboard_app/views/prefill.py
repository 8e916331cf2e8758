"""A tab's first view drawn into its layout: the page arrives with its charts, no callback before the first one.

Without this, a tab's page comes with empty charts and the browser asks the tab's update callback to draw
them, and a tab link waits for two requests in sequence (the page router's, then the update; measured with
``bench.first_view``: link → every chart drawn 336–682 ms with two requests, 261–528 ms with one). Here the
page's layout function is wrapped so that,
when a browser asks for a page (the layout request naming it, or the page router's callback on a tab
link), the layout holds what the update callback would answer for the values its controls show: every
figure (or table rows), note, the drawn/shown/URL stores and server-set control properties. The update
callback is registered with ``prevent_initial_call``, so it runs only when something changes (a control,
the theme, a new snapshot).

The theme: the figures are drawn for the visitor's theme, which lives in the browser's local storage;
``assets/shell.js`` mirrors it in a cookie (:func:`dashboard_app.theme.request_theme`) and the page's
chart-theme store starts from the same value, so the callback runs on load only when the two differ
(a first visit with no cookie from a browser that prefers dark: one redraw).

If drawing the first view fails, the page still comes (controls and empty charts, each chart's note
saying so) and the error is logged; a control change asks the update callback again.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import dash
import flask
from dash import Output
from dash.development.base_component import Component

from dashboard_app.theme import request_theme
from dashboard_app.views.tab import TabCallbacks
from dashboard_app.web.callback_guard import CALLBACK_PATH
from dashboard_app.web.first_view import LAYOUT_PATH, requested_page

FAILED_NOTE = "This chart could not be drawn. Change a control or reload the page to try again."

log = logging.getLogger(__name__)


def is_page_request() -> bool:
    """True while a browser is being given a page: the layout request naming it or the page router's callback.

    Not while Dash validates the layouts at start-up, nor for any other caller of a layout function.
    """
    if not flask.has_request_context():
        return False
    return requested_page() is not None or flask.request.path.endswith(CALLBACK_PATH)


def component_key(component_id: Any) -> str:
    """A component id as one string, the way Dash writes it in callback specs (dict ids: sorted, compact JSON)."""
    if isinstance(component_id, dict):
        return json.dumps(component_id, sort_keys=True, separators=(",", ":"))
    return str(component_id)


def _components(tree: Any) -> Iterator[Component]:
    """``tree`` and every component below it (through ``children``, as Dash lays out a page)."""
    if isinstance(tree, Component):
        yield tree
        yield from _components(getattr(tree, "children", None))
    elif isinstance(tree, list | tuple):
        for item in tree:
            yield from _components(item)


def _pairs(outputs: Any, values: Any) -> Iterator[tuple[Output, Any]]:
    """``(Output, value)`` for each output of a callback's nested ``output=`` and its answer of the same shape."""
    if isinstance(outputs, Output):
        yield outputs, values
    elif isinstance(outputs, dict):
        for key, output in outputs.items():
            if key in values:
                yield from _pairs(output, values[key])
    else:
        for output, value in zip(outputs, values, strict=True):
            yield from _pairs(output, value)


def prefill(tree: Any, tab: TabCallbacks, theme: str) -> Any:
    """Set, in the layout ``tree``, what ``tab``'s update callback answers for the values its request store holds."""
    by_id = {component_key(cid): c for c in _components(tree) if (cid := getattr(c, "id", None)) is not None}
    request = by_id.get(component_key(tab.view.request_id))
    if request is None:
        return tree  # not this tab's page (or a layout without controls): nothing to draw
    answer = tab.update(getattr(request, "data", None), theme, None, shown=None)
    for output, value in _pairs(tab.outputs, answer):
        target = by_id.get(component_key(output.component_id))
        if target is not None and value is not dash.no_update:
            setattr(target, output.component_property, value)
    return tree


def _fail_notes(tree: Any, tab: TabCallbacks) -> None:
    notes = {component_key(tab.view.note_id(c.index)) for c in tab.charts}
    for component in _components(tree):
        if component_key(getattr(component, "id", None)) in notes:
            component.children = FAILED_NOTE


def install_layout_headers(server: flask.Flask) -> None:
    """A layout naming a page holds charts drawn for this snapshot and the visitor's theme cookie: no shared or
    stored copy (``Cache-Control: no-cache``, ``Vary: Cookie``)."""

    @server.after_request
    def _layout_headers(response: flask.Response) -> flask.Response:
        if requested_page() is not None and flask.request.path.endswith(LAYOUT_PATH):
            response.headers["Cache-Control"] = "no-cache"
            response.vary.add("Cookie")
        return response


def prefilled_layout(layout: Callable[..., Any], tab: TabCallbacks) -> Callable[..., Any]:
    """``layout`` (a tab's page layout function) drawing its first view into the page (module docstring)."""

    @functools.wraps(layout)
    def page(**query: Any) -> Any:
        tree = layout(**query)
        if not is_page_request():
            return tree
        try:
            return prefill(tree, tab, request_theme())
        except Exception:
            log.exception("first view of %s: drawing the charts into the page failed", tab.view.tab)
            _fail_notes(tree, tab)
            return tree

    return page
