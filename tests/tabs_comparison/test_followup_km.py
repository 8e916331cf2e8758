"""Kaplan–Meier follow-up shares: a case computed by hand, censoring at the data time, and the synthetic truth.

The hand case (six NEOs): follow-ups at 1, 2, 3 and 5 days, two NEOs censored at 2 and 4 days.
Product-limit by hand: S(1) = 5/6; S(2) = 5/6 · 4/5 = 2/3 (the NEO censored at 2 is still at risk
at 2); S(3) = 2/3 · 2/3 = 4/9 (three left); S(5) = 0 (one left, followed up). Greenwood's sum at
3 days: 1/(6·5) + 1/(5·4) + 1/(3·2) = 1/4.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest

from dashboard_app.analysis import followup as fu
from dashboard_app.analysis import survival
from dashboard_app.definitions import APPARITION_HALF_WINDOW_DAYS
from dashboard_app.snapshot.model import load_snapshot, project_of

HAND_DURATION = np.array([1.0, 2.0, 2.0, 3.0, 4.0, 5.0])
HAND_OBSERVED = np.array([True, True, False, True, False, True])


def test_kaplan_meier_equals_the_product_limit_computed_by_hand():
    days = np.array([0.0, 0.5, 1.0, 2.0, 2.5, 3.0, 4.9, 5.0, 9.0])
    km = survival.kaplan_meier(HAND_DURATION, HAND_OBSERVED, days).set_index("days")
    surv = [1, 1, 5 / 6, 2 / 3, 2 / 3, 4 / 9, 4 / 9, 0, 0]
    np.testing.assert_allclose(km["km_pct"].to_numpy(), [100 * (1 - s) for s in surv])
    assert km["at_risk"].tolist() == [6, 6, 6, 5, 3, 3, 1, 1, 0]


def test_the_95_percent_band_is_greenwood_on_the_log_minus_log_scale():
    km = survival.kaplan_meier(HAND_DURATION, HAND_OBSERVED, np.array([0.0, 3.0, 5.0])).set_index("days")
    s, sigma, z = 4 / 9, math.sqrt(1 / 30 + 1 / 20 + 1 / 6), 1.959963984540054
    spread = z * sigma / math.log(s)
    assert km.loc[3.0, "km_low95"] == pytest.approx(100 * (1 - s ** math.exp(spread)))  # ≈ 21.5 %
    assert km.loc[3.0, "km_high95"] == pytest.approx(100 * (1 - s ** math.exp(-spread)))  # ≈ 93.4 %
    assert km.loc[3.0, "km_low95"] < km.loc[3.0, "km_pct"] < km.loc[3.0, "km_high95"]
    # Before the first follow-up and after the last NEO is followed up the band has no width.
    assert km.loc[0.0, ["km_low95", "km_pct", "km_high95"]].tolist() == [0.0, 0.0, 0.0]
    assert km.loc[5.0, ["km_low95", "km_pct", "km_high95"]].tolist() == [100.0, 100.0, 100.0]


def test_without_any_followup_or_any_neo_the_estimate_says_so():
    none = survival.kaplan_meier(np.array([3.0, 7.0]), np.array([False, False]), np.array([0.0, 5.0]))
    assert none["km_pct"].tolist() == [0.0, 0.0] and none["at_risk"].tolist() == [2, 1]
    empty = survival.kaplan_meier(np.array([]), np.array([], bool), np.array([0.0, 5.0]))
    assert empty["km_pct"].isna().all() and empty["at_risk"].tolist() == [0, 0]


def test_neos_are_censored_at_the_data_time_or_the_apparition_end(tiny):
    # Tiny-sky discoveries are on 1 March 2019, 2020 and 2021 (NEOs 5; 1, 2; 3, 4).
    data_time = datetime(2021, 3, 11, tzinfo=UTC)
    censor = survival.censor_by_neo_id(tiny.discoveries, data_time)
    assert censor[[1, 2, 3, 4, 5]].tolist() == [200.0, 200.0, 10.0, 10.0, 200.0]
    assert np.isnan(censor[0])
    no_time = survival.censor_by_neo_id(tiny.discoveries, None)
    assert no_time[[1, 2, 3, 4, 5]].tolist() == [float(APPARITION_HALF_WINDOW_DAYS)] * 5


def test_a_neo_that_has_not_had_the_time_is_not_counted_as_never_followed_up():
    # NEOs 1–3 followed up at 0.5, 1 and 7 days; NEO 4, discovered 2 days before the data time, not yet.
    eligible = pd.DataFrame({"neo_id": [1, 2, 3, 4]})
    delays = pd.DataFrame({"neo_id": [1, 2, 3, 1], "delay": [0.5, 1.0, 7.0, 3.0], "rank": [1, 1, 1, 2]})
    censor = np.array([np.nan, 200.0, 200.0, 200.0, 2.0])
    curves = fu.response_curves_km(eligible, delays, censor, max_days=30).set_index(["rank", "days"])
    assert curves.loc[(1, 30.0), "pct_of_eligible"] == 75.0  # the plain share counts NEO 4 as never
    assert curves.loc[(1, 30.0), "km_pct"] == pytest.approx(100.0)  # 3/4 by 1 d, NEO 4 leaves at 2 d, NEO 3 at 7 d
    assert curves.loc[(1, 0.9), "km_pct"] == pytest.approx(25.0)
    assert curves.loc[(1, 5.1), "at_risk"] == 1  # NEO 3 only
    # 2nd project: only NEO 1 (3 d); NEO 4 left at 2 d, so 1 of the 3 still followed: 1/3, not 1/4.
    assert curves.loc[(2, 30.0), "pct_of_eligible"] == 25.0
    assert curves.loc[(2, 30.0), "km_pct"] == pytest.approx(100 / 3)
    assert survival.not_yet_due(eligible, delays, censor, 30) == 1
    assert survival.not_yet_due(eligible, delays, censor, 2) == 0


def product_limit(duration: np.ndarray, observed: np.ndarray, t: float) -> float:
    """S(t) straight from the definition, one event time at a time (independent of statsmodels)."""
    s = 1.0
    for u in np.unique(duration[observed & (duration <= t)]):
        at_risk = (duration >= u).sum()
        s *= 1 - (observed & (duration == u)).sum() / at_risk
    return s


@pytest.fixture(scope="module")
def sky_snapshot(snapshot_file):
    return load_snapshot(snapshot_file)


def test_kaplan_meier_of_the_synthetic_sky_equals_the_product_limit_of_its_own_observations(
    synthetic_sky, sky_snapshot
):
    """Durations rebuilt from the sky's knowledge of every observation, not from the snapshot's apparitions."""
    k = synthetic_sky.knowledge
    rows = k.loc[k["owner_is_neo"] & k["counted"], ["id", "owner", "dt_days"]]
    rows = rows.merge(synthetic_sky.source["obs_sbn"][["id", "stn"]], on="id")
    disc = sky_snapshot.discoveries
    disc_project = dict(zip(disc["provid"], disc["project"].astype(str), strict=True))
    rows = rows.loc[rows["owner"].isin(disc_project)]
    rows["project"] = rows["stn"].astype(str).map(project_of)
    follow = rows.loc[
        (rows["dt_days"] >= 0)
        & (rows["dt_days"] <= APPARITION_HALF_WINDOW_DAYS)
        & (rows["project"].to_numpy() != rows["owner"].map(disc_project).to_numpy())
    ]
    per_project = follow.groupby(["owner", "project"])["dt_days"].min()
    kth = per_project.groupby(level="owner").apply(lambda d: sorted(d.to_numpy()))
    data_time = pd.Timestamp(synthetic_sky.meta["newest_observation_utc"])
    observable = ((data_time - disc["disc_time"]).dt.total_seconds() / 86_400).clip(upper=APPARITION_HALF_WINDOW_DAYS)

    delays = fu.followup_delays(disc, sky_snapshot.apparitions)
    years = (int(disc["disc_year"].min()), int(disc["disc_year"].max()))
    eligible, chosen = fu.eligible_followups(disc, delays, fu.FollowupSelection(years=years))
    censor = survival.censor_by_neo_id(disc, sky_snapshot.data_time)
    curves = fu.response_curves_km(eligible, chosen, censor, max_days=APPARITION_HALF_WINDOW_DAYS)
    end = float(APPARITION_HALF_WINDOW_DAYS)
    censoring_mattered = 0
    for rank in fu.RANKS:
        event = disc["provid"].map(lambda p, r=rank: kth[p][r - 1] if p in kth and len(kth[p]) >= r else np.nan)
        followed = event.notna().to_numpy()
        duration = np.where(followed, event.to_numpy(dtype=float), observable.to_numpy())
        got = curves.loc[curves["rank"] == rank].set_index("days")
        for t in (1.0, 7.0, 30.0, 100.0, end):
            want = 100 * (1 - product_limit(duration, followed, t))
            assert got.loc[t, "km_pct"] == pytest.approx(want, abs=1e-9), (rank, t)
            assert got.loc[t, "at_risk"] == (duration >= t).sum(), (rank, t)
            # Censoring only ever adds NEOs to the estimate's share: never below the plain share.
            assert got.loc[t, "km_pct"] >= got.loc[t, "pct_of_eligible"] - 1e-9
        if (~followed & (observable.to_numpy() < end)).any():  # the data time cut this NEO's apparition short
            assert got.loc[end, "km_pct"] > got.loc[end, "pct_of_eligible"] + 1e-6, rank
            censoring_mattered += 1
    assert censoring_mattered > 0, "the sky must hold NEOs whose apparition the data time cuts short"
