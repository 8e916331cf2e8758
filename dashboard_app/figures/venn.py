"""A Venn diagram of 1–3 sets for plotly, which has none: circles as layout shapes, regions as annotations.

Circle sizes are fixed (not proportional to the set sizes); every region, the empty
ones included, carries its label, and "None of them" sits below the circles.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from dashboard_app.figures.common import Figure, themed_layout

RADIUS = 1.0
# Circle centres per number of sets.
CENTRES: dict[int, tuple[tuple[float, float], ...]] = {
    1: ((0.0, 0.0),),
    2: ((-0.6, 0.0), (0.6, 0.0)),
    3: ((-0.6, 0.35), (0.6, 0.35), (0.0, -0.65)),
}
# Label position of each region mask (bit i = inside circle i) per number of sets.
REGION_POSITIONS: dict[int, dict[int, tuple[float, float]]] = {
    1: {1: (0.0, 0.0)},
    2: {1: (-1.0, 0.0), 2: (1.0, 0.0), 3: (0.0, 0.0)},
    3: {
        1: (-1.05, 0.6),
        2: (1.05, 0.6),
        4: (0.0, -1.2),
        3: (0.0, 0.85),
        5: (-0.7, -0.45),
        6: (0.7, -0.45),
        7: (0.0, 0.05),
    },
}
# Where each set's name goes, outside its circle.
NAME_POSITIONS: dict[int, tuple[tuple[float, float, str], ...]] = {
    1: ((0.0, 1.15, "bottom"),),
    2: ((-0.9, 1.1, "bottom"), (0.9, 1.1, "bottom")),
    3: ((-1.1, 1.45, "bottom"), (1.1, 1.45, "bottom"), (0.0, -1.8, "top")),
}
LABEL_MODES: tuple[str, ...] = ("counts", "percent", "both")


def none_y(k: int) -> float:
    """Where "None of them" goes: below the lowest circle and, with three sets, below the third name."""
    return min(c[1] for c in CENTRES[k]) - RADIUS - (0.75 if k == 3 else 0.3)


def y_range(k: int) -> list[float]:
    """The y range that holds every circle, name and label, "None of them" included (with room for a
    two-line label: about 0.3 units at the chart's height)."""
    return [none_y(k) - 0.35, 1.9]


def region_text(neos: int, pct: float, mode: str) -> str:
    """A region's label: the count, the percentage of eligible NEOs, or both."""
    if mode == "counts":
        return f"{neos:,}"
    text = f"{pct:.1f}%" if pct == pct else "–"
    return text if mode == "percent" else f"{neos:,}<br>{text}"


def venn_figure(
    regions: pd.DataFrame, names: Sequence[str], colours: Sequence[str], label_mode: str, theme: object
) -> Figure:
    """Draw the Venn of ``regions`` (from ``analysis.comparison.venn_regions``) for sets ``names``."""
    k = len(names)
    if k not in CENTRES:
        raise ValueError("a Venn diagram needs 1 to 3 sets")
    shapes = [
        {
            "type": "circle",
            "xref": "x",
            "yref": "y",
            "x0": cx - RADIUS,
            "x1": cx + RADIUS,
            "y0": cy - RADIUS,
            "y1": cy + RADIUS,
            "fillcolor": colour,
            "opacity": 0.3,
            "line": {"color": colour, "width": 2},
            "layer": "below",
        }
        for (cx, cy), colour in zip(CENTRES[k], colours, strict=True)
    ]
    annotations = []
    xs, ys, hover = [], [], []
    for row in regions.itertuples(index=False):
        label = region_text(int(row.neos), float(row.pct_of_eligible), label_mode)
        if row.mask == 0:
            x, y = 0.0, none_y(k)
            label = f"None of them: {label.replace('<br>', ' · ')}"
        else:
            x, y = REGION_POSITIONS[k][row.mask]
        annotations.append({"x": x, "y": y, "text": label, "showarrow": False, "font": {"size": 13}})
        xs.append(x)
        ys.append(y)
        hover.append(f"{row.region}<br>{int(row.neos):,} NEOs ({float(row.pct_of_eligible):.1f}% of eligible)")
    for (x, y, anchor), name in zip(NAME_POSITIONS[k], names, strict=True):
        annotations.append(
            {"x": x, "y": y, "text": f"<b>{name}</b>", "showarrow": False, "yanchor": anchor, "font": {"size": 13}}
        )
    hover_points = {
        "type": "scatter",
        "x": xs,
        "y": ys,
        "mode": "markers",
        "marker": {"size": 28, "opacity": 0},
        "hovertext": hover,
        "hoverinfo": "text",
    }
    layout = themed_layout(
        theme,
        shapes=shapes,
        annotations=annotations,
        showlegend=False,
        xaxis={"visible": False, "range": [-2.3, 2.3], "fixedrange": True},
        yaxis={"visible": False, "range": y_range(k), "scaleanchor": "x", "fixedrange": True},
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
    )
    return {"data": [hover_points], "layout": layout}
