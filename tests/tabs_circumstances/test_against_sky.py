"""Binned counts from the published synthetic snapshot against the sky's own truth table.

The analyses run on the snapshot as the app loads it (categorical text, compact integers);
the expected counts are made here from the generator's truth frame (plain columns) with
``pandas.cut`` on explicit edges, a different route to the same bins.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dashboard_app import reference
from dashboard_app.analysis import circumstance_bins as cb
from dashboard_app.analysis import circumstances as c
from dashboard_app.snapshot.model import load_snapshot, project_of


@pytest.fixture(scope="module")
def circ(snapshot_file) -> c.CircumstanceColumns:
    return c.circumstance_columns(load_snapshot(snapshot_file).discoveries)


@pytest.fixture(scope="module")
def truth(synthetic_sky) -> pd.DataFrame:
    t = synthetic_sky.truth["discoveries"].copy()
    t["project"] = t["disc_stn"].map(project_of)
    t["size_class"] = reference.size_class_orders(t["h"])
    return t


SELECTIONS = [
    c.Selection((1990, 2030)),
    c.Selection((2005, 2015), colour="size"),
    c.Selection((1990, 2030), size="3", colour="year"),
    c.Selection((2010, 2030), twilight="night", colour="station", top=5),
]


def chosen(truth: pd.DataFrame, sel: c.Selection) -> pd.DataFrame:
    rows = truth.loc[truth["disc_year"].between(*sel.years)]
    if sel.size != "all":
        order = reference.UNKNOWN_SIZE_ORDER if sel.size == "unknown" else int(sel.size)
        rows = rows.loc[rows["size_class"] == order]
    if sel.twilight != "all":
        rows = rows.loc[rows["twilight"] == sel.twilight]
    return rows


def cut_counts(values: pd.Series, edges: np.ndarray, close_last: bool = True) -> list[int]:
    values = values.dropna()
    if close_last:  # the last bin includes its upper edge
        values = values.where(values < edges[-1], edges[-1] - 1e-9)
    return pd.cut(values, edges, right=False).value_counts(sort=False).tolist()


@pytest.fixture(scope="module", params=SELECTIONS, ids=lambda s: f"{s.years}-{s.size}-{s.colour}-{s.twilight}")
def case(request, circ, truth):
    sel = request.param
    return sel, c.select(circ, sel), chosen(truth, sel)


def test_the_sky_has_something_to_count(case):
    _, selected, rows = case
    assert len(selected) == len(rows) > 20


def test_v_bins_equal_the_truth(case, circ):
    _, selected, rows = case
    r = cb.v_histogram(circ, selected)
    edges = np.append(r.bins["v_low"], r.bins["v_high"][-1])
    assert r.totals.tolist() == cut_counts(rows["trk_v_mag"], edges, close_last=False)
    assert r.n_missing == rows["trk_v_mag"].isna().sum()


def test_elongation_bins_equal_the_truth(case, circ):
    _, selected, rows = case
    r = cb.elongation_histogram(circ, selected)
    edges = np.arange(0.0, 181.0, 5.0)
    morning = cut_counts(-rows.loc[rows["sun_elong"] < 0, "sun_elong"], edges)
    evening = cut_counts(rows.loc[rows["sun_elong"] >= 0, "sun_elong"], edges)
    assert r.totals.tolist() == morning + evening[::-1]
    assert sum(morning) > 0 and sum(evening) > 0


def test_twilight_classes_equal_the_truth(case, circ):
    _, selected, rows = case
    r = cb.twilight_counts(circ, selected)
    expected = rows["twilight"].value_counts()
    assert dict(zip(r.bins["twilight"], r.totals.tolist(), strict=True)) == {
        t: int(expected.get(t, 0)) for t in c.TWILIGHT_ORDER
    }


def test_position_angle_bins_equal_the_truth(case, circ):
    _, selected, rows = case
    r = cb.pa_histogram(circ, selected)
    assert r.totals.tolist() == cut_counts(rows["trk_pa"], np.arange(0.0, 361.0, 15.0), close_last=False)
    assert r.n_missing == rows["trk_pa"].isna().sum() > 0


def test_moon_bins_equal_the_truth(case, circ):
    _, selected, rows = case
    illum = cb.moon_illumination_histogram(circ, selected)
    assert illum.totals.tolist() == cut_counts(rows["moon_illum"], np.round(np.arange(0, 11) / 10, 10))
    near = cb.moon_elongation_histogram(circ, selected)
    assert near.totals.tolist() == cut_counts(rows["moon_elong"], np.arange(0.0, 181.0, 10.0))


def test_group_totals_equal_the_truth(case, circ):
    sel, selected, rows = case
    counts = dict(
        zip(selected.groups, np.bincount(selected.group, minlength=len(selected.groups)).tolist(), strict=True)
    )
    if sel.colour == "project":
        assert counts == rows["project"].value_counts().to_dict()
    elif sel.colour == "year":
        assert sum(counts.values()) == len(rows)
        first, span = c.year_spans(sel.years)
        by_span = ((rows["disc_year"] - first) // span).value_counts().sort_index()
        assert list(counts.values()) == by_span.tolist()
    elif sel.colour == "station":
        top = rows["disc_stn"].value_counts()
        top = top.sort_values(ascending=False, kind="stable").iloc[: sel.top]
        assert [n for g, n in counts.items() if g != "Others"] == sorted(top.tolist(), reverse=True)
        assert counts.get("Others", 0) == len(rows) - top.sum()
    else:
        classes = {s.order: s.label for s in reference.size_classes()}
        assert counts == rows["size_class"].map(classes).value_counts().to_dict()


def test_rate_vs_h_counts_every_neo_once(case, circ):
    _, selected, rows = case
    r = c.rate_vs_h(circ, selected)
    has_rate = rows["trk_rate"].notna()
    assert len(r) == (has_rate & rows["h"].notna()).sum()
    assert r.n_single == (~has_rate & (rows["trk_nobs"] == 1)).sum()
    assert r.n_zero_span == (~has_rate & (rows["trk_nobs"] > 1)).sum()
    assert r.n_unknown_h == (has_rate & rows["h"].isna()).sum()
    assert len(r) + r.n_single + r.n_zero_span + r.n_unknown_h == len(rows)
