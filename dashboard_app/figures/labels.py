"""Labels of the charts: station display labels, and text that must fit a phone-sized chart (long axis
titles and category labels broken onto lines).

Plotly neither wraps an axis title nor a tick label: at 360 px a long one ran past the chart's edge
("Size class (H; diameter at albedo 0.14" lost its ")", station names lost their first letters).
These helpers break them with ``<br>`` so they fit at 360 px and still read naturally at 1280 px.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from typing import TYPE_CHECKING

from dashboard_app import reference
from dashboard_app.analysis.filters import station_names

if TYPE_CHECKING:
    from dashboard_app.snapshot.model import Snapshot

NAME_MAX = 26
"""Longest station name shown in a station label; longer ones are cut with an ellipsis."""

TITLE_CHARS = 30
"""An axis title longer than this is set on two lines (≈ 190 px at the charts' 12 px font)."""

LABEL_CHARS = 26
"""A category label (a station's code and name) is set in lines of at most this many characters."""

LABEL_LINES = 2
"""… and at most this many lines; a longer name ends in "…" (the hover shows it whole)."""


def axis_title(text: str, chars: int = TITLE_CHARS) -> dict[str, str]:
    """``{"text": ...}`` for an axis title, on two lines when longer than ``chars``: before its
    parenthesis when it has one ("Size class" / "(H; diameter at albedo 0.14)"), else between words."""
    if len(text) <= chars:
        return {"text": text}
    head, paren, rest = text.partition(" (")
    if paren and head and len(head) <= chars:
        return {"text": f"{head}<br>({rest}"}
    width = len(text) // 2 + 1  # two balanced lines
    while len(lines := textwrap.wrap(text, width=width)) > 2:
        width += 2
    return {"text": "<br>".join(lines)}


def category_label(text: str, chars: int = LABEL_CHARS, lines: int = LABEL_LINES) -> str:
    """A category (tick) label in lines of at most ``chars`` characters, at most ``lines`` lines."""
    return "<br>".join(textwrap.wrap(text, width=chars, max_lines=lines, placeholder=" …", break_on_hyphens=False))


def station_label(code: str, names: Mapping[str, str]) -> str:
    """Display label of a station: code plus the short label or the MPC name (shortened)."""
    name = reference.station_short_labels().get(code) or names.get(code, "")
    if not name or name == code:
        return code
    name = name if len(name) <= NAME_MAX else name[: NAME_MAX - 1] + "…"
    return f"{code} {name}"


def station_labels(snapshot: Snapshot) -> dict[str, str]:
    """Station code → :func:`station_label` for every station of the snapshot (memoised)."""
    names = station_names(snapshot)
    return snapshot.memo("labels.station_labels", (), lambda: {c: station_label(c, names) for c in names})
