"""Shared view behaviour for every tab: URL state, Reset, CSV per chart, empty and loading states.

A tab declares its controls once as a :class:`View`; the same declaration parses the
URL query in ``layout(**query)``, parses (possibly tampered) callback values, gives the
defaults for Reset (which may depend on the snapshot, e.g. the newest discovery year),
writes the query string back to the URL and names CSV files after the filters.

Example (a complete tab, minus its analysis)::

    from dashboard_app import views

    VIEW = views.View("followup", (
        views.years_control(),                               # default & bounds: the snapshot's years
        views.Control("rule", default="project", parse=views.choice("project", "station")),
        views.Control("top", default=10, parse=views.integer(1, 40)),
    ))
    CALLBACKS = views.register_view_callbacks(VIEW)       # URL sync + Reset

    def layout(**query):
        snap = views.request_snapshot()                      # may be None: layout must still work
        v = VIEW.parse(query, snap)                          # junk in the URL → defaults, never an error
        controls = views.controls_bar(VIEW, [
            views.years_slider(VIEW, v["years"], snap),
            views.radio_control(VIEW, "rule", "Follow-up by", [("project", "Project"), ("station", "Station")],
                                v["rule"]),
            views.number_control(VIEW, "top", "Top stations", 1, 40, v["top"]),
        ])
        return views.view_page("Follow-up timing", "…", controls, [views.chart_card(VIEW, "main", "Delay")])

    def main_table(values, snapshot):                        # values are parsed; memoise on the snapshot
        return snapshot.memo("followup.main", (values["years"], values["rule"]), lambda: compute(...))

    def draw_main(values, snapshot, theme):                  # → (figure, note); no-snapshot case handled
        frame = main_table(values, snapshot)
        if frame.empty:
            return views.empty_figure("No NEOs match these filters.", theme), ""
        return build_figure(frame, theme), f"{len(frame)} rows"

    update_main = views.register_chart(VIEW, "main", draw_main)          # figure + note callback
    download_main = views.register_csv(VIEW, "main", "followup-delay", main_table)   # same frame as the chart

Tests call ``CALLBACKS.reset(1)``, ``CALLBACKS.sync_url(values)``, ``update_main(values, theme)`` and
``download_main(1, values)`` as plain functions inside ``app.server.test_request_context()``.

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
    register_csvs,
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
from dashboard_app.views.years import years_control, years_slider

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
    "register_csvs",
    "register_view_callbacks",
    "request_snapshot",
    "select_control",
    "slider_marks",
    "table_card",
    "this_year",
    "view_page",
    "year_marks",
    "year_range",
    "years_control",
    "years_slider",
]
