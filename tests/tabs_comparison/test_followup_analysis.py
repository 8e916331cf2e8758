"""Follow-up ranks, delays, curves, boxes, matrix and yearly medians against answers made by hand.

The tiny sky (``tiny_sky.py``): NEO 1 (Catalina) is followed by Pan-STARRS at 0.5 d, an
unmapped station at 3 d and ATLAS at 60 d (ATLAS's −5 d precovery does not count); NEO 2
(Pan-STARRS) by Catalina at 1 d and ATLAS at 200 d; NEO 3 (ATLAS) by Catalina at 7 d and
Pan-STARRS at 8 d (ATLAS's own T08 does not count); NEO 4 (unmapped J95) only by another
unmapped station, i.e. the same project: never followed up.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dashboard_app.analysis import followup as fu

CSS, PS, ATLAS, OFU = "Catalina Survey", "Pan-STARRS", "ATLAS", "Other Follow-up"


@pytest.fixture(scope="module")
def selection(tiny):
    delays = fu.followup_delays(tiny.discoveries, tiny.apparitions)
    return fu.eligible_followups(tiny.discoveries, delays, fu.FollowupSelection(years=(2020, 2021)))


def test_followup_projects_are_ranked_by_their_first_observation_after_discovery(tiny):
    delays = fu.followup_delays(tiny.discoveries, tiny.apparitions)
    got = {(int(n), int(r)): (p, float(d)) for n, p, d, r in delays[["neo_id", "project", "delay", "rank"]].values}
    assert got == {
        (1, 1): (PS, 0.5),
        (1, 2): (OFU, 3.0),
        (1, 3): (ATLAS, 60.0),
        (2, 1): (CSS, 1.0),
        (2, 2): (ATLAS, 200.0),
        (3, 1): (CSS, 7.0),
        (3, 2): (PS, 8.0),
        (5, 1): (PS, 2.0),
    }


def test_the_delay_of_a_project_is_its_earliest_station(tiny):
    apparitions = tiny.apparitions.copy()
    # Give G96 (Catalina) an earlier post-discovery observation of NEO 3 than 703's 7 d.
    extra = apparitions.loc[(apparitions["neo_id"] == 2) & (apparitions["stn"] == "G96")].copy()
    extra["neo_id"] = np.int32(3)
    extra["first_post_dt"] = 4.0
    apparitions = pd.concat([apparitions, extra], ignore_index=True)
    delays = fu.followup_delays(tiny.discoveries, apparitions)
    first = delays.loc[(delays["neo_id"] == 3) & (delays["rank"] == 1)]
    assert first[["project", "delay"]].values.tolist() == [[CSS, 4.0]]


def test_response_curves_share_all_eligible_neos_and_stay_below_100_percent(selection):
    eligible, delays = selection
    curves = fu.response_curves(delays, len(eligible), max_days=10).set_index(["rank", "days"])["pct_of_eligible"]
    assert curves.loc[(1, 0.0)] == 0.0
    assert curves.loc[(1, 1.0)] == 50.0  # NEOs 1 (0.5 d) and 2 (1 d) of 4
    assert curves.loc[(1, 7.0)] == 75.0
    assert curves.loc[(2, 7.0)] == 25.0  # NEO 1's second project at 3 d
    assert curves.loc[(2, 8.0)] == 50.0
    assert curves.loc[(3, 10.0)] == 0.0
    assert curves.max() == 75.0  # NEO 4 is never followed up


def test_response_curves_reach_every_followup_within_the_apparition(selection):
    eligible, delays = selection
    curves = fu.response_curves(delays, len(eligible), max_days=200).set_index(["rank", "days"])["neos"]
    assert [curves.loc[(r, 200.0)] for r in (1, 2, 3)] == [3, 3, 1]


def test_project_boxes_give_quartiles_per_followup_project_sorted_by_median(selection):
    _, delays = selection
    boxes = fu.project_response_boxes(delays, min_values=1)
    assert boxes["project"].tolist() == [OFU, CSS, PS, ATLAS]  # medians 3, 4, 4.25, 130
    row = boxes.set_index("project").loc[PS]
    assert (row["n"], row["median"], row["q1"], row["q3"]) == (2, 4.25, 2.375, 6.125)


def test_project_boxes_need_ten_values_by_default_and_whiskers_stop_at_one_and_a_half_iqr():
    values = [*range(1, 11), 100.0]
    delays = pd.DataFrame({"neo_id": range(11), "project": "ATLAS", "delay": values, "rank": 1})
    few = pd.DataFrame({"neo_id": range(9), "project": "NEAT", "delay": 1.0, "rank": 1})
    boxes = fu.project_response_boxes(pd.concat([delays, few]))
    assert boxes["project"].tolist() == ["ATLAS"]
    row = boxes.iloc[0]
    q1, q3 = np.percentile(values, [25, 75])
    assert (row["q1"], row["q3"]) == (q1, q3)
    assert row["upper_fence"] == 10.0 and row["maximum"] == 100.0 and row["lower_fence"] == 1.0


def test_first_followup_matrix_counts_discoverer_by_first_followup_with_median_delay(selection):
    eligible, delays = selection
    matrix = fu.first_followup_matrix(eligible, delays)
    assert matrix.fillna(-1).values.tolist() == [
        [CSS, PS, 1, 0.5],
        [PS, CSS, 1, 1.0],
        [ATLAS, CSS, 1, 7.0],
        [OFU, fu.NO_FOLLOWUP, 1, -1],
    ]


def test_annual_medians_use_followed_neos_and_drop_thin_years(selection):
    eligible, delays = selection
    annual = fu.annual_first_followup(eligible, delays, min_neos=1)
    assert annual.values.tolist() == [[2020, 2, 2, 0.625, 0.75, 0.875], [2021, 2, 1, 7.0, 7.0, 7.0]]
    assert fu.annual_first_followup(eligible, delays).empty  # default needs 5 NEOs a year


def test_summary_counts_followups_by_rank(selection):
    eligible, delays = selection
    summary = dict(fu.followup_summary(eligible, delays).values.tolist())
    assert summary == {
        "Eligible NEOs": 4,
        "Followed up by at least 1 other project": 3,
        "Followed up by at least 2 other projects": 3,
        "Followed up by at least 3 other projects": 1,
        "Median days to first follow-up": 1.0,
    }
