"""The current, partial year is marked on the yearly lines of both tabs as on the Discoveries bars (issue 18):
an open point, "(to 28 Mar, partial)" in the hover, a sentence in the note."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import pytest

from dashboard_app.figures import comparison as comparison_figures
from dashboard_app.figures import followup as followup_figures
from dashboard_app.figures.partial_year import FULL_SYMBOL, PARTIAL_SYMBOL

PARTIAL = (2026, "to 28 Mar")


def annual_reach() -> pd.DataFrame:
    rows = [(y, g, n, 10, 10.0 * n) for y in (2024, 2025, 2026) for g, n in (("ATLAS", 5), ("Pan-STARRS", 7))]
    return pd.DataFrame(rows, columns=["disc_year", "group", "neos", "eligible", "pct_of_eligible"])


def annual_medians() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "disc_year": [2024, 2025, 2026],
            "eligible": [30, 30, 8],
            "followed": [20, 22, 5],
            "q1": [0.5, 0.6, 0.4],
            "median": [1.0, 1.2, 0.9],
            "q3": [2.0, 2.1, 1.5],
        }
    )


def test_comparison_annual_lines_draw_the_partial_year_open_with_a_partial_hover():
    fig = go.Figure(comparison_figures.annual_figure(annual_reach(), "count", {}, "light", PARTIAL))
    assert len(fig.data) == 2
    for trace in fig.data:
        assert list(trace.marker.symbol) == [FULL_SYMBOL, FULL_SYMBOL, PARTIAL_SYMBOL]
        assert list(trace.text) == ["", "", " (to 28 Mar, partial)"]
        assert "%{x}%{text}" in trace.hovertemplate
    plain = go.Figure(comparison_figures.annual_figure(annual_reach(), "count", {}, "light"))
    assert all(t.marker.symbol is None and set(t.text) == {""} for t in plain.data)


def test_followup_yearly_medians_draw_the_partial_year_open_with_a_partial_hover():
    fig = go.Figure(followup_figures.annual_median_figure(annual_medians(), "dark", PARTIAL))
    median = next(t for t in fig.data if t.name == "median")
    assert list(median.marker.symbol) == [FULL_SYMBOL, FULL_SYMBOL, PARTIAL_SYMBOL]
    assert list(median.text) == ["", "", " (to 28 Mar, partial)"]
    assert median.hovertemplate.startswith("%{x}%{text}: median")
    plain = go.Figure(followup_figures.annual_median_figure(annual_medians(), "dark"))
    assert next(t for t in plain.data if t.name == "median").marker.symbol is None


@pytest.fixture(scope="module")
def synthetic_app(snapshot_data_dir: Path):
    """The real app over the harness's small synthetic sky (its data time is 29 Mar of its last year)."""
    from dashboard_app.app import create_app
    from dashboard_app.settings import load_settings

    return create_app(load_settings({"DATA_DIR": str(snapshot_data_dir)}, env_file=None))


@pytest.fixture
def in_request(synthetic_app) -> Iterator[None]:
    with synthetic_app.server.test_request_context("/_dash-update-component", method="POST"):
        yield


@pytest.mark.parametrize(
    ("module", "index", "consequence"),
    [
        ("comparison", "annual", "its open points are not a full year"),
        ("followup", "annual", "its open point is not a full year"),
    ],
)
def test_the_tabs_mark_the_data_time_year_in_the_chart_and_the_note(in_request, module, index, consequence):
    import importlib

    from dashboard_app.snapshot.store import current_snapshot

    tab = importlib.import_module(f"dashboard_app.tabs.{module}")
    when = current_snapshot().data_time
    assert when is not None
    charts = tab.TAB.update(None, "light")["charts"]  # the default view: its years end in the data time's year
    figure, note = go.Figure(charts[index][0]), charts[index][1]
    label = f"to {when.day} {when:%b}"
    assert f"{when.year} is counted {label} (the data time), so {consequence}." in note
    lines = [t for t in figure.data if t.mode and "markers" in t.mode]
    assert lines
    for trace in lines:
        marked = [x for x, s in zip(trace.x, trace.marker.symbol, strict=True) if s == PARTIAL_SYMBOL]
        assert marked == [when.year]
        assert list(trace.text).count(f" ({label}, partial)") == 1

    # A view that ends before the data time's year marks nothing.
    years = [when.year - 8, when.year - 1]
    charts = tab.TAB.update({"years": years}, "light")["charts"]
    assert "the data time" not in charts[index][1]
    assert all(t.marker.symbol is None for t in go.Figure(charts[index][0]).data)
