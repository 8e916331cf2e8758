"""Comparison sets and follow-up delays from the published synthetic snapshot against the sky's own knowledge.

The generator knows every observation's object, station and Δt from discovery, so the sets and
delays are rebuilt here straight from the observations and compared with what the analyses
compute from the snapshot's apparition counts. The sky plants a NEO with one observation exactly
at ±W and one a second beyond ±W for every window W.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pandas as pd
import pytest

from dashboard_app.analysis import comparison as cmp
from dashboard_app.analysis import followup as fu
from dashboard_app.definitions import APPARITION_WINDOWS_DAYS
from dashboard_app.snapshot.model import load_snapshot, project_of


@pytest.fixture(scope="module")
def sky_snapshot(snapshot_file):
    return load_snapshot(snapshot_file)


@pytest.fixture(scope="module")
def observed(synthetic_sky, sky_snapshot) -> pd.DataFrame:
    """Every counted observation of a discovered NEO: provid, stn, project, dt_days."""
    k = synthetic_sky.knowledge
    rows = k.loc[k["owner_is_neo"] & k["counted"], ["id", "owner", "dt_days"]]
    rows = rows.merge(synthetic_sky.source["obs_sbn"][["id", "stn"]], on="id")
    rows = rows.loc[rows["owner"].isin(set(sky_snapshot.discoveries["provid"]))]
    rows["stn"] = rows["stn"].astype(str)
    rows["project"] = rows["stn"].map(project_of)
    return rows.rename(columns={"owner": "provid"})


def all_years(snapshot) -> tuple[int, int]:
    years = snapshot.discoveries["disc_year"]
    return int(years.min()), int(years.max())


def computed_pairs(snapshot, group_by: str, window: int, precovery: bool) -> set[tuple[str, str]]:
    sel = cmp.SurveySelection(all_years(snapshot), None, group_by, window, precovery)
    s = cmp.sightings(snapshot.discoveries, snapshot.apparitions, sel)
    provid = pd.Series(snapshot.discoveries["provid"].to_numpy(), index=snapshot.discoveries["neo_id"].to_numpy())
    return set(zip(provid.loc[s.pairs["neo_id"]].to_numpy(), s.pairs["group"].astype(str), strict=True))


def expected_pairs(observed: pd.DataFrame, column: str, window: int, precovery: bool) -> set[tuple[str, str]]:
    dt = observed["dt_days"]
    inside = dt.abs() <= window if precovery else (dt >= 0) & (dt <= window)
    rows = observed.loc[inside]
    return set(zip(rows["provid"], rows[column], strict=True))


@pytest.mark.parametrize("window", APPARITION_WINDOWS_DAYS)
@pytest.mark.parametrize("precovery", [False, True])
def test_station_sets_equal_the_stations_that_observed_each_neo_inside_the_window(
    sky_snapshot, observed, window, precovery
):
    expected = expected_pairs(observed, "stn", window, precovery)
    assert computed_pairs(sky_snapshot, "station", window, precovery) == expected


@pytest.mark.parametrize("window", [1, 29, 200])
@pytest.mark.parametrize("precovery", [False, True])
def test_project_sets_equal_the_projects_that_observed_each_neo_inside_the_window(
    sky_snapshot, observed, window, precovery
):
    expected = expected_pairs(observed, "project", window, precovery)
    assert computed_pairs(sky_snapshot, "project", window, precovery) == expected


def test_observations_exactly_at_plus_or_minus_w_count_and_a_second_beyond_does_not(synthetic_sky, sky_snapshot):
    planted = synthetic_sky.planted
    obs = synthetic_sky.source["obs_sbn"].set_index("id")["stn"]
    neo = planted.loc[planted["case"] == "window_boundaries", "provid"].iloc[0]
    checked = 0
    for window in APPARITION_WINDOWS_DAYS:
        post = {stn for p, stn in computed_pairs(sky_snapshot, "station", window, False) if p == neo}
        both = {stn for p, stn in computed_pairs(sky_snapshot, "station", window, True) if p == neo}
        for side, sets_in, sets_out in (("post", (post, both), ()), ("pre", (both,), (post,))):
            cases = planted.loc[planted["case"] == f"window_{side}_{window}"]
            exact = str(obs.loc[cases.loc[cases["note"].str.startswith("exactly"), "obs_id"].iloc[0]])
            beyond = str(obs.loc[cases.loc[cases["note"].str.startswith("1 s beyond"), "obs_id"].iloc[0]])
            assert all(exact in s for s in sets_in), (window, side, "exactly at the edge")
            assert all(exact not in s for s in sets_out), (window, side, "precovery without the option")
            assert beyond not in both, (window, side, "one second beyond")
            checked += 1
    assert checked == 2 * len(APPARITION_WINDOWS_DAYS)


def test_summary_and_co_detection_match_the_projects_that_observed_each_neo(sky_snapshot, observed):
    window = 29
    seen: dict[str, set[str]] = defaultdict(set)
    for provid, project in expected_pairs(observed, "project", window, False):
        seen[provid].add(project)
    per_neo = np.array([len(seen.get(p, ())) for p in sky_snapshot.discoveries["provid"]])
    sel = cmp.SurveySelection(all_years(sky_snapshot), None, "project", window, False)
    s = cmp.sightings(sky_snapshot.discoveries, sky_snapshot.apparitions, sel)
    summary = dict(cmp.overlap_summary(s).to_numpy().tolist())
    assert summary["Eligible NEOs"] == len(sky_snapshot.discoveries)
    assert summary["Seen by any survey"] == int((per_neo >= 1).sum()) == len(per_neo)  # the discoverer always
    assert summary["Seen by exactly one survey"] == int((per_neo == 1).sum())
    assert summary["Seen by exactly two surveys"] == int((per_neo == 2).sum())
    assert summary["Seen by three or more surveys"] == int((per_neo >= 3).sum())
    assert summary["Mean surveys per NEO"] == round(float(per_neo.mean()), 2)

    groups = cmp.top_groups(s, cmp.MATRIX_TOP_STATIONS)
    matrix = cmp.co_detection(s, groups).set_index(["row_group", "col_group"])["n_both"]
    for a in groups:
        for b in groups:
            assert matrix.loc[(a, b)] == sum(1 for projects in seen.values() if a in projects and b in projects)


def test_followup_delays_and_ranks_match_the_first_observation_by_each_other_project(sky_snapshot, observed):
    disc_project = dict(
        zip(sky_snapshot.discoveries["provid"], sky_snapshot.discoveries["project"].astype(str), strict=True)
    )
    after = observed.loc[(observed["dt_days"] >= 0)]
    after = after.loc[after["project"].to_numpy() != after["provid"].map(disc_project).to_numpy()]
    expected = after.groupby(["provid", "project"])["dt_days"].min()

    delays = fu.followup_delays(sky_snapshot.discoveries, sky_snapshot.apparitions)
    provid = pd.Series(
        sky_snapshot.discoveries["provid"].to_numpy(), index=sky_snapshot.discoveries["neo_id"].to_numpy()
    )
    got = pd.Series(
        delays["delay"].to_numpy(),
        index=pd.MultiIndex.from_arrays([provid.loc[delays["neo_id"]], delays["project"].astype(str)]),
    )
    assert set(got.index) == set(expected.index)
    np.testing.assert_allclose(got.sort_index().to_numpy(), expected.sort_index().to_numpy(), atol=1e-6)

    # Ranks: the k-th smallest delay per NEO.
    kth = expected.groupby(level="provid").apply(lambda d: sorted(d.to_numpy()))
    by_rank = delays.assign(provid=provid.loc[delays["neo_id"]].to_numpy())
    for rank in (1, 2, 3):
        rows = by_rank.loc[by_rank["rank"] == rank].set_index("provid")["delay"]
        want = {p: v[rank - 1] for p, v in kth.items() if len(v) >= rank}
        assert set(rows.index) == set(want)
        np.testing.assert_allclose(rows.loc[list(want)].to_numpy(), list(want.values()), atol=1e-6)
    assert len(delays) > 100  # the sky has plenty of follow-up to check
