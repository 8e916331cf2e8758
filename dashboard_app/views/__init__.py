"""Shared view behaviour for every tab: URL state, Reset, CSV per chart, empty and loading states.

A tab declares its controls once as a :class:`View`; the same declaration parses the
URL query in ``layout(**query)``, parses (possibly tampered) callback values, gives the
defaults for Reset (which may depend on the snapshot, e.g. the newest discovery year),
writes the query string back to the URL and names CSV files after the filters.

Example (a complete tab, minus its analysis)::

    from dash import Input, Output, callback
    from dashboard_app import views
    from dashboard_app.analysis.filters import year_bounds
    from dashboard_app.theme import THEME_STORE_ID

    VIEW = views.View("followup", (
        views.Control("years", default=lambda snap: year_bounds(snap), parse=views.year_range(year_bounds),
                      encode=views.encode_range),
        views.Control("rule", default="project", parse=views.choice("project", "station")),
        views.Control("top", default=10, parse=views.integer(1, 40)),
    ))
    CALLBACKS = views.register_view_callbacks(VIEW)       # URL sync + Reset

    def layout(**query):
        snap = views.request_snapshot()                      # may be None: layout must still work
        v = VIEW.parse(query, snap)                          # junk in the URL → defaults, never an error
        lo, hi = year_bounds(snap)
        controls = views.controls_bar(VIEW, [
            views.range_control(VIEW, "years", "Discovery years", lo, hi, v["years"]),
            views.radio_control(VIEW, "rule", "Follow-up by", [("project", "Project"), ("station", "Station")],
                                v["rule"]),
            views.number_control(VIEW, "top", "Top stations", 1, 40, v["top"]),
        ])
        return views.view_page("Follow-up timing", "…", controls, [views.chart_card(VIEW, "main", "Delay")])

    def main_table(values, snapshot):                        # values are parsed; memoise on the snapshot
        return snapshot.memo("followup.main", (values["years"], values["rule"]), lambda: compute(...))

    @callback(Output(VIEW.graph_id("main"), "figure"), Output(VIEW.note_id("main"), "children"),
              inputs={"values": views.control_inputs(VIEW), "theme": Input(THEME_STORE_ID, "data")})
    def update_main(values, theme):
        snap = views.request_snapshot()
        if snap is None:
            return views.empty_figure(views.NO_SNAPSHOT, theme), ""
        frame = main_table(VIEW.parse(values, snap), snap)
        if frame.empty:
            return views.empty_figure("No NEOs match these filters.", theme), ""
        return build_figure(frame, theme), ""

    views.register_csv(VIEW, "main", "followup-delay", main_table)   # same frame as the chart

Ids: controls are ``"<tab>-<name>"`` strings (so ``<label for>`` works); chart widgets are
pattern-matching dicts ``{"type": "view-graph" | "view-csv" | "view-download" | "view-note",
"tab": ..., "index": ...}`` from ``VIEW.graph_id(index)`` etc.; ``VIEW.url_id`` and
``VIEW.reset_id`` likewise. Every control's value property is ``"value"``.
"""

from dashboard_app.views.callbacks import (
    ViewCallbacks,
    control_inputs,
    control_states,
    register_chart,
    register_csv,
    register_view_callbacks,
    request_snapshot,
)
from dashboard_app.views.components import (
    chart_card,
    controls_bar,
    graph_config,
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
from dashboard_app.views.state import (
    Control,
    ControlValueError,
    View,
    choice,
    encode_range,
    integer,
    number_range,
    this_year,
    year_range,
)

__all__ = [
    "NO_SNAPSHOT",
    "Control",
    "ControlValueError",
    "View",
    "ViewCallbacks",
    "chart_card",
    "choice",
    "control_inputs",
    "control_states",
    "controls_bar",
    "csv_payload",
    "empty_figure",
    "encode_range",
    "graph_config",
    "integer",
    "number_control",
    "number_range",
    "radio_control",
    "range_control",
    "register_chart",
    "register_csv",
    "register_view_callbacks",
    "request_snapshot",
    "select_control",
    "slider_marks",
    "table_card",
    "this_year",
    "view_page",
    "year_marks",
    "year_range",
]
