"""Size Distribution vs the population model: discovered NEOs per H bin against the model, completeness.

Controls (all in the URL): ``years`` (``2000-2024``), ``hrange`` (``15.25-27.75``), ``mode``
(differential | cumulative), ``group`` (combined | project | station), ``top`` (N stations),
``scale`` (linear | log). Below the chart: the full model table with discovered counts and
completeness per bin. The numbers and their caveats are explained in
:mod:`dashboard_app.analysis.sizes`.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
from dash import Input, Output, html

from dashboard_app import reference, views
from dashboard_app.analysis import sizes as analysis
from dashboard_app.analysis.filters import (
    GROUP_COMBINED,
    GROUP_STATION,
    GROUPING_LABELS,
    GROUPINGS,
    TOP_N_DEFAULT,
    TOP_N_MAX,
)
from dashboard_app.figures import sizes as figures
from dashboard_app.figures.labels import station_labels
from dashboard_app.snapshot.model import Snapshot

PATH = "/sizes"
NAME = "Size Distribution"
ORDER = 20
HOW_TO_READ = (
    "Each bar is the number of NEOs the population model expects in a half-magnitude step of absolute "
    "magnitude H (smaller H = bigger object): the coloured part has been discovered, the rest has not. The line "
    "is the discovered share (completeness, right-hand axis); the vertical lines mark diameters in metres."
)
"""What the tab shows, in plain words (About's "How to read each tab")."""

MODE_LABELS = {analysis.DIFFERENTIAL: "Per bin", analysis.CUMULATIVE: "Cumulative N(<H)"}
SCALES = {"linear": "Linear", "log": "Log"}
H_STEP = 0.5
H_EDGE_FORMAT = "neoHalfMagnitudeEdge"
"""Tooltip of the H-range slider (``assets/sliders.js``): the bin edge the charts use (15.75, not the
slider's own 15.8: the slider keeps only as many decimals as its step has)."""

VIEW = views.View(
    "sizes",
    (
        views.years_control(),
        views.Control(
            "hrange",
            default=analysis.h_bounds(),
            parse=views.number_range(analysis.h_bounds(), step=H_STEP),
            encode=views.encode_range,
            settle=True,
        ),
        views.Control("mode", default=analysis.CUMULATIVE, parse=views.choice(*analysis.MODES)),
        views.Control("group", default=GROUP_COMBINED, parse=views.choice(*GROUPINGS)),
        views.Control("top", default=TOP_N_DEFAULT, parse=views.integer(1, TOP_N_MAX)),
        views.Control("scale", default="log", parse=views.choice(*SCALES)),
    ),
)

TABLE_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("h_low", "H from", "number"),
    ("h_high", "H to", "number"),
    ("model_in_bin", "Model in bin", "count"),
    ("discovered_in_bin", "Discovered in bin", "count"),
    ("completeness_in_bin", "Complete in bin (%)", "number"),
    ("model_cumulative", "Model N(<H)", "count"),
    ("model_cumulative_low", "Model N(<H) −1σ", "count"),
    ("model_cumulative_high", "Model N(<H) +1σ", "count"),
    ("discovered_cumulative", "Discovered N(<H)", "count"),
    ("completeness_cumulative", "Complete N(<H) (%)", "number"),
    ("completeness_cumulative_low", "Complete −1σ (%)", "number"),
    ("completeness_cumulative_high", "Complete +1σ (%)", "number"),
)
"""The model table's columns: (field, header, kind); completeness is shown (and exported) in per cent."""


def layout(**query: Any) -> Any:
    """The tab: controls from the URL query (junk → defaults), the chart and the model table."""
    snap = views.request_snapshot()
    v = VIEW.parse(query, snap)
    h_lo, h_hi = analysis.h_bounds()
    h_marks = {h: f"{h:g}" for h in range(int(h_lo) + 1, int(h_hi) + 1, 2)}
    controls = views.controls_bar(
        VIEW,
        v,
        snap,
        [
            views.years_slider(VIEW, v["years"], snap),
            views.range_control(
                VIEW, "hrange", "H range", h_lo, h_hi, v["hrange"], step=H_STEP, marks=h_marks, shown=H_EDGE_FORMAT
            ),
            views.radio_control(VIEW, "mode", "Count", list(MODE_LABELS.items()), v["mode"]),
            views.radio_control(VIEW, "group", "Group by", [(g, GROUPING_LABELS[g]) for g in GROUPINGS], v["group"]),
            views.number_control(VIEW, "top", "Top N stations", 1, TOP_N_MAX, v["top"]),
            views.radio_control(VIEW, "scale", "Count axis", list(SCALES.items()), v["scale"]),
        ],
    )
    citation = html.P(
        [
            html.Strong("Model: "),
            reference.POPULATION_CITATION,
            " ",
            html.Em(reference.POPULATION_CAVEAT),
        ],
        className="small mb-0 mt-2",
    )
    return views.view_page(
        "Size Distribution vs the population model",
        "Discovered NEOs per half-magnitude H bin against the modelled population, and the completeness that implies.",
        controls,
        [
            views.chart_card(
                VIEW,
                "main",
                "Discovered vs model population",
                file_stem="size-distribution",
                height=480,
                footer=citation,
            ),
            views.table_card(VIEW, "model", "Model population table", TABLE_COLUMNS, rows=12, min_width=110),
        ],
    )


# --- analysis, memoised per snapshot (the CSVs use these same results) --------------------------


def _distribution(v: dict[str, Any], snap: Snapshot) -> analysis.SizeDistribution:
    top = v["top"] if v["group"] == GROUP_STATION else 0
    return snap.memo(
        "sizes.distribution",
        (v["years"], v["hrange"], v["mode"], v["group"], top),
        lambda: analysis.size_distribution(
            snap.discoveries, v["years"], v["hrange"], v["mode"], v["group"], v["top"], station_labels(snap)
        ),
    )


def _model_table(v: dict[str, Any], snap: Snapshot) -> pd.DataFrame:
    return snap.memo("sizes.model_table", (v["years"],), lambda: analysis.model_table(snap.discoveries, v["years"]))


def _filters_text(v: dict[str, Any]) -> str:
    return f"discovered {v['years'][0]}–{v['years'][1]}, H {v['hrange'][0]:g}–{v['hrange'][1]:g}"


def main_uses(v: dict[str, Any]) -> tuple[str, ...]:
    """The controls that change the chart's numbers (the count axis scale does not; Top N only for stations)."""
    return ("years", "hrange", "mode", "group", *(("top",) if v["group"] == GROUP_STATION else ()))


def main_csv(v: dict[str, Any], snap: Snapshot) -> tuple[pd.DataFrame, str]:
    """CSV of the chart: one row per H bin shown."""
    r = _distribution(v, snap)
    cum = r.mode == analysis.CUMULATIVE
    counted = "with H < h_high (all brighter NEOs included)" if cum else "with h_low ≤ H < h_high"
    comment = (
        f"Size distribution vs the model, {_filters_text(v)}, {MODE_LABELS[r.mode]}, grouped by {v['group']}.\n"
        f"Model: {reference.POPULATION_CITATION}\n"
        f"Columns: h_low, h_high, h_center (bin); discovered (NEOs {counted}); model (model number, same rule); "
        "model_low, model_high (1σ, cumulative mode only); undiscovered = max(model − discovered, 0); "
        "completeness = discovered / model, completeness_low/high = discovered / model_high/low (fractions); "
        "'discovered: <group>' = discovered per group."
    )
    return r.table, comment


def model_csv(v: dict[str, Any], snap: Snapshot) -> tuple[pd.DataFrame, str]:
    """CSV of the model table."""
    comment = (
        f"Model population table with discoveries {v['years'][0]}–{v['years'][1]}.\n"
        f"Model: {reference.POPULATION_CITATION}\n"
        "Columns: h_low, h_high, h_center; model_in_bin, discovered_in_bin, completeness_in_bin (h_low ≤ H < h_high); "
        "model_cumulative (+ _low/_high 1σ), discovered_cumulative, completeness_cumulative (+ _low/_high) "
        "for H < h_high. Completeness as fractions."
    )
    return _model_table(v, snap), comment


# --- charts --------------------------------------------------------------------------------------


def _discoveries(n: int) -> str:
    return f"{n:,} discover{'y' if n == 1 else 'ies'}"


def _note(r: analysis.SizeDistribution, v: dict[str, Any], snap: Snapshot) -> str:
    parts = []
    if v["years"] != VIEW.defaults(snap)["years"]:
        parts.append(f"Only NEOs discovered in {v['years'][0]}–{v['years'][1]} count as discovered.")
    if r.mode == analysis.CUMULATIVE:
        for c in r.callouts:
            parts.append(
                f"Completeness at {c.label} (H < {c.h:g}): {c.value:.1%} (1σ {c.low:.1%}–{c.high:.1%}; "
                f"{c.discovered:,} of ≈{c.model:,.0f})."
            )
        parts.append(
            "Discovered counted exactly below that H; the model's N(<H) interpolated log-linearly inside its bin."
        )
    else:
        parts.append("Per-bin mode: the model gives 1σ bounds for cumulative numbers only, so no band is drawn.")
    if r.n_unknown_h:
        parts.append(f"{_discoveries(r.n_unknown_h)} with unknown H cannot be placed in a bin.")
    if r.n_outside:
        parts.append(
            f"{_discoveries(r.n_outside)} outside the model's H bins {'are' if r.n_outside > 1 else 'is'} not shown."
        )
    return " ".join(parts)


def draw_main(v: dict[str, Any], snap: Snapshot, theme: Any) -> tuple[Any, str]:
    """The chart from parsed controls: compute (memoised), draw."""
    r = _distribution(v, snap)
    if r.empty:
        sentence = (
            f"No NEOs with a known H were discovered in {v['years'][0]}–{v['years'][1]} "
            f"in the H range {v['hrange'][0]:g}–{v['hrange'][1]:g}."
        )
        return views.empty_figure(sentence, theme), ""
    return figures.size_figure(r, theme, log_y=v["scale"] == "log"), _note(r, v, snap)


def draw_table(v: dict[str, Any], snap: Snapshot, _theme: Any) -> tuple[list[dict[str, Any]], str]:
    """The full model table with the discovered counts of the selected years (H range not applied)."""
    frame = _model_table(v, snap)
    note = f"All {len(frame)} model bins, discoveries {v['years'][0]}–{v['years'][1]} (the H range does not apply)."
    return table_rows(frame), note


def table_rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The model table's rows as the grid shows them: counts whole, completeness in per cent to 0.1."""
    shown = pd.DataFrame(index=frame.index)
    for field, _header, kind in TABLE_COLUMNS:
        column = frame[field].astype("float64")
        if field.startswith("completeness"):
            column = (100 * column).round(1)
        elif kind == "count":
            column = column.round(0)
        shown[field] = column
    return [{k: (None if v != v else v) for k, v in row.items()} for row in shown.to_dict("records")]


TAB = views.register_tab(
    VIEW,
    [
        views.chart("main", draw_main, csv=main_csv, file="size-distribution", uses=main_uses),
        views.table("model", draw_table, csv=model_csv, file="size-model-table", uses=("years",)),
    ],
)
"""One request per change draws the chart and the table; ``TAB.update`` / ``TAB.download`` for tests."""

# Top N only applies to station grouping (in the browser).
views.clientside_callback(
    f"function (group) {{ return group !== {json.dumps(GROUP_STATION)}; }}",
    Output(VIEW.control_id("top"), "disabled"),
    Input(VIEW.control_id("group"), "value"),
)
