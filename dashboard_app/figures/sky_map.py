"""The point charts of the Discovery Circumstances tab: the sky map and rate of motion vs H.

Both draw every selected NEO (44,000 at full scale) as ``scattergl`` points, one trace per
colour group. WebGL needs the strict plotly.js bundle under the app's CSP (no
``'unsafe-eval'``); the measurements behind that choice are in ``bench/results.md``
(section ``circumstances-render``) and ``docs``/the issue note. Reference curves and the
graticule are SVG ``scatter`` lines drawn over the points.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np

from dashboard_app.analysis.circumstances import RateVsH, SkyPoints
from dashboard_app.analysis.sky_map import (
    HAMMER,
    HAMMER_X_MAX,
    HAMMER_Y_MAX,
    broken_line,
    ecliptic_curve,
    galactic_plane_curve,
    graticule,
    hammer,
)
from dashboard_app.figures.colours import series_colours
from dashboard_app.figures.common import NEO_POINTS_META, Figure, themed_layout
from dashboard_app.figures.labels import axis_title
from dashboard_app.figures.neo_points import PointsFile, neo_data, packed_trace
from dashboard_app.theme import figure_template

ECLIPTIC_COLOUR = "#e6a100"
GRID_COLOUR = "rgba(128, 128, 128, 0.35)"


def marker_size(n: int) -> float:
    """Smaller points as they get more numerous, so dense regions stay readable."""
    return 6.0 if n < 2_000 else (4.0 if n < 10_000 else 3.0)


def _style(name: str, colour: str, size: float) -> dict[str, Any]:
    return {
        "type": "scattergl",
        "mode": "markers",
        "name": name,
        "marker": {"color": colour, "size": size, "opacity": 0.7, "line": {"width": 0}},
        "hovertemplate": "%{text}<extra>" + name + "</extra>",
    }


def _points(x: np.ndarray, y: np.ndarray, text: np.ndarray, style: dict[str, Any]) -> dict[str, Any]:
    """One colour group's points with their numbers and text (unpacked: see :mod:`figures.neo_points`)."""
    return {
        **style,
        "x": np.asarray(x, "float64").tolist(),  # already rounded by the analysis (so the CSV holds the same)
        "y": np.asarray(y, "float64").tolist(),
        "text": np.asarray(text, dtype=object).tolist(),
    }


def _line(
    xy: tuple[list, list], name: str, colour: str, dash: str, width: float = 1.6, trace: str = "scattergl"
) -> dict[str, Any]:
    """A reference curve; WebGL by default, so it is drawn over the (WebGL) points rather than under them."""
    return {
        "type": trace,
        "mode": "lines",
        "x": xy[0],
        "y": xy[1],
        "name": name,
        "line": {"color": colour, "dash": dash, "width": width},
        "hoverinfo": "skip",
    }


@cache
def _curves(projection: str) -> tuple[tuple[list, list], tuple[list, list], tuple[list, list] | None]:
    """Ecliptic, galactic plane and (Hammer only) graticule in chart coordinates: constants, computed once.
    Callers put these lists into figures that are serialised, never changed."""
    grid = graticule(projection) if projection == HAMMER else None
    return (
        broken_line(*ecliptic_curve(), projection),
        broken_line(*galactic_plane_curve(), projection),
        grid,
    )


def _hammer_labels(theme: object) -> list[dict[str, Any]]:
    labels = []
    for hours in range(3, 24, 3):  # RA along the equator, just below it (every 3 h: legible on a phone)
        x, y = hammer(np.array([hours * 15.0]), np.array([0.0]))
        labels.append({"x": float(x[0]), "y": float(y[0]) - 0.04, "text": f"{hours}h", "yanchor": "top"})
    for dec in (-60, -30, 0, 30, 60):  # declination at the left edge
        x, y = hammer(np.array([359.999]), np.array([float(dec)]))
        labels.append({"x": float(x[0]) - 0.04, "y": float(y[0]), "text": f"{dec:+d}°", "xanchor": "right"})
    paper = figure_template(theme)["layout"]["paper_bgcolor"]
    style = {"xref": "x", "yref": "y", "showarrow": False, "font": {"size": 10}, "bgcolor": paper, "opacity": 0.8}
    return [{**style, **label} for label in labels]


SKY_COLUMNS: dict[str, tuple[str, str]] = {HAMMER: ("hammer_x", "hammer_y"), "radec": ("ra", "dec")}
"""The points file's columns of the sky map's x and y per projection."""


def sky_figure(points: SkyPoints, theme: object, source: PointsFile | None = None) -> Figure:
    """Every selected NEO at its tracklet mean position, RA increasing to the left, with the ecliptic and
    the galactic plane (broken where they wrap); equal-area Hammer or plain RA/Dec.

    With ``source`` the points are packed (rows, no numbers or text): :func:`neo_points.expand` of it is
    the figure drawn without."""
    proj = points.projection
    ecliptic, galactic, grid_xy = _curves(proj)
    data: list[dict[str, Any]] = []
    if grid_xy is not None:
        grid = _line(grid_xy, "Grid", GRID_COLOUR, "solid", 0.8, trace="scatter")  # SVG: under the points
        data.append({**grid, "showlegend": False})
    size = marker_size(len(points))
    colours = series_colours(points.coloured_by, points.groups)
    bounds = np.searchsorted(points.group, np.arange(len(points.groups) + 1))  # points are sorted by group
    x, y, hover = (points.x, points.y, points.hover) if source is None else (np.empty(0),) * 3  # packed: unused
    for g, name in enumerate(points.groups):
        part = slice(bounds[g], bounds[g + 1])
        if part.stop > part.start:
            style = _style(name, colours[name], size)
            if source is not None:  # the browser fills the points in from the snapshot's points file
                data.append(packed_trace(points.rows[part], source.n, **style))
            else:
                data.append(_points(x[part], y[part], hover[part], style))
    data.append(_line(ecliptic, "Ecliptic", ECLIPTIC_COLOUR, "dash"))
    ink = figure_template(theme)["layout"]["font"]["color"]  # black on light, light grey on dark: unlike any group
    data.append(_line(galactic, "Galactic plane", ink, "dot"))
    if proj == HAMMER:
        pad = 0.08
        xaxis = {"visible": False, "range": [-HAMMER_X_MAX - 0.3, HAMMER_X_MAX + pad], "fixedrange": False}
        yaxis = {"visible": False, "range": [-HAMMER_Y_MAX - pad, HAMMER_Y_MAX + pad], "scaleanchor": "x"}
        extra: dict[str, Any] = {"annotations": _hammer_labels(theme)}
    else:
        xaxis = {
            "title": {"text": "Right ascension (J2000), increasing to the left (east)"},
            "range": [360, 0],
            "tickvals": list(range(0, 361, 30)),
            "ticktext": [f"{h}h" for h in range(0, 25, 2)],
            "zeroline": False,
        }
        yaxis = {
            "title": {"text": "Declination (J2000)"},
            "range": [-90, 90],
            "tickvals": list(range(-90, 91, 30)),
            "ticksuffix": "°",
            "scaleanchor": "x",
            "zeroline": False,
        }
        extra = {}
    layout = themed_layout(
        theme,
        xaxis=xaxis,
        yaxis=yaxis,
        hovermode="closest",
        uirevision=proj,
        margin={"l": 50, "r": 10, "t": 10, "b": 40},
        **extra,
    )
    layout["legend"] = {**layout["legend"], "itemsizing": "constant"}  # legible swatches for 3 px points
    layout["meta"] = _meta(source, *SKY_COLUMNS[proj], "hover")  # a click on a point opens that NEO's page
    return {"data": data, "layout": layout}


def _meta(source: PointsFile | None, x: str, y: str, text: str) -> dict[str, Any]:
    return NEO_POINTS_META if source is None else {**NEO_POINTS_META, "neo_data": neo_data(source, x, y, text)}


def rate_figure(result: RateVsH, theme: object, source: PointsFile | None = None) -> Figure:
    """Rate of motion (log) against absolute magnitude H, one point per NEO with both, by colour group
    (packed with ``source``, as :func:`sky_figure`)."""
    size = marker_size(len(result))
    colours = series_colours(result.coloured_by, result.groups)
    data = []
    bounds = np.searchsorted(result.group, np.arange(len(result.groups) + 1))  # points are sorted by group
    for g, name in enumerate(result.groups):
        part = slice(bounds[g], bounds[g + 1])
        if part.stop == part.start:
            continue
        style = _style(name, colours[name], size)
        style["hovertemplate"] = "%{text}<br>H %{x}<br>%{y} deg/day<extra>" + name + "</extra>"
        if source is not None:
            data.append(packed_trace(result.rows[part], source.n, **style))
        else:
            data.append(_points(result.h[part], result.rate[part], result.names[result.rows[part]], style))
    layout = themed_layout(
        theme,
        showlegend=False,  # beside another chart under the sky map, whose legend names the groups
        xaxis={"title": axis_title("Absolute magnitude H (fainter = smaller →)"), "automargin": True},
        yaxis={"title": {"text": "Rate of motion at discovery (deg/day)"}, "type": "log", "dtick": 1},
        hovermode="closest",
    )
    layout["meta"] = _meta(source, "h", "rate", "hover:name")  # a click on a point opens that NEO's page
    return {"data": data, "layout": layout}
