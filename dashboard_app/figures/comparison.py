"""Figures of the Multi-survey Comparison tab, each drawn from one analysis frame and the theme."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard_app import reference
from dashboard_app.analysis.comparison import METRIC_LABELS
from dashboard_app.theme import figure_template


def project_colour(project: str) -> str:
    """Reference colour of a survey project (grey for "Others" and unknown names)."""
    return reference.project_colours().get(project, reference.UNKNOWN_COLOUR)


def _label(labels: Mapping[str, str], group: str) -> str:
    return labels.get(group, group)


def _base_layout(fig: go.Figure, theme: object, **layout) -> go.Figure:
    fig.update_layout(
        template=figure_template(theme),
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        hoverlabel={"namelength": -1},
        **layout,
    )
    return fig


def year_axis(years: pd.Series) -> dict:
    """A year axis with whole-year ticks (never 2019.5), about a dozen at most."""
    span = int(years.max() - years.min()) if len(years) else 0
    return {"tickformat": "d", "tick0": int(years.min()) if len(years) else 0, "dtick": max(1, -(-span // 12))}


def reach_figure(reach: pd.DataFrame, metric: str, labels: Mapping[str, str], theme: object) -> go.Figure:
    """Horizontal bars of reach per group, largest on top, catch-all groups pinned at the bottom."""
    names = [_label(labels, g) for g in reach["group"]]
    fig = go.Figure(
        go.Bar(
            x=reach["value"],
            y=names,
            orientation="h",
            marker_color=[project_colour(p) for p in reach["project"]],
            customdata=np.column_stack([reach["neos"], reach["tracklets"], reach["observations"]]),
            hovertemplate="<b>%{y}</b><br>NEOs %{customdata[0]:,}<br>tracklets %{customdata[1]:,}"
            "<br>observations %{customdata[2]:,}<extra></extra>",
        )
    )
    return _base_layout(
        fig,
        theme,
        xaxis_title=METRIC_LABELS[metric],
        yaxis={"autorange": "reversed", "automargin": True, "type": "category"},
        showlegend=False,
    )


def codetection_figure(matrix: pd.DataFrame, groups: list[str], labels: Mapping[str, str], theme: object) -> go.Figure:
    """Heatmap: % of the row group's NEOs also seen by the column group; the diagonal shows the count."""
    k = len(groups)
    pct = matrix["pct_of_row"].to_numpy().reshape(k, k).copy()
    both = matrix["n_both"].to_numpy().reshape(k, k)
    n_row = matrix["n_row"].to_numpy().reshape(k, k)
    diagonal = np.eye(k, dtype=bool)
    text = np.where(
        diagonal, both.astype(str), np.char.add(np.round(np.nan_to_num(pct), 0).astype(int).astype(str), "%")
    )
    text = np.where(~diagonal & np.isnan(pct), "", text)
    pct[diagonal] = np.nan  # the diagonal is a count, not a share: leave it uncoloured
    names = [_label(labels, g) for g in groups]
    fig = go.Figure(
        go.Heatmap(
            z=pct,
            x=names,
            y=names,
            text=text,
            texttemplate="%{text}",
            customdata=np.dstack([both, n_row]),
            colorscale="Blues",
            zmin=0,
            zmax=100,
            colorbar={"title": {"text": "% of row"}, "ticksuffix": "%"},
            hovertemplate="%{customdata[0]:,} of the %{customdata[1]:,} NEOs seen by <b>%{y}</b>"
            "<br>were also seen by <b>%{x}</b> (%{z:.1f}%)<extra></extra>",
            xgap=1,
            ygap=1,
        )
    )
    return _base_layout(
        fig,
        theme,
        xaxis={"side": "bottom", "tickangle": -40, "automargin": True, "type": "category"},
        yaxis={"autorange": "reversed", "automargin": True, "type": "category"},
    )


def annual_figure(annual: pd.DataFrame, mode: str, labels: Mapping[str, str], theme: object) -> go.Figure:
    """Lines of NEOs seen per group per discovery year (count, or % of that year's eligible NEOs).

    Projects wear their reference colours; stations take the template's colour cycle.
    """
    column = "pct_of_eligible" if mode == "pct" else "neos"
    fig = go.Figure()
    for group, rows in annual.groupby("group", sort=False):
        fig.add_trace(
            go.Scatter(
                x=rows["disc_year"],
                y=rows[column],
                mode="lines+markers",
                name=_label(labels, group),
                line={"color": reference.project_colours().get(group)},
                customdata=np.column_stack([rows["neos"], rows["eligible"], rows["pct_of_eligible"]]),
                hovertemplate="<b>%{fullData.name}</b> %{x}<br>%{customdata[0]:,} of %{customdata[1]:,} eligible NEOs"
                " (%{customdata[2]:.1f}%)<extra></extra>",
            )
        )
    return _base_layout(
        fig,
        theme,
        xaxis_title="Discovery year",
        yaxis_title="% of the year's eligible NEOs" if mode == "pct" else "NEOs seen",
        xaxis=year_axis(annual["disc_year"]),
        legend={"orientation": "h", "y": -0.2},
    )


def station_detail_figure(detail: pd.DataFrame, metric: str, theme: object) -> go.Figure:
    """Horizontal bars of per-station reach, coloured by the station's project."""
    names = [f"{s} {n}" if n and n != s else s for s, n in zip(detail["stn"], detail["name"], strict=True)]
    fig = go.Figure(
        go.Bar(
            x=detail["value"],
            y=names,
            orientation="h",
            marker_color=[project_colour(p) for p in detail["project"]],
            customdata=np.column_stack(
                [detail["project"], detail["neos"], detail["tracklets"], detail["observations"], detail["discovered"]]
            ),
            hovertemplate="<b>%{y}</b> (%{customdata[0]})<br>NEOs %{customdata[1]:,}<br>tracklets %{customdata[2]:,}"
            "<br>observations %{customdata[3]:,}<br>discovered %{customdata[4]:,}<extra></extra>",
        )
    )
    return _base_layout(
        fig,
        theme,
        xaxis_title=METRIC_LABELS[metric],
        yaxis={"autorange": "reversed", "automargin": True, "type": "category"},
        showlegend=False,
    )
