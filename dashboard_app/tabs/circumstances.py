"""Discovery Circumstances: where in the sky, how bright, how fast and in what light each NEO was found.

Controls (all in the URL): ``years`` (``2000-2024``), ``size`` (all | size-class order | unknown),
``colour`` (project | station | size | year), ``top`` (N stations when colouring by station),
``light`` (all | a twilight class), ``sky`` (hammer | radec: the sky map's projection).
Charts, each with its CSV: the sky map (every selected NEO), apparent V, solar elongation,
rate of motion vs H, position angle, light at discovery, and the Moon (illumination, distance).
Like every tab's, its charts are drawn when they come near the viewport (:data:`views.DRAW_NEAR`): the
first view draws the sky map alone, not also the 41,000-point rate chart and six bar charts below it.
The numbers are explained in :mod:`dashboard_app.analysis.circumstances` and
:mod:`dashboard_app.analysis.circumstance_bins`.
"""

from __future__ import annotations

import json
from typing import Any

import dash
import dash_bootstrap_components as dbc
import numpy as np
import orjson
import pandas as pd
from dash import Input, Output

from dashboard_app import views
from dashboard_app.analysis import circumstance_bins as bins
from dashboard_app.analysis import circumstances as analysis
from dashboard_app.analysis.filters import TOP_N_DEFAULT, TOP_N_MAX
from dashboard_app.analysis.sky_map import HAMMER, PROJECTION_LABELS, PROJECTIONS
from dashboard_app.figures import circumstances as figures
from dashboard_app.figures import neo_points
from dashboard_app.figures import sky_map as sky_figures
from dashboard_app.figures.labels import station_labels
from dashboard_app.snapshot.model import Snapshot

PATH = "/circumstances"
NAME = "Discovery Circumstances"
ORDER = 50
HOW_TO_READ = (
    "Where and how each NEO was found. The sky map puts every discovery at its place on the sky; the charts "
    "below count discoveries by brightness (V), "
    "distance from the Sun in the sky (elongation), speed against size (rate vs H), direction of motion, "
    "the light at the site (night or twilight) and the Moon."
)
"""What the tab shows, in plain words (About's "How to read each tab")."""

LIGHT_LABELS: dict[str, str] = {analysis.TWILIGHT_ALL: "Any light", **analysis.TWILIGHT_LABELS}
LIGHT_LABELS["night"] = "Night only (Sun < −18°)"

VIEW = views.View(
    "circumstances",
    (
        views.years_control(),
        views.Control("size", default="all", parse=views.choice(*(v for v, _ in analysis.size_choices()))),
        views.Control("colour", default=analysis.COLOUR_PROJECT, parse=views.choice(*analysis.COLOURINGS)),
        views.Control("top", default=TOP_N_DEFAULT, parse=views.integer(1, TOP_N_MAX)),
        views.Control("light", default=analysis.TWILIGHT_ALL, parse=views.choice(*analysis.TWILIGHT_CHOICES)),
        views.Control("sky", default=HAMMER, parse=views.choice(*PROJECTIONS)),
    ),
)


def layout(**query: Any) -> Any:
    """The tab: controls from the URL query (junk → defaults) and the eight charts."""
    snap = views.request_snapshot()
    v = VIEW.parse(query, snap)
    controls = views.controls_bar(
        VIEW,
        v,
        snap,
        [
            views.years_slider(VIEW, v["years"], snap),
            views.select_control(VIEW, "size", "Size class", analysis.size_choices(), v["size"]),
            views.radio_control(VIEW, "colour", "Colour by", list(analysis.COLOURING_LABELS.items()), v["colour"]),
            views.number_control(VIEW, "top", "Top N stations", 1, TOP_N_MAX, v["top"]),
            views.select_control(VIEW, "light", "Light at discovery", list(LIGHT_LABELS.items()), v["light"]),
            views.radio_control(VIEW, "sky", "Sky map", list(PROJECTION_LABELS.items()), v["sky"]),
        ],
    )

    def pair(*cards: Any) -> dbc.Row:
        return dbc.Row([dbc.Col(card, lg=6) for card in cards], className="g-3")

    card = views.chart_card
    return views.view_page(
        NAME,
        "Where in the sky, how bright, how fast and in what light each NEO was found (its discovery tracklet).",
        controls,
        [
            card(
                VIEW,
                "sky",
                "Sky map of discovery positions (J2000)",
                file_stem="discovery-sky-map",
                height=580,
            ),
            pair(
                card(VIEW, "vmag", "Apparent V magnitude at discovery", file_stem="discovery-v-magnitude"),
                card(VIEW, "elong", "Solar elongation at discovery", file_stem="discovery-solar-elongation"),
            ),
            pair(
                card(VIEW, "rate", "Rate of motion vs absolute magnitude", file_stem="discovery-rate-vs-h"),
                card(VIEW, "pa", "Direction of motion (position angle)", file_stem="discovery-position-angle"),
            ),
            card(VIEW, "light", "Light at discovery: twilight class", file_stem="discovery-twilight", height=440),
            pair(
                card(VIEW, "moonillum", "The Moon: illuminated fraction", file_stem="discovery-moon-illumination"),
                card(VIEW, "moonelong", "The Moon: distance from the NEO", file_stem="discovery-moon-distance"),
            ),
        ],
    )


# --- analysis, memoised per snapshot (the CSVs use these same results) ------------------------------


def _selection(v: dict[str, Any]) -> analysis.Selection:
    top = v["top"] if v["colour"] == analysis.COLOUR_STATION else TOP_N_DEFAULT
    return analysis.Selection(tuple(v["years"]), v["size"], v["colour"], top, v["light"])


def _columns(snap: Snapshot) -> analysis.CircumstanceColumns:
    """Every chart's per-NEO columns: held once per machine (mapped; :meth:`Snapshot.shared`), not per worker."""
    return snap.shared(
        "circumstances.columns", analysis.CircumstanceColumns, lambda: analysis.circumstance_columns(snap.discoveries)
    )


def prepare_snapshot(snap: Snapshot) -> None:
    """Before a worker switches to ``snap``: its shared per-NEO columns (built once per machine, then mapped)."""
    _columns(snap)


POINTS_FILE = "circumstances"
"""The name of this tab's points file (per-NEO columns sent once per snapshot: :mod:`figures.neo_points`)."""


def points_columns(snap: Snapshot) -> dict[str, np.ndarray]:
    """The points file's columns, one entry per row of ``discoveries``: the sky map's hover text, its x/y in
    either projection, and the rate chart's H and rate, rounded as the charts and CSVs round them."""
    circ = _columns(snap)
    sky = circ.sky
    return {
        "hover": sky.hover,
        "hammer_x": sky.hammer_x,
        "hammer_y": sky.hammer_y,
        "ra": sky.ra,
        "dec": sky.dec,
        "h": np.round(circ.base.h, analysis.H_DECIMALS),
        "rate": np.round(circ.rate, analysis.RATE_DECIMALS),
    }


def points_file(snap: Snapshot) -> bytes:
    """The points file (JSON; NaN → null), built once per snapshot."""

    def build() -> bytes:
        columns = {name: values.tolist() for name, values in points_columns(snap).items()}
        return orjson.dumps({"snapshot": snap.id, "n": len(snap.discoveries), "columns": columns})

    return snap.memo("circumstances.points_file", (), build)


POINT_FILES = {POINTS_FILE: points_file}
"""Served by :mod:`dashboard_app.web.neo_points` at ``/_neo-points/<snapshot id>/circumstances.json``."""


def _source(snap: Snapshot) -> neo_points.PointsFile:
    return neo_points.PointsFile(
        dash.get_relative_path(neo_points.points_path(snap.id, POINTS_FILE)), len(snap.discoveries)
    )


def _selected(v: dict[str, Any], snap: Snapshot) -> analysis.Selected:
    """The selected rows and their groups: memoised (two int arrays), as every chart of a view starts from them."""
    selection = _selection(v)
    return snap.memo(
        "circumstances.selected", selection, lambda: analysis.select(_columns(snap), selection, station_labels(snap))
    )


def _result(name: str, compute: Any, v: dict[str, Any], snap: Snapshot, *extra: Any) -> Any:
    """A chart's analysis result. Binned results are small and memoised; the per-NEO ones (sky map,
    rate vs H: megabytes each) are recomputed in ~10 ms instead of filling the memo cache. Both are
    pure functions of the snapshot and the parsed values, so chart and CSV always agree."""
    if name in ("sky", "rate"):
        return compute(_columns(snap), _selected(v, snap), *extra)
    key = (_selection(v), *extra)
    return snap.memo(f"circumstances.{name}", key, lambda: compute(_columns(snap), _selected(v, snap), *extra))


def _filters_text(v: dict[str, Any]) -> str:
    size = dict(analysis.size_choices())[v["size"]]
    return (
        f"discovered {v['years'][0]}–{v['years'][1]}, size {size}, light: {LIGHT_LABELS[v['light']]}, "
        f"coloured by {analysis.COLOURING_LABELS[v['colour']].lower()}"
        + (f" (top {v['top']})" if v["colour"] == analysis.COLOUR_STATION else "")
    )


def _no_match(v: dict[str, Any]) -> str:
    return f"No NEOs match these filters ({_filters_text(v)})."


def sky_csv(v: dict[str, Any], snap: Snapshot) -> tuple[pd.DataFrame, str]:
    """CSV of the sky map: one row per NEO drawn."""
    points = _result("sky", analysis.sky_points, v, snap, v["sky"])
    comment = (
        f"Discovery positions, {_filters_text(v)}: every NEO drawn on the sky map, one row each.\n"
        "Columns: designation; disc_date (UTC); disc_stn; group (colour); trk_ra, trk_dec (discovery tracklet "
        "mean, J2000, deg, rounded to 0.001°); trk_v_mag (tracklet median V, blank if none)."
    )
    return points.table(), comment


def _bins_csv(name: str, compute: Any, what: str, columns: str) -> Any:
    def build(v: dict[str, Any], snap: Snapshot) -> tuple[pd.DataFrame, str]:
        result = _result(name, compute, v, snap)
        comment = (
            f"{what}, {_filters_text(v)}.\nColumns: {columns}; then one count column per colour group; total."
            f"\nSelected NEOs: {result.n_selected}; without a value (in no bin): {result.n_missing}."
        )
        return result.table(), comment

    return build


vmag_csv = _bins_csv(
    "vmag", bins.v_histogram, "Apparent V magnitude at discovery (tracklet median)", "v_low ≤ V < v_high"
)
elong_csv = _bins_csv(
    "elong",
    bins.elongation_histogram,
    "Solar elongation at discovery",
    "side (morning = west of the Sun, evening = east); elong_low ≤ |elongation| < elong_high (deg, the last bin "
    "includes 180); offset_low, offset_high (the chart's axis: degrees from opposition, morning negative)",
)
pa_csv = _bins_csv(
    "pa",
    bins.pa_histogram,
    "Position angle of motion of the discovery tracklet (0 = N, 90 = E)",
    "pa_low ≤ PA < pa_high (deg)",
)
moonillum_csv = _bins_csv(
    "moonillum",
    bins.moon_illumination_histogram,
    "Moon's illuminated fraction at discovery",
    "illum_low ≤ fraction < illum_high (the last bin includes 1); expected_if_no_moon_effect (selected NEOs × the "
    "share of time the Moon is that lit, for a phase angle uniform in time)",
)
moonelong_csv = _bins_csv(
    "moonelong",
    bins.moon_elongation_histogram,
    "Angular distance between the Moon (geocentric) and the NEO at discovery",
    "moon_elong_low ≤ distance < moon_elong_high (deg, the last bin includes 180)",
)


def rate_csv(v: dict[str, Any], snap: Snapshot) -> tuple[pd.DataFrame, str]:
    """CSV of the rate-vs-H chart: one row per point."""
    r = _result("rate", analysis.rate_vs_h, v, snap)
    comment = (
        f"Rate of motion vs absolute magnitude, {_filters_text(v)}: one row per NEO drawn.\n"
        "Columns: designation; group; h (absolute magnitude); rate_deg_per_day (discovery tracklet, first→last "
        "great circle / time span, rounded to 0.0001).\n"
        f"Not drawn: {r.n_single} single-observation tracklets (no rate), {r.n_zero_span} tracklets with a zero "
        f"time span, {r.n_unknown_h} with unknown H."
    )
    return r.table(), comment


def light_csv(v: dict[str, Any], snap: Snapshot) -> tuple[pd.DataFrame, str]:
    """CSV of the twilight chart: one row per group × twilight class."""
    result = _result("light", bins.twilight_counts, v, snap)
    comment = (
        f"Light at discovery, {_filters_text(v)}.\nColumns: group ('All selected' = every group); twilight (night "
        "< −18° Sun altitude, astronomical, nautical, civil, day ≥ 0°; space = space-based station; unknown = "
        "station not in the observatory table); discoveries; group_total; share = discoveries / group_total."
    )
    return bins.twilight_shares(result).table(), comment


# --- drawing ------------------------------------------------------------------------------------------


def _count(n: int, what: str = "NEO") -> str:
    return f"{n:,} {what}{'' if n == 1 else 's'}"


def draw_sky(v: dict[str, Any], snap: Snapshot, theme: Any) -> tuple[Any, str]:
    points = _result("sky", analysis.sky_points, v, snap, v["sky"])
    if points.empty:
        return views.empty_figure(_no_match(v), theme), ""
    note = (
        f"All {_count(len(points))} drawn at their discovery tracklet's mean position; right ascension increases to "
        "the left (east), as on the sky. Dashed: the ecliptic; dotted: the galactic plane. The charts below "
        "use the same colours (hover a bar or point to name its group)."
    )
    if points.projection == HAMMER:
        note += " Hammer projection: equal sky areas have equal map areas, so densities compare anywhere."
    if points.n_missing:
        note += f" {_count(points.n_missing)} without a position not drawn."
    return sky_figures.sky_figure(points, theme, _source(snap)), note


def _missing(n: int, why: str) -> str:
    return f" {_count(n)} {why}." if n else ""


def draw_vmag(v: dict[str, Any], snap: Snapshot, theme: Any) -> tuple[Any, str]:
    r = _result("vmag", bins.v_histogram, v, snap)
    if r.empty:
        return views.empty_figure(_no_match(v), theme), ""
    shown = int(r.totals.sum())
    note = f"{_count(shown)} in 0.5 mag bins of the tracklet's median V." + _missing(
        r.n_missing, "without a magnitude not shown"
    )
    return figures.v_figure(r, theme), note


def draw_elong(v: dict[str, Any], snap: Snapshot, theme: Any) -> tuple[Any, str]:
    r = _result("elong", bins.elongation_histogram, v, snap)
    if r.empty:
        return views.empty_figure(_no_match(v), theme), ""
    morning = int(r.totals[r.bins["side"] == "morning"].sum())
    total = int(r.totals.sum())
    note = (
        f"Centred on opposition (180°); 5° bins of true elongation. {morning / total:.0%} morning sky "
        f"(west of the Sun, before dawn), {1 - morning / total:.0%} evening sky (east, after dusk)."
    )
    return figures.elongation_figure(r, theme), note + _missing(r.n_missing, "without an elongation not shown")


def draw_rate(v: dict[str, Any], snap: Snapshot, theme: Any) -> tuple[Any, str]:
    r = _result("rate", analysis.rate_vs_h, v, snap)
    if r.n_selected == 0:
        return views.empty_figure(_no_match(v), theme), ""
    note = (
        f"{_count(len(r))} with a rate and a known H. Not drawn: {_count(r.n_single, 'single-observation tracklet')}"
        f" (no rate)"
        + (f", {_count(r.n_zero_span, 'tracklet')} with a zero time span" if r.n_zero_span else "")
        + (f", {_count(r.n_unknown_h)} with unknown H" if r.n_unknown_h else "")
        + "."
    )
    if r.empty:
        return views.empty_figure("None of the selected NEOs has both a rate and a known H.", theme), note
    return sky_figures.rate_figure(r, theme, _source(snap)), note


def draw_pa(v: dict[str, Any], snap: Snapshot, theme: Any) -> tuple[Any, str]:
    r = _result("pa", bins.pa_histogram, v, snap)
    if r.n_selected == 0:
        return views.empty_figure(_no_match(v), theme), ""
    note = (
        f"{_count(int(r.totals.sum()))} in 15° bins, north up, angles clockwise (east right). "
        f"{_count(r.n_missing, 'tracklet')} without a direction (single observation or zero time span) not shown."
    )
    if r.empty:
        return views.empty_figure("None of the selected NEOs has a direction of motion.", theme), note
    return figures.pa_figure(r, theme), note


def draw_light(v: dict[str, Any], snap: Snapshot, theme: Any) -> tuple[Any, str]:
    r = _result("light", bins.twilight_counts, v, snap)
    if r.n_selected == 0:
        return views.empty_figure(_no_match(v), theme), ""
    return figures.twilight_figure(bins.twilight_shares(r), theme), bins.twilight_reading(r)


def draw_moonillum(v: dict[str, Any], snap: Snapshot, theme: Any) -> tuple[Any, str]:
    r = _result("moonillum", bins.moon_illumination_histogram, v, snap)
    if r.empty:
        return views.empty_figure(_no_match(v), theme), ""
    return figures.moon_illumination_figure(r, theme), bins.moon_illumination_reading(r)


def draw_moonelong(v: dict[str, Any], snap: Snapshot, theme: Any) -> tuple[Any, str]:
    r = _result("moonelong", bins.moon_elongation_histogram, v, snap)
    if r.empty:
        return views.empty_figure(_no_match(v), theme), ""
    return figures.moon_elongation_figure(r, theme), bins.moon_elongation_reading(r)


TAB = views.register_tab(
    VIEW,
    [
        views.chart("sky", draw_sky, csv=sky_csv, file="discovery-sky-map", client=neo_points.CLIENT_FUNCTION),
        views.chart("vmag", draw_vmag, csv=vmag_csv, file="discovery-v-magnitude"),
        views.chart("elong", draw_elong, csv=elong_csv, file="discovery-solar-elongation"),
        views.chart("rate", draw_rate, csv=rate_csv, file="discovery-rate-vs-h", client=neo_points.CLIENT_FUNCTION),
        views.chart("pa", draw_pa, csv=pa_csv, file="discovery-position-angle"),
        views.chart("light", draw_light, csv=light_csv, file="discovery-twilight"),
        views.chart("moonillum", draw_moonillum, csv=moonillum_csv, file="discovery-moon-illumination"),
        views.chart("moonelong", draw_moonelong, csv=moonelong_csv, file="discovery-moon-distance"),
    ],
)

# Top N applies to station colouring only (a pure-browser state: no request).
views.clientside_callback(
    f"function (colour) {{ return colour !== {json.dumps(analysis.COLOUR_STATION)}; }}",
    Output(VIEW.control_id("top"), "disabled"),
    Input(VIEW.control_id("colour"), "value"),
)
