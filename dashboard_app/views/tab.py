"""A tab's callbacks from one declaration: one server request per interaction draws every chart.

:func:`register_tab` declares, for a :class:`~dashboard_app.views.state.View` and its charts:

- in the browser (``assets/views.js``): the controls → the tab's *request* store (only real changes;
  slider steps settle first), Reset → every control's default, the drawn view's query → the URL;
- on the server, **one** callback: request + theme → every chart's figure (or table rows) and note,
  the URL query, the *drawn* store (the values the charts now show) and any control property the
  server must compute (:class:`ControlProp`); a chart that would look the same as the one on screen
  is not sent again (the *shown* store holds a digest per chart);
- the first view comes with the page (:mod:`dashboard_app.views.prefill` puts that callback's answer for
  the page's values into its layout), so the callback runs only on a change, never on page load;
- one CSV download callback for all charts of the tab, from the *drawn* store: a file always holds
  what its chart shows, even when the controls have moved on and the redraw has not arrived yet
  (a slow answer, or a refused one: HTTP 429, retried by ``assets/shell.js``).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

import dash
import flask
import pandas as pd
from dash import MATCH, ClientsideFunction, Input, Output, State
from dash.exceptions import PreventUpdate
from plotly.io.json import to_json_plotly

from dashboard_app import callbacks
from dashboard_app.snapshot.model import Snapshot
from dashboard_app.snapshot.store import NoSnapshotError, current_snapshot, note_view
from dashboard_app.theme import CHART_THEME_STORE_ID
from dashboard_app.views.csv import csv_payload
from dashboard_app.views.empty import NO_SNAPSHOT, empty_figure
from dashboard_app.views.state import View, integer_bounds
from dashboard_app.views.years import all_years_id, is_years_control

TableBuilder = Callable[[dict[str, Any], Snapshot], "pd.DataFrame | tuple[pd.DataFrame, str]"]
"""``build(values, snapshot) -> frame`` or ``(frame, comment)``: a chart's numbers for parsed control values."""

ChartDrawer = Callable[[dict[str, Any], Snapshot, Any], tuple[Any, str]]
"""``draw(values, snapshot, theme) -> (figure or table rows, note)`` for parsed control values."""

Uses: TypeAlias = "tuple[str, ...] | Callable[[dict[str, Any]], tuple[str, ...]] | None"
"""The controls a chart depends on: a tuple, a function of the parsed values, or None (all)."""

VIEWS_JS = "neo_views"  # the namespace of assets/views.js
DRAW_NEAR = ("neo_draw", "near")
"""A chart's client function (:attr:`Chart.client`) that draws it when it comes near the viewport
(``assets/draw_near.js``): a tab's charts below the fold wait, so the first view draws what is in view first."""
SNAPSHOT_STORE_ID = "shell-snapshot"  # the page shell's store of the snapshot id it shows (web/shell.py)


def request_snapshot() -> Snapshot | None:
    """The snapshot serving this request, or None when none is loaded (or outside a request)."""
    if not flask.has_app_context():
        return None
    try:
        return current_snapshot()
    except NoSnapshotError:
        return None


@dataclass(frozen=True)
class Chart:
    """One chart (or table) of a tab: how to draw it and the frame its CSV holds.

    ``csv(values, snapshot)`` must return the very frame the chart is drawn from (the same memoised
    analysis result), so file and chart cannot disagree. ``file`` starts the CSV's file name.
    """

    index: str
    draw: ChartDrawer
    csv: TableBuilder
    file: str
    prop: str = "figure"
    uses: Uses = None
    """The controls that change this chart (None: all; or ``uses(values)`` when that depends on the
    values); only these name its CSV file."""
    client: tuple[str, str] | None = None
    """A clientside function ``(namespace, name)`` that turns the server's answer into the drawn figure:
    :data:`DRAW_NEAR` (every :func:`chart`'s default: drawn when it comes near the viewport) or e.g.
    :data:`dashboard_app.figures.neo_points.CLIENT_FUNCTION`. The answer then goes to the chart's store
    (``view.packed_id``, beside the graph in :func:`chart_card`) and the function, in the browser, sets the
    graph's figure: no request of its own. None (tables): the answer goes to the component itself."""

    def component_id(self, view: View) -> dict[str, str]:
        """The id of the chart's ``dcc.Graph`` or the table's ``AgGrid``."""
        return view.grid_id(self.index) if self.prop == "rowData" else view.graph_id(self.index)

    def answer_output(self, view: View) -> Output:
        """Where the server's answer for this chart goes: the component, or its store (``client`` charts)."""
        if self.client is not None:
            return Output(view.packed_id(self.index), "data")
        return Output(self.component_id(view), self.prop)

    def used_controls(self, values: dict[str, Any]) -> tuple[str, ...] | None:
        """The controls that change this chart for these parsed values (None: all)."""
        return self.uses(values) if callable(self.uses) else self.uses


def _uses(uses: Any) -> Any:
    return uses if uses is None or callable(uses) else tuple(uses)


def chart(
    index: str,
    draw: ChartDrawer,
    *,
    csv: TableBuilder,
    file: str,
    uses: Any = None,
    client: tuple[str, str] = DRAW_NEAR,
) -> Chart:
    """A ``dcc.Graph`` chart (``views.chart_card(VIEW, index, ...)`` in the layout).

    ``uses`` names the controls that change it (default: all; or ``uses(values)``); its CSV file name
    states only those. ``client``: see :attr:`Chart.client` (default: drawn when it comes near the viewport).
    """
    return Chart(index, draw, csv, file, "figure", _uses(uses), client)


def table(index: str, draw: ChartDrawer, *, csv: TableBuilder, file: str, uses: Any = None) -> Chart:
    """An AG Grid whose ``rowData`` are the rows ``draw`` returns (``views.table_card`` in the layout).

    Its CSV button exports what the grid shows; ``csv`` still gives the table's frame (for the API)
    and the comment lines the export starts with.
    """
    return Chart(index, draw, csv, file, "rowData", _uses(uses))


def grid_export_params(chart_: Chart, view: View, parsed: dict[str, Any], snapshot: Snapshot) -> dict[str, Any]:
    """The grid's ``csvExportParams``: the file name of the drawn view and the comment lines of its CSV."""
    out = chart_.csv(parsed, snapshot)
    comment = out[1] if isinstance(out, tuple) else None
    lines = [line for line in (comment or "").splitlines() if line and not line.startswith("Columns:")]
    lines.append("Rows and columns as the table shows them (after any sorting and filtering on the page).")
    return {
        "fileName": view.file_name(chart_.file, parsed, snapshot, uses=chart_.used_controls(parsed)),
        "prependContent": "".join(f"# {line}\n" for line in lines),
    }


def described_csv(
    build: Callable[[dict[str, Any], Snapshot], pd.DataFrame],
    what: str,
    columns: str,
    filters_text: Callable[[dict[str, Any]], str],
) -> TableBuilder:
    """A CSV builder whose file starts with comment lines: ``what`` (may use ``{control}`` placeholders),
    ``filters_text(values)`` and the ``columns``."""
    return lambda v, snap: (build(v, snap), f"{what.format(**v)}; {filters_text(v)}.\nColumns: {columns}")


@dataclass(frozen=True)
class ControlProp:
    """A property of control ``name`` that the server sets with the charts, e.g. options that come from the data.

    ``compute(values, snapshot)`` gets the parsed values being drawn; ``snapshot`` may be None.
    """

    name: str
    prop: str
    compute: Callable[[dict[str, Any], Snapshot | None], Any]


@dataclass(frozen=True)
class TabCallbacks:
    """The plain functions registered for a tab (tests call them directly inside a request context)."""

    view: View
    charts: tuple[Chart, ...]
    outputs: dict[str, Any]
    """The update callback's ``output=``: the same nested shape as its answer, with ``Output`` leaves."""
    update: Callable[..., dict[str, Any]]
    """``update(values, theme) -> {"charts": {index: (figure or rows, note)}, "exports": {table index:
    csvExportParams}, "url": query, "drawn": values, "props": {"name.prop": value}}`` (``props`` only when
    the tab has :class:`ControlProp`)."""
    download: Callable[..., dict[str, Any]]
    """``download(n_clicks, csv_button_id, drawn_values) -> dcc.Download data`` of that button's chart."""


def _digest(value: Any) -> str:
    """A short fingerprint of what a chart (figure or rows, and note) or a control property shows."""
    return hashlib.blake2b(to_json_plotly(value).encode(), digest_size=8).hexdigest()


def register_tab(view: View, charts: Sequence[Chart], *, control_props: Sequence[ControlProp] = ()) -> TabCallbacks:
    """Declare the tab's callbacks (see the module docstring); returns the server-side functions."""
    charts = tuple(charts)
    by_index = {c.index: c for c in charts}
    if len(by_index) != len(charts):
        raise ValueError(f"view {view.tab!r} has two charts with the same index")
    outputs: dict[str, Any] = {
        "charts": {c.index: (c.answer_output(view), Output(view.note_id(c.index), "children")) for c in charts},
        "url": Output(view.url_id, "data"),
        "drawn": Output(view.drawn_id, "data"),
        "shown": Output(view.shown_id, "data"),
    }
    tables = [c for c in charts if c.prop == "rowData"]
    if tables:
        outputs["exports"] = {c.index: Output(view.grid_id(c.index), "csvExportParams") for c in tables}
    if control_props:
        outputs["props"] = {f"{p.name}.{p.prop}": Output(view.control_id(p.name), p.prop) for p in control_props}

    @callbacks.callback(
        output=outputs,
        inputs={
            "values": Input(view.request_id, "data"),
            "theme": Input(CHART_THEME_STORE_ID, "data"),
            "_snapshot": Input(SNAPSHOT_STORE_ID, "data"),
        },
        state={"shown": State(view.shown_id, "data")},
        prevent_initial_call=True,  # the first view is in the page's layout (views/prefill.py)
    )
    def update(values: Any, theme: Any, _snapshot: Any = None, shown: Any = None) -> dict[str, Any]:
        """Every chart, its note, the URL query and the drawn values for the requested (parsed) values.

        ``_snapshot`` (the snapshot id the page shows) only triggers a redraw when a new snapshot is published.
        ``shown`` holds a digest of what each chart (and server-set control property) shows now: one that
        would look the same is not sent again (``no_update``), so the browser redraws only what changed.
        """
        started = time.thread_time()
        snapshot = request_snapshot()
        parsed = view.parse(values, snapshot)
        out: dict[str, Any] = {}
        if snapshot is None:
            drawn = {
                c.index: ((empty_figure(NO_SNAPSHOT, theme) if c.prop == "figure" else []), NO_SNAPSHOT) for c in charts
            }
            if tables:
                out["exports"] = {c.index: dash.no_update for c in tables}
            out["url"], out["drawn"] = dash.no_update, None
        else:
            drawn = {c.index: tuple(c.draw(parsed, snapshot, theme)) for c in charts}
            if tables:
                out["exports"] = {c.index: grid_export_params(c, view, parsed, snapshot) for c in tables}
            out["url"], out["drawn"] = view.query_string(parsed, snapshot), view.jsonable(parsed)
        props = {f"{p.name}.{p.prop}": p.compute(parsed, snapshot) for p in control_props}
        if snapshot is not None:  # warmed on the next snapshot before the workers switch, the costliest first
            note_view(view.tab, out["drawn"], time.thread_time() - started)
        digests = {key: _digest(value) for key, value in (drawn | props).items()}
        before = shown if isinstance(shown, dict) else {}
        unchanged = {key for key, digest in digests.items() if before.get(key) == digest}
        out["charts"] = {i: (dash.no_update, dash.no_update) if i in unchanged else v for i, v in drawn.items()}
        if control_props:
            out["props"] = {k: dash.no_update if k in unchanged else v for k, v in props.items()}
        out["shown"] = digests
        return out

    csv_button = {**view.csv_button_id("x"), "index": MATCH}

    @callbacks.callback(
        Output({**view.download_id("x"), "index": MATCH}, "data"),
        Input(csv_button, "n_clicks"),
        State(csv_button, "id"),
        State(view.drawn_id, "data"),
        prevent_initial_call=True,
    )
    def download(n_clicks: Any, button_id: Any, drawn: Any) -> dict[str, Any]:
        """The CSV of what the chart shows: the values it was drawn for, not the controls' current ones."""
        snapshot = request_snapshot()
        index = button_id.get("index") if isinstance(button_id, dict) else None
        chart_ = by_index.get(index) if isinstance(index, str) else None
        if not n_clicks or snapshot is None or chart_ is None or not isinstance(drawn, dict):
            raise PreventUpdate
        parsed = view.parse(drawn, snapshot)
        out = chart_.csv(parsed, snapshot)
        frame, comment = out if isinstance(out, tuple) else (out, None)
        return csv_payload(
            frame, view.file_name(chart_.file, parsed, snapshot, uses=chart_.used_controls(parsed)), comment
        )

    if tables:
        # A table's CSV: the grid exports its shown rows and columns (with the server's file name and comments).
        callbacks.clientside_callback(
            ClientsideFunction(VIEWS_JS, "exportGrid"),
            Output({**view.grid_id("x"), "index": MATCH}, "exportDataAsCsv"),
            Input({**view.grid_csv_button_id("x"), "index": MATCH}, "n_clicks"),
            prevent_initial_call=True,
        )

    for c in charts:
        if c.client is not None:  # the server's answer → the drawn figure, in the browser
            callbacks.clientside_callback(
                ClientsideFunction(*c.client),
                Output(c.component_id(view), c.prop),
                Input(view.packed_id(c.index), "data"),  # on load too: the first view's answer is in the page
            )

    controls = [Input(view.control_id(n), "value") for n in view.names]
    callbacks.clientside_callback(
        ClientsideFunction(VIEWS_JS, "collect"),
        Output(view.request_id, "data"),
        controls,
        State(view.config_id, "data"),
        State(view.request_id, "data"),
        prevent_initial_call=True,
    )
    callbacks.clientside_callback(
        ClientsideFunction(VIEWS_JS, "reset"),
        [Output(view.control_id(n), "value") for n in view.names],
        Input(view.reset_id, "n_clicks"),
        State(view.config_id, "data"),
        prevent_initial_call=True,
    )
    for name in (c.name for c in view.controls if is_years_control(c)):
        # "All years": the slider's whole range (its min and max are the data's first and last year).
        callbacks.clientside_callback(
            ClientsideFunction(VIEWS_JS, "allYears"),
            Output(view.control_id(name), "value", allow_duplicate=True),
            Input(all_years_id(view, name), "n_clicks"),
            State(view.control_id(name), "min"),
            State(view.control_id(name), "max"),
            prevent_initial_call=True,
        )
    for name in (c.name for c in view.controls if integer_bounds(c) is not None):
        # A typed number outside its range is corrected in the box, with a message, before it is drawn.
        callbacks.clientside_callback(
            ClientsideFunction(VIEWS_JS, "checkNumber"),
            Output(view.control_id(name), "value", allow_duplicate=True),
            Output(view.message_id(name), "children"),
            Output(view.control_id(name), "invalid"),
            Input(view.control_id(name), "value"),
            State(view.config_id, "data"),
            State(view.request_id, "data"),
            prevent_initial_call=True,
        )
    callbacks.clientside_callback(
        ClientsideFunction(VIEWS_JS, "showQuery"),
        Input(view.url_id, "data"),  # on load: the page's canonical query
    )
    return TabCallbacks(view=view, charts=charts, outputs=outputs, update=update, download=download)
