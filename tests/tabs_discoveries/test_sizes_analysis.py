"""Size distribution and completeness against numbers worked out by hand from the model table."""

from __future__ import annotations

import math

import numpy as np
import pytest

from dashboard_app.analysis import sizes as s
from tests.tabs_discoveries.frames import SMALL, discoveries_frame

FRAME = discoveries_frame(SMALL)
FULL_H = s.h_bounds()


def row(result: s.SizeDistribution, h_high: float):
    return result.table.loc[result.table["h_high"] == h_high].iloc[0]


def test_model_bins_span_the_reference_table():
    assert FULL_H == (15.25, 27.75)


def test_cumulative_counts_include_neos_brighter_than_the_first_bin():
    r = s.size_distribution(FRAME, (2000, 2004), FULL_H, s.CUMULATIVE)
    expected = {15.75: 1, 17.25: 2, 19.25: 3, 21.25: 4, 22.25: 5, 23.25: 6, 25.25: 7, 25.75: 8, 27.75: 8}
    for h_high, n in expected.items():
        assert row(r, h_high)["discovered"] == n
    first = row(r, 15.75)
    assert first["model"] == 130 and first["undiscovered"] == 129
    assert first["completeness"] == pytest.approx(1 / 130)
    assert first["completeness_low"] == pytest.approx(1 / 137)
    assert first["completeness_high"] == pytest.approx(1 / 124)
    assert r.n_unknown_h == 1 and r.n_outside == 1  # H = 28.0 is fainter than the last bin


def test_differential_counts_only_the_bin_and_has_no_band():
    r = s.size_distribution(FRAME, (2000, 2004), FULL_H, s.DIFFERENTIAL)
    assert row(r, 17.25)["discovered"] == 1
    assert row(r, 15.75)["discovered"] == 0
    assert row(r, 22.25)["discovered"] == 1
    assert row(r, 17.25)["model"] == 218
    assert int(r.table["discovered"].sum()) == 7  # 14.0 and 28.0 fall outside the bins
    assert r.n_outside == 2
    assert r.table["completeness_low"].isna().all() and r.callouts == ()


def test_h_range_limits_the_bins_but_not_what_cumulative_counts():
    r = s.size_distribution(FRAME, (2000, 2004), (17.25, 18.25), s.CUMULATIVE)
    assert r.table["h_low"].tolist() == [17.25, 17.75]
    assert r.table["discovered"].tolist() == [2, 2]


def test_undiscovered_is_never_negative_when_discoveries_exceed_the_model():
    crowded = discoveries_frame([(2000, 15.5, "703")] * 70)
    r = s.size_distribution(crowded, (2000, 2000), FULL_H, s.DIFFERENTIAL)
    first = row(r, 15.75)
    assert first["discovered"] == 70 and first["undiscovered"] == 0
    assert (r.table["undiscovered"] >= 0).all()


def test_completeness_at_140_m_interpolates_the_model_log_linearly_inside_its_bin():
    r = s.size_distribution(FRAME, (2000, 2004), FULL_H, s.CUMULATIVE)
    at_014, at_model = r.callouts
    assert at_014.h == 22.0 and at_model.h == 21.9
    assert at_014.discovered == 4  # 14.0, 17.0, 19.0, 21.0 (22.1 is fainter)
    assert at_014.model == pytest.approx(math.sqrt(18100 * 24900))
    assert at_014.model_low == pytest.approx(math.sqrt(17800 * 24400))
    assert at_014.model_high == pytest.approx(math.sqrt(18500 * 25400))
    assert at_model.model == pytest.approx(18100**0.7 * 24900**0.3)
    assert at_014.value == pytest.approx(4 / math.sqrt(18100 * 24900))
    assert at_014.low < at_014.value < at_014.high


def test_model_cumulative_at_a_bin_edge_is_the_table_value():
    assert s.model_cumulative_at(17.75) == (936.0, 898.0, 977.0)
    with pytest.raises(ValueError):
        s.model_cumulative_at(30.0)


def test_grouped_columns_add_up_to_the_discovered_total():
    r = s.size_distribution(FRAME, (2000, 2004), FULL_H, s.CUMULATIVE, group="project")
    grouped = r.table[[s.DISCOVERED_PREFIX + g for g in r.stacks]].sum(axis=1)
    assert np.array_equal(grouped.to_numpy(), r.table["discovered"].to_numpy())
    assert r.stacks[0] == "LINEAR"


def test_model_table_has_every_bin_with_both_kinds_of_count():
    t = s.model_table(FRAME, (2000, 2004))
    assert len(t) == 25
    first = t.iloc[0]
    assert first["discovered_in_bin"] == 0 and first["discovered_cumulative"] == 1
    assert t["discovered_cumulative"].iloc[-1] == 8
    assert t["completeness_cumulative"].iloc[4] == pytest.approx(2 / 936)
