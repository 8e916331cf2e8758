"""Chart margins that already hold the axes' labels, so plotly.js draws a chart once.

An axis with ``automargin`` (plotly's templates turn it on) grows the margin to fit its tick labels
and title, but plotly.js learns how much only after drawing the chart, and then draws the whole
chart again. A margin that is wide enough from the start skips that second drawing: the 17-trace
bar chart of Discoveries by Year drew in a median 251 ms instead of 321 ms in headless Chromium (9
fresh pages each); a tab's cached first view moved by −453 to +65 ms (``bench.first_view
--baseline``, an A/B in one run: most on the tabs with the most charts). ``automargin`` stays on as
the safety net: a label wider than estimated here still fits, at the cost of the redraw.

The estimates err wide: 7.5 px per character of a 12 px tick label is a little more than headless
Chromium's fallback font (DejaVu Sans, one of the wider ones) measured: 7.2–7.9 px. With a narrower
font a chart keeps a little more space beside its labels than it needs.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

TICK_CHAR_PX = 7.5
"""Width of one character of a tick label (12 px font), rounded up."""

TICK_LINE_PX = 15
"""Height of one line of a tick label (12 px font)."""

TITLE_LINE_PX = 18
"""Height of one line of an axis title (14 px font)."""

TICK_PAD_PX = 12
"""Between the plot and its tick labels, and around the labels."""

TITLE_GAP_PX = 15
"""Between the tick labels and the axis title (the template's ``title.standoff``)."""

NUMERIC_X_PX = 35
"""Under the plot: numeric x tick labels (one line), their gaps and the title's standoff (measured 53 px
with a one-line title, 71 with two)."""

DEFAULT = {"l": 75, "r": 30, "t": 30}
"""Left, right and top margins of a chart with numeric axes: tick labels of about five characters
(``"1,500"``, ``"100%"``; plotly.js needed 68–72 px) and a one-line title on the y axis; the last x
tick label's overhang on the right. The bottom margin depends on the x axis title's lines
(:func:`bottom`)."""

_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)


def title_lines(axis: Mapping[str, Any] | None) -> int:
    """Lines of an axis's title (0 without one)."""
    title = (axis or {}).get("title") or {}
    text = title.get("text") if isinstance(title, Mapping) else title
    return len(_BREAK.split(str(text))) if text else 0


def bottom(xaxis: Mapping[str, Any] | None) -> int:
    """The bottom margin under numeric x tick labels and the x axis title."""
    return NUMERIC_X_PX + TITLE_LINE_PX * title_lines(xaxis)


def label_width(labels: Iterable[object]) -> int:
    """Pixels the longest line of the longest label takes (lines split at ``<br>``)."""
    longest = max((len(line) for label in labels for line in _BREAK.split(str(label))), default=0)
    return math.ceil(longest * TICK_CHAR_PX)


def _title_room(axis: Mapping[str, Any] | None) -> int:
    lines = title_lines(axis)
    return TITLE_GAP_PX + TITLE_LINE_PX * lines if lines else 0


def left_for_categories(labels: Iterable[object], yaxis: Mapping[str, Any] | None = None) -> int:
    """The left margin beside a y axis whose tick labels are ``labels`` (set horizontally) and its title."""
    return label_width(labels) + TICK_PAD_PX + _title_room(yaxis)


def bottom_for_categories(labels: Iterable[object], xaxis: Mapping[str, Any]) -> int:
    """The bottom margin under an x axis with tick labels ``labels`` (turned by its ``tickangle``) and its title."""
    labels = list(labels)
    angle = math.radians(float(xaxis.get("tickangle") or 0))
    lines = max((len(_BREAK.split(str(label))) for label in labels), default=1)
    height = label_width(labels) * abs(math.sin(angle)) + TICK_LINE_PX * lines * abs(math.cos(angle))
    return math.ceil(height) + TICK_PAD_PX + _title_room(xaxis)
