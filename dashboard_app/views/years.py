"""The discovery-year control every tab has: its declaration and its slider, bounds from the data."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dashboard_app.analysis.filters import year_bounds
from dashboard_app.views.components import range_control, year_marks
from dashboard_app.views.state import Control, View, encode_range, year_range

if TYPE_CHECKING:
    from dashboard_app.snapshot.model import Snapshot


def years_control(name: str = "years") -> Control:
    """A discovery-year range control (a slider): default and bounds are the snapshot's first and last year."""
    return Control(name, default=year_bounds, parse=year_range(year_bounds), encode=encode_range, settle=True)


def years_slider(
    view: View, value: Any, snapshot: Snapshot | None, *, name: str = "years", label: str = "Discovery years"
) -> Any:
    """The labelled year slider for ``years_control(name)``, bounded by the snapshot's years."""
    lo, hi = year_bounds(snapshot)
    return range_control(view, name, label, lo, hi, value, marks=year_marks(lo, hi))
