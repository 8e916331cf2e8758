"""Figures of the Discoveries by Year tab, built from :mod:`dashboard_app.analysis.discoveries` results."""

from __future__ import annotations

from typing import Any

import pandas as pd

from dashboard_app import reference
from dashboard_app.analysis.discoveries import YearlyCounts
from dashboard_app.figures import margins, partial_year
from dashboard_app.figures.colours import series_colours
from dashboard_app.figures.common import Figure, themed_layout
from dashboard_app.figures.labels import axis_title

STACK_TITLES = {"size": "Size class", "project": "Survey project", "station": "Station", "combined": ""}


def yearly_figure(result: YearlyCounts, theme: object, partial: partial_year.Partial | None = None) -> Figure:
    """Stacked bars of discoveries per year (or cumulative), one trace per stack, bottom first.

    ``partial`` = (year, "to 28 Mar"): that year is counted only up to the data time; its bars are
    hatched and their hover says so (:mod:`dashboard_app.figures.partial_year`), so a short year does not
    read as a collapse.
    """
    value = result.value_column
    colours = series_colours(result.stacked_by, result.order)
    data = []
    for series, part in result.table.groupby("series", sort=False):
        years = part["year"].tolist()
        trace: dict[str, Any] = {
            "type": "bar",
            "x": years,
            "y": part[value].tolist(),
            "name": series,
            "marker": {"color": colours[series], "line": {"width": 0}},
            "hovertemplate": f"{series}<br>%{{x}}%{{customdata}}: %{{y:,}}<extra></extra>",
            "customdata": partial_year.hover_suffixes(years, partial),
        }
        pattern = partial_year.bar_pattern(years, partial)
        if pattern is not None:
            trace["marker"]["pattern"] = pattern
        data.append(trace)
    cumulative = value.startswith("cumulative")
    layout = themed_layout(
        theme,
        legend_title=STACK_TITLES.get(result.stacked_by),
        barmode="stack",
        bargap=0.1,
        xaxis={"title": {"text": "Discovery year (UTC)"}, "tickformat": "d"},
        yaxis={"title": {"text": "Cumulative discoveries" if cumulative else "Discoveries per year"}},
        showlegend=len(result.order) > 1,
    )
    return {"data": data, "layout": layout}


def size_mix_figure(frame: pd.DataFrame, theme: object) -> Figure:
    """Bars of the selection's discoveries per size class (Unknown H included), in class colours."""
    colours = {c.label: c.colour for c in reference.size_classes()}
    data = [
        {
            "type": "bar",
            "x": frame["size_class"].tolist(),
            "y": frame["discoveries"].tolist(),
            "marker": {"color": [colours[s] for s in frame["size_class"]]},
            "hovertemplate": "%{x}<br>%{y:,} discoveries<extra></extra>",
            "name": "Discoveries",
        }
    ]
    # Turned by 30° at every width (plotly turns them only when they do not fit), so the margin is known.
    xaxis = {"title": axis_title("Size class (H; diameter at albedo 0.14)"), "tickangle": 30, "automargin": True}
    layout = themed_layout(
        theme,
        margin={"r": 40, "b": margins.bottom_for_categories(frame["size_class"], xaxis)},
        xaxis=xaxis,
        yaxis={"title": {"text": "Discoveries"}},
        showlegend=False,
    )
    return {"data": data, "layout": layout}
