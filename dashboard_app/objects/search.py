"""The search box in the page header: suggestions as a person types, Enter or a click opens the object page.

Traffic: typing sends nothing until the typing pauses (:data:`DEBOUNCE_MS`, the input's own debounce), then
one request for suggestions; a pause with the same text, or an empty box, sends none (``assets/neo.js``
decides in the browser). Enter opens the best suggestion (or the page of the text as typed, which
resolves any form of a designation), and choosing a suggestion follows its link: both are one request,
the page itself. Suggestions come from the snapshot's designation index (:mod:`dashboard_app.objects`).

Charts whose points are single NEOs open a NEO's page on click: a figure opts in with
``layout.meta = figures.common.NEO_POINTS_META`` and points whose ``text`` begins with the designation (up to ``": "``).
``assets/neo.js`` listens to plotly's click event on such charts and navigates through this box's
``dcc.Location`` (the page's one request; no callback of its own, so other charts and tables are untouched).
"""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import ClientsideFunction, Input, Output, State, dcc, html

from dashboard_app import callbacks, objects, views
from dashboard_app.views.attrs import Attrs

ID_INPUT = "neo-search-input"
ID_QUERY = "neo-search-query"
ID_BEST = "neo-search-best"
ID_LIST = "neo-search-suggestions"
ID_STATUS = "neo-search-status"
ID_NAV = "neo-search-nav"
DEBOUNCE_MS = 300
"""Milliseconds of no typing before suggestions are asked for: a fast typist's whole designation is one request."""
JS = "neo_objects"  # the namespace of assets/neo.js


def search_box() -> html.Div:
    """The header's search box (label, input, suggestion list, screen-reader status, navigation)."""
    return html.Div(
        [
            html.Label("Find a NEO", htmlFor=ID_INPUT, className="visually-hidden"),
            dbc.Input(
                id=ID_INPUT,
                type="search",
                placeholder="Find a NEO (2024 YR4, 99942)",
                debounce=DEBOUNCE_MS,
                autocomplete="off",
                maxlength=64,
                size="sm",
            ),
            html.Ul(id=ID_LIST, className="neo-search-list list-unstyled mb-0", hidden=True),
            html.Div(id=ID_STATUS, className="visually-hidden", role="status", **Attrs({"aria-live": "polite"})),
            dcc.Store(id=ID_QUERY),
            dcc.Store(id=ID_BEST),
            dcc.Location(id=ID_NAV, refresh="callback-nav"),
        ],
        className="neo-search",
        role="search",
    )


def suggestion_items(query: str) -> tuple[list[Any], str, dict[str, str] | None]:
    """List items (links to object pages), the status sentence and the best match for ``query``."""
    snap = views.request_snapshot()
    if snap is None:
        return [], "No data loaded.", None
    hits = objects.suggest(snap, query)
    items = [
        html.Li(dcc.Link(h.designation, href=dash.get_relative_path(objects.page_path(h)), className="neo-search-link"))
        for h in hits
    ]
    if not hits:
        return [html.Li("No NEO matches.", className="neo-search-none")], f"No NEO matches {query}.", None
    best = {"query": query, "path": dash.get_relative_path(objects.page_path(hits[0]))}
    return items, f"{len(hits)} suggestion{'s' if len(hits) != 1 else ''}.", best


@callbacks.callback(
    Output(ID_LIST, "children"),
    Output(ID_LIST, "hidden"),
    Output(ID_STATUS, "children"),
    Output(ID_BEST, "data"),
    Input(ID_QUERY, "data"),
    prevent_initial_call=True,
)
def suggestions(query: Any) -> tuple[list[Any], bool, str, dict[str, str] | None]:
    """Suggestions for the text typed so far (one request per typing pause)."""
    if not isinstance(query, str) or not query.strip():
        return [], True, "", None
    items, status, best = suggestion_items(query.strip()[:64])
    return items, False, status, best


# Typing pause → the query store, only for new non-empty text (an empty box hides the list, no request).
callbacks.clientside_callback(
    ClientsideFunction(JS, "query"),
    Output(ID_QUERY, "data"),
    Output(ID_LIST, "hidden", allow_duplicate=True),
    Input(ID_INPUT, "value"),
    State(ID_QUERY, "data"),
    prevent_initial_call=True,
)
# Enter → the best suggestion for this very text, else the page of the text as typed.
callbacks.clientside_callback(
    ClientsideFunction(JS, "submit"),
    Output(ID_NAV, "pathname"),
    Input(ID_INPUT, "n_submit"),
    State(ID_INPUT, "value"),
    State(ID_BEST, "data"),
    prevent_initial_call=True,
)
# A new page → the box empties and the list closes (an emptied box sends no request).
callbacks.clientside_callback(
    ClientsideFunction(JS, "clear"),
    Output(ID_INPUT, "value"),
    Output(ID_LIST, "hidden", allow_duplicate=True),
    Input("_pages_location", "pathname"),
    prevent_initial_call=True,
)
