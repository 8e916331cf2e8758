"""Empty states: a figure that says why there is nothing to show, instead of empty axes."""

from __future__ import annotations

from typing import Any

from dashboard_app.theme import figure_template

NO_SNAPSHOT = "No data snapshot is loaded yet, so there is nothing to chart. Try again in a minute."


def empty_figure(sentence: str, theme: object = None) -> dict[str, Any]:
    """A blank, themed figure (plain dict) with ``sentence`` in the middle and no axes."""
    return {
        "data": [],
        "layout": {
            "template": figure_template(theme),
            "xaxis": {"visible": False},
            "yaxis": {"visible": False},
            "margin": {"l": 20, "r": 20, "t": 20, "b": 20},
            "annotations": [
                {
                    "text": sentence,
                    "xref": "paper",
                    "yref": "paper",
                    "x": 0.5,
                    "y": 0.5,
                    "showarrow": False,
                    "font": {"size": 15},
                }
            ],
        },
    }
