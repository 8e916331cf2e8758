"""Figures of the Follow-up Comparison tab: the world map of follow-up sites and the bar chart of sites.

Plain-dict figures (see :mod:`dashboard_app.figures.common`). The map's land and coastlines come from
the topojson the app serves itself (``assets/vendor/topojson/``; the graph's ``topojsonURL`` config).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from dashboard_app.analysis.sites import METRIC_LABELS
from dashboard_app.figures import margins
from dashboard_app.figures.common import Figure, themed_layout
from dashboard_app.figures.comparison import colour_scale

PROJECTIONS: dict[str, str] = {
    "equirectangular": "Equirectangular",
    "natural earth": "Natural Earth",
    "robinson": "Robinson",
    "mollweide": "Mollweide",
    "orthographic": "Orthographic",
}
"""plotly geo projection types offered (value → label)."""

SCALES: dict[str, str] = {"log": "Log", "linear": "Linear"}

NO_FOLLOWUP_COLOUR = "#8c8c8c"
TOPOJSON_DIR = "vendor/topojson/"
"""The world topojson's folder under the app's assets (see its README); the graph's ``topojsonURL``."""
TOPOJSON_RESOLUTION = 110
"""The vendored world topojson (1:110 million, ``world_110m.json``)."""

COLOUR_BAR: dict[str, Any] = {
    "orientation": "h",
    "x": 0.5,
    "xanchor": "center",
    "y": -0.02,
    "yanchor": "top",
    "len": 0.8,
    "thickness": 12,
}
"""The colour bar under the map: the map keeps the page's whole width (on a phone too)."""

_MAP_COLOURS = {
    "light": {"land": "#e9ecef", "ocean": "#f8fbff", "lines": "#adb5bd", "grid": "#ced4da"},
    "dark": {"land": "#343a40", "ocean": "#1b1f23", "lines": "#6c757d", "grid": "#495057"},
}


def _hover(frame: pd.DataFrame, metric: str, depth_label: str) -> tuple[list[list[Any]], str]:
    depth = frame["depth"].to_numpy(dtype="float64")
    depth_text = np.where(np.isnan(depth), "no depth data", np.char.mod("%.1f", np.nan_to_num(depth)))
    custom = np.column_stack(
        [frame["stn"].astype(str), frame["name"].astype(str), frame["obs_type"].astype(str), depth_text]
    ).tolist()
    for row, value in zip(custom, frame["value"].tolist(), strict=True):
        row.append(f"{int(value):,}")
    template = (
        "<b>%{customdata[0]}</b> %{customdata[1]}<br>Type: %{customdata[2]}<br>"
        f"{METRIC_LABELS[metric]}: %{{customdata[4]}}<br>{depth_label}: %{{customdata[3]}}<extra></extra>"
    )
    return custom, template


def _log_ticks(top: float) -> tuple[list[float], list[str]]:
    """Colour-bar ticks at 1, 2, 5, 10, 20, 50, … up to ``10**top`` (positions in log10)."""
    values = [m * 10**k for k in range(int(np.floor(top)) + 1) for m in (1, 2, 5)]
    shown = [v for v in values if v <= 10**top * (1 + 1e-9)] or [1]
    return [float(np.log10(v)) for v in shown], [f"{v:,}" for v in shown]


def map_figure(
    frame: pd.DataFrame, metric: str, scale: str, projection: str, graticule: bool, depth_label: str, theme: object
) -> Figure:
    """Sites with ground coordinates on a world map: followed-up sites coloured by ``metric`` (log or linear
    colour scale), sites without follow-up small and grey."""
    colours = _MAP_COLOURS["dark" if theme == "dark" else "light"]
    placed = frame.loc[frame["latitude"].notna()]
    none, some = placed.loc[placed["value"] <= 0], placed.loc[placed["value"] > 0]
    data: list[dict[str, Any]] = []
    if len(none):
        custom, template = _hover(none, metric, depth_label)
        data.append(
            {
                "type": "scattergeo",
                "name": "No follow-up",
                "lon": none["longitude"].tolist(),
                "lat": none["latitude"].tolist(),
                "mode": "markers",
                "marker": {"size": 4, "color": NO_FOLLOWUP_COLOUR, "opacity": 0.7},
                "customdata": custom,
                "hovertemplate": template,
            }
        )
    if len(some):
        values = some["value"].to_numpy(dtype="float64")
        # Largest on top: plot in ascending order of value.
        order = np.argsort(values, kind="stable")
        some, values = some.iloc[order], values[order]
        custom, template = _hover(some, metric, depth_label)
        marker: dict[str, Any] = {
            "size": 9,
            "colorscale": colour_scale("Viridis"),
            "line": {"width": 0.5, "color": "#222222"},
            "showscale": True,
        }
        if scale == "log":
            colour = np.log10(values)
            top = max(float(colour.max()), np.log10(2))  # a scale even when every site has 1
            ticks, labels = _log_ticks(top)
            marker |= {
                "color": colour.tolist(),
                "cmin": 0,
                "cmax": top,
                "colorbar": COLOUR_BAR
                | {"title": {"text": f"{METRIC_LABELS[metric]} (log scale)", "side": "top"}, "tickvals": ticks}
                | {"ticktext": labels},
            }
        else:
            marker |= {
                "color": values.tolist(),
                "cmin": 0,
                "colorbar": COLOUR_BAR | {"title": {"text": METRIC_LABELS[metric], "side": "top"}},
            }
        data.append(
            {
                "type": "scattergeo",
                "name": "Followed up",
                "lon": some["longitude"].tolist(),
                "lat": some["latitude"].tolist(),
                "mode": "markers",
                "marker": marker,
                "customdata": custom,
                "hovertemplate": template,
            }
        )
    axis = {"showgrid": graticule, "gridcolor": colours["grid"], "gridwidth": 0.5, "dtick": 30}
    geo = {
        "projection": {"type": projection},
        "resolution": TOPOJSON_RESOLUTION,
        "showland": True,
        "landcolor": colours["land"],
        "showocean": True,
        "oceancolor": colours["ocean"],
        "showcoastlines": True,
        "coastlinecolor": colours["lines"],
        "showcountries": True,
        "countrycolor": colours["lines"],
        "countrywidth": 0.5,
        "showlakes": False,
        "showframe": True,
        "framecolor": colours["lines"],
        "bgcolor": "rgba(0,0,0,0)",
        "lonaxis": axis,
        "lataxis": axis,
    }
    layout = themed_layout(theme, margin={"l": 0, "r": 0, "t": 30, "b": 70}, geo=geo)
    return {"data": data, "layout": layout}


def bars_figure(frame: pd.DataFrame, metric: str, labels: list[str], depth_label: str, theme: object) -> Figure:
    """Horizontal bars of ``metric`` per site (``labels`` in the frame's order, largest at the top)."""
    custom, template = _hover(frame, metric, depth_label)
    for row, (neos, trk, obs) in zip(
        custom, frame[["neos", "tracklets", "observations"]].to_numpy().tolist(), strict=True
    ):
        row += [f"{neos:,}", f"{trk:,}", f"{obs:,}"]
    template = (
        "<b>%{customdata[0]}</b> %{customdata[1]}<br>Type: %{customdata[2]}<br>NEOs: %{customdata[5]}, "
        "tracklets: %{customdata[6]}, observations: %{customdata[7]}"
        f"<br>{depth_label}: %{{customdata[3]}}<extra></extra>"
    )
    bars = {
        "type": "bar",
        "orientation": "h",
        "x": frame["value"].tolist(),
        "y": labels,
        "marker": {"color": "#4363d8"},
        "customdata": custom,
        "hovertemplate": template,
    }
    layout = themed_layout(
        theme,
        showlegend=False,
        margin={"l": margins.left_for_categories(bars["y"]), "t": 20},
        xaxis={"title": {"text": METRIC_LABELS[metric]}, "rangemode": "tozero"},
        yaxis={"autorange": "reversed", "automargin": True, "type": "category"},
        bargap=0.25,
    )
    return {"data": [bars], "layout": layout}
