"""The exporter applies every definition to a few hand-written mpc_sbn rows with hand-counted answers."""

from __future__ import annotations

import math

import pytest

from tests.exporter.conftest import clean_env, read_table, run_export

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def hand_snapshot(hand_source, tmp_path_factory):
    server, name = hand_source
    data_dir = tmp_path_factory.mktemp("hand") / "data"
    run = run_export(data_dir, clean_env(**server.reader_env(name)))
    assert run.returncode == 0, run.stderr
    return data_dir / run.summary["path"].rsplit("/", 1)[1]


def test_only_objects_with_q_at_most_1_30_are_neos(hand_snapshot):
    provids = [r[1] for r in read_table(hand_snapshot, "discoveries")]
    missing = [r[0] for r in read_table(hand_snapshot, "missing_discoveries")]
    assert provids == ["2020 AC", "2024 AA"]
    assert missing == ["2024 AB"]  # q = 1.30 is a NEO; 2024 AC (q = 1.31) appears nowhere


def test_discovery_is_the_earliest_live_flagged_observation_under_any_designation(hand_snapshot):
    rows = {r[1]: r for r in read_table(hand_snapshot, "discoveries")}
    # 2020 AC: the deprecated obs 7 is ignored; obs 13, filed under the provisional designation before
    # numbering, is earlier than obs 6 filed under the number.
    assert rows["2020 AC"][8:12] == (13, "2020-01-01T10:00:00.000000Z", 2020, "703")
    assert rows["2020 AC"][3] == "500000"
    assert rows["2024 AA"][8:13] == (1, "2024-01-01T10:00:00.000000Z", 2024, "G96", "t1")


def test_h_sentinels_are_stored_as_unknown(hand_snapshot):
    assert {r[1]: r[7] for r in read_table(hand_snapshot, "discoveries")} == {"2020 AC": None, "2024 AA": 22.5}
    # e and i (schema v2) from the orbit, as for discovered NEOs
    assert read_table(hand_snapshot, "missing_discoveries") == [("2024 AB", "K24A00B", None, 1.3, None, 1, 0.4, 5.0)]


def test_tracklet_takes_the_same_trkid_within_12_hours_including_secondary_designations(hand_snapshot):
    row = {r[1]: r for r in read_table(hand_snapshot, "discoveries")}["2024 AA"]
    trk_nobs, trk_ra, trk_dec, trk_v = row[13:17]
    assert trk_nobs == 3  # obs 1, 2 and 3 (+12 h exactly, under 2023 ZZ9); not obs 9 (+12 h + 1 µs)
    assert trk_ra == pytest.approx(10.1) and trk_dec == pytest.approx(5.1)
    assert trk_v == pytest.approx(20.1 + _v_offset("G"))  # median of the band-corrected magnitudes


def test_a_discovery_without_trkid_is_a_tracklet_of_one_with_no_rate(hand_snapshot):
    row = {r[1]: r for r in read_table(hand_snapshot, "discoveries")}["2020 AC"]
    assert row[12:15] == (None, 1, 9.0)
    assert row[17:19] == (None, None)  # rate and position angle empty for a zero time span


def test_apparition_windows_are_inclusive_at_both_ends(hand_snapshot):
    rows = {(r[0], r[1]): r for r in read_table(hand_snapshot, "apparitions")}
    neo_2024_aa = 2  # neo_id: '2020 AC' < '2024 AA' < '2024 AB' in binary order
    f51 = rows[(neo_2024_aa, "F51")]
    assert f51[2:4] == (-12.0, 1.0)  # precovery 12 days before; first post-discovery at +1 d
    counts = dict(zip(_count_names(), f51[4:], strict=True))
    assert counts["n_obs_post_1"] == 1 and counts["n_trk_post_1"] == 1  # +1 d exactly is inside W = 1
    assert counts["n_obs_any_7"] == 1  # the precovery at −12 d is outside W = 7
    assert counts["n_obs_any_29"] == 2 and counts["n_trk_any_29"] == 2
    assert counts["n_obs_post_200"] == 2  # +200 d exactly is in; +200 d + 1 µs is out of the apparition
    assert counts["n_obs_any_200"] == 3
    g96 = dict(zip(_count_names(), rows[(neo_2024_aa, "G96")][4:], strict=True))
    assert g96["n_obs_post_1"] == 4 and g96["n_trk_post_1"] == 1  # one trkid, four live observations


def test_stations_include_codes_missing_from_obscodes(hand_snapshot):
    stations = {r[0]: r for r in read_table(hand_snapshot, "stations")}
    assert stations["E30"] == ("E30", "E30", None, None, None, 0, 0, None, None)
    assert stations["500"][5:] == (0, 1, "satellite", None)  # in obscodes, but no ground site: no latitude
    assert stations["G96"][7] == "optical"
    assert stations["G96"][5:7] == (1, 1)
    assert stations["G96"][8] == pytest.approx(math.degrees(math.atan2(0.533, 0.845)))  # geocentric latitude


def test_circumstances_use_the_discovery_station(hand_snapshot):
    row = {r[1]: r for r in read_table(hand_snapshot, "discoveries")}["2020 AC"]
    sun_alt, twilight = row[20], row[21]
    assert sun_alt < -18 and twilight == "night"  # 703 at 02:37 local time


def _count_names() -> list[str]:
    from dashboard_app.snapshot.schema import window_count_columns

    return [c.name for c in window_count_columns()]


def _v_offset(band: str) -> float:
    from dashboard_app.reference import v_offset

    return v_offset(band)


def test_lifetime_counts_every_live_observation_at_any_time(hand_snapshot):
    # 2024 AA (neo_id 2), discovered by G96 at 2024-01-01 10:00: G96 obs 1, 2, 3 (secondary designation)
    # and 9, one trkid, the last 12 h + 1 µs later (obs 12 deprecated); F51 the precovery at −12 d (t9)
    # and three without trkid at +1 d, +200 d and +200 d + 1 µs (outside the apparition, inside lifetime).
    rows = {(r[0], r[1]): r[2:] for r in read_table(hand_snapshot, "lifetime")}
    micro = 1e-6 / 86400
    assert rows[(2, "G96")] == pytest.approx((0.0, 0.5 + micro, 4, 1), abs=1e-9)
    assert rows[(2, "F51")] == pytest.approx((-12.0, 200.0 + micro, 4, 4), abs=1e-9)
    # 2020 AC (neo_id 1): the pre-numbering discovery at 703 and the numbered E30 observation a day later
    assert rows[(1, "703")] == (0.0, 0.0, 1, 1) and rows[(1, "E30")] == (1.0, 1.0, 1, 1)
    assert len(rows) == 4
    assert read_table(hand_snapshot, "site_depth") == []  # no station has 50 observations
