"""Follow-up by station on the hand-made sky (``hand_sky.py``), every number counted on paper.

Selection: NEOs discovered 2020–2021 (N1 by A, N2 by B; N3, 2015, left out).
"""

from __future__ import annotations

import numpy as np
import pytest

from dashboard_app.analysis import sites as a
from tests.tabs_sites import hand_sky

YEARS = (2020, 2021)


@pytest.fixture(scope="module")
def rows() -> a.SiteRows:
    discoveries, apparitions, lifetime = hand_sky.frames()
    index = a.station_index(discoveries, apparitions, lifetime, hand_sky.STATIONS)
    return a.site_rows(index, apparitions, lifetime)


@pytest.fixture(scope="module")
def info(rows) -> object:
    return a.site_info(rows, hand_sky.STATIONS, hand_sky.SITE_DEPTH)


EVERY_SITE = a.SiteFilter(shown=a.SHOWN_ALL)


def per_station(rows, info, selection) -> dict[str, tuple[int, int, int]]:
    """{station: (NEOs, tracklets, observations)} of the sites with follow-up."""
    table = a.site_table(info, a.followups(rows, selection), EVERY_SITE, "neos")
    table = table.loc[table["neos"] > 0]
    return {s: (n, t, o) for s, n, t, o in table[["stn", "neos", "tracklets", "observations"]].to_numpy().tolist()}


@pytest.mark.parametrize(
    ("selection", "expected"),
    [
        # N1: B at 1, 1.02 (t2) and 30 (its own tracklet); C's −10 is a precovery; B 400 and C 500 are later.
        # N2: A at 5 (250 is later), C at 3, D at 2. The discoverers' own observations never count.
        (a.SiteSelection(YEARS), {"A": (1, 1, 1), "B": (1, 2, 3), "C": (1, 1, 1), "D": (1, 1, 1)}),
        # With precoveries C also has N1 (−10, t3).
        (a.SiteSelection(YEARS, precovery=True), {"A": (1, 1, 1), "B": (1, 2, 3), "C": (2, 2, 2), "D": (1, 1, 1)}),
        # Within 7 days: B's observation at 30 d drops out.
        (a.SiteSelection(YEARS, window=7), {"A": (1, 1, 1), "B": (1, 1, 2), "C": (1, 1, 1), "D": (1, 1, 1)}),
        # All time: B has 1, 1.02, 30, 400, 400.01 (t2, own, t4); C −10 and 500 (t3, own); A 5 and 250.
        (a.SiteSelection(YEARS, a.SCOPE_ALL_TIME), {"A": (1, 2, 2), "B": (1, 3, 5), "C": (2, 3, 3), "D": (1, 1, 1)}),
        # Recovery: stations that saw the NEO more than 200 d after discovery; what they saw outside ±200 d.
        # N1: B (400, 400.01: t4), C (500, own); N2: A (250, t7). D saw N2 only at 2 d.
        (a.SiteSelection(YEARS, a.SCOPE_RECOVERY), {"A": (1, 1, 1), "B": (1, 1, 2), "C": (1, 1, 1)}),
    ],
    ids=["apparition-200", "precovery-200", "apparition-7", "all-time", "recovery"],
)
def test_every_scope_counts_neos_tracklets_and_observations_by_hand(rows, info, selection, expected):
    assert per_station(rows, info, selection) == expected


def test_the_discovering_station_counts_its_discoveries_apart(rows, info):
    table = a.site_table(info, a.followups(rows, a.SiteSelection(YEARS)), a.SiteFilter(shown=a.SHOWN_ALL), "neos")
    assert dict(zip(table["stn"], table["discovered"], strict=True)) == {"A": 1, "B": 1, "C": 0, "D": 0, "E": 0}
    # N3 (2015, by C) is only in a selection that reaches 2015.
    wide = a.followups(rows, a.SiteSelection((2015, 2021)))
    assert wide.n_neos == 3 and wide.discovered[list(rows.codes).index("C")] == 1


@pytest.mark.parametrize("metric", a.METRICS)
def test_the_value_column_is_the_chosen_metric_and_the_table_is_ranked_by_it(rows, info, metric):
    table = a.site_table(info, a.followups(rows, a.SiteSelection(YEARS, a.SCOPE_ALL_TIME)), a.SiteFilter(), metric)
    assert table["value"].tolist() == table[metric].tolist()
    assert table["value"].tolist() == sorted(table["value"].tolist(), reverse=True)


def test_sites_per_neo_and_the_summary(rows, info):
    flt = a.SiteFilter(shown=a.SHOWN_ALL)
    fu = a.followups(rows, a.SiteSelection(YEARS))
    # N1 followed up by B; N2 by A, C and D: median of (1, 3) = 2.
    assert a.sites_per_neo(fu, info, flt).tolist() == [1, 3]
    summary = dict(a.summary(a.site_table(info, fu, flt, "neos"), a.sites_per_neo(fu, info, flt)).to_numpy().tolist())
    assert summary == {
        "Sites shown": 5,
        "Sites shown on the map (ground coordinates)": 4,
        "Sites with follow-up": 4,
        "Sites shown without depth data": 3,
        "NEOs in the selection": 2,
        "NEOs followed up by a site shown": 2,
        "Median follow-up sites per NEO": 2,
    }
    recovery = a.followups(rows, a.SiteSelection(YEARS, a.SCOPE_RECOVERY))
    # N1 recovered by B and C, N2 by A: median 1.5.
    per = a.sites_per_neo(recovery, info, flt)
    assert per.tolist() == [2, 1] and float(np.median(per)) == 1.5
    # Only the radar (C): N1 had none within the apparition after discovery, N2 had C.
    radar = a.SiteFilter(site_type="radar", shown=a.SHOWN_ALL)
    assert a.sites_per_neo(fu, info, radar).tolist() == [0, 1]


def test_filters_type_activity_and_depth_keep_sites_without_depth_data(rows, info):
    fu = a.followups(rows, a.SiteSelection(YEARS))

    def shown(**kw) -> list[str]:
        return sorted(a.site_table(info, fu, a.SiteFilter(**kw), "neos")["stn"])

    assert shown() == ["A", "B", "C", "D"]  # E never observed a NEO
    assert shown(shown=a.SHOWN_ALL) == ["A", "B", "C", "D", "E"]
    assert shown(site_type="radar") == ["C"]
    assert shown(site_type="satellite") == ["D"]
    # v_robust: A 21.0, B 23.5; C and D have no depth data and stay.
    assert shown(depth_range=(22.0, 30.0)) == ["B", "C", "D"]
    assert shown(depth_range=(5.0, 21.0)) == ["A", "C", "D"]
    assert shown(depth_stat="v_median", depth_range=(20.0, 30.0)) == ["B", "C", "D"]


def test_coordinates_are_east_longitudes_from_minus_180_and_none_off_the_ground(info):
    at = info.set_index("stn")
    assert at.loc["A", "longitude"] == pytest.approx(-110.0) and at.loc["A", "latitude"] == 32.0
    assert at.loc["C", "longitude"] == pytest.approx(-60.0)
    assert np.isnan(at.loc["D", "longitude"]) and np.isnan(at.loc["D", "latitude"])
    assert at.loc["D", "obs_type"] == "satellite" and bool(at.loc["E", "active"]) is False


def test_pasted_codes_are_split_upper_cased_and_kept_once_in_order():
    assert a.parse_codes(" f51, g96;703\n  F51\tzz9 ") == ("F51", "G96", "703", "ZZ9")
    assert a.parse_codes("") == ()


def test_a_selection_outside_the_apparition_scope_ignores_window_and_precovery():
    assert a.SiteSelection(YEARS, a.SCOPE_ALL_TIME, 7, True).normalised() == a.SiteSelection(YEARS, a.SCOPE_ALL_TIME)
    with pytest.raises(ValueError):
        a.SiteSelection(YEARS, window=8).normalised()
