"""Figures of the Discoveries by Year tab, built from :mod:`dashboard_app.analysis.discoveries` results."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashboard_app import reference
from dashboard_app.analysis.discoveries import YearlyCounts
from dashboard_app.figures.common import themed

STACK_TITLES = {"size": "Size class", "project": "Survey project", "station": "Station", "combined": ""}


def yearly_figure(result: YearlyCounts, theme: object) -> go.Figure:
    """Stacked bars of discoveries per year (or cumulative), one trace per stack, bottom first."""
    fig = go.Figure()
    value = result.value_column
    for series in result.order:
        part = result.table.loc[result.table["series"] == series]
        fig.add_trace(
            go.Bar(
                x=part["year"].tolist(),
                y=part[value].tolist(),
                name=series,
                marker={"color": result.colours[series], "line": {"width": 0}},
                hovertemplate=f"{series}<br>%{{x}}: %{{y:,}}<extra></extra>",
            )
        )
    cumulative = value.startswith("cumulative")
    fig.update_layout(
        barmode="stack",
        bargap=0.1,
        xaxis={"title": {"text": "Discovery year (UTC)"}, "tickformat": "d"},
        yaxis={"title": {"text": "Cumulative discoveries" if cumulative else "Discoveries per year"}},
        showlegend=len(result.order) > 1,
    )
    return themed(fig, theme, legend_title=STACK_TITLES.get(result.stacked_by))


def size_mix_figure(frame: pd.DataFrame, theme: object) -> go.Figure:
    """Bars of the selection's discoveries per size class (Unknown H included), in class colours."""
    colours = {c.label: c.colour for c in reference.size_classes()}
    fig = go.Figure(
        go.Bar(
            x=frame["size_class"].tolist(),
            y=frame["discoveries"].tolist(),
            marker={"color": [colours[s] for s in frame["size_class"]]},
            hovertemplate="%{x}<br>%{y:,} discoveries<extra></extra>",
            name="Discoveries",
        )
    )
    fig.update_layout(
        xaxis={"title": {"text": "Size class (H; diameter at albedo 0.14)"}, "automargin": True},
        yaxis={"title": {"text": "Discoveries"}},
        showlegend=False,
    )
    return themed(fig, theme)
