"""Layout settings every chart shares: theme template, margins, a legend that fits narrow screens."""

from __future__ import annotations

import plotly.graph_objects as go

from dashboard_app.theme import figure_template


def themed(fig: go.Figure, theme: object, *, legend_title: str | None = None) -> go.Figure:
    """Apply the theme template, compact margins and a horizontal legend below the plot."""
    fig.update_layout(
        template=figure_template(theme),
        margin={"l": 60, "r": 20, "t": 30, "b": 40},
        legend={
            "orientation": "h",
            "yanchor": "top",
            "y": -0.18,
            "xanchor": "left",
            "x": 0,
            "traceorder": "normal",
            "title": {"text": legend_title} if legend_title else None,
        },
        hoverlabel={"namelength": -1},
        uirevision="keep",
    )
    return fig
