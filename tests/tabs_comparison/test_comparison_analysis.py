"""Comparison sets, reach, co-detection, summary and Venn regions against counts made by hand.

The tiny sky (``tiny_sky.py``): NEOs 1–4 discovered in 2020–2021, NEO 5 in 2019.
"""

from __future__ import annotations

import pytest

from dashboard_app.analysis import comparison as cmp
from dashboard_app.definitions import APPARITION_WINDOWS_DAYS
from tests.tabs_comparison.tiny_sky import TINY_NEOS, apparition_rows

CSS, PS, ATLAS, OFU, OS = "Catalina Survey", "Pan-STARRS", "ATLAS", "Other Follow-up", "Other Surveys"


def sets_of(snapshot, **kwargs) -> dict[int, set[str]]:
    s = cmp.sightings(snapshot.discoveries, snapshot.apparitions, cmp.SurveySelection(years=(2020, 2021), **kwargs))
    out: dict[int, set[str]] = {n: set() for n in s.eligible["neo_id"]}
    for neo, group in zip(s.pairs["neo_id"], s.pairs["group"], strict=True):
        out[int(neo)].add(group)
    return out


def test_projects_that_saw_each_neo_within_200_days_after_discovery(tiny):
    assert sets_of(tiny) == {
        1: {CSS, PS, ATLAS, OFU},
        2: {PS, CSS, ATLAS},  # T05 exactly at +200 d counts; 568 at −200 d is a precovery
        3: {ATLAS, CSS, PS},
        4: {OFU},  # J95 discovered it, Z99 is unmapped too
    }


def test_precoveries_add_the_station_seen_exactly_200_days_before_discovery(tiny):
    assert sets_of(tiny, precovery=True)[2] == {PS, CSS, ATLAS, OS}


def test_a_seven_day_window_keeps_the_observation_at_seven_days_and_drops_later_ones(tiny):
    assert sets_of(tiny, window=7) == {1: {CSS, PS, OFU}, 2: {PS, CSS}, 3: {ATLAS, CSS}, 4: {OFU}}
    assert sets_of(tiny, window=7, precovery=True)[1] == {CSS, PS, OFU, ATLAS}  # T05 at −5 d


def test_a_one_day_window_keeps_observations_exactly_one_day_after_discovery(tiny):
    assert sets_of(tiny, window=1) == {1: {CSS, PS}, 2: {PS, CSS}, 3: {ATLAS}, 4: {OFU}}


def test_station_mode_sets_are_the_stations_including_unmapped_ones(tiny):
    assert sets_of(tiny, group_by="station", window=7) == {
        1: {"703", "F51", "J95"},
        2: {"F51", "G96"},
        3: {"T05", "T08", "703"},
        4: {"J95", "Z99"},
    }


@pytest.mark.parametrize("window", APPARITION_WINDOWS_DAYS)
@pytest.mark.parametrize("precovery", [False, True])
def test_every_window_and_side_gives_exactly_the_stations_with_an_observation_inside_it(tiny, window, precovery):
    expected: dict[int, set[str]] = {}
    for neo in TINY_NEOS:
        if neo.year < 2020:
            continue
        expected[neo.neo_id] = {
            stn for stn, dt, _ in neo.observations if (abs(dt) <= window if precovery else 0 <= dt <= window)
        }
    assert sets_of(tiny, group_by="station", window=window, precovery=precovery) == expected


def test_the_discovering_station_counts_even_when_its_apparition_row_is_missing(tiny):
    apparitions = tiny.apparitions.loc[~((tiny.apparitions["neo_id"] == 4) & (tiny.apparitions["stn"] == "J95"))]
    s = cmp.sightings(tiny.discoveries, apparitions, cmp.SurveySelection(years=(2021, 2021), group_by="station"))
    assert set(s.pairs.loc[s.pairs["neo_id"] == 4, "group"]) == {"J95", "Z99"}


def test_size_class_selection_keeps_only_that_class(tiny):
    s = cmp.sightings(tiny.discoveries, tiny.apparitions, cmp.SurveySelection(years=(2019, 2021), sizes=(2,)))
    assert sorted(s.eligible["neo_id"]) == [1, 5]


def test_reach_counts_neos_tracklets_and_observations_per_project(tiny):
    s = cmp.sightings(tiny.discoveries, tiny.apparitions, cmp.SurveySelection(years=(2020, 2021)))
    frame = cmp.reach(s, "tracklets").set_index("group")
    assert frame.loc[PS, ["neos", "tracklets", "observations"]].tolist() == [3, 4, 5]
    assert frame.loc[CSS, ["neos", "tracklets", "observations"]].tolist() == [3, 3, 4]
    assert frame.loc[OFU, ["neos", "tracklets", "observations"]].tolist() == [2, 3, 3]
    assert frame["value"].tolist() == frame["tracklets"].tolist()


def test_catch_all_groups_are_pinned_at_the_bottom_of_the_reach_bars(tiny):
    s = cmp.sightings(tiny.discoveries, tiny.apparitions, cmp.SurveySelection(years=(2020, 2021), precovery=True))
    groups = cmp.reach(s, "neos")["group"].tolist()
    assert groups[-2:] == [OFU, OS]  # catch-alls last, themselves largest first
    assert set(groups[:-2]) == {CSS, PS, ATLAS}


def test_station_mode_folds_stations_beyond_the_top_into_others(tiny, monkeypatch):
    monkeypatch.setattr(cmp, "REACH_TOP_STATIONS", 3)
    s = cmp.sightings(tiny.discoveries, tiny.apparitions, cmp.SurveySelection(years=(2020, 2021), group_by="station"))
    frame = cmp.reach(s, "neos")
    assert frame["group"].tolist() == ["F51", "T05", "703", "Others"]  # 703 and J95 tie at 2: by code
    # Others = G96 (NEO 2), T08 (NEO 3), J95 (NEOs 1, 4), Z99 (NEO 4): NEOs 1-4, counted once each.
    assert frame.set_index("group").loc["Others", ["neos", "tracklets", "observations"]].tolist() == [4, 5, 5]


def test_co_detection_gives_the_share_of_the_row_groups_neos_and_counts_on_the_diagonal(tiny):
    s = cmp.sightings(tiny.discoveries, tiny.apparitions, cmp.SurveySelection(years=(2020, 2021), window=7))
    matrix = cmp.co_detection(s, [CSS, ATLAS, OFU]).set_index(["row_group", "col_group"])
    # Catalina saw NEOs 1, 2, 3; ATLAS saw 3; Other Follow-up saw 1 and 4.
    assert matrix.loc[(CSS, CSS), "n_both"] == 3
    assert matrix.loc[(CSS, ATLAS), "pct_of_row"] == pytest.approx(100 / 3)
    assert matrix.loc[(ATLAS, CSS), "pct_of_row"] == pytest.approx(100.0)
    assert matrix.loc[(OFU, CSS), "pct_of_row"] == pytest.approx(50.0)
    assert matrix.loc[(ATLAS, OFU), "n_both"] == 0


def test_summary_counts_neos_by_how_many_surveys_saw_them(tiny):
    s = cmp.sightings(tiny.discoveries, tiny.apparitions, cmp.SurveySelection(years=(2020, 2021), window=7))
    summary = dict(zip(cmp.overlap_summary(s)["measure"], cmp.overlap_summary(s)["value"], strict=True))
    # Surveys per NEO at ±7 d post: 3, 2, 2, 1.
    assert summary == {
        "Eligible NEOs": 4,
        "Seen by any survey": 4,
        "Seen by exactly one survey": 1,
        "Seen by exactly two surveys": 2,
        "Seen by three or more surveys": 1,
        "Mean surveys per NEO": 2.0,
        "Median surveys per NEO": 2.0,
    }


def test_venn_regions_count_every_neo_once(tiny):
    s = cmp.sightings(tiny.discoveries, tiny.apparitions, cmp.SurveySelection(years=(2020, 2021), window=7))
    regions = cmp.venn_regions(s, [CSS, ATLAS, OFU]).set_index("region")["neos"].to_dict()
    assert regions == {
        "Catalina Survey only": 1,  # NEO 2
        "ATLAS only": 0,
        "Catalina Survey ∩ ATLAS only": 1,  # NEO 3
        "Other Follow-up only": 1,  # NEO 4
        "Catalina Survey ∩ Other Follow-up only": 1,  # NEO 1
        "ATLAS ∩ Other Follow-up only": 0,
        "Catalina Survey ∩ ATLAS ∩ Other Follow-up": 0,
        "None of them": 0,
    }


def test_venn_of_one_group_has_the_group_and_the_rest(tiny):
    s = cmp.sightings(tiny.discoveries, tiny.apparitions, cmp.SurveySelection(years=(2020, 2021), window=1))
    regions = cmp.venn_regions(s, [PS])
    assert regions[["region", "neos"]].values.tolist() == [[PS, 2], ["None of them", 2]]
    assert regions["pct_of_eligible"].tolist() == [50.0, 50.0]


def test_annual_lines_count_neos_seen_per_year_and_their_share_of_that_year(tiny):
    s = cmp.sightings(tiny.discoveries, tiny.apparitions, cmp.SurveySelection(years=(2020, 2021), window=7))
    annual = cmp.annual_reach(s, [CSS, OFU]).set_index(["disc_year", "group"])
    assert annual.loc[(2020, CSS)].tolist() == [2, 2, 100.0]
    assert annual.loc[(2021, CSS)].tolist() == [1, 2, 50.0]
    assert annual.loc[(2020, OFU)].tolist() == [1, 2, 50.0]


def test_station_detail_lists_the_stations_behind_the_chosen_projects(tiny):
    s = cmp.sightings(tiny.discoveries, tiny.apparitions, cmp.SurveySelection(years=(2020, 2021)))
    detail = cmp.station_detail(s, [CSS], "neos", {"703": "Catalina Sky Survey"})
    assert detail[["stn", "name", "neos", "discovered"]].values.tolist() == [
        ["703", "Catalina Sky Survey", 2, 1],
        ["G96", "G96", 1, 0],
    ]


def test_tiny_sky_apparition_rows_follow_the_window_rule():
    rows = {r["stn"]: r for r in apparition_rows(TINY_NEOS[1])}
    assert rows["T05"]["n_obs_post_200"] == 1 and rows["T05"]["n_obs_post_150"] == 0
    assert rows["568"]["n_obs_any_200"] == 1 and rows["568"]["n_obs_post_200"] == 0
