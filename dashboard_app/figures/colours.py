"""Colours of the stacked and grouped series the tabs draw: a display concern, kept out of ``analysis/``.

An analysis result names its series (stacks, colour groups) and what they are grouped by
(:data:`GROUPED_BY`); :func:`series_colours` gives each series its colour, the same way on
every chart that shows the grouping, so a group wears one colour across a tab's charts.
"""

from __future__ import annotations

from collections.abc import Sequence

from plotly.colors import sample_colorscale

from dashboard_app import reference
from dashboard_app.analysis.filters import GROUP_COMBINED, GROUP_PROJECT, GROUP_STATION, OTHERS

GROUP_SIZE = "size"
GROUP_YEAR = "year"
GROUPED_BY: tuple[str, ...] = (GROUP_COMBINED, GROUP_PROJECT, GROUP_STATION, GROUP_SIZE, GROUP_YEAR)
"""What series can be grouped by: one stack, survey projects, top-N stations, size classes, discovery years."""

OTHERS_COLOUR = reference.UNKNOWN_COLOUR
"""The station grouping's "Others" stack (every station outside the top N)."""
COMBINED_COLOUR = "#4363d8"
STATION_PALETTE: tuple[str, ...] = reference.station_palette()
"""Top N station colours, distinguishable also with a colour-vision deficiency (reference data)."""
YEAR_SCALE = "Viridis"
"""Sequential colour scale of discovery-year groups (earliest dark, latest light; its top 8 % left out)."""


def series_colours(grouped_by: str, series: Sequence[str]) -> dict[str, str]:
    """Colour of each series, by what the series are grouped by (:data:`GROUPED_BY`).

    Projects and size classes wear their reference colours; top-N stations take
    :data:`STATION_PALETTE` in rank order (``series`` bottom first) and "Others" is grey; years
    are sampled along :data:`YEAR_SCALE` in order. A series the reference data does not know is grey.
    """
    if grouped_by not in GROUPED_BY:
        raise ValueError(f"unknown grouping {grouped_by!r}")
    if grouped_by == GROUP_COMBINED:
        return dict.fromkeys(series, COMBINED_COLOUR)
    if grouped_by == GROUP_STATION:
        ranked = [s for s in series if s != OTHERS]
        colours = {s: STATION_PALETTE[i % len(STATION_PALETTE)] for i, s in enumerate(ranked)}
        return {s: colours.get(s, OTHERS_COLOUR) for s in series}
    if grouped_by == GROUP_YEAR:
        n = len(series)
        scale = sample_colorscale(YEAR_SCALE, [0.92 * i / max(n - 1, 1) for i in range(n)])
        return dict(zip(series, scale, strict=True))
    if grouped_by == GROUP_PROJECT:
        known = reference.project_colours()
    else:
        known = {c.label: c.colour for c in reference.size_classes()}
    return {s: known.get(s, reference.UNKNOWN_COLOUR) for s in series}
