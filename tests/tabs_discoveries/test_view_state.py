"""The shared view state: URL query parsing with fallback to defaults, query strings, file names."""

from __future__ import annotations

import pytest

from dashboard_app import views

BOUNDS = (1990, 2024)

VIEW = views.View(
    "demo",
    (
        views.Control(
            "years", default=lambda _s: BOUNDS, parse=views.year_range(lambda _s: BOUNDS), encode=views.encode_range
        ),
        views.Control(
            "h", default=(15.25, 27.75), parse=views.number_range((15.25, 27.75), step=0.5), encode=views.encode_range
        ),
        views.Control("mode", default="per_year", parse=views.choice("per_year", "cumulative")),
        views.Control("top", default=10, parse=views.integer(1, 30)),
    ),
)
DEFAULTS = {"years": (1990, 2024), "h": (15.25, 27.75), "mode": "per_year", "top": 10}


def test_no_query_gives_every_default():
    assert VIEW.parse({}, None) == DEFAULTS
    assert VIEW.parse(None, None) == DEFAULTS


@pytest.mark.parametrize(
    "raw",
    [
        {"years": "banana", "h": "1-2", "mode": "sideways", "top": "0"},
        {"years": ["2000-2001", "2002-2003"], "h": {"a": 1}, "mode": 7, "top": "1e400"},
        {"years": [None, 2000], "h": "nan-20", "mode": None, "top": True},
        {"years": "1800-1850", "h": "inf-inf", "mode": ["cumulative"], "top": "3.5"},
        {"years": {"$ne": 1}, "h": [1, 2, 3], "mode": "", "top": []},
    ],
)
def test_junk_values_fall_back_to_defaults_without_an_error(raw):
    assert VIEW.parse(raw, None) == DEFAULTS


def test_good_values_from_url_text_and_from_callbacks_parse_the_same():
    from_url = VIEW.parse({"years": "2000-2010", "h": "17.25-22.25", "mode": "cumulative", "top": "5"}, None)
    from_callback = VIEW.parse({"years": [2000, 2010], "h": [17.25, 22.25], "mode": "cumulative", "top": 5}, None)
    assert from_url == from_callback == {"years": (2000, 2010), "h": (17.25, 22.25), "mode": "cumulative", "top": 5}


def test_ranges_are_ordered_clamped_to_the_bounds_and_snapped_to_the_step():
    v = VIEW.parse({"years": "2030-1980", "h": "17.3-40"}, None)
    assert v["years"] == (1990, 2024)
    assert v["h"] == (17.25, 27.75)


def test_query_string_round_trips_and_omits_defaults():
    values = {"years": [2001, 2005], "h": [15.25, 27.75], "mode": "cumulative", "top": 10}
    query = VIEW.query_string(values, None)
    assert query == "?years=2001-2005&mode=cumulative"
    from urllib.parse import parse_qsl

    assert VIEW.parse(dict(parse_qsl(query[1:])), None) == VIEW.parse(values, None)
    assert VIEW.query_string(DEFAULTS, None) == ""


def test_file_name_states_every_filter():
    name = VIEW.file_name("discoveries-by-year", {"years": [2001, 2005], "mode": "cumulative"}, None)
    assert name == "discoveries-by-year_years-2001-2005_h-15.25-27.75_mode-cumulative_top-10.csv"


def test_control_ids_are_namespaced_per_tab_and_unknown_names_are_refused():
    assert VIEW.control_id("years") == "demo-years"
    assert VIEW.graph_id("main") == {"type": "view-graph", "tab": "demo", "index": "main"}
    with pytest.raises(KeyError):
        VIEW.control_id("nope")
    with pytest.raises(ValueError):
        views.View("x", (views.Control("a", 1, views.integer(0, 2)), views.Control("a", 1, views.integer(0, 2))))


def test_csv_payload_leads_with_documentation_lines_and_has_no_index():
    import pandas as pd

    payload = views.csv_payload(pd.DataFrame({"year": [2000], "n": [3]}), "f.csv", "Columns: year; n.")
    assert payload["filename"] == "f.csv" and payload["type"] == "text/csv"
    assert payload["content"] == "# Columns: year; n.\nyear,n\n2000,3\n"
