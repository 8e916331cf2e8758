"""Binned charts of the Discovery Circumstances tab, built from :mod:`dashboard_app.analysis.circumstance_bins`.

Every chart's numbers are the result's ``counts`` (or the twilight share table), which is also
what its CSV holds. The point charts (sky map, rate vs H) are in :mod:`dashboard_app.figures.sky_map`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dashboard_app.analysis.circumstance_bins import (
    ELONGATION_BIN,
    ILLUMINATION_BIN,
    MOON_ELONGATION_BIN,
    PA_BIN,
    V_BIN,
    GroupedBins,
    TwilightShares,
)
from dashboard_app.analysis.circumstances import TWILIGHT_LABELS, TWILIGHT_ORDER
from dashboard_app.figures import margins
from dashboard_app.figures.colours import series_colours
from dashboard_app.figures.common import Figure, themed_layout
from dashboard_app.figures.labels import axis_title

TWILIGHT_COLOURS: dict[str, str] = {
    "night": "#08306b",
    "astronomical": "#2171b5",
    "nautical": "#6baed6",
    "civil": "#c6dbef",
    "day": "#fdd835",
    "space": "#7b3294",
    "unknown": "#a9a9a9",
}
EXPECTED_COLOUR = "#444444"


def _stacked_bars(
    result: GroupedBins, x: list[float], width: float, labels: list[str], what: str
) -> list[dict[str, Any]]:
    """One bar trace per colour group (bottom first); ``labels`` name each bin in the hover."""
    colours = series_colours(result.coloured_by, result.groups)
    data = []
    for g, name in enumerate(result.groups):
        data.append(
            {
                "type": "bar",
                "x": x,
                "y": result.counts[g].tolist(),
                "width": width,
                "name": name,
                "customdata": labels,
                "marker": {"color": colours[name], "line": {"width": 0}},
                "hovertemplate": f"{name}<br>{what} %{{customdata}}: %{{y:,}}<extra></extra>",
            }
        )
    return data


def _layout(theme: object, **layout: Any) -> dict[str, Any]:
    """Stacked bars without a legend: these charts sit two abreast under the sky map, whose legend names the
    colour groups for every chart (hovering a bar names its group)."""
    return themed_layout(theme, barmode="stack", bargap=0, showlegend=False, **layout)


def v_figure(result: GroupedBins, theme: object) -> Figure:
    """Stacked histogram of apparent V at discovery, 0.5 mag bins."""
    low = result.bins["v_low"]
    labels = [f"{a:.1f}–{a + V_BIN:.1f}" for a in low]
    data = _stacked_bars(result, (low + V_BIN / 2).tolist(), V_BIN, labels, "V")
    layout = _layout(
        theme,
        xaxis={
            "title": axis_title("Apparent V magnitude at discovery (tracklet median; fainter →)"),
            "automargin": True,
            "dtick": 1,
        },
        yaxis={"title": {"text": "Discoveries per 0.5 mag"}},
    )
    return {"data": data, "layout": layout}


def elongation_ticks(step: int = 45) -> tuple[list[int], list[str]]:
    """Tick positions on the opposition-centred axis and their labels in true elongation."""
    values = list(range(-180, 181, step))
    return values, [f"{180 - abs(v)}°" for v in values]


def elongation_figure(result: GroupedBins, theme: object) -> Figure:
    """Solar elongation centred on opposition: morning sky left, evening sky right, ticks in true elongation."""
    b = result.bins
    centre = ((b["offset_low"] + b["offset_high"]) / 2).tolist()
    labels = [f"{s}, {lo:.0f}–{hi:.0f}°" for s, lo, hi in zip(b["side"], b["elong_low"], b["elong_high"], strict=True)]
    data = _stacked_bars(result, centre, ELONGATION_BIN, labels, "elongation")
    tickvals, ticktext = elongation_ticks()
    heading = {"xref": "x", "yref": "paper", "y": 1.0, "yanchor": "bottom", "showarrow": False, "font": {"size": 11}}
    layout = _layout(
        theme,
        xaxis={
            "title": {"text": "Solar elongation at discovery"},
            "range": [-180, 180],
            "tickvals": tickvals,
            "ticktext": ticktext,
            "zeroline": False,
        },
        yaxis={"title": {"text": "Discoveries per 5°"}},
        margin={"t": 36},
        annotations=[
            {**heading, "x": -135, "text": "← Morning sky"},
            {**heading, "x": 0, "text": "Opposition"},
            {**heading, "x": 135, "text": "Evening sky →"},
        ],
        shapes=[
            {
                "type": "line",
                "xref": "x",
                "yref": "paper",
                "x0": 0,
                "x1": 0,
                "y0": 0,
                "y1": 1,
                "line": {"dash": "dot", "width": 1, "color": EXPECTED_COLOUR},
            }
        ],
    )
    return {"data": data, "layout": layout}


def pa_figure(result: GroupedBins, theme: object) -> Figure:
    """Polar histogram of the position angle of motion: N up, angles clockwise (E right), 15° bins."""
    low = result.bins["pa_low"]
    labels = [f"{a:.0f}–{a + PA_BIN:.0f}°" for a in low]
    theta = (low + PA_BIN / 2).tolist()
    colours = series_colours(result.coloured_by, result.groups)
    data = []
    for g, name in enumerate(result.groups):
        data.append(
            {
                "type": "barpolar",
                "theta": theta,
                "r": result.counts[g].tolist(),
                "width": PA_BIN,
                "name": name,
                "customdata": labels,
                "marker": {"color": colours[name], "line": {"width": 0}},
                "hovertemplate": f"{name}<br>PA %{{customdata}}: %{{r:,}}<extra></extra>",
            }
        )
    compass = {0: "N", 90: "E", 180: "S", 270: "W"}
    layout = themed_layout(
        theme,
        showlegend=False,
        polar={
            "barmode": "stack",
            "bargap": 0,
            "angularaxis": {
                "rotation": 90,
                "direction": "clockwise",
                "tickvals": list(range(0, 360, 45)),
                "ticktext": [f"{compass[a]} {a}°" if a in compass else f"{a}°" for a in range(0, 360, 45)],
            },
            "radialaxis": {"angle": 45, "tickangle": 45, "tickfont": {"size": 9}},
        },
        # Room for "W 270°" on a phone, and above "N 0°" for the note (inside the chart, not cut at its top).
        margin={"l": 60, "r": 60, "t": 48, "b": 30},
        annotations=[
            {
                "text": "north up, angles clockwise",
                "xref": "paper",
                "yref": "paper",
                "x": 0,
                "y": 1,
                "yshift": 20,
                "xanchor": "left",
                "yanchor": "bottom",
                "showarrow": False,
                "font": {"size": 10},
            }
        ],
    )
    return {"data": data, "layout": layout}


def twilight_figure(shares: TwilightShares, theme: object) -> Figure:
    """Share of each group's discoveries per twilight class (horizontal 100 % bars, ``All selected`` on top)."""
    groups = list(shares.groups)
    data = []
    for k, t in enumerate(TWILIGHT_ORDER):
        data.append(
            {
                "type": "bar",
                "orientation": "h",
                "y": groups,
                "x": np.round(shares.shares[:, k] * 100, 4).tolist(),
                "customdata": shares.counts[:, k].tolist(),
                "name": TWILIGHT_LABELS[t],
                "marker": {"color": TWILIGHT_COLOURS[t], "line": {"width": 0}},
                "hovertemplate": f"%{{y}}<br>{TWILIGHT_LABELS[t]}: %{{x:.1f}}% (%{{customdata:,}})<extra></extra>",
            }
        )
    layout = themed_layout(
        theme,
        legend_title="Light at discovery",
        margin={"l": margins.left_for_categories(groups)},
        barmode="stack",
        bargap=0.25,
        xaxis={
            "title": axis_title("Share of the group's discoveries (%)"),
            "automargin": True,
            "range": [0, 100],
            "ticksuffix": "%",
        },
        yaxis={"autorange": "reversed", "automargin": True, "type": "category"},
    )
    return {"data": data, "layout": layout}


def moon_illumination_figure(result: GroupedBins, theme: object) -> Figure:
    """Discoveries per Moon illuminated fraction (stacked), with the count no Moon effect would give."""
    low = result.bins["illum_low"]
    labels = [f"{a:.0%}–{a + ILLUMINATION_BIN:.0%}" for a in low]
    centre = np.round(low + ILLUMINATION_BIN / 2, 10).tolist()
    data = _stacked_bars(result, centre, ILLUMINATION_BIN, labels, "Moon lit")
    if result.expected is not None:
        data.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "x": centre,
                "y": np.round(result.expected, 2).tolist(),
                "name": "Expected if the Moon made no difference",
                "line": {"color": EXPECTED_COLOUR, "dash": "dash", "width": 2},
                "marker": {"size": 6},
                "hovertemplate": "No Moon effect: ≈%{y:,.0f}<extra></extra>",
            }
        )
    layout = _layout(
        theme,
        xaxis={
            "title": axis_title("Moon's illuminated fraction at discovery"),
            "automargin": True,
            "tickformat": ".0%",
            "range": [0, 1],
        },
        yaxis={"title": {"text": "Discoveries"}},
    )
    layout["showlegend"] = True  # only the reference line has a legend entry
    for trace in data[: len(result.groups)]:
        trace["showlegend"] = False
    return {"data": data, "layout": layout}


def moon_elongation_figure(result: GroupedBins, theme: object) -> Figure:
    """Discoveries per 10° of angular distance from the Moon (stacked)."""
    low = result.bins["moon_elong_low"]
    labels = [f"{a:.0f}–{a + MOON_ELONGATION_BIN:.0f}°" for a in low]
    data = _stacked_bars(result, (low + MOON_ELONGATION_BIN / 2).tolist(), MOON_ELONGATION_BIN, labels, "from Moon")
    layout = _layout(
        theme,
        xaxis={
            "title": {"text": "Distance from the Moon at discovery"},
            "range": [0, 180],
            "dtick": 30,
            "ticksuffix": "°",
        },
        yaxis={"title": {"text": "Discoveries per 10°"}},
    )
    return {"data": data, "layout": layout}
