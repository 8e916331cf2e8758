"""The exporter's counting, which the synthetic sky's truth shares, against naive per-observation loops.

``tables.window_counts``, ``all_time.lifetime_counts`` and ``all_time.site_depth_stats`` are the
one implementation of the apparition, lifetime and site-depth rules: the exporter writes them and
the sky's truth (``sky/truth.py``) is built with them, so "the export equals the truth" cannot
catch a bug in them. These tests can: each rule is written again here the slow, obvious way (one
observation at a time, from ``definitions``), and both must agree on many generated inputs, window
edges, shared and missing tracklets, precoveries and the last-5-years switch included.
``tests/sky/test_truth_definitions.py`` does the same from the sky's source tables.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dashboard_app.definitions import (
    APPARITION_WINDOWS_DAYS,
    SITE_DEPTH_RECENT_YEARS,
    SITE_DEPTH_V_RANGE,
)
from dashboard_app.exporter.all_time import lifetime_counts, site_depth_stats
from dashboard_app.exporter.tables import window_counts
from dashboard_app.snapshot.schema import count_column
from tests.oracles import naive_site_depth

DAY_US = 86_400_000_000
EXAMPLES = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Δt in µs: around every window edge (exactly on it, one µs either side) and anywhere inside ±250 d
_edges = [s * (w * DAY_US + d) for w in APPARITION_WINDOWS_DAYS for s in (-1, 1) for d in (-1, 0, 1)]
dt_us = st.one_of(st.sampled_from([0, *_edges]), st.integers(-250 * DAY_US, 250 * DAY_US))
observation = st.tuples(
    st.integers(1, 4),  # neo_id
    st.sampled_from(["G96", "F51", "703", "T05"]),  # station
    st.integers(-1, 3),  # tracklet code, -1: no trkid (a tracklet of its own)
    dt_us,
)


def _tracklet(obs_index: int, trk: int) -> object:
    return trk if trk >= 0 else ("alone", obs_index)


def naive_window_counts(rows: list[tuple[int, str, int, int]]) -> dict[tuple[int, str], dict[str, float]]:
    """Apparition rows by the definitions, one observation at a time (only |Δt| ≤ 200 d is given here)."""
    groups: dict[tuple[int, str], list[tuple[int, object]]] = defaultdict(list)
    for i, (neo, stn, trk, dt) in enumerate(rows):
        groups[(neo, stn)].append((dt, _tracklet(i, trk)))
    out = {}
    for key, seen in groups.items():
        post = [dt for dt, _ in seen if dt >= 0]
        row: dict[str, float] = {
            "first_dt": min(dt for dt, _ in seen) / DAY_US,
            "first_post_dt": min(post) / DAY_US if post else float("nan"),
        }
        for w in APPARITION_WINDOWS_DAYS:
            limit = w * DAY_US
            row[count_column("obs", "post", w)] = sum(1 for dt, _ in seen if 0 <= dt <= limit)
            row[count_column("trk", "post", w)] = len({t for dt, t in seen if 0 <= dt <= limit})
            row[count_column("obs", "any", w)] = sum(1 for dt, _ in seen if -limit <= dt <= limit)
            row[count_column("trk", "any", w)] = len({t for dt, t in seen if -limit <= dt <= limit})
        out[key] = row
    return out


def _columns(rows):
    neo, stn, trk, dt = zip(*rows, strict=True)
    return np.array(neo, "int64"), np.array(stn, dtype=object), np.array(trk, "int64"), np.array(dt, "int64")


def _as_dict(frame: pd.DataFrame) -> dict[tuple[int, str], dict[str, float]]:
    return {(int(r.pop("neo_id")), str(r.pop("stn"))): r for r in frame.to_dict("records")}


@EXAMPLES
@given(st.lists(observation, min_size=1, max_size=40))
def test_window_counts_equal_a_naive_count_per_observation(rows):
    half = max(APPARITION_WINDOWS_DAYS) * DAY_US
    rows = [r for r in rows if abs(r[3]) <= half] or [(1, "G96", 0, 0)]  # what the exporter passes: the apparition
    got = _as_dict(window_counts(*_columns(rows)))
    want = naive_window_counts(rows)
    assert got.keys() == want.keys()
    for key, row in want.items():
        for column, value in row.items():
            if column.endswith("_dt"):
                np.testing.assert_allclose(got[key][column], value, atol=1e-12, equal_nan=True, err_msg=column)
            else:
                assert got[key][column] == value, (key, column)


@EXAMPLES
@given(st.lists(observation, min_size=1, max_size=40))
def test_lifetime_counts_equal_a_naive_count_per_observation(rows):
    got = _as_dict(lifetime_counts(*_columns(rows)))
    groups: dict[tuple[int, str], list[tuple[int, object]]] = defaultdict(list)
    for i, (neo, stn, trk, dt) in enumerate(rows):
        groups[(neo, stn)].append((dt, _tracklet(i, trk)))
    assert got.keys() == groups.keys()
    for key, seen in groups.items():
        assert got[key]["n_obs"] == len(seen)
        assert got[key]["n_trk"] == len({t for _, t in seen})
        assert got[key]["first_dt"] == min(dt for dt, _ in seen) / DAY_US
        assert got[key]["last_dt"] == max(dt for dt, _ in seen) / DAY_US


COUNTS = st.sampled_from([0, 1, 49, 50, 51, 999, 1000, 1001])  # around the 50 and 1,000 thresholds


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["G96", "F51", "703"]),
            COUNTS,  # usable observations in the last 5 years
            COUNTS,  # usable observations before
            st.floats(14.0, 24.0),  # centre of its V
        ),
        min_size=1,
        max_size=3,
        unique_by=lambda s: s[0],
    ),
    st.integers(0, 2**32 - 1),
)
def test_site_depth_equals_a_naive_computation_per_observation(stations, seed):
    rng = np.random.default_rng(seed)
    newest = 1_700_000_000 * 1_000_000
    five_years = round(SITE_DEPTH_RECENT_YEARS * 365.25 * DAY_US)
    rows: list[tuple[str, int, float]] = []
    for stn, n_recent, n_old, centre in stations:
        ages = np.concatenate(
            [
                rng.integers(0, five_years + 1, n_recent),  # exactly five years old is still recent
                rng.integers(five_years + 1, 4 * five_years, n_old),
            ]
        )
        v = np.clip(np.round(centre + rng.normal(0, 1.5, len(ages)), 2), *SITE_DEPTH_V_RANGE)  # edges usable
        rows += [(stn, int(newest - a), float(x)) for a, x in zip(ages, v, strict=True)]
        rows += [(stn, newest, bad) for bad in (float("nan"), 4.99, 30.01)]  # never used
    rows.append(("T05", newest, 20.0))  # one observation: no statistics
    stn, t, v = zip(*rows, strict=True)
    got = site_depth_stats(np.array(stn, dtype=object), np.array(t, "int64"), np.array(v), newest)
    want = naive_site_depth(rows, newest)
    assert got["stn"].tolist() == sorted(want)
    for r in got.to_dict("records"):
        expected = want[r["stn"]]
        assert (r["period"], r["n"]) == (expected["period"], expected["n"]), r["stn"]
        for column in ("v_median", "v_robust", "v_mean_1sd", "v_p95"):
            np.testing.assert_allclose(r[column], expected[column], atol=1e-9, err_msg=column)
