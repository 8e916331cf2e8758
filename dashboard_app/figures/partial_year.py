"""The current, partial year: which year it is, and how every yearly chart marks it.

A year that the data cover only up to the data time (the snapshot's "to 28 Mar") must not read as a
collapse: its bars are hatched, its points drawn open, its hover says "(to 28 Mar, partial)" and the
chart's note states it. Every yearly chart uses these helpers, so they all mark it the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

Partial = tuple[int, str]
"""``(year, "to 28 Mar")``: the year the data time falls in, and how far that year is counted."""

PARTIAL_PATTERN = "/"
"""The hatching of the partial year's bars."""

PARTIAL_SYMBOL = "circle-open"
"""The marker of the partial year's points on a line (the other years' points are filled)."""

FULL_SYMBOL = "circle"


def partial_year(data_time: datetime | None, years: tuple[int, int]) -> Partial | None:
    """``(year, "to 28 Mar")`` when the data time falls inside the shown ``years`` before that year's end,
    else None."""
    when = data_time
    if when is None or not years[0] <= when.year <= years[1]:
        return None
    if (when.month, when.day) == (12, 31) and when.hour == 23:
        return None  # the year is (as good as) complete
    return when.year, f"to {when.day} {when:%b}"


def hover_suffixes(years: Sequence[int], partial: Partial | None) -> list[str]:
    """Per year: ``" (to 28 Mar, partial)"`` for the partial year, ``""`` for the others (for a hover template)."""
    return [f" ({partial[1]}, partial)" if partial is not None and y == partial[0] else "" for y in years]


def shows(years: Sequence[int], partial: Partial | None) -> bool:
    """Whether the partial year is among ``years`` (a chart marks it only then)."""
    return partial is not None and partial[0] in years


def drawn(partial: Partial | None, years: Iterable[Any]) -> Partial | None:
    """``partial`` if its year is among the chart's drawn ``years`` (e.g. a frame's year column), else None."""
    return partial if partial is not None and partial[0] in {int(y) for y in years} else None


def bar_pattern(years: Sequence[int], partial: Partial | None) -> dict[str, Any] | None:
    """A bar trace's ``marker.pattern`` hatching the partial year only (None when it is not shown)."""
    if partial is None or not shows(years, partial):
        return None
    return {"shape": [PARTIAL_PATTERN if y == partial[0] else "" for y in years], "fgopacity": 0.6, "solidity": 0.4}


def line_marker(years: Sequence[int], partial: Partial | None, **marker: Any) -> dict[str, Any]:
    """A line trace's ``marker`` (``marker`` plus symbols) with the partial year's point drawn open and larger."""
    if partial is None or not shows(years, partial):
        return marker
    here = [y == partial[0] for y in years]
    return marker | {
        "symbol": [PARTIAL_SYMBOL if p else FULL_SYMBOL for p in here],
        "size": [10 if p else 6 for p in here],
    }


def note(partial: Partial | None, consequence: str) -> str:
    """The chart note's sentence, e.g. ``" 2026 is counted to 28 Mar (the data time), so its hatched bar is not a
    full year."`` for ``consequence`` = "its hatched bar is not a full year"; ``""`` when no year is partial."""
    if partial is None:
        return ""
    return f" {partial[0]} is counted {partial[1]} (the data time), so {consequence}."
