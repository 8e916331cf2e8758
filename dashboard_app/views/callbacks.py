"""Callbacks every tab gets from one call: URL ↔ controls sync, Reset, and CSV downloads per chart.

Registered with ``dash.callback`` (never ``app.callback``) when the tab module is
imported; each function returns the plain callback functions so tests can call them
inside ``app.server.test_request_context()``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import dash
import flask
import pandas as pd
from dash import Input, Output, State
from dash.exceptions import PreventUpdate

from dashboard_app.snapshot.model import Snapshot
from dashboard_app.snapshot.store import NoSnapshotError, current_snapshot
from dashboard_app.theme import THEME_STORE_ID
from dashboard_app.views.csv import csv_payload
from dashboard_app.views.empty import NO_SNAPSHOT, empty_figure
from dashboard_app.views.state import View

TableBuilder = Callable[[dict[str, Any], Snapshot], "pd.DataFrame | tuple[pd.DataFrame, str]"]
"""``build(values, snapshot) -> frame`` or ``(frame, comment)``: the chart's numbers for parsed control values."""


def request_snapshot() -> Snapshot | None:
    """The snapshot serving this request, or None when none is loaded (or outside a request)."""
    if not flask.has_app_context():
        return None
    try:
        return current_snapshot()
    except NoSnapshotError:
        return None


def control_inputs(view: View) -> dict[str, Input]:
    """``{name: Input(control, "value")}`` for a flexible callback signature (``inputs=dict(values=...)``)."""
    return {name: Input(view.control_id(name), "value") for name in view.names}


def control_states(view: View) -> dict[str, State]:
    """``{name: State(control, "value")}``, like :func:`control_inputs`."""
    return {name: State(view.control_id(name), "value") for name in view.names}


@dataclass(frozen=True)
class ViewCallbacks:
    """The plain functions registered for a view (call them directly in tests)."""

    sync_url: Callable[..., str]
    reset: Callable[..., list[Any]]


# Replaces the query string in place (history.replaceState): no history entry per control change and
# no navigation event, so the page router does not re-render the tab. Inline, so the CSP hashes it.
# The query is also kept in sessionStorage, where the shell's tab links read it back (assets/shell.js).
REPLACE_QUERY_JS = """
function (search) {
    if (typeof search !== "string") { return; }
    var loc = window.location;
    if (loc.search !== search) {
        window.history.replaceState(window.history.state, "", loc.pathname + search + loc.hash);
    }
    try { window.sessionStorage.setItem("neo-tab-query:" + loc.pathname, search); } catch (e) { /* private mode */ }
}
"""


def register_view_callbacks(view: View) -> ViewCallbacks:
    """Register the URL-sync and Reset callbacks of ``view``; returns them for tests.

    URL sync: the server turns the controls into the canonical query string (non-default values
    only) in the tab's store; a clientside callback replaces the browser's query with it.
    """

    @dash.callback(
        Output(view.url_id, "data"),
        inputs={"values": control_inputs(view)},
        prevent_initial_call=True,
    )
    def sync_url(values: dict[str, Any]) -> str:
        """The query string (``?a=1`` or ``""``) of the non-default control values."""
        return view.query_string(values, request_snapshot())

    dash.clientside_callback(REPLACE_QUERY_JS, Input(view.url_id, "data"), prevent_initial_call=True)

    @dash.callback(
        [Output(view.control_id(name), "value") for name in view.names],
        Input(view.reset_id, "n_clicks"),
        prevent_initial_call=True,
    )
    def reset(n_clicks: Any) -> list[Any]:
        """Put every control of the tab back to its default (data-dependent defaults from the snapshot)."""
        if not n_clicks:
            raise PreventUpdate
        defaults = view.defaults(request_snapshot())
        return [_jsonable(defaults[name]) for name in view.names]

    return ViewCallbacks(sync_url=sync_url, reset=reset)


def register_csv(view: View, index: str, chart: str, build: TableBuilder) -> Callable[..., dict[str, Any]]:
    """Register the CSV download of chart ``index``; ``chart`` starts the file name.

    ``build(values, snapshot)`` must return the very frame the chart is drawn from
    (the same memoised analysis result), so file and chart cannot disagree.
    """

    @dash.callback(
        Output(view.download_id(index), "data"),
        inputs={"n_clicks": Input(view.csv_button_id(index), "n_clicks")},
        state={"values": control_states(view)},
        prevent_initial_call=True,
    )
    def download(n_clicks: Any, values: dict[str, Any]) -> dict[str, Any]:
        """The CSV of what the chart shows under the current controls."""
        snapshot = request_snapshot()
        if not n_clicks or snapshot is None:
            raise PreventUpdate
        parsed = view.parse(values, snapshot)
        out = build(parsed, snapshot)
        frame, comment = out if isinstance(out, tuple) else (out, None)
        return csv_payload(frame, view.file_name(chart, parsed, snapshot), comment)

    return download


CsvSpec = tuple[str, TableBuilder, str, str]
"""``(file stem, build(values, snapshot) -> the chart's frame, what it holds, its columns)``; ``what`` may use
``{control}`` placeholders filled from the parsed values."""


def register_csvs(
    view: View, specs: dict[str, CsvSpec], filters_text: Callable[[dict[str, Any]], str]
) -> dict[str, Callable[..., dict[str, Any]]]:
    """Register one CSV download per chart from a table of specs; returns chart index → callback.

    Each file starts with comment lines saying what it holds, ``filters_text(values)`` and its columns.
    """

    def builder(build: TableBuilder, what: str, columns: str) -> TableBuilder:
        return lambda v, snap: (build(v, snap), f"{what.format(**v)}; {filters_text(v)}.\nColumns: {columns}")

    return {
        index: register_csv(view, index, stem, builder(build, what, columns))
        for index, (stem, build, what, columns) in specs.items()
    }


ChartDrawer = Callable[[dict[str, Any], Snapshot, Any], tuple[Any, str]]
"""``draw(values, snapshot, theme) -> (figure or table rows, note)`` for parsed control values."""


def register_chart(
    view: View, index: str, draw: ChartDrawer, *, prop: str = "figure"
) -> Callable[..., tuple[Any, str]]:
    """Register the callback filling chart ``index`` (its ``figure``, or a table's ``data`` with ``prop="data"``)
    and its note from the parsed controls and the theme; with no snapshot it shows :data:`NO_SNAPSHOT`."""

    @dash.callback(
        Output(view.graph_id(index), prop),
        Output(view.note_id(index), "children"),
        inputs={"values": control_inputs(view), "theme": Input(THEME_STORE_ID, "data")},
    )
    def update(values: dict[str, Any], theme: Any) -> tuple[Any, str]:
        snapshot = request_snapshot()
        if snapshot is None:
            return (empty_figure(NO_SNAPSHOT, theme) if prop == "figure" else []), NO_SNAPSHOT
        return draw(view.parse(values, snapshot), snapshot, theme)

    return update


def _jsonable(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value
