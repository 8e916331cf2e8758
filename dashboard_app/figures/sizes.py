"""Figure of the Size Distribution tab: discovered vs model per H bin, completeness, diameter lines."""

from __future__ import annotations

import plotly.graph_objects as go

from dashboard_app import reference
from dashboard_app.analysis.sizes import CUMULATIVE, DISCOVERED_PREFIX, SizeDistribution
from dashboard_app.figures.common import themed

UNDISCOVERED = "Estimated undiscovered"
UNDISCOVERED_COLOUR = "rgba(140, 140, 140, 0.35)"
COMPLETENESS = "Completeness"
COMPLETENESS_COLOUR = "#d62728"
BAND_COLOUR = "rgba(214, 39, 40, 0.15)"
LINE_014 = "Diameter, albedo 0.14"
LINE_MODEL = "Diameter, model albedo"
BAR_WIDTH = 0.45


def size_figure(result: SizeDistribution, theme: object, log_y: bool = False) -> go.Figure:
    """Stacked discovered bars + estimated undiscovered, completeness on a second axis, diameter lines."""
    t = result.table
    cumulative = result.mode == CUMULATIVE
    fig = go.Figure()
    bin_text = "H < %{customdata:.2f}" if cumulative else "bin centre H %{x:.2f}"
    for s in result.stacks:
        fig.add_trace(
            go.Bar(
                x=t["h_center"].tolist(),
                y=t[DISCOVERED_PREFIX + s].tolist(),
                customdata=t["h_high"].tolist(),
                width=BAR_WIDTH,
                name=s,
                marker={"color": result.colours[s], "line": {"width": 0}},
                hovertemplate=f"{s}<br>{bin_text}: %{{y:,}} discovered<extra></extra>",
            )
        )
    fig.add_trace(
        go.Bar(
            x=t["h_center"].tolist(),
            y=t["undiscovered"].tolist(),
            customdata=t["h_high"].tolist(),
            width=BAR_WIDTH,
            name=UNDISCOVERED,
            marker={"color": UNDISCOVERED_COLOUR, "line": {"width": 0}},
            hovertemplate=f"{UNDISCOVERED}<br>{bin_text}: %{{y:,.0f}}<extra></extra>",
        )
    )
    x_line = t["h_high" if cumulative else "h_center"].tolist()
    if cumulative:
        fig.add_trace(
            go.Scatter(
                x=x_line + x_line[::-1],
                y=t["completeness_high"].tolist() + t["completeness_low"].tolist()[::-1],
                yaxis="y2",
                fill="toself",
                fillcolor=BAND_COLOUR,
                line={"width": 0},
                hoverinfo="skip",
                name="Completeness 1σ (model)",
                showlegend=False,
            )
        )
    fig.add_trace(
        go.Scatter(
            x=x_line,
            y=t["completeness"].tolist(),
            yaxis="y2",
            mode="lines+markers",
            name=COMPLETENESS + (" (band: model 1σ)" if cumulative else ""),
            meta=COMPLETENESS,
            line={"color": COMPLETENESS_COLOUR, "width": 2},
            marker={"size": 5},
            hovertemplate=("H < %{x:.2f}" if cumulative else "bin centre H %{x:.2f}")
            + ": %{y:.1%} complete<extra></extra>",
        )
    )
    _diameter_lines(fig, float(t["h_low"].min()), float(t["h_high"].max()))
    if cumulative:
        _callouts(fig, result)
    y2_max = max(1.05, float(t["completeness_high"].max(skipna=True) if cumulative else t["completeness"].max()) * 1.05)
    fig.update_layout(
        barmode="stack",
        xaxis={"title": {"text": "Absolute magnitude H"}},
        yaxis={
            "title": {"text": "NEOs with H < bin upper edge" if cumulative else "NEOs per half-magnitude bin"},
            "type": "log" if log_y else "linear",
        },
        yaxis2={
            "title": {"text": "Completeness"},
            "overlaying": "y",
            "side": "right",
            "range": [0, y2_max],
            "tickformat": ".0%",
            "tickmode": "auto",
            "showgrid": False,
        },
    )
    fig = themed(fig, theme)
    fig.update_layout(margin={"r": 60, "t": 40})
    return fig


def _diameter_lines(fig: go.Figure, h_lo: float, h_hi: float) -> None:
    lines = reference.size_reference_lines()
    for column, dash, name, labelled in (
        ("h_at_pv014", "dot", LINE_014, True),
        ("h_neomod3_albedo", "dash", LINE_MODEL, False),
    ):
        shown = lines.loc[(lines[column] >= h_lo) & (lines[column] <= h_hi)]
        for _, row in shown.iterrows():
            label = {"annotation_text": row["label"], "annotation_position": "top left"} if labelled else {}
            fig.add_vline(
                x=float(row[column]),
                line={"dash": dash, "width": 1, "color": "rgba(128,128,128,0.8)"},
                annotation={"textangle": -90, "font": {"size": 10}} if labelled else None,
                **label,
            )
        # A legend entry that explains the line style (no data).
        fig.add_trace(
            go.Scatter(
                x=[None],
                y=[None],
                mode="lines",
                name=name,
                line={"dash": dash, "width": 1, "color": "rgba(128,128,128,0.9)"},
                hoverinfo="skip",
                meta="legend-only",
            )
        )


def _callouts(fig: go.Figure, result: SizeDistribution) -> None:
    first = result.callouts[0] if result.callouts else None
    if first is None:
        return
    fig.add_trace(
        go.Scatter(
            x=[first.h],
            y=[first.value],
            yaxis="y2",
            mode="markers",
            name=f"Completeness at {first.label}",
            showlegend=False,
            marker={
                "symbol": "diamond",
                "size": 11,
                "color": COMPLETENESS_COLOUR,
                "line": {"width": 1, "color": "#fff"},
            },
            error_y={
                "type": "data",
                "symmetric": False,
                "array": [first.high - first.value],
                "arrayminus": [first.value - first.low],
            },
            hovertemplate=f"{first.label} (H < {first.h:g}): %{{y:.1%}}<extra></extra>",
        )
    )
    fig.add_annotation(
        x=first.h,
        y=first.value,
        yref="y2",
        text=f"140 m: {first.value:.0%}",
        showarrow=True,
        arrowhead=0,
        ax=40,
        ay=-30,
        font={"color": COMPLETENESS_COLOUR},
    )
