"""Default year ranges start where the data become meaningful (reference data), all years one click away."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd

from dashboard_app import reference
from dashboard_app.analysis.filters import default_years, year_bounds
from dashboard_app.tabs import comparison, discoveries, followup, sizes
from dashboard_app.views import all_years_id, is_years_control
from tests.tabs_discoveries.layout_tree import find


def sky(*years: int) -> SimpleNamespace:
    return SimpleNamespace(
        discoveries=pd.DataFrame({"disc_year": list(years)}), memo=lambda _name, _key, compute: compute()
    )


def test_the_first_default_year_is_reference_data():
    assert reference.view_defaults()["first_default_year"] == str(reference.first_default_year())
    assert 1950 < reference.first_default_year() <= 2010


def test_default_years_start_at_the_reference_year_when_the_data_reach_back_that_far():
    first = reference.first_default_year()
    assert default_years(sky(1950, 1970, 2026)) == (first, 2026)
    assert year_bounds(sky(1950, 1970, 2026)) == (1950, 2026)  # the slider still reaches every year
    assert default_years(sky(first + 3, 2021)) == (first + 3, 2021)  # data starting later: from their start
    assert default_years(sky(first - 30, first - 20)) == (first - 30, first - 20)  # nothing after it: all


def test_every_tab_with_years_has_an_all_years_button(in_request):
    for tab in (discoveries, sizes, comparison, followup):
        years = [c for c in tab.VIEW.controls if is_years_control(c)]
        assert [c.name for c in years] == ["years"], tab.__name__
        button = find(tab.layout(), all_years_id(tab.VIEW))
        assert button is not None and button.children.startswith("All years ("), tab.__name__
