"""The circumstance analyses on seven hand-made discoveries (``frames.py``), answers worked out on paper.

Unless a test says otherwise the selection is 2020–2022, all sizes, all light: six NEOs
(2019 AF is outside the years).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from dashboard_app.analysis import circumstance_bins as cb
from dashboard_app.analysis import circumstances as c
from tests.tabs_circumstances.frames import hand_frame

YEARS = (2020, 2022)


@pytest.fixture(params=[False, True], ids=["string-columns", "categorical-columns"])
def circ(request) -> c.CircumstanceColumns:
    return c.circumstance_columns(hand_frame(categorical=request.param))


def selected(circ, **kwargs) -> c.Selected:
    return c.select(circ, c.Selection(kwargs.pop("years", YEARS), **kwargs))


def by_group(result) -> dict[str, list[int]]:
    return {g: result.counts[i].tolist() for i, g in enumerate(result.groups)}


def test_the_selection_keeps_the_years_size_class_and_light_asked_for(circ):
    assert len(selected(circ)) == 6
    assert len(selected(circ, years=(2019, 2022))) == 7
    assert selected(circ, size="unknown").rows.tolist() == [2]  # 2021 AC, H unknown
    assert selected(circ, size="2").rows.tolist() == [0, 3]  # 17.75 ≤ H < 22 (2019 AF outside the years)
    assert selected(circ, twilight="night").rows.tolist() == [0, 2]
    assert selected(circ, twilight="space").rows.tolist() == [3]
    assert selected(circ, twilight="unknown").rows.tolist() == [6]
    assert selected(circ, twilight="nautical").empty


def test_colour_groups_by_project_list_only_projects_present_with_every_neo_in_one():
    sel = selected(c.circumstance_columns(hand_frame()))
    counts = dict(zip(sel.groups, np.bincount(sel.group).tolist(), strict=True))
    assert counts == {"Pan-STARRS": 2, "Catalina Survey": 2, "NEOWISE": 1, "Other Follow-up": 1}


def test_station_colouring_keeps_the_top_n_and_puts_the_rest_in_others(circ):
    sel = selected(circ, colour="station", top=1)
    assert len(sel.groups) == 2 and sel.groups[0].startswith("F51") and sel.groups[1] == "Others"
    assert np.bincount(sel.group).tolist() == [2, 4]


def test_year_colouring_uses_single_years_for_short_ranges_and_aligned_spans_for_long_ones(circ):
    sel = selected(circ, colour="year")
    assert sel.groups == ("2020", "2021", "2022")
    assert np.bincount(sel.group).tolist() == [2, 2, 2]
    assert c.year_spans((1950, 2026)) == (1950, 10)
    assert c.year_spans((1995, 2026)) == (1995, 5)
    assert c.year_spans((2020, 2029)) == (2020, 1)
    wide = selected(circ, years=(1995, 2026), colour="year")
    assert wide.groups == ("2015–2019", "2020–2024")  # only groups with a selected NEO are listed
    assert np.bincount(wide.group).tolist() == [1, 6]


def test_v_histogram_half_magnitude_bins_lower_edge_inclusive(circ):
    r = cb.v_histogram(circ, selected(circ, colour="year"))
    assert r.bins["v_low"].tolist() == [19.5, 20.0, 20.5, 21.0, 21.5, 22.0]
    assert r.totals.tolist() == [2, 1, 0, 1, 0, 1]  # 19.74 & 19.5 | 20.0 | – | 21.25 | – | 22.0
    assert r.n_missing == 1  # 2021 AD has no V
    assert by_group(r) == {"2020": [1, 1, 0, 0, 0, 0], "2021": [0, 0, 0, 1, 0, 0], "2022": [1, 0, 0, 0, 0, 1]}


def test_elongation_bins_are_true_elongation_on_the_morning_or_evening_side(circ):
    r = cb.elongation_histogram(circ, selected(circ))
    t = r.table()
    hit = t.loc[t["total"] > 0, ["side", "elong_low", "offset_low", "total"]]
    assert sorted(hit.values.tolist(), key=lambda row: row[2]) == [
        ["morning", 90.0, -90.0, 1],
        ["morning", 100.0, -80.0, 1],
        ["morning", 170.0, -10.0, 1],
        ["evening", 175.0, 0.0, 1],
        ["evening", 90.0, 85.0, 1],
        ["evening", 60.0, 115.0, 1],
    ]
    assert len(t) == 72 and t["offset_low"].is_monotonic_increasing
    assert t["offset_low"].iloc[0] == -180.0 and t["offset_high"].iloc[-1] == 180.0


def test_opposition_offset_puts_morning_left_and_evening_right():
    offsets = cb.opposition_offset(np.array([-180.0, -90.0, -1.0, 0.0, 1.0, 90.0, 180.0])).tolist()
    assert offsets == [0.0, -90.0, -179.0, 180.0, 179.0, 90.0, 0.0]


def test_position_angle_bins_of_15_degrees_and_single_observation_tracklets_counted(circ):
    r = cb.pa_histogram(circ, selected(circ))
    assert r.n_bins == 24
    counts = r.totals.tolist()
    assert counts[0] == 2  # 0.0 and 14.999
    assert counts[6] == 1  # 90.0 exactly starts the 90–105 bin
    assert counts[23] == 1  # 359.99
    assert sum(counts) == 4
    assert r.n_missing == 2  # a single observation (2021 AC) and a zero time span (2022 AE)


def test_twilight_classes_include_space_based_and_unknown_sites(circ):
    r = cb.twilight_counts(circ, selected(circ))
    assert dict(zip(r.bins["twilight"], r.totals.tolist(), strict=True)) == {
        "night": 2,
        "astronomical": 1,
        "nautical": 0,
        "civil": 1,
        "day": 0,
        "space": 1,
        "unknown": 1,
    }
    shares = cb.twilight_shares(r).table()
    assert shares["group"].iloc[0] == "All selected"
    assert np.allclose(shares.groupby("group")["share"].sum(), 1.0, atol=1e-5)
    neowise = shares.loc[shares["group"] == "NEOWISE"].set_index("twilight")["discoveries"]
    assert neowise["space"] == 1 and neowise.sum() == 1


def test_moon_illumination_bins_close_the_last_bin_and_give_the_arcsine_expectation(circ):
    r = cb.moon_illumination_histogram(circ, selected(circ))
    assert r.totals.tolist() == [2, 0, 0, 1, 0, 1, 0, 0, 0, 2]  # 0.05, 0.0 | 0.3 | 0.5 | 0.95, 1.0
    share_full = 1 - 2 / math.pi * math.asin(math.sqrt(0.9))
    assert r.expected[-1] == pytest.approx(6 * share_full)
    assert r.expected.sum() == pytest.approx(6)
    assert r.expected[0] == pytest.approx(r.expected[-1])  # as much time near new Moon as near full
    assert "expected_if_no_moon_effect" in r.table().columns


def test_moon_elongation_bins_of_10_degrees(circ):
    r = cb.moon_elongation_histogram(circ, selected(circ))
    hit = {int(lo): n for lo, n in zip(r.bins["moon_elong_low"], r.totals, strict=True) if n}
    assert hit == {10: 1, 20: 1, 40: 1, 90: 1, 120: 1, 170: 1}


def test_rate_vs_h_places_neos_with_both_and_counts_the_rest(circ):
    r = c.rate_vs_h(circ, selected(circ))
    assert sorted(zip(r.h.tolist(), r.rate.tolist(), strict=True)) == [
        (18.0, 0.5),
        (19.0, 1.0),
        (23.0, 2.0),
        (26.0, 5.5),
    ]
    assert (r.n_single, r.n_zero_span, r.n_unknown_h) == (1, 1, 0)
    assert list(r.table().columns) == ["designation", "group", "h", "rate_deg_per_day"]


def test_sky_points_carry_every_selected_neo_with_hover_text_and_normalised_ra(circ):
    p = c.sky_points(circ, selected(circ, colour="year"), projection="radec")
    assert len(p) == 6 and p.n_missing == 0
    t = p.table()
    row = t.loc[t["designation"] == "2021 AC"].iloc[0]
    assert row["trk_ra"] == 0.0  # 359.9996 rounds to 360.000, which is 0h
    hover = dict(zip(p.designation.tolist(), p.hover.tolist(), strict=True))
    assert hover["(1001) 2020 AA"] == "(1001) 2020 AA: 2020-03-01, F51, V 19.7"
    assert hover["(1002) 2021 AD"].endswith("V unknown")
    assert p.x.tolist() == t["trk_ra"].tolist() and p.y.tolist() == t["trk_dec"].tolist()
    assert t["group"].tolist() == ["2020", "2020", "2021", "2021", "2022", "2022"]


def test_readings_state_the_shares_in_words(circ):
    sel = selected(circ)
    reading = cb.twilight_reading(cb.twilight_counts(circ, sel))
    assert reading == (
        "Of 6 discoveries, 33.3% were made in full night (Sun below −18°), 33.3% in twilight and 0.0% with "
        "the Sun above the horizon; 16.7% from space and 16.7% from unknown sites."
    )
    moon = cb.moon_illumination_reading(cb.moon_illumination_histogram(circ, sel))
    assert moon.startswith("33.3% of discoveries were made with the Moon at least 90% lit; the Moon is that full 20.5%")
    assert "more NEOs are found near full Moon" in moon
    near = cb.moon_elongation_reading(cb.moon_elongation_histogram(circ, sel))
    assert near.startswith("33.3% of discoveries were within 30° of the Moon (a random direction on the sky is 6.7%")
    assert near.endswith("the median distance is 40–50°.")


def test_an_empty_selection_gives_empty_results_not_errors(circ):
    sel = selected(circ, years=(1990, 1995))
    assert sel.empty and sel.groups == ()
    for f in (cb.v_histogram, cb.elongation_histogram, cb.pa_histogram, cb.moon_illumination_histogram):
        assert f(circ, sel).empty
    assert c.sky_points(circ, sel).empty and c.rate_vs_h(circ, sel).empty
    assert cb.twilight_reading(cb.twilight_counts(circ, sel)) == ""


@pytest.mark.parametrize("bad", [{"colour": "mood"}, {"twilight": "dusk"}, {"size": "9"}, {"size": "split"}])
def test_a_selection_with_an_unknown_value_is_refused(bad):
    with pytest.raises(ValueError):
        c.Selection(YEARS, **bad)
