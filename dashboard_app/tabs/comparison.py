"""Multi-survey Comparison: which surveys saw the NEOs discovered in these years during their apparition.

Controls (all in the URL): ``years``, ``size`` (all | 1..5 | unknown), ``group`` (project | station),
``venn1``..``venn3`` (a project or station code each; blank = the largest groups), ``side`` (post | any),
``window`` (days), ``metric`` (neos | tracklets | observations), ``labels`` (counts | percent | both),
``annual`` (count | pct). Charts: Venn, summary table, reach bars, co-detection heatmap, annual
lines, station detail.
"""

from __future__ import annotations

import json
import re
from typing import Any

import dash_bootstrap_components as dbc
from dash import Input, Output, State, html

from dashboard_app import reference, views
from dashboard_app.analysis import comparison as analysis
from dashboard_app.analysis.filters import (
    SIZE_SPLIT,
    ranked_values,
    size_options,
    size_orders,
    station_names,
    year_bounds,
)
from dashboard_app.definitions import APPARITION_WINDOWS_DAYS
from dashboard_app.figures import comparison as figures
from dashboard_app.figures import partial_year
from dashboard_app.figures.labels import station_labels
from dashboard_app.figures.venn import LABEL_MODES, venn_figure
from dashboard_app.snapshot.model import Snapshot, project_of

PATH = "/comparison"
NAME = "Multi-survey Comparison"
ORDER = 30
HOW_TO_READ = (
    "For the NEOs discovered in the chosen years, which surveys also observed them in their discovery apparition. "
    "The Venn shows how many were seen by one, two or three chosen groups; the bars show how many NEOs (or "
    "tracklets, observations) each group reached; the heatmap shows which pairs of groups saw the same NEOs."
)
"""What the tab shows, in plain words (About's "How to read each tab")."""

SIZE_CHOICES = [(v, label) for v, label in size_options() if v != SIZE_SPLIT]
GROUP_LABELS = {"project": "Survey project", "station": "Station"}
SIDE_LABELS = {"post": "After discovery only", "any": "Include precoveries"}
LABEL_MODE_LABELS = {"counts": "Counts", "percent": "% of eligible", "both": "Both"}
ANNUAL_LABELS = {"count": "Count", "pct": "% of the year's NEOs"}
RULE = (
    "A group saw a NEO when one of its stations observed it inside the window: 0 ≤ Δt ≤ W days after the "
    "discovery time, or |Δt| ≤ W when precoveries are included. The discovering station counts as having "
    "seen it. Stations outside the named projects fall into “Other Follow-up”; in station mode every station "
    "is its own group."
)


STATION_CODE = re.compile(r"^[A-Z0-9]{3}$")
VENN_SLOTS: tuple[str, ...] = ("venn1", "venn2", "venn3")
SELECTION_CONTROLS: tuple[str, ...] = ("years", "size", "group", "side", "window")
"""The controls every chart of the tab depends on (the NEOs and groups counted); CSV names state them."""
AUTO = "largest"
"""A Venn slot left to the data (the largest groups). Not "": a select shows its placeholder for "", not the
"(largest)" option (older links with an empty slot still mean this)."""


def _parse_group(raw: Any, _snapshot: Snapshot | None) -> str:
    """A Venn slot: empty (automatic), a survey project name or a station code."""
    name = raw.strip() if isinstance(raw, str) else None
    if name == "":
        return AUTO
    if name is None or not (name == AUTO or name in {p.name for p in reference.projects()} or STATION_CODE.match(name)):
        raise views.ControlValueError(f"not a project or station code: {raw!r}")
    return name


VIEW = views.View(
    "comparison",
    (
        views.years_control(),
        views.Control("size", default="all", parse=views.choice(*(v for v, _ in SIZE_CHOICES))),
        views.Control("group", default="project", parse=views.choice(*analysis.GROUP_BY_OPTIONS)),
        *(views.Control(slot, default=AUTO, parse=_parse_group) for slot in VENN_SLOTS),
        views.Control("side", default="post", parse=views.choice(*SIDE_LABELS)),
        views.Control(
            "window",
            default=str(analysis.DEFAULT_WINDOW),
            parse=views.choice(*(str(w) for w in APPARITION_WINDOWS_DAYS)),
        ),
        views.Control("metric", default="neos", parse=views.choice(*analysis.METRICS)),
        views.Control("labels", default="both", parse=views.choice(*LABEL_MODES)),
        views.Control("annual", default="count", parse=views.choice(*ANNUAL_LABELS)),
    ),
)


# --- layout --------------------------------------------------------------------------------------


def layout(**query: Any) -> Any:
    """The tab: controls from the URL query (junk → defaults), six cards filled by callbacks."""
    snap = views.request_snapshot()
    v = VIEW.parse(query, snap)
    lo, hi = year_bounds(snap)
    controls = views.controls_bar(
        VIEW,
        v,
        snap,
        [
            html.Div(
                [
                    views.range_control(
                        VIEW, "years", "Discovery years", lo, hi, v["years"], marks={lo: str(lo), hi: str(hi)}
                    ),
                    views.all_years_button(VIEW, lo, hi),
                ]
            ),
            views.select_control(VIEW, "size", "Size class", SIZE_CHOICES, v["size"]),
            views.radio_control(VIEW, "group", "Group by", list(GROUP_LABELS.items()), v["group"]),
            _venn_slots(v, group_options(snap, v["group"])),
            views.radio_control(VIEW, "side", "Observations counted", list(SIDE_LABELS.items()), v["side"]),
            views.select_control(VIEW, "window", "Apparition window", _window_options(v["side"]), v["window"]),
            views.radio_control(VIEW, "metric", "Reach metric", list(analysis.METRIC_LABELS.items()), v["metric"]),
            views.radio_control(VIEW, "labels", "Venn labels", list(LABEL_MODE_LABELS.items()), v["labels"]),
            views.radio_control(VIEW, "annual", "Annual lines", list(ANNUAL_LABELS.items()), v["annual"]),
        ],
    )
    summary_columns = [
        {**views.grid_column(("measure", "Measure")), "minWidth": 180},
        {**views.grid_column(("value", "Value", "count")), "minWidth": 90, "maxWidth": 140},
    ]
    return views.view_page(
        NAME,
        "Which surveys saw the NEOs discovered in these years during their discovery apparition, "
        "and how much do they overlap?",
        controls,
        [
            html.P(RULE, className="small text-body-secondary"),
            dbc.Row(
                [
                    dbc.Col(views.chart_card(VIEW, "venn", "Overlap of the chosen groups", height=440), lg=7),
                    dbc.Col(views.table_card(VIEW, "summary", "Summary", summary_columns, rows=7), lg=5),
                ]
            ),
            views.chart_card(VIEW, "reach", "Survey reach", height=520),
            views.chart_card(VIEW, "codetect", "Pairwise co-detection", height=560, min_width=views.HEATMAP_MIN_WIDTH),
            views.chart_card(VIEW, "annual", "NEOs seen per discovery year", height=440),
            views.chart_card(VIEW, "stations", "Station detail", height=620),
        ],
    )


OTHERS_NOTE = {
    "neos": "“Others” counts the distinct NEOs the other stations saw (an NEO seen by several counts once).",
    "tracklets": "“Others” sums the tracklets of the other stations.",
    "observations": "“Others” sums the observations of the other stations.",
}
"""How the station-mode reach bar "Others" is made, per metric (NEOs distinct; tracklets, observations summed)."""


def _venn_slots(v: dict[str, Any], options: list[dict[str, str]]) -> html.Fieldset:
    """Three native selects (one per Venn circle) under one legend; blank slots pick the largest groups."""
    rows = []
    for n, slot in enumerate(VENN_SLOTS, start=1):
        cid = VIEW.control_id(slot)
        rows.append(dbc.Label(f"Venn group {n}", html_for=cid, className="visually-hidden"))
        rows.append(dbc.Select(id=cid, options=_slot_options(options), value=v[slot], size="sm", className="mb-1"))
    return html.Fieldset(
        [html.Legend("Venn groups (blank = the largest)", className="form-label fs-6 mb-1"), *rows],
        className="view-control mb-2",
    )


def _slot_options(options: list[dict[str, str]]) -> list[dict[str, str]]:
    return [{"label": "(largest)", "value": AUTO}, *options]


def _window_options(side: str) -> list[tuple[str, str]]:
    sign = "±" if side == "any" else "+"
    return [(str(w), f"{sign}{w} days") for w in APPARITION_WINDOWS_DAYS]


def group_options(snap: Snapshot | None, group_by: str) -> list[dict[str, str]]:
    """Dropdown options of the Venn groups: every project, or every station with observations."""
    if group_by != "station":
        return [{"label": p.name, "value": p.name} for p in reference.projects()]
    if snap is None:
        return []
    return snap.memo("comparison.station_options", (), lambda: _station_options(snap))


def _station_options(snap: Snapshot) -> list[dict[str, str]]:
    labels = station_labels(snap)
    return [
        {"label": f"{labels.get(code, code)} · {project_of(code)}", "value": code}
        for code in ranked_values(snap.apparitions["stn"])
    ]


# --- analysis, memoised per snapshot (the CSVs use these same results) --------------------------


def _selection(v: dict[str, Any]) -> analysis.SurveySelection:
    return analysis.SurveySelection(
        years=v["years"],
        sizes=size_orders(v["size"]),
        group_by=v["group"],
        window=int(v["window"]),
        precovery=v["side"] == "any",
    )


def _sightings(v: dict[str, Any], snap: Snapshot) -> analysis.Sightings:
    """Who saw which eligible NEO: 13-18 MB at full scale but 7-36 ms to build, so held for the request that
    needs it, not in the memo (kept there, one was 13.6 MB in every worker under the traffic model); the small
    results derived from it are memoised on their own."""
    sel = _selection(v)
    return views.per_request(
        (snap.id, "comparison.sightings", sel), lambda: analysis.sightings(snap.discoveries, snap.apparitions, sel)
    )


def _derived(name: str, v: dict[str, Any], snap: Snapshot, extra: tuple, compute) -> Any:
    """A small result of the selection's sightings, memoised; the sightings are built only on a miss."""
    return snap.memo(f"comparison.{name}", (_selection(v), *extra), lambda: compute(_sightings(v, snap)))


def _n_eligible(v: dict[str, Any], snap: Snapshot) -> int:
    return _derived("n_eligible", v, snap, (), lambda s: s.n_eligible)


def _labels(v: dict[str, Any], snap: Snapshot) -> dict[str, str]:
    if v["group"] != "station":
        return {}
    return station_labels(snap)


def venn_groups(v: dict[str, Any], snap: Snapshot) -> list[str]:
    """The chosen Venn groups that exist in this grouping, or the three largest when none do."""
    valid = {o["value"] for o in group_options(snap, v["group"])}
    chosen = list(dict.fromkeys(v[slot] for slot in VENN_SLOTS if v[slot] in valid))
    return chosen or _derived("default_venn", v, snap, (), analysis.default_venn_groups)


def _venn(v: dict[str, Any], snap: Snapshot) -> Any:
    groups = tuple(venn_groups(v, snap))
    return _derived("venn", v, snap, (groups,), lambda s: analysis.venn_regions(s, list(groups)) if groups else None)


def _reach(v: dict[str, Any], snap: Snapshot) -> Any:
    return _derived("reach", v, snap, (v["metric"],), lambda s: analysis.reach(s, v["metric"]))


def _matrix_groups(v: dict[str, Any], snap: Snapshot) -> list[str]:
    return _derived("matrix_groups", v, snap, (), lambda s: analysis.top_groups(s, analysis.MATRIX_TOP_STATIONS))


def _codetect(v: dict[str, Any], snap: Snapshot) -> Any:
    return _derived("codetect", v, snap, (), lambda s: analysis.co_detection(s, _matrix_groups(v, snap)))


def _annual(v: dict[str, Any], snap: Snapshot) -> Any:
    return _derived(
        "annual", v, snap, (), lambda s: analysis.annual_reach(s, analysis.top_groups(s, analysis.ANNUAL_TOP_STATIONS))
    )


def _summary(v: dict[str, Any], snap: Snapshot) -> Any:
    return _derived("summary", v, snap, (), analysis.overlap_summary)


def _stations(v: dict[str, Any], snap: Snapshot) -> Any:
    groups = tuple(venn_groups(v, snap))
    return _derived(
        "stations",
        v,
        snap,
        (groups, v["metric"]),
        lambda s: analysis.station_detail(s, list(groups), v["metric"], station_names(snap)),
    )


def _filters_text(v: dict[str, Any]) -> str:
    size = dict(SIZE_CHOICES)[v["size"]]
    window = f"±{v['window']} d incl. precoveries" if v["side"] == "any" else f"0…+{v['window']} d after discovery"
    return f"discovered {v['years'][0]}–{v['years'][1]}, {size}, seen {window}, by {GROUP_LABELS[v['group']].lower()}"


def _empty_sentence(v: dict[str, Any]) -> str:
    size = dict(SIZE_CHOICES)[v["size"]]
    return f"No NEOs were discovered in {v['years'][0]}–{v['years'][1]} in the size class “{size}”."


# --- charts ---------------------------------------------------------------------------------------


def draw_venn(v: dict[str, Any], snap: Snapshot, theme: Any) -> tuple[Any, str]:
    """Venn of the chosen groups (or the three largest)."""
    if _n_eligible(v, snap) == 0:
        return views.empty_figure(_empty_sentence(v), theme), ""
    groups = venn_groups(v, snap)
    labels = _labels(v, snap)
    colours = [figures.project_colour(analysis.group_project(g, v["group"])) for g in groups]
    names = [labels.get(g, g) for g in groups]
    fig = venn_figure(_venn(v, snap), names, colours, v["labels"], theme)
    return fig, f"Circle sizes are not proportional to the counts. Eligible NEOs: {_filters_text(v)}."


def draw_summary(v: dict[str, Any], snap: Snapshot, _theme: Any) -> tuple[Any, str]:
    """The summary table rows."""
    if _n_eligible(v, snap) == 0:
        return [], _empty_sentence(v)
    rows = [{"measure": m, "value": x} for m, x in _summary(v, snap).to_numpy()]
    return rows, f"NEOs {_filters_text(v)}."


def draw_reach(v: dict[str, Any], snap: Snapshot, theme: Any) -> tuple[Any, str]:
    """Reach bars per group."""
    frame = _reach(v, snap)
    if frame.empty:
        return views.empty_figure(_empty_sentence(v), theme), ""
    note = (
        f"{analysis.METRIC_LABELS[v['metric']]} per group, NEOs {_filters_text(v)}. Catch-all groups are at the bottom."
    )
    if v["group"] == "station":
        note += f" The top {analysis.REACH_TOP_STATIONS} stations are shown; " + OTHERS_NOTE[v["metric"]]
    return figures.reach_figure(frame, v["metric"], _labels(v, snap), theme), note


def draw_codetect(v: dict[str, Any], snap: Snapshot, theme: Any) -> tuple[Any, str]:
    """Pairwise co-detection heatmap."""
    groups = _matrix_groups(v, snap)
    if not groups:
        return views.empty_figure(_empty_sentence(v), theme), ""
    note = (
        "Each cell: % of the row group's NEOs that the column group also saw; the diagonal gives the row group's count."
    )
    if v["group"] == "station":
        note += f" The {analysis.MATRIX_TOP_STATIONS} stations that saw the most NEOs."
    return figures.codetection_figure(_codetect(v, snap), groups, _labels(v, snap), theme), note


def draw_annual(v: dict[str, Any], snap: Snapshot, theme: Any) -> tuple[Any, str]:
    """Annual lines of NEOs seen per group."""
    frame = _annual(v, snap)
    if frame.empty:
        return views.empty_figure(_empty_sentence(v), theme), ""
    note = "NEOs seen by each group, per discovery year"
    note += " as % of that year's eligible NEOs." if v["annual"] == "pct" else "."
    if v["group"] == "station":
        note += f" The {analysis.ANNUAL_TOP_STATIONS} stations that saw the most NEOs."
    partial = partial_year.drawn(partial_year.partial_year(snap.data_time, v["years"]), frame["disc_year"])
    note += partial_year.note(partial, "its open points are not a full year")
    return figures.annual_figure(frame, v["annual"], _labels(v, snap), theme, partial), note


def draw_stations(v: dict[str, Any], snap: Snapshot, theme: Any) -> tuple[Any, str]:
    """Per-station detail behind the chosen groups."""
    frame = _stations(v, snap)
    if frame.empty:
        return views.empty_figure(_empty_sentence(v), theme), ""
    groups = venn_groups(v, snap)
    labels = _labels(v, snap)
    within = ", ".join(labels.get(g, g) for g in groups)
    metric = {"neos": "NEOs seen"}.get(v["metric"], v["metric"])
    note = f"Up to {analysis.DETAIL_TOP_STATIONS} stations of {within}, most {metric} first; hover for all measures."
    return figures.station_detail_figure(frame, v["metric"], theme), note


# --- the tab's callbacks: one request per change draws every chart; CSVs hold the frames drawn -------


def _csv(build: Any, what: str, columns: str) -> views.TableBuilder:
    return views.described_csv(build, what, columns, lambda v: f"NEOs {_filters_text(v)}")


def slot_options(v: dict[str, Any], snap: Snapshot | None) -> list[dict[str, str]]:
    """The Venn slots' options for the drawn grouping (station codes come from the snapshot)."""
    return _slot_options(group_options(snap, v["group"]))


TAB = views.register_tab(
    VIEW,
    [
        views.chart(
            "venn",
            draw_venn,
            file="comparison-venn",
            uses=(*SELECTION_CONTROLS, *VENN_SLOTS),
            csv=_csv(
                _venn,
                "Venn regions of the chosen groups",
                "mask (bit i set = seen by the i-th group named in the regions); region; neos; pct_of_eligible.",
            ),
        ),
        views.table(
            "summary",
            draw_summary,
            file="comparison-summary",
            csv=_csv(_summary, "Summary", "measure; value."),
            uses=SELECTION_CONTROLS,
        ),
        views.chart(
            "reach",
            draw_reach,
            file="comparison-reach",
            uses=(*SELECTION_CONTROLS, "metric"),
            csv=_csv(
                _reach,
                "Survey reach, bars = {metric}",
                "group; project; neos (NEOs seen); tracklets and observations (summed over the group's stations "
                "inside the window); value (the charted metric).",
            ),
        ),
        views.chart(
            "codetect",
            draw_codetect,
            file="comparison-codetection",
            uses=SELECTION_CONTROLS,
            csv=_csv(
                _codetect,
                "Pairwise co-detection",
                "row_group; col_group; n_row (NEOs the row group saw); n_both (NEOs both saw); pct_of_row "
                "(100 * n_both / n_row).",
            ),
        ),
        views.chart(
            "annual",
            draw_annual,
            file="comparison-annual",
            uses=SELECTION_CONTROLS,
            csv=_csv(
                _annual,
                "NEOs seen per group per discovery year",
                "disc_year; group; neos (seen by the group); eligible (NEOs discovered that year in the selection); "
                "pct_of_eligible.",
            ),
        ),
        views.chart(
            "stations",
            draw_stations,
            file="comparison-stations",
            uses=(*SELECTION_CONTROLS, *VENN_SLOTS, "metric"),
            csv=_csv(
                _stations,
                "Station detail, bars = {metric}",
                "stn; name; project; neos (NEOs seen); tracklets; observations; discovered (eligible NEOs the "
                "station discovered); value (the charted metric).",
            ),
        ),
    ],
    control_props=[views.ControlProp(slot, "options", slot_options) for slot in VENN_SLOTS],
)
"""``TAB.update(values, theme)`` and ``TAB.download(n, button_id, drawn)``: plain functions for tests."""


# --- control states, in the browser -------------------------------------------------------------------

# Switching grouping empties every Venn slot (the server sends that grouping's options with the charts).
views.clientside_callback(
    f"function (group) {{ return {json.dumps([AUTO] * len(VENN_SLOTS))}; }}",
    [Output(VIEW.control_id(slot), "value", allow_duplicate=True) for slot in VENN_SLOTS],
    Input(VIEW.control_id("group"), "value"),
    prevent_initial_call=True,
)

# Window labels say +W (after discovery) or ±W (with precoveries).
views.clientside_callback(
    """
    function (side, options) {
        var sign = side === "any" ? "±" : "+";
        return (options || []).map(function (o) {
            return {label: sign + String(o.label).replace(/^[+±]/, ""), value: o.value};
        });
    }
    """,
    Output(VIEW.control_id("window"), "options"),
    Input(VIEW.control_id("side"), "value"),
    State(VIEW.control_id("window"), "options"),
    prevent_initial_call=True,
)
