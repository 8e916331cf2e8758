"""Provisional designations follow the MPC's packed and unpacked formats."""

import numpy as np

from dashboard_app.sky import designations


def test_designations_pack_like_the_mpc_examples():
    assert (designations.unpacked(2024, 0, 301), designations.packed(2024, 0, 301)) == ("2024 AB12", "K24A12B")
    assert (designations.unpacked(1995, 22, 0), designations.packed(1995, 22, 0)) == ("1995 XA", "J95X00A")
    # 2007 TA418: cycle 418 packs as 'f8' (f = 41).
    assert (designations.unpacked(2007, 18, 418 * 25), designations.packed(2007, 18, 418 * 25)) == (
        "2007 TA418",
        "K07Tf8A",
    )


def test_the_half_month_of_a_date_picks_the_designation_letter():
    t = np.array(["2024-01-15T23:59:59", "2024-01-16T00:00:00", "2024-12-31T12:00:00"], dtype="datetime64[us]")
    year, half = designations.half_month_of(t.astype("int64"))
    assert year.tolist() == [2024, 2024, 2024]
    assert [designations.HALF_MONTH_LETTERS[h] for h in half] == ["A", "B", "Y"]


def test_assigned_designations_are_unique_and_match_their_dates():
    rng = np.random.default_rng(0)
    t = np.repeat(np.array(["2020-03-02", "2020-03-20"], dtype="datetime64[us]").astype("int64"), 500)
    unp, pkd = designations.assign(t, rng)
    assert len(set(unp)) == len(set(pkd)) == 1000
    assert {u[:6] for u in unp[:500]} == {"2020 E"} and {u[:6] for u in unp[500:]} == {"2020 F"}
