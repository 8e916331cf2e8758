"""Discoveries by Year analysis against counts worked out by hand on a ten-NEO frame."""

from __future__ import annotations

import pandas as pd

from dashboard_app import reference
from dashboard_app.analysis import discoveries as d
from dashboard_app.analysis.filters import OTHERS, columns, ranked_values, selection_mask, stacks, top_stations
from dashboard_app.figures.colours import COMBINED_COLOUR, OTHERS_COLOUR, STATION_PALETTE, series_colours
from dashboard_app.figures.labels import NAME_MAX, station_label
from tests.tabs_discoveries.frames import SMALL, discoveries_frame

FRAME = discoveries_frame(SMALL)


def series(result: d.YearlyCounts, name: str) -> list[int]:
    part = result.table.loc[result.table["series"] == name]
    return part[result.value_column].tolist()


def test_per_year_counts_by_project_follow_the_reference_project_order():
    r = d.yearly_counts(FRAME, (2000, 2003), "all", "project")
    assert r.order == ("LINEAR", "Catalina Survey", "Pan-STARRS", "ATLAS")
    assert series(r, "LINEAR") == [2, 0, 0, 0]
    assert series(r, "Catalina Survey") == [1, 2, 0, 1]
    assert series(r, "Pan-STARRS") == [0, 1, 0, 1]
    assert series(r, "ATLAS") == [0, 0, 0, 1]
    assert r.table["year"].drop_duplicates().tolist() == [2000, 2001, 2002, 2003]
    assert r.n_selected == 9


def test_cumulative_mode_sums_from_the_first_year_of_the_range():
    r = d.yearly_counts(FRAME, (2000, 2003), "all", "project", mode=d.CUMULATIVE)
    assert r.value_column == "cumulative_discoveries"
    assert series(r, "Catalina Survey") == [1, 3, 3, 4]
    assert series(r, "LINEAR") == [2, 2, 2, 2]


def test_split_by_size_stacks_unknown_h_so_totals_equal_all_sizes():
    split = d.yearly_counts(FRAME, (2000, 2003), "split", "project")
    whole = d.yearly_counts(FRAME, (2000, 2003), "all", "combined")
    assert split.stacked_by == "size"
    assert split.order[-1] == "Unknown H"
    assert series(split, "Unknown H") == [1, 0, 0, 0]
    per_year_split = split.table.groupby("year")["discoveries"].sum().tolist()
    assert per_year_split == series(whole, "All NEOs") == [3, 3, 0, 3]


def test_one_size_class_keeps_only_its_discoveries():
    r = d.yearly_counts(FRAME, (2000, 2004), "2", "project")
    assert r.n_selected == 2
    assert series(r, "LINEAR") == [1, 0, 0, 0, 0]
    assert series(r, "Catalina Survey") == [0, 0, 0, 1, 0]
    unknown = d.yearly_counts(FRAME, (2000, 2004), "unknown", "combined")
    assert series(unknown, "All NEOs") == [1, 0, 0, 0, 0]


def test_station_grouping_keeps_the_top_n_and_folds_the_rest_into_others():
    cols = columns(FRAME)
    assert top_stations(cols, selection_mask(cols, (2000, 2004)), 2) == ["704", "703"]  # 3, then a tie at 2 by code
    labels = {code: station_label(code, {}) for code in cols.station_codes}  # as the tab passes them
    r = d.yearly_counts(FRAME, (2000, 2004), "all", "station", top_n=2, labels=labels)
    assert r.order == ("704 LINEAR", "703 Catalina", OTHERS)
    assert series(r, "704 LINEAR") == [2, 0, 0, 0, 1]
    assert series(r, OTHERS) == [0, 2, 0, 3, 0]
    unlabelled = d.yearly_counts(FRAME, (2000, 2004), "all", "station", top_n=2)
    assert unlabelled.order == ("704", "703", OTHERS)  # the analysis names stacks only as it is told


def test_station_labels_show_the_code_and_a_short_name_cut_with_an_ellipsis():
    assert station_label("704", {}) == "704 LINEAR"  # the reference short label wins over the MPC name
    assert station_label("Z98", {"Z98": "Z98"}) == "Z98"
    long = "Observatorio Astronómico de la Universidad Nacional"
    assert station_label("Z99", {"Z99": long}) == "Z99 " + long[: NAME_MAX - 1] + "…"


def test_series_colours_are_the_same_wherever_a_grouping_is_drawn():
    stations = series_colours("station", ("704 LINEAR", "703 Catalina", OTHERS))
    assert list(stations.values()) == [STATION_PALETTE[0], STATION_PALETTE[1], OTHERS_COLOUR]
    assert series_colours("project", ("LINEAR", "Nobody"))["Nobody"] == reference.UNKNOWN_COLOUR
    assert series_colours("project", ("LINEAR",))["LINEAR"] == reference.project_colours()["LINEAR"]
    sizes = series_colours("size", tuple(c.label for c in reference.size_classes()))
    assert list(sizes.values()) == [c.colour for c in reference.size_classes()]
    years = series_colours("year", ("2001", "2002", "2003"))
    assert len(set(years.values())) == 3
    assert series_colours("combined", ("All NEOs",)) == {"All NEOs": COMBINED_COLOUR}


def test_an_empty_selection_says_so_instead_of_returning_rows():
    r = d.yearly_counts(FRAME, (1990, 1995), "all", "project")
    assert r.empty and r.order == () and r.table.empty


def test_size_mix_lists_every_class_with_unknown_h():
    mix = d.size_mix(FRAME, (2000, 2004), "all")
    assert mix["discoveries"].tolist() == [2, 2, 2, 2, 1, 1]
    assert mix["size_class"].iloc[-1] == "Unknown H"


def test_top_sites_rank_by_count_then_code_with_name_and_project():
    sites = d.top_sites(FRAME, (2000, 2004), "all", {"704": "Lincoln Lab ETS", "703": "Catalina Sky Survey"})
    assert sites["code"].tolist() == ["704", "703", "F51", "G96", "T05"]
    assert sites["discoveries"].tolist() == [3, 2, 2, 2, 1]
    assert sites["rank"].tolist() == [1, 2, 3, 4, 5]
    assert sites.loc[0, "name"] == "Lincoln Lab ETS"
    assert sites.loc[3, "project"] == "Catalina Survey"


def test_combined_grouping_is_one_stack():
    cols = columns(FRAME)
    st = stacks(cols, selection_mask(cols, (2000, 2004)), "combined")
    assert st.order == ("All NEOs",) and set(st.codes.tolist()) == {0} and len(st.codes) == 10


def test_ranked_values_counts_categories_without_text_per_row():
    """Station lists (Sites, Comparison) rank codes by rows; an unused category is not offered."""
    codes = ["F51", "703", "G96", "703", "F51", "703", "X05"]
    column = pd.Series(pd.Categorical(codes, categories=["703", "F51", "G96", "X05", "unused"]))
    assert ranked_values(column) == ["703", "F51", "G96", "X05"]  # 3, 2, then ties by code
    assert ranked_values(pd.Series(codes, dtype="string")) == ranked_values(column)
    assert ranked_values(pd.Series([], dtype="category")) == []
