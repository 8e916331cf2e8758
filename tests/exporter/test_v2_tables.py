"""Schema v2's derived tables from hand-made observations (pure functions shared by exporter and sky truth).

Site depth: station A has 1,000 observations in the last 5 years (V 20 and 21, 500 each) and 10 older
ones (V 15): the recent ones are used, median 20.5, MAD 0.5 → 20.5 + 1.4826 · 0.5; mean + σ = 21;
95th percentile 21. Station B has 60 old observations (V 18 and 19, 30 each) plus 5 fainter than 30
and 5 without a magnitude (ignored): all time. Station C has 49 usable ones (left out); station D
999 recent and 100 older ones: too few recent, so all 1,099.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dashboard_app.exporter import all_time, tables

DAY = tables.US_PER_DAY
NEWEST = 20_000 * DAY  # the data time
RECENT, OLD = NEWEST - 100 * DAY, NEWEST - 6 * 366 * DAY


def _station(code: str, recent: list[float], old: list[float]) -> pd.DataFrame:
    return pd.DataFrame({"stn": code, "t_us": [RECENT] * len(recent) + [OLD] * len(old), "v": [*recent, *old]})


def test_site_depth_statistics_computed_by_hand():
    obs = pd.concat(
        [
            _station("A", [20.0] * 500 + [21.0] * 500, [15.0] * 10),
            _station("B", [], [18.0] * 30 + [19.0] * 30 + [31.0] * 5 + [np.nan] * 5),
            _station("C", [], [19.0] * 49),
            _station("D", [22.0] * 999, [20.0] * 100),
        ],
        ignore_index=True,
    )
    depth = all_time.site_depth_stats(obs["stn"], obs["t_us"].to_numpy(), obs["v"].to_numpy(), NEWEST).set_index("stn")
    assert depth.index.tolist() == ["A", "B", "D"]
    assert depth["period"].tolist() == ["last_5_years", "all_time", "all_time"]
    assert depth["n"].tolist() == [1000, 60, 1099]
    a, b = depth.loc["A"], depth.loc["B"]
    assert (a["v_median"], a["v_mean_1sd"], a["v_p95"]) == (20.5, 21.0, 21.0)
    assert a["v_robust"] == pytest.approx(20.5 + 1.4826 * 0.5)
    assert (b["v_median"], b["v_mean_1sd"], b["v_p95"]) == (18.5, 19.0, 19.0)
    assert depth.loc["D", "v_median"] == 22.0


def test_no_usable_magnitudes_give_an_empty_table_with_the_schema_columns():
    depth = all_time.site_depth_stats(np.array(["A"], object), np.array([NEWEST]), np.array([np.nan]), NEWEST)
    assert depth.empty and list(depth.columns) == list(tables.TABLES_BY_NAME["site_depth"].column_names)
    assert all_time.DepthSample().table(NEWEST).empty


def test_depth_sample_keeps_only_usable_magnitudes_across_batches():
    sample = all_time.DepthSample()
    sample.add(pd.Series(["A"] * 30 + ["B"]), np.full(31, OLD), np.array([19.0] * 30 + [40.0]))
    sample.add(pd.Series(["A"] * 30), np.full(30, OLD), np.array([20.0] * 30))
    depth = sample.table(NEWEST)
    assert depth["stn"].tolist() == ["A"] and depth["n"].tolist() == [60] and depth["v_median"].tolist() == [19.5]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_depth_sample_across_random_batches_equals_the_statistics_over_every_observation(seed):
    """The exporter keeps observations per station batch by batch; the truth computes over all at once."""
    rng = np.random.default_rng(seed)
    n = 30_000
    stn = rng.choice(["G96", "F51", "703", "T08", "I41", "X05"], n, p=[0.4, 0.3, 0.15, 0.1, 0.049, 0.001]).astype(
        object
    )
    t_us = NEWEST - (rng.uniform(0, 12 * 365, n) * DAY).astype("int64")
    v = np.round(rng.normal(20.5, 1.5, n), 2)
    v[rng.random(n) < 0.05] = np.nan
    v[rng.random(n) < 0.01] = 35.0  # outside the V range
    stn[rng.random(n) < 0.001] = None  # no station: ignored
    sample = all_time.DepthSample()
    cuts = np.sort(rng.choice(np.arange(1, n), 40, replace=False))
    for rows in np.split(np.arange(n), cuts):
        sample.add(pd.Series(stn[rows], dtype=object), t_us[rows], v[rows])
    expected = all_time.site_depth_stats(pd.Series(stn, dtype=object), t_us, v, NEWEST)
    assert len(expected) >= 4 and set(expected["period"]) == {"last_5_years", "all_time"}
    pd.testing.assert_frame_equal(sample.table(NEWEST), expected, check_exact=True)


def test_lifetime_counts_by_hand():
    # NEO 1 at G96: −3 d (tracklet a), 0 and 0.01 d (b), 400 d (no trkid); at F51: 2 d (c). NEO 2 at G96: 5 d.
    life = all_time.lifetime_counts(
        np.array([1, 1, 1, 1, 1, 2]),
        pd.Series(["G96", "G96", "G96", "G96", "F51", "G96"]),
        np.array([0, 1, 1, -1, 2, 3]),
        (np.array([-3.0, 0.0, 0.01, 400.0, 2.0, 5.0]) * DAY).astype("int64"),
    )
    rows = {(r.neo_id, r.stn): (r.first_dt, r.last_dt, r.n_obs, r.n_trk) for r in life.itertuples()}
    assert rows == {(1, "F51"): (2.0, 2.0, 1, 1), (1, "G96"): (-3.0, 400.0, 4, 3), (2, "G96"): (5.0, 5.0, 1, 1)}


def test_v_magnitudes_add_each_band_s_offset_once_per_code():
    v = tables.v_magnitudes(pd.Series([20.0, 20.0, 20.0, None]), pd.Series(["V", None, "G", "V"]))
    from dashboard_app.reference import v_offset

    assert v.iloc[0] == 20.0 + v_offset("V") and v.iloc[1] == 20.0 + v_offset(None)
    assert v.iloc[2] == 20.0 + v_offset("G") and np.isnan(v.iloc[3])


def test_latitude_is_geocentric_from_the_parallax_constants_and_null_off_the_ground():
    lat = tables.geocentric_latitude(pd.Series([0.62411, 0.0, np.nan]), pd.Series([0.77873, 0.0, np.nan]),
                                     pd.Series([1, 0, 0]))  # fmt: skip
    assert lat[0] == pytest.approx(51.2897, abs=1e-3)  # Greenwich, as in reference/stations.csv
    assert np.isnan(lat[1]) and np.isnan(lat[2])
