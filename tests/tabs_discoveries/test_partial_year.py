"""The current year is drawn as partial (counted to the data time), not as a collapse (issue 18)."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import pandas as pd
import plotly.graph_objects as go

from dashboard_app.analysis.discoveries import YearlyCounts
from dashboard_app.figures.discoveries import PARTIAL_PATTERN, yearly_figure
from dashboard_app.tabs import discoveries


def counts() -> YearlyCounts:
    table = pd.DataFrame(
        {"year": [2024, 2025, 2026, 2024, 2025, 2026], "series": ["A"] * 3 + ["B"] * 3, "discoveries": [9, 8, 2] * 2}
    )
    return YearlyCounts(table, ("A", "B"), {"A": "#4363d8", "B": "#f58231"}, "discoveries", "project", 38)


def test_the_partial_year_is_hatched_and_its_hover_says_to_when():
    fig = go.Figure(yearly_figure(counts(), "light", (2026, "to 28 Mar")))
    for trace in fig.data:
        assert list(trace.marker.pattern.shape) == ["", "", PARTIAL_PATTERN]
        assert list(trace.customdata) == ["", "", " (to 28 Mar, partial)"]
    plain = go.Figure(yearly_figure(counts(), "light"))
    assert all(not t.marker.pattern.shape for t in plain.data)


def test_partial_year_is_the_data_time_year_when_shown_and_unfinished():
    def snap(when):
        return SimpleNamespace(data_time=when)

    march = datetime(2026, 3, 28, 16, 24, tzinfo=UTC)
    assert discoveries.partial_year(snap(march), (2000, 2026)) == (2026, "to 28 Mar")
    assert discoveries.partial_year(snap(march), (2000, 2025)) is None  # not shown
    assert discoveries.partial_year(snap(None), (2000, 2026)) is None
    assert discoveries.partial_year(snap(datetime(2025, 12, 31, 23, 59, tzinfo=UTC)), (2000, 2025)) is None
    # (the tab's note and hatching in a browser: test_inputs_and_grids_browser.py)
