"""Empty states: a figure that says why there is nothing to show, instead of empty axes."""

from __future__ import annotations

import textwrap
from functools import lru_cache

import plotly.graph_objects as go

from dashboard_app.theme import figure_template, normalise_theme

NO_SNAPSHOT = "No data snapshot is loaded yet, so there is nothing to chart. Try again in a minute."


def empty_figure(sentence: str, theme: object = None) -> go.Figure:
    """A blank, themed figure with ``sentence`` in the middle and no axes (shared: never mutate it).

    Building and validating one costs ~50 ms (the template), so each (sentence, theme) is built once.
    """
    return _empty_figure(sentence, normalise_theme(theme))


@lru_cache(maxsize=128)
def _empty_figure(sentence: str, theme: str) -> go.Figure:
    fig = go.Figure()
    fig.update_layout(
        template=figure_template(theme),
        xaxis={"visible": False},
        yaxis={"visible": False},
        margin={"l": 20, "r": 20, "t": 20, "b": 20},
        annotations=[
            {
                "text": "<br>".join(textwrap.wrap(sentence, 44)),  # lines that fit a 360 px screen
                "xref": "paper",
                "yref": "paper",
                "x": 0.5,
                "y": 0.5,
                "showarrow": False,
                "font": {"size": 15},
            }
        ],
    )
    return fig
