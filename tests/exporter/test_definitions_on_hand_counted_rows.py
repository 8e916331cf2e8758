"""The exporter applies every definition to a few hand-written mpc_sbn rows with hand-counted answers."""

from __future__ import annotations

import pytest

from dashboard_app.exporter.setup_sql import setup_statements
from dashboard_app.sky.source_schema import ddl, index_ddl
from tests.exporter.conftest import clean_env, read_table, run_export
from tests.harness.postgres import READER_ROLE

pytestmark = pytest.mark.postgres

ORBITS = [
    # id, packed, unpacked, q, e, i, h
    (1, "K24A00A", "2024 AA", 1.10, 0.5, 10.0, 22.5),  # secondary designation 2023 ZZ9
    (2, "K24A00B", "2024 AB", 1.30, 0.4, 5.0, 0.0),  # q exactly at the limit; H sentinel 0; no disc='*'
    (3, "K24A00C", "2024 AC", 1.31, 0.4, 5.0, 18.0),  # q just outside: not a NEO
    (4, "K20A00C", "2020 AC", 0.90, 0.4, 5.0, -9.99),  # numbered 500000; H sentinel -9.99
]
OBS = [
    # id, trkid, permid, provid, stn, obstime, ra, dec, mag, band, disc, deprecated
    (1, "t1", None, "2024 AA", "G96", "2024-01-01 10:00:00", 10.0, 5.0, 20.0, "G", "*", None),
    (2, "t1", None, "2024 AA", "G96", "2024-01-01 10:30:00", 10.1, 5.1, 20.2, "G", None, None),
    (3, "t1", None, "2023 ZZ9", "G96", "2024-01-01 22:00:00", 10.2, 5.2, 20.1, "G", None, None),  # +12 h exactly
    (9, "t1", None, "2024 AA", "G96", "2024-01-01 22:00:00.000001", 10.3, 5.3, 20.0, "G", None, None),  # just out
    (4, "t9", None, "2023 ZZ9", "F51", "2023-12-20 10:00:00", 9.0, 4.0, 21.0, "w", None, None),  # precovery
    (5, None, None, "2024 AA", "F51", "2024-01-02 10:00:00", 9.0, 4.0, 21.0, "w", None, None),  # +1 d exactly
    (10, None, None, "2024 AA", "F51", "2024-07-19 10:00:00", 9.0, 4.0, 21.0, "w", None, None),  # +200 d exactly
    (11, None, None, "2024 AA", "F51", "2024-07-19 10:00:00.000001", 9.0, 4.0, 21.0, "w", None, None),  # outside
    (12, "t1", None, "2024 AA", "G96", "2024-01-01 10:10:00", 10.1, 5.1, 20.5, "G", "*", "X"),  # deprecated
    (6, None, "500000", "2020 AC", "E30", "2020-01-02 10:00:00", 9.0, 4.0, 21.0, "w", "*", None),
    (7, None, None, "2020 AC", "703", "2019-01-02 10:00:00", 9.0, 4.0, 21.0, "w", "*", "X"),  # deprecated, earlier
    (13, None, None, "2020 AC", "703", "2020-01-01 10:00:00", 9.0, 4.0, 21.0, "w", "*", None),  # pre-numbering: wins
    (8, None, None, "2024 AB", "703", "2019-01-02 10:00:00", 9.0, 4.0, 21.0, "w", None, None),
    (14, None, None, "2024 AC", "703", "2019-01-02 10:00:00", 9.0, 4.0, 21.0, "w", "*", None),  # not a NEO
]


@pytest.fixture(scope="module")
def hand_database(postgres_server):
    name = "mpc_sbn_hand"
    postgres_server.create_database(name)
    with postgres_server.connect(name) as con:
        for statement in ddl() + index_ddl():
            con.execute(statement)
        for statement in setup_statements():
            con.execute(statement)
        con.cursor().executemany(
            "INSERT INTO mpc_orbits (id, packed_primary_provisional_designation, "
            "unpacked_primary_provisional_designation, q, e, i, h) VALUES (%s, %s, %s, %s, %s, %s, %s)",
            ORBITS,
        )
        con.execute(
            "INSERT INTO numbered_identifications (id, packed_primary_provisional_designation, "
            "unpacked_primary_provisional_designation, permid) VALUES (1, 'K20A00C', '2020 AC', '500000')"
        )
        con.execute(
            "INSERT INTO current_identifications (id, unpacked_primary_provisional_designation, "
            "unpacked_secondary_provisional_designation) VALUES (1, '2024 AA', '2024 AA'), (2, '2024 AA', '2023 ZZ9')"
        )
        con.cursor().executemany(
            "INSERT INTO obs_sbn (id, trkid, permid, provid, stn, obstime, ra, dec, mag, band, disc, deprecated) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            OBS,
        )
        con.execute(
            "INSERT INTO obscodes (id, obscode, name, longitude, rhocosphi, rhosinphi) VALUES "
            "(1, 'G96', 'Mt. Lemmon', 249.21, 0.845, 0.533), (2, 'F51', 'Pan-STARRS 1', 203.74, 0.936, 0.351), "
            "(3, '703', 'Catalina', 249.26, 0.845, 0.533), (4, '500', 'Geocentric', 0, 0, 0)"
        )
        con.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {READER_ROLE}")
        con.execute("ANALYZE")
    return postgres_server, name


@pytest.fixture(scope="module")
def hand_snapshot(hand_database, tmp_path_factory):
    server, name = hand_database
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
    assert read_table(hand_snapshot, "missing_discoveries") == [("2024 AB", "K24A00B", None, 1.3, None, 1)]


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
    assert stations["E30"] == ("E30", "E30", None, None, None, 0, 0)
    assert stations["500"][5:] == (0, 1)  # in obscodes, but no ground site
    assert stations["G96"][5:] == (1, 1)


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
