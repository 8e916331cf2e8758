"""The discovery-year control every tab has: its declaration and its slider, bounds from the data."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import dash_bootstrap_components as dbc
from dash import html

from dashboard_app.analysis.filters import default_years, year_bounds
from dashboard_app.views.components import range_control, year_marks
from dashboard_app.views.state import Control, View, encode_range, year_range

if TYPE_CHECKING:
    from dashboard_app.snapshot.model import Snapshot


def years_control(name: str = "years") -> Control:
    """A discovery-year range control (a slider): default and bounds are the snapshot's first and last year."""
    return Control(name, default=default_years, parse=year_range(year_bounds), encode=encode_range, settle=True)


def is_years_control(control: Control) -> bool:
    """Whether ``control`` is a discovery-year range (it gets an "All years" button)."""
    return control.default is default_years


def all_years_id(view: View, name: str = "years") -> str:
    """Id of the button that widens year control ``name`` to every year of the data."""
    return f"{view.control_id(name)}-all"


def all_years_button(view: View, lo: int, hi: int, name: str = "years") -> html.Div:
    """A small link-style button under a year slider: every year of the data, in one click."""
    return html.Div(
        dbc.Button(
            f"All years ({lo}–{hi})",
            id=all_years_id(view, name),
            color="link",
            size="sm",
            className="p-0 view-all-years",
        ),
        className="text-end",
    )


def years_slider(
    view: View, value: Any, snapshot: Snapshot | None, *, name: str = "years", label: str = "Discovery years"
) -> Any:
    """The labelled year slider for ``years_control(name)``, bounded by the snapshot's years."""
    lo, hi = year_bounds(snapshot)
    slider = range_control(view, name, label, lo, hi, value, marks=year_marks(lo, hi))
    return html.Div([slider, all_years_button(view, lo, hi, name)])
