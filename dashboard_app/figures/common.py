"""Layout settings every chart shares, and figures as plain dicts.

Figures are built as ``{"data": [...], "layout": {...}}`` dicts rather than ``go.Figure``
objects: plotly's property validation costs tens of milliseconds per figure (most of a
callback's time), and Dash sends the dict as it is. Tests wrap a result in ``go.Figure(fig)``,
which validates every property, so a typo still fails a test.
"""

from __future__ import annotations

from typing import Any

from dashboard_app.figures import margins
from dashboard_app.theme import figure_template

Figure = dict[str, Any]

NEO_POINTS_META: dict[str, str] = {"neo_points": "text"}
"""``layout.meta`` of a figure whose points are single NEOs, each point's ``text`` starting with the NEO's
designation (up to ``": "``): a click on a point opens the NEO's page (``assets/neo.js``)."""


LEGEND_ABOVE = {
    "orientation": "h",
    "yanchor": "bottom",
    "y": 1.02,
    "xanchor": "left",
    "x": 0,
    "traceorder": "normal",
    # A wrapped legend may take most of the height before it scrolls (its entries then stay visible).
    "maxheight": 0.8,
}
"""Horizontal legends sit above the plot: the plot's top margin grows with the legend as it wraps
(on a phone, or with 30 stations), so it never runs into the x-axis title below the plot, which a
legend at a fixed distance below the axis did."""


def themed_layout(theme: object, *, legend_title: str | None = None, **layout: Any) -> dict[str, Any]:
    """A layout with the theme template, margins that hold numeric axes' labels, a horizontal legend above the
    plot, then ``layout`` (its ``margin`` sets only the sides it names; see :mod:`~dashboard_app.figures.margins`)."""
    margin = {**margins.DEFAULT, "b": margins.bottom(layout.get("xaxis")), **layout.pop("margin", {})}
    base: dict[str, Any] = {
        "template": figure_template(theme),
        "margin": margin,
        # The legend's title on its own line: beside the entries it left a phone too little room for them.
        "legend": {**LEGEND_ABOVE, "title": {"text": legend_title or "", "side": "top"}},
        "hoverlabel": {"namelength": -1},
        "uirevision": "keep",
    }
    return base | layout
