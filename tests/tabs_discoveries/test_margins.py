"""Chart margins estimated from the labels (dashboard_app.figures.margins): wide enough that plotly.js draws a
chart once. The browser check that no chart at 1280 px is drawn twice is in
tests/accessibility/test_every_tab_browser.py."""

from __future__ import annotations

import plotly.graph_objects as go

from dashboard_app.figures import margins
from dashboard_app.figures.common import themed_layout


def test_title_lines_count_breaks_and_missing_titles():
    assert margins.title_lines(None) == 0
    assert margins.title_lines({}) == 0
    assert margins.title_lines({"title": {"text": ""}}) == 0
    assert margins.title_lines({"title": {"text": "Discoveries"}}) == 1
    assert margins.title_lines({"title": {"text": "Size class<br>(H; diameter)"}}) == 2
    assert margins.title_lines({"title": "a<BR/>b<br>c"}) == 3


def test_bottom_grows_one_title_line_at_a_time():
    one = margins.bottom({"title": {"text": "Year"}})
    two = margins.bottom({"title": {"text": "Share of<br>discoveries"}})
    assert margins.bottom(None) < one < two
    assert two - one == margins.TITLE_LINE_PX
    assert one >= 53  # what plotly.js needed in headless Chromium (numeric ticks + one title line)


def test_label_width_takes_the_longest_line_of_the_longest_label():
    assert margins.label_width([]) == 0
    assert margins.label_width(["ab", "abcd"]) == 4 * margins.TICK_CHAR_PX
    # A wrapped label is as wide as its longest line, not its whole text.
    assert margins.label_width(["703 University of Arizona<br>Catalina Sky Survey"]) == margins.label_width(
        ["703 University of Arizona"]
    )


def test_category_margins_hold_the_labels_and_the_title():
    names = ["Independent Surveys", "LINEAR"]
    plain = margins.left_for_categories(names)
    assert plain >= 139  # plotly.js's own margin for these labels in headless Chromium
    assert margins.left_for_categories(names, {"title": {"text": "Project"}}) > plain
    flat = margins.bottom_for_categories(names, {})
    turned = margins.bottom_for_categories(names, {"tickangle": -40})
    steep = margins.bottom_for_categories(names, {"tickangle": 90})
    assert flat < turned < steep
    assert turned >= 106  # plotly.js's own margin at -40°


def test_themed_layout_sets_only_the_sides_a_chart_names():
    layout = themed_layout("light", margin={"l": 200}, xaxis={"title": {"text": "a<br>b"}})
    assert layout["margin"] == {**margins.DEFAULT, "l": 200, "b": margins.bottom({"title": {"text": "a<br>b"}})}
    go.Figure({"data": [], "layout": layout})  # still a valid plotly layout
