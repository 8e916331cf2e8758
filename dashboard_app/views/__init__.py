"""Shared view behaviour for every tab: one request per interaction, URL state, Reset, CSV per chart.

A tab declares its controls once as a :class:`View` and its charts once in :func:`register_tab`.
From that it gets:

- **one server callback** per tab: the controls' values (and the theme) → every chart's figure or
  table rows and note, the URL query, the *drawn* values, and any control property the server must
  compute (:class:`ControlProp`). A control change sends one request, whatever the number of charts;
  a chart that would look the same as the one on screen is not sent again (a digest per chart is kept
  in the page), and a newly published snapshot redraws the open tab (the page's status refresh names it);
- the first view in the page: the layout of a tab's page already holds what that callback answers for
  the page's values (:mod:`dashboard_app.views.prefill`), so a page load draws its charts with no
  callback request;
- in the browser (``assets/views.js``, no request): only real changes are sent; slider steps
  (controls declared with ``settle=True``, e.g. :func:`years_control`) wait until the steps pause
  (:data:`SETTLE_MS`), so a sweep with the arrow keys sends one request; Reset puts every control
  back to its default (data-dependent defaults come from the snapshot the page was built on); the
  address bar follows the drawn view in place (``history.replaceState``: no history entry);
- one CSV download per chart, built from the values the chart was *drawn* for (not the controls'
  current values), through the same memoised frame, so file and chart cannot disagree;
- empty states (:func:`empty_figure`, :data:`NO_SNAPSHOT` when no snapshot is loaded) and loading
  states (the old chart stays dimmed under a spinner until the new one arrives);
- charts drawn when they come near the viewport (:data:`DRAW_NEAR`, every chart's default): the answer
  goes to the chart's store and ``assets/draw_near.js`` hands it to the graph when the graph is within
  400 px of the viewport, so a tab's first view draws the charts in view first and the rest as the reader
  scrolls to them (printing draws them all);
- charts of one point per NEO (``chart(..., client=figures.neo_points.CLIENT_FUNCTION)``, which waits the
  same way): the answer names the points by row and the browser fills in their numbers and hover text
  from a file fetched once per snapshot (:mod:`dashboard_app.figures.neo_points`).

Pure-browser control states (a control disabled by another's value, relabelled options) are
clientside callbacks declared with :func:`clientside_callback` (inline JavaScript is hashed into the
CSP); anything that needs the data belongs in :class:`ControlProp`. Declare every callback through
:func:`callback` / :func:`clientside_callback` (from :mod:`dashboard_app.callbacks`), never
``dash.callback`` or ``app.callback``: the app factory attaches them to each app it builds.

A complete tab (``dashboard_app/tabs/<name>.py``, listed in ``tabs.TAB_MODULES``)::

    import json
    from typing import Any

    from dash import Input, Output

    from dashboard_app import views
    from dashboard_app.snapshot.model import Snapshot

    PATH, NAME, ORDER = "/followup", "Follow-up Timing", 40

    VIEW = views.View("followup", (
        views.years_control(),                              # a slider: default & bounds from the snapshot
        views.Control("rule", default="project", parse=views.choice("project", "station")),
        views.Control("top", default=10, parse=views.integer(1, 40)),
    ))

    def layout(**query: Any) -> Any:                        # called with the URL query; no data I/O needed
        snap = views.request_snapshot()                     # may be None: the layout must still work
        v = VIEW.parse(query, snap)                         # junk in the URL → defaults, never an error
        controls = views.controls_bar(VIEW, v, snap, [
            views.years_slider(VIEW, v["years"], snap),
            views.radio_control(VIEW, "rule", "Follow-up by", [("project", "Project"), ("station", "Station")],
                                v["rule"]),
            views.number_control(VIEW, "top", "Top stations", 1, 40, v["top"]),
        ])
        return views.view_page(NAME, "How soon does another survey follow up?", controls, [
            views.chart_card(VIEW, "delay", "Delay"),
            views.table_card(VIEW, "stations", "Stations", [("code", "Code"), ("n", "NEOs")]),
        ])

    def delay_table(v: dict[str, Any], snap: Snapshot):      # parsed values → the chart's frame, memoised
        return snap.memo("followup.delay", (v["years"], v["rule"]), lambda: compute_delay(snap, v))

    def draw_delay(v, snap, theme):                         # → (figure, note)
        frame = delay_table(v, snap)
        if frame.empty:
            return views.empty_figure("No NEOs match these filters.", theme), ""
        return delay_figure(frame, theme), f"{len(frame):,} NEOs."

    def draw_stations(v, snap, theme):                      # a table: → (rows, note)
        frame = station_table(v, snap)
        return frame.to_dict("records"), "" if len(frame) else "No stations."

    TAB = views.register_tab(VIEW, [
        views.chart("delay", draw_delay, csv=delay_table, file="followup-delay"),
        views.table("stations", draw_stations, csv=station_table, file="followup-stations"),
    ])

    # A pure-browser control state: Top applies to the station rule only.
    views.clientside_callback(
        f"function (rule) {{ return rule !== {json.dumps('station')}; }}",
        Output(VIEW.control_id("top"), "disabled"),
        Input(VIEW.control_id("rule"), "value"),
    )

``csv=`` returns the chart's frame, or ``(frame, comment)``; :func:`described_csv` adds the usual
comment lines. Tests call the registered functions inside ``app.server.test_request_context()``
(or any Flask request context whose app has a ``neo_store``)::

    out = TAB.update({"years": [2000, 2010], "rule": "station"}, "light")
    figure, note = out["charts"]["delay"]
    out["url"]      # "?years=2000-2010&rule=station" (defaults left out)
    out["drawn"]    # the parsed values drawn; CSV downloads use these
    out["shown"]    # a digest per chart: TAB.update(..., shown=out["shown"]) answers no_update for unchanged ones
    payload = TAB.download(1, VIEW.csv_button_id("delay"), out["drawn"])   # dcc.Download data

Ids: controls are ``"<tab>-<name>"`` strings (so ``<label for>`` works; every control's value
property is ``"value"``); chart widgets are pattern-matching dicts ``{"type": "view-graph" |
"view-csv" | "view-download" | "view-note", "tab": ..., "index": ...}`` from ``VIEW.graph_id(index)``
etc.; the tab's stores are ``VIEW.request_id``, ``VIEW.drawn_id``, ``VIEW.shown_id``, ``VIEW.url_id``,
``VIEW.config_id`` and its Reset button ``VIEW.reset_id``.

After HTTP 429 (the rate limit) ``assets/shell.js`` re-sends the refused request after ``Retry-After``
and meanwhile marks the charts out of date; the drawn view, URL and CSV files change only when the
redraw arrives, so they never disagree with the charts.
"""

from dashboard_app.callbacks import callback, clientside_callback
from dashboard_app.views.components import (
    HEATMAP_MIN_WIDTH,
    chart_card,
    controls_bar,
    graph_config,
    grid_column,
    number_control,
    radio_control,
    range_control,
    select_control,
    slider_marks,
    table_card,
    view_page,
    year_marks,
)
from dashboard_app.views.csv import csv_payload
from dashboard_app.views.empty import NO_SNAPSHOT, empty_figure
from dashboard_app.views.scratch import per_request
from dashboard_app.views.state import (
    SETTLE_MS,
    Control,
    ControlValueError,
    View,
    accepted_values,
    choice,
    encode_range,
    integer,
    number_range,
    this_year,
    year_range,
)
from dashboard_app.views.tab import (
    DRAW_NEAR,
    Chart,
    ChartDrawer,
    ControlProp,
    TabCallbacks,
    TableBuilder,
    chart,
    described_csv,
    register_tab,
    request_snapshot,
    table,
)
from dashboard_app.views.years import all_years_button, all_years_id, is_years_control, years_control, years_slider

__all__ = [
    "DRAW_NEAR",
    "HEATMAP_MIN_WIDTH",
    "NO_SNAPSHOT",
    "SETTLE_MS",
    "Chart",
    "ChartDrawer",
    "Control",
    "ControlProp",
    "ControlValueError",
    "TabCallbacks",
    "TableBuilder",
    "View",
    "accepted_values",
    "all_years_button",
    "all_years_id",
    "callback",
    "chart",
    "chart_card",
    "choice",
    "clientside_callback",
    "controls_bar",
    "csv_payload",
    "described_csv",
    "empty_figure",
    "encode_range",
    "graph_config",
    "grid_column",
    "integer",
    "is_years_control",
    "number_control",
    "number_range",
    "per_request",
    "radio_control",
    "range_control",
    "register_tab",
    "request_snapshot",
    "select_control",
    "slider_marks",
    "table",
    "table_card",
    "this_year",
    "view_page",
    "year_marks",
    "year_range",
    "years_control",
    "years_slider",
]
