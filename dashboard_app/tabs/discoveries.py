"""Discoveries by Year: NEO discoveries per year (or cumulative) stacked by project, station or size class.

Controls (all in the URL): ``years`` (``2000-2024``), ``size`` (all | split | 1..5 | unknown),
``group`` (combined | project | station), ``top`` (N stations), ``mode`` (per_year | cumulative).
Below the main chart: the size mix of the selection and the top discovery sites.
"""

from __future__ import annotations

import json
from typing import Any

import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, State

from dashboard_app import views
from dashboard_app.analysis import discoveries as analysis
from dashboard_app.analysis.filters import (
    GROUP_PROJECT,
    GROUP_STATION,
    GROUPING_LABELS,
    GROUPINGS,
    SIZE_ALL,
    SIZE_SPLIT,
    TOP_N_DEFAULT,
    TOP_N_MAX,
    size_choice_values,
    size_options,
    station_names,
)
from dashboard_app.figures import discoveries as figures
from dashboard_app.figures import partial_year
from dashboard_app.figures.labels import station_labels
from dashboard_app.snapshot.model import Snapshot

PATH = "/discoveries"
NAME = "Discoveries by Year"
ORDER = 10
HOW_TO_READ = (
    "Each bar is one year's NEO discoveries, coloured by who made them (a survey project, a station, or a size "
    "class). Cumulative adds the years up. The current year is only counted up to the data time, so its bar is "
    "partial. Below: how big the discovered NEOs are, and every discovery site with its count."
)
"""What the tab shows, in plain words (About's "How to read each tab")."""

MODE_LABELS = {analysis.PER_YEAR: "Per year", analysis.CUMULATIVE: "Cumulative"}
SITES_LIMIT = None
"""Every discovery site of the selection is listed (the grid draws only the rows in view)."""

VIEW = views.View(
    "discoveries",
    (
        views.years_control(),
        views.Control("size", default=SIZE_ALL, parse=views.choice(*size_choice_values())),
        views.Control("group", default=GROUP_PROJECT, parse=views.choice(*GROUPINGS)),
        views.Control("top", default=TOP_N_DEFAULT, parse=views.integer(1, TOP_N_MAX)),
        views.Control("mode", default=analysis.PER_YEAR, parse=views.choice(*analysis.MODES)),
    ),
)


def layout(**query: Any) -> Any:
    """The tab: controls from the URL query (junk → defaults), three chart cards filled by callbacks."""
    snap = views.request_snapshot()
    v = VIEW.parse(query, snap)
    controls = views.controls_bar(
        VIEW,
        v,
        snap,
        [
            views.years_slider(VIEW, v["years"], snap),
            views.select_control(VIEW, "size", "Size class", size_options(), v["size"]),
            views.radio_control(VIEW, "group", "Group by", [(g, GROUPING_LABELS[g]) for g in GROUPINGS], v["group"]),
            views.number_control(VIEW, "top", "Top N stations", 1, TOP_N_MAX, v["top"]),
            views.radio_control(VIEW, "mode", "Count", list(MODE_LABELS.items()), v["mode"]),
        ],
    )
    return views.view_page(
        NAME,
        "NEOs by the UTC year of their discovery observation, stacked by who found them or by size.",
        controls,
        [
            views.chart_card(VIEW, "main", "Discoveries per year", file_stem="discoveries-by-year", height=500),
            dbc.Row(
                [
                    dbc.Col(views.chart_card(VIEW, "sizes", "Size classes of the selection", height=340), lg=6),
                    dbc.Col(
                        views.table_card(
                            VIEW,
                            "sites",
                            "Discovery sites",
                            [
                                {**views.grid_column(("rank", "#", "count")), "minWidth": 64, "maxWidth": 80},
                                {**views.grid_column(("code", "Code")), "minWidth": 80, "maxWidth": 100},
                                {**views.grid_column(("name", "Name")), "minWidth": 160},
                                {**views.grid_column(("project", "Project")), "minWidth": 140},
                                {**views.grid_column(("discoveries", "Discoveries", "count")), "minWidth": 120},
                            ],
                            rows=9,
                        ),
                        lg=6,
                    ),
                ]
            ),
        ],
    )


# --- analysis, memoised per snapshot (the CSVs use these same results) --------------------------


def _yearly(v: dict[str, Any], snap: Snapshot) -> analysis.YearlyCounts:
    group = "size" if v["size"] == SIZE_SPLIT else v["group"]
    top = v["top"] if group == GROUP_STATION else 0
    key = (v["years"], v["size"], group, top, v["mode"])
    return snap.memo(
        "discoveries.yearly",
        key,
        lambda: analysis.yearly_counts(
            snap.discoveries, v["years"], v["size"], v["group"], v["top"], v["mode"], station_labels(snap)
        ),
    )


def _size_mix(v: dict[str, Any], snap: Snapshot) -> pd.DataFrame:
    return snap.memo(
        "discoveries.size_mix",
        (v["years"], v["size"]),
        lambda: analysis.size_mix(snap.discoveries, v["years"], v["size"]),
    )


def _sites(v: dict[str, Any], snap: Snapshot) -> pd.DataFrame:
    return snap.memo(
        "discoveries.sites",
        (v["years"], v["size"]),
        lambda: analysis.top_sites(snap.discoveries, v["years"], v["size"], station_names(snap), limit=SITES_LIMIT),
    )


def _filters_text(v: dict[str, Any]) -> str:
    size = dict(size_options())[v["size"]]
    return f"years {v['years'][0]}–{v['years'][1]}, {size}"


def _empty_sentence(v: dict[str, Any]) -> str:
    years = f"No NEOs were discovered in {v['years'][0]}–{v['years'][1]}"
    if v["size"] in (SIZE_ALL, SIZE_SPLIT):
        return years + "."
    return f"{years} in the size class “{dict(size_options())[v['size']]}”."


def main_uses(v: dict[str, Any]) -> tuple[str, ...]:
    """The controls that change the main chart: Group by not when split by size, Top N only for stations."""
    if v["size"] == SIZE_SPLIT:
        return ("years", "size", "mode")
    return (
        ("years", "size", "group", "top", "mode") if v["group"] == GROUP_STATION else ("years", "size", "group", "mode")
    )


def main_csv(v: dict[str, Any], snap: Snapshot) -> tuple[pd.DataFrame, str]:
    """CSV of the main chart: the yearly counts table, with its columns and filters stated."""
    r = _yearly(v, snap)
    cumulative = r.value_column.startswith("cumulative")
    what = "cumulative discoveries from the first year of the range" if cumulative else "discoveries in the year"
    comment = (
        f"Discoveries by year, {_filters_text(v)}, stacked by {r.stacked_by}.\n"
        f"Columns: year (UTC discovery year); series (stack: {r.stacked_by}); {r.value_column} ({what})."
    )
    return r.table, comment


def sizes_csv(v: dict[str, Any], snap: Snapshot) -> tuple[pd.DataFrame, str]:
    """CSV of the size-class chart."""
    comment = (
        f"Discoveries per size class, {_filters_text(v)}.\n"
        "Columns: size_class; h_min, h_max (H edges, blank = open); discoveries."
    )
    return _size_mix(v, snap), comment


def sites_csv(v: dict[str, Any], snap: Snapshot) -> tuple[pd.DataFrame, str]:
    """CSV of the discovery-sites table."""
    comment = (
        f"Discovery sites, most discoveries first, {_filters_text(v)}.\n"
        "Columns: rank; code (MPC observatory code); name; project (survey project); discoveries."
    )
    return _sites(v, snap), comment


# --- charts ---------------------------------------------------------------------------------------


def draw_main(v: dict[str, Any], snap: Snapshot, theme: Any) -> tuple[Any, str]:
    """Main chart from parsed controls: count (memoised), draw."""
    r = _yearly(v, snap)
    if r.empty:
        return views.empty_figure(_empty_sentence(v), theme), ""
    note = f"{r.n_selected:,} NEOs discovered, {_filters_text(v)}."
    if v["size"] == SIZE_SPLIT:
        note += (
            " Split by size stacks the size classes (Unknown H included, so totals equal all sizes);"
            " Group by applies to the other size choices."
        )
    partial = partial_year.partial_year(snap.data_time, v["years"])
    note += partial_year.note(partial, "its hatched bar is not a full year")
    return figures.yearly_figure(r, theme, partial), note


def draw_sizes(v: dict[str, Any], snap: Snapshot, theme: Any) -> tuple[Any, str]:
    """Size classes of the selection (Unknown H included)."""
    frame = _size_mix(v, snap)
    if int(frame["discoveries"].sum()) == 0:
        return views.empty_figure(_empty_sentence(v), theme), ""
    return figures.size_mix_figure(frame, theme), "Size classes by H at albedo 0.14; Unknown H = no usable H."


def draw_sites(v: dict[str, Any], snap: Snapshot, _theme: Any) -> tuple[list[dict[str, Any]], str]:
    """Every discovery site of the selection, as table rows."""
    frame = _sites(v, snap)
    if frame.empty:
        return [], _empty_sentence(v)
    return frame.to_dict("records"), f"Stations credited with the discovery observation, {_filters_text(v)}."


TAB = views.register_tab(
    VIEW,
    [
        views.chart("main", draw_main, csv=main_csv, file="discoveries-by-year", uses=main_uses),
        views.chart("sizes", draw_sizes, csv=sizes_csv, file="discoveries-size-classes", uses=("years", "size")),
        views.table("sites", draw_sites, csv=sites_csv, file="discoveries-sites", uses=("years", "size")),
    ],
)
"""One request per change draws all three; ``TAB.update`` and ``TAB.download`` are plain functions for tests."""

# Group by does not apply in split-by-size mode; Top N only applies to station grouping (in the browser).
views.clientside_callback(
    f"""
    function (size, group, options) {{
        var split = size === {json.dumps(SIZE_SPLIT)};
        return [
            (options || []).map(function (o) {{ return Object.assign({{}}, o, {{disabled: split}}); }}),
            split || group !== {json.dumps(GROUP_STATION)}
        ];
    }}
    """,
    Output(VIEW.control_id("group"), "options"),
    Output(VIEW.control_id("top"), "disabled"),
    Input(VIEW.control_id("size"), "value"),
    Input(VIEW.control_id("group"), "value"),
    State(VIEW.control_id("group"), "options"),
)
