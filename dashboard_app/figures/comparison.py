"""Figures of the Multi-survey Comparison tab, each drawn from one analysis frame and the theme.

Plain-dict figures (see :mod:`dashboard_app.figures.common`): no plotly validation on the hot path.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
from plotly.colors import get_colorscale

from dashboard_app import reference
from dashboard_app.analysis.comparison import METRIC_LABELS
from dashboard_app.figures import margins, partial_year
from dashboard_app.figures.common import Figure, themed_layout
from dashboard_app.figures.labels import category_label


@cache
def colour_scale(name: str) -> list[list[Any]]:
    """A named plotly.py colour scale as explicit stops: plotly.js reads some names the other way round."""
    return get_colorscale(name)


def project_colour(project: str) -> str:
    """Reference colour of a survey project (grey for "Others" and unknown names)."""
    return reference.project_colours().get(project, reference.UNKNOWN_COLOUR)


def nullable(values: np.ndarray) -> list[Any]:
    """A float array as a JSON-ready list with NaN → None (plotly leaves those cells blank)."""
    values = np.asarray(values, dtype="float64")
    null = np.array(None, dtype=object)  # None as an array: numpy's ArrayLike type has no None
    return np.where(np.isnan(values), null, values).tolist()


def year_axis(years: pd.Series) -> dict[str, Any]:
    """A year axis with whole-year ticks (never 2019.5), about a dozen at most."""
    span = int(years.max() - years.min()) if len(years) else 0
    return {"tickformat": "d", "tick0": int(years.min()) if len(years) else 0, "dtick": max(1, -(-span // 12))}


def _title(text: str) -> dict[str, Any]:
    return {"title": {"text": text}}


def _bars(names: list[str], values: pd.Series, colours: list[str], customdata: list, hover: str) -> dict[str, Any]:
    """Horizontal bars whose (long) names are wrapped to fit a phone; ``%{text}`` is the whole name."""
    return {
        "type": "bar",
        "orientation": "h",
        "x": values.tolist(),
        "y": [category_label(n) for n in names],
        "text": names,
        "textposition": "none",
        "marker": {"color": colours},
        "customdata": customdata,
        "hovertemplate": hover,
    }


def _bar_layout(theme: object, metric: str, names: list[str]) -> dict[str, Any]:
    return themed_layout(
        theme,
        margin={"l": margins.left_for_categories(names), "t": 20},
        xaxis=_title(METRIC_LABELS[metric]),
        yaxis={"autorange": "reversed", "automargin": True, "type": "category"},
        showlegend=False,
    )


def reach_figure(reach: pd.DataFrame, metric: str, labels: Mapping[str, str], theme: object) -> Figure:
    """Horizontal bars of reach per group, largest on top, catch-all groups pinned at the bottom."""
    bars = _bars(
        [labels.get(g, g) for g in reach["group"]],
        reach["value"],
        [project_colour(p) for p in reach["project"]],
        reach[["neos", "tracklets", "observations"]].to_numpy().tolist(),
        "<b>%{text}</b><br>NEOs %{customdata[0]:,}<br>tracklets %{customdata[1]:,}"
        "<br>observations %{customdata[2]:,}<extra></extra>",
    )
    return {"data": [bars], "layout": _bar_layout(theme, metric, bars["y"])}


def codetection_figure(matrix: pd.DataFrame, groups: list[str], labels: Mapping[str, str], theme: object) -> Figure:
    """Heatmap: % of the row group's NEOs also seen by the column group; the diagonal shows the count."""
    k = len(groups)
    pct = matrix["pct_of_row"].to_numpy(dtype="float64").reshape(k, k).copy()
    both = matrix["n_both"].to_numpy().reshape(k, k)
    n_row = matrix["n_row"].to_numpy().reshape(k, k)
    diagonal = np.eye(k, dtype=bool)
    share = np.char.add(np.round(np.nan_to_num(pct)).astype(int).astype(str), "%")
    text = np.where(diagonal, both.astype(str), np.where(np.isnan(pct), "", share))
    pct[diagonal] = np.nan  # the diagonal is a count, not a share: leave it uncoloured
    names = [labels.get(g, g) for g in groups]
    heat = {
        "type": "heatmap",
        "z": nullable(pct),
        "x": names,
        "y": names,
        "text": text.tolist(),
        "texttemplate": "%{text}",
        "customdata": np.dstack([both, n_row]).tolist(),
        "colorscale": colour_scale("Blues"),  # light = few, dark = many
        "zmin": 0,
        "zmax": 100,
        "colorbar": {"title": {"text": "% of row"}, "ticksuffix": "%"},
        "hovertemplate": "%{customdata[0]:,} of the %{customdata[1]:,} NEOs seen by <b>%{y}</b>"
        "<br>were also seen by <b>%{x}</b> (%{z:.1f}%)<extra></extra>",
        "xgap": 1,
        "ygap": 1,
    }
    xaxis = {"tickangle": -40, "automargin": True, "type": "category"}
    side, under = margins.left_for_categories(names), margins.bottom_for_categories(names, xaxis)
    margin = {"l": side, "r": 10, "t": 20, "b": under}
    layout = themed_layout(
        theme,
        margin=margin,
        xaxis=xaxis,
        yaxis={"autorange": "reversed", "automargin": True, "type": "category"},
    )
    return {"data": [heat], "layout": layout}


def annual_figure(
    annual: pd.DataFrame,
    mode: str,
    labels: Mapping[str, str],
    theme: object,
    partial: partial_year.Partial | None = None,
) -> Figure:
    """Lines of NEOs seen per group per discovery year (count, or % of that year's eligible NEOs).

    Projects wear their reference colours; stations take the template's colour cycle. ``partial``: the
    year counted only to the data time has open points and says so in the hover.
    """
    column = "pct_of_eligible" if mode == "pct" else "neos"
    # annual_reach gives every year × group, years outer: reshape instead of grouping (no per-group frames).
    groups = list(pd.unique(annual["group"]))
    years = annual["disc_year"].to_numpy()[:: max(len(groups), 1)].tolist()
    shape = (len(years), len(groups))
    values = annual[column].to_numpy().reshape(shape)
    custom = np.stack(
        [annual[c].to_numpy(dtype="float64").reshape(shape) for c in ("neos", "eligible", "pct_of_eligible")], axis=-1
    )
    colours = reference.project_colours()
    marker = partial_year.line_marker(years, partial)
    suffixes = partial_year.hover_suffixes(years, partial)
    data = [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "x": years,
            "y": values[:, i].tolist(),
            "name": labels.get(group, group),
            "line": {"color": colours[group]} if group in colours else {},
            "marker": marker,
            "text": suffixes,
            "customdata": custom[:, i, :].tolist(),
            "hovertemplate": "<b>%{fullData.name}</b> %{x}%{text}<br>%{customdata[0]:,} of %{customdata[1]:,} "
            "eligible NEOs (%{customdata[2]:.1f}%)<extra></extra>",
        }
        for i, group in enumerate(groups)
    ]
    layout = themed_layout(
        theme,
        xaxis={**_title("Discovery year"), **year_axis(annual["disc_year"])},
        yaxis=_title("% of the year's eligible NEOs" if mode == "pct" else "NEOs seen"),
    )
    return {"data": data, "layout": layout}


def station_detail_figure(detail: pd.DataFrame, metric: str, theme: object) -> Figure:
    """Horizontal bars of per-station reach, coloured by the station's project."""
    names = [f"{s} {n}" if n and n != s else s for s, n in zip(detail["stn"], detail["name"], strict=True)]
    bars = _bars(
        names,
        detail["value"],
        [project_colour(p) for p in detail["project"]],
        detail[["project", "neos", "tracklets", "observations", "discovered"]].to_numpy().tolist(),
        "<b>%{text}</b> (%{customdata[0]})<br>NEOs %{customdata[1]:,}<br>tracklets %{customdata[2]:,}"
        "<br>observations %{customdata[3]:,}<br>discovered %{customdata[4]:,}<extra></extra>",
    )
    return {"data": [bars], "layout": _bar_layout(theme, metric, bars["y"])}
