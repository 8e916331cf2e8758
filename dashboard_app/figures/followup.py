"""Figures of the Follow-up Timing tab, each drawn from one analysis frame and the theme."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard_app import reference
from dashboard_app.analysis.followup import NO_FOLLOWUP
from dashboard_app.figures.comparison import project_colour, year_axis
from dashboard_app.theme import figure_template

RANK_NAMES = {1: "1st different project", 2: "2nd different project", 3: "3rd different project"}
RANK_COLOURS = {1: "#1f77b4", 2: "#ff7f0e", 3: "#2ca02c"}
DAYS = "Days after discovery"


def _layout(fig: go.Figure, theme: object, **layout) -> go.Figure:
    fig.update_layout(
        template=figure_template(theme),
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        hoverlabel={"namelength": -1},
        **layout,
    )
    return fig


def response_curves_figure(curves: pd.DataFrame, max_days: float, theme: object) -> go.Figure:
    """Step curves: % of all eligible NEOs followed up within t days by the 1st, 2nd, 3rd project."""
    fig = go.Figure()
    for rank, rows in curves.groupby("rank", sort=True):
        fig.add_trace(
            go.Scatter(
                x=rows["days"],
                y=rows["pct_of_eligible"],
                mode="lines",
                line={"shape": "hv", "color": RANK_COLOURS.get(int(rank))},
                name=RANK_NAMES.get(int(rank), f"{rank}th"),
                customdata=rows["neos"],
                hovertemplate="within %{x:.2f} d: %{y:.1f}% (%{customdata:,} NEOs)<extra>%{fullData.name}</extra>",
            )
        )
    return _layout(
        fig,
        theme,
        xaxis={"title": DAYS, "range": [0, max_days]},
        yaxis={"title": "% of eligible NEOs followed up", "range": [0, 100], "ticksuffix": "%"},
        legend={"orientation": "h", "y": -0.2},
    )


def project_boxes_figure(boxes: pd.DataFrame, max_days: float, theme: object) -> go.Figure:
    """Box plots (precomputed quartiles, Tukey whiskers) of each project's response time, fastest first."""
    fig = go.Figure()
    for row in boxes.itertuples(index=False):
        fig.add_trace(
            go.Box(
                x=[row.project],
                q1=[row.q1],
                median=[row.median],
                q3=[row.q3],
                lowerfence=[row.lower_fence],
                upperfence=[row.upper_fence],
                name=row.project,
                marker_color=project_colour(row.project),
                boxpoints=False,
                hoverinfo="y+name",
            )
        )
    return _layout(
        fig,
        theme,
        showlegend=False,
        yaxis={"title": "Days to the project's first observation", "range": [0, max_days]},
        xaxis={"type": "category", "tickangle": -30, "automargin": True},
    )


def first_followup_heatmap(matrix: pd.DataFrame, theme: object) -> go.Figure:
    """Heatmap of discovering project × first follow-up project: counts, median delay on hover."""
    order = [p.name for p in reference.projects()]
    rows = [p for p in order if p in set(matrix["disc_project"])]
    cols = [p for p in [*order, NO_FOLLOWUP] if p in set(matrix["followup_project"])]
    counts = matrix.pivot(index="disc_project", columns="followup_project", values="neos").reindex(
        index=rows, columns=cols
    )
    medians = matrix.pivot(index="disc_project", columns="followup_project", values="median_delay").reindex(
        index=rows, columns=cols
    )
    z = counts.to_numpy(dtype="float64")
    text = np.where(np.isnan(z), "", np.nan_to_num(z).astype(int).astype(str))
    median_text = np.where(
        np.isnan(medians.to_numpy(dtype="float64")), "–", np.round(medians.to_numpy(dtype="float64"), 2).astype(str)
    )
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=cols,
            y=rows,
            text=text,
            texttemplate="%{text}",
            customdata=median_text,
            colorscale="Viridis",
            colorbar={"title": {"text": "NEOs"}},
            hovertemplate="Discovered by <b>%{y}</b>, first followed up by <b>%{x}</b>"
            "<br>%{z:,} NEOs, median delay %{customdata} d<extra></extra>",
            xgap=1,
            ygap=1,
        )
    )
    return _layout(
        fig,
        theme,
        xaxis={"title": "First follow-up project", "tickangle": -35, "automargin": True, "type": "category"},
        yaxis={"title": "Discovering project", "autorange": "reversed", "automargin": True, "type": "category"},
    )


def annual_median_figure(annual: pd.DataFrame, theme: object) -> go.Figure:
    """Median days to first follow-up per discovery year with the interquartile band."""
    years = annual["disc_year"]
    band_colour = "rgba(31,119,180,0.2)"
    fig = go.Figure(
        [
            go.Scatter(x=years, y=annual["q3"], mode="lines", line={"width": 0}, showlegend=False, hoverinfo="skip"),
            go.Scatter(
                x=years,
                y=annual["q1"],
                mode="lines",
                line={"width": 0},
                fill="tonexty",
                fillcolor=band_colour,
                name="interquartile range",
                hoverinfo="skip",
            ),
            go.Scatter(
                x=years,
                y=annual["median"],
                mode="lines+markers",
                name="median",
                line={"color": RANK_COLOURS[1]},
                customdata=np.column_stack([annual["q1"], annual["q3"], annual["followed"], annual["eligible"]]),
                hovertemplate="%{x}: median %{y:.2f} d (IQR %{customdata[0]:.2f}–%{customdata[1]:.2f})"
                "<br>%{customdata[2]:,} of %{customdata[3]:,} NEOs followed up<extra></extra>",
            ),
        ]
    )
    return _layout(
        fig,
        theme,
        xaxis={"title": "Discovery year", **year_axis(years)},
        yaxis={"title": "Days to first follow-up", "rangemode": "tozero"},
        legend={"orientation": "h", "y": -0.2},
    )
