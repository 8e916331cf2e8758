"""The current year is drawn as partial (counted to the data time), not as a collapse (issue 18)."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import plotly.graph_objects as go

from dashboard_app.analysis.discoveries import YearlyCounts
from dashboard_app.figures import partial_year
from dashboard_app.figures.discoveries import yearly_figure
from dashboard_app.figures.partial_year import PARTIAL_PATTERN


def counts() -> YearlyCounts:
    table = pd.DataFrame(
        {"year": [2024, 2025, 2026, 2024, 2025, 2026], "series": ["A"] * 3 + ["B"] * 3, "discoveries": [9, 8, 2] * 2}
    )
    return YearlyCounts(table, ("A", "B"), "discoveries", "project", 38)


def test_the_partial_year_is_hatched_and_its_hover_says_to_when():
    fig = go.Figure(yearly_figure(counts(), "light", (2026, "to 28 Mar")))
    for trace in fig.data:
        assert list(trace.marker.pattern.shape) == ["", "", PARTIAL_PATTERN]
        assert list(trace.customdata) == ["", "", " (to 28 Mar, partial)"]
    plain = go.Figure(yearly_figure(counts(), "light"))
    assert all(not t.marker.pattern.shape for t in plain.data)


def test_partial_year_is_the_data_time_year_when_shown_and_unfinished():
    march = datetime(2026, 3, 28, 16, 24, tzinfo=UTC)
    assert partial_year.partial_year(march, (2000, 2026)) == (2026, "to 28 Mar")
    assert partial_year.partial_year(march, (2000, 2025)) is None  # not shown
    assert partial_year.partial_year(None, (2000, 2026)) is None
    assert partial_year.partial_year(datetime(2025, 12, 31, 23, 59, tzinfo=UTC), (2000, 2025)) is None
    # (the tab's note and hatching in a browser: test_inputs_and_grids_browser.py)


def test_the_note_says_how_far_the_year_is_counted():
    assert partial_year.note((2026, "to 28 Mar"), "its hatched bar is not a full year") == (
        " 2026 is counted to 28 Mar (the data time), so its hatched bar is not a full year."
    )
    assert partial_year.note(None, "anything") == ""
    assert partial_year.drawn((2026, "to 28 Mar"), pd.Series([2024, 2025])) is None  # not drawn: not marked
    assert partial_year.drawn((2026, "to 28 Mar"), pd.Series([2025, 2026])) == (2026, "to 28 Mar")
