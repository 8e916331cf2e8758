"""Figures of the Follow-up Timing tab, each drawn from one analysis frame and the theme.

Plain-dict figures (see :mod:`dashboard_app.figures.common`): no plotly validation on the hot path.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dashboard_app import reference
from dashboard_app.analysis.followup import NO_FOLLOWUP
from dashboard_app.figures import margins, partial_year
from dashboard_app.figures.common import Figure, themed_layout
from dashboard_app.figures.comparison import colour_scale, nullable, project_colour, year_axis

RANK_NAMES = {1: "1st different project", 2: "2nd different project", 3: "3rd different project"}
RANK_COLOURS = {1: "#0072b2", 2: "#e69f00", 3: "#009e73"}
"""Okabe–Ito blue, orange, bluish green: told apart also with a colour-vision deficiency (test_palettes)."""
BAND_COLOUR = "rgba(31,119,180,0.2)"


def response_curves_figure(curves: pd.DataFrame, max_days: float, theme: object) -> Figure:
    """Step curves: % of all eligible NEOs followed up within t days by the 1st, 2nd, 3rd project.

    With Kaplan–Meier columns (``analysis.followup.response_curves_km``) each rank also gets its
    censoring-aware curve (dashed), and the 1st project its 95 % band.
    """
    groups = list(curves.groupby("rank", sort=True))
    data: list[dict] = []
    if "km_pct" in curves:
        data += _km_band(groups[0][1]) if groups else []
    data += [
        {
            "type": "scatter",
            "mode": "lines",
            "x": rows["days"].tolist(),
            "y": rows["pct_of_eligible"].tolist(),
            "line": {"shape": "hv", "color": RANK_COLOURS.get(int(rank))},
            "name": RANK_NAMES.get(int(rank), f"{rank}th different project"),
            "legendgroup": "plain",
            "legendgrouptitle": {"text": "Share of all eligible NEOs"},
            "customdata": rows["neos"].tolist(),
            "hovertemplate": "within %{x:.2f} d: %{y:.1f}% (%{customdata:,} NEOs)<extra>%{fullData.name}</extra>",
        }
        for rank, rows in groups
    ]
    if "km_pct" in curves:
        data += [
            {
                "type": "scatter",
                "mode": "lines",
                "x": rows["days"].tolist(),
                "y": rows["km_pct"].tolist(),
                "line": {"shape": "hv", "color": RANK_COLOURS.get(int(rank)), "dash": "dash"},
                "name": RANK_NAMES.get(int(rank), f"{rank}th different project"),
                "legendgroup": "km",
                "legendgrouptitle": {"text": "Kaplan–Meier (censored at the data time)"},
                "customdata": rows[["km_low95", "km_high95", "at_risk"]].to_numpy().tolist(),
                "hovertemplate": "within %{x:.2f} d: %{y:.1f}% (95% CI %{customdata[0]:.1f}–%{customdata[1]:.1f}%)"
                "<br>%{customdata[2]:,} NEOs still at risk<extra>KM, %{fullData.name}</extra>",
            }
            for rank, rows in groups
        ]
    layout = themed_layout(
        theme,
        xaxis={"title": {"text": "Days after discovery"}, "range": [0, max_days]},
        yaxis={"title": {"text": "% of eligible NEOs followed up"}, "range": [0, 100], "ticksuffix": "%"},
    )
    return {"data": data, "layout": layout}


def _km_band(rows: pd.DataFrame) -> list[dict]:
    """The 95 % band of the first project's Kaplan–Meier curve: upper edge, then lower edge filled to it."""
    edge = {"type": "scatter", "mode": "lines", "x": rows["days"].tolist(), "hoverinfo": "skip"}
    line = {"shape": "hv", "width": 0}
    return [
        {**edge, "y": rows["km_high95"].tolist(), "line": line, "showlegend": False, "legendgroup": "band"},
        {
            **edge,
            "y": rows["km_low95"].tolist(),
            "line": line,
            "fill": "tonexty",
            "fillcolor": BAND_COLOUR,
            "name": "95% band (1st project, Kaplan–Meier)",
            "legendgroup": "band",
        },
    ]


def project_boxes_figure(boxes: pd.DataFrame, max_days: float, theme: object) -> Figure:
    """Box plots (precomputed quartiles, Tukey whiskers) of each project's response time, fastest first."""
    data = [
        {
            "type": "box",
            "x": [project],
            "q1": [q1],
            "median": [median],
            "q3": [q3],
            "lowerfence": [low],
            "upperfence": [high],
            "name": project,
            "marker": {"color": project_colour(project)},
            "boxpoints": False,
            "hoverinfo": "y+name",
        }
        for project, q1, median, q3, low, high in boxes[
            ["project", "q1", "median", "q3", "lower_fence", "upper_fence"]
        ].itertuples(index=False)
    ]
    xaxis = {"type": "category", "tickangle": -30, "automargin": True}
    layout = themed_layout(
        theme,
        showlegend=False,
        margin={"b": margins.bottom_for_categories([box["name"] for box in data], xaxis)},
        yaxis={"title": {"text": "Days to the project's first observation"}, "range": [0, max_days]},
        xaxis=xaxis,
    )
    return {"data": data, "layout": layout}


def days_text(days: float | None) -> str:
    """A number of days for people: one decimal below ten days, whole days above ("1.1 days", "37 days")."""
    if days is None or days != days:
        return "– days"
    value = f"{days:.1f}" if days < 10 else f"{days:,.0f}"
    return f"{value} day" if value == "1.0" else f"{value} days"


def first_followup_heatmap(matrix: pd.DataFrame, theme: object) -> Figure:
    """Heatmap of discovering project × first follow-up project: counts, median delay on hover."""
    order = [p.name for p in reference.projects()]
    discoverers, followers = set(matrix["disc_project"].unique()), set(matrix["followup_project"].unique())
    rows = [p for p in order if p in discoverers]
    cols = [p for p in [*order, NO_FOLLOWUP] if p in followers]

    # Place each cell by index arithmetic (a pivot per call costs tens of ms).
    at = (pd.Index(rows).get_indexer(matrix["disc_project"]), pd.Index(cols).get_indexer(matrix["followup_project"]))
    counts = np.full((len(rows), len(cols)), np.nan)
    medians = np.full((len(rows), len(cols)), np.nan)
    counts[at] = matrix["neos"].to_numpy(dtype="float64")
    medians[at] = matrix["median_delay"].to_numpy(dtype="float64")
    text = np.where(np.isnan(counts), "", np.nan_to_num(counts).astype(int).astype(str))
    median_text = [[days_text(None if np.isnan(m) else float(m)) for m in row] for row in medians]
    # Colour by log10(count): one cell with most of the NEOs must not wash out the rest; the bar is labelled
    # in counts (1, 10, 100, …) and the cells show the counts themselves.
    with np.errstate(divide="ignore"):
        z = np.where(counts > 0, np.log10(counts), np.nan)
    top = int(np.ceil(np.nanmax(z))) if np.isfinite(z).any() else 1
    ticks = list(range(0, max(top, 1) + 1))
    heat = {
        "type": "heatmap",
        "z": nullable(z),
        "x": cols,
        "y": rows,
        "text": text.tolist(),
        "texttemplate": "%{text}",
        "customdata": median_text,
        "colorscale": colour_scale("Viridis"),
        "zmin": 0,
        "zmax": max(top, 1),
        "colorbar": {
            "title": {"text": "NEOs (log)"},
            "tickvals": ticks,
            "ticktext": [f"{10**t:,}" for t in ticks],
        },
        "hovertemplate": "Discovered by <b>%{y}</b>, first followed up by <b>%{x}</b>"
        "<br>%{text} NEOs, median delay %{customdata}<extra></extra>",
        "xgap": 1,
        "ygap": 1,
    }
    xaxis = {"title": {"text": "First follow-up project"}, "tickangle": -35, "automargin": True, "type": "category"}
    yaxis = {"title": {"text": "Discovering project"}, "autorange": "reversed", "automargin": True, "type": "category"}
    margin = {
        "l": margins.left_for_categories(rows, yaxis),
        "r": 10,
        "t": 20,
        "b": margins.bottom_for_categories(cols, xaxis),
    }
    layout = themed_layout(theme, margin=margin, xaxis=xaxis, yaxis=yaxis)
    return {"data": [heat], "layout": layout}


def annual_median_figure(annual: pd.DataFrame, theme: object, partial: partial_year.Partial | None = None) -> Figure:
    """Median days to first follow-up per discovery year with the interquartile band.

    ``partial``: the year counted only to the data time has an open point and says so in the hover.
    """
    years = annual["disc_year"].tolist()
    data = [
        {
            "type": "scatter",
            "x": years,
            "y": annual["q3"].tolist(),
            "mode": "lines",
            "line": {"width": 0},
            "showlegend": False,
            "hoverinfo": "skip",
        },
        {
            "type": "scatter",
            "x": years,
            "y": annual["q1"].tolist(),
            "mode": "lines",
            "line": {"width": 0},
            "fill": "tonexty",
            "fillcolor": BAND_COLOUR,
            "name": "interquartile range",
            "hoverinfo": "skip",
        },
        {
            "type": "scatter",
            "x": years,
            "y": annual["median"].tolist(),
            "mode": "lines+markers",
            "name": "median",
            "line": {"color": RANK_COLOURS[1]},
            "marker": partial_year.line_marker(years, partial),
            "text": partial_year.hover_suffixes(years, partial),
            "customdata": annual[["q1", "q3", "followed", "eligible"]].to_numpy().tolist(),
            "hovertemplate": "%{x}%{text}: median %{y:.2f} d (IQR %{customdata[0]:.2f}–%{customdata[1]:.2f})"
            "<br>%{customdata[2]:,} of %{customdata[3]:,} NEOs followed up<extra></extra>",
        },
    ]
    layout = themed_layout(
        theme,
        xaxis={"title": {"text": "Discovery year"}, **year_axis(annual["disc_year"])},
        yaxis={"title": {"text": "Days to first follow-up"}, "rangemode": "tozero"},
    )
    return {"data": data, "layout": layout}
