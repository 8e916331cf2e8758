"""The validator refuses files that break the snapshot contract and names what is wrong."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from dashboard_app.snapshot.validate import SnapshotInvalidError, validate_snapshot


@pytest.fixture
def valid_copy(publish_tiny, tmp_path) -> Path:
    """A writable copy of a freshly published, valid snapshot."""
    result = publish_tiny(n_neos=5)
    copy = tmp_path / "copy.sqlite"
    shutil.copyfile(result.path, copy)
    copy.chmod(0o644)
    return copy


def _problems_after(path: Path, *statements: str) -> list[str]:
    con = sqlite3.connect(path)
    for statement in statements:
        con.execute(statement)
    con.commit()
    con.close()
    with pytest.raises(SnapshotInvalidError) as info:
        validate_snapshot(path)
    return info.value.problems


def test_a_published_snapshot_is_valid_and_its_meta_is_returned(valid_copy):
    meta = validate_snapshot(valid_copy)
    assert json.loads(meta["row_counts"]) == {"discoveries": 5, "apparitions": 10, "stations": 3,
                                              "missing_discoveries": 1, "lifetime": 10, "site_depth": 1}  # fmt: skip
    assert meta["synthetic"] == "1"


def test_a_missing_file_is_invalid(tmp_path):
    with pytest.raises(SnapshotInvalidError, match="does not exist"):
        validate_snapshot(tmp_path / "nope.sqlite")


def test_a_file_with_overwritten_pages_is_refused_as_corrupt(valid_copy):
    data = bytearray(valid_copy.read_bytes())
    page = 4096
    data[page * 2 : page * 4] = b"\xa5" * (page * 2)  # trash two pages of table data
    valid_copy.write_bytes(bytes(data))
    with pytest.raises(SnapshotInvalidError) as info:
        validate_snapshot(valid_copy)
    assert "integrity_check" in str(info.value) or "cannot read" in str(info.value)


def test_a_file_that_is_not_sqlite_is_refused(tmp_path):
    path = tmp_path / "junk.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(SnapshotInvalidError, match=r"cannot read|integrity"):
        validate_snapshot(path)


def test_a_missing_column_is_a_schema_difference(valid_copy):
    problems = _problems_after(valid_copy, "ALTER TABLE discoveries DROP COLUMN moon_illum")
    assert any("discoveries columns differ" in p and "moon_illum" in p for p in problems)


def test_a_column_with_another_type_is_a_schema_difference(valid_copy):
    problems = _problems_after(
        valid_copy,
        "CREATE TABLE s2 (stn TEXT NOT NULL, name TEXT NOT NULL, longitude TEXT, rhocosphi REAL, rhosinphi REAL, "
        "ground INTEGER NOT NULL, in_obscodes INTEGER NOT NULL, obs_type TEXT, latitude REAL, PRIMARY KEY (stn))",
        "INSERT INTO s2 SELECT * FROM stations",
        "DROP TABLE stations",
        "ALTER TABLE s2 RENAME TO stations",
    )
    assert any("stations columns differ" in p and "longitude" in p for p in problems)


def test_an_extra_table_and_a_missing_index_are_reported(valid_copy):
    problems = _problems_after(valid_copy, "CREATE TABLE extra (x INTEGER)", "DROP INDEX idx_apparitions_stn")
    assert "unexpected table extra" in problems
    assert "index apparitions(stn) is missing" in problems


def test_a_wrong_schema_version_asks_for_a_re_export(valid_copy):
    problems = _problems_after(valid_copy, "UPDATE meta SET value = '999' WHERE key = 'schema_version'")
    assert any("schema_version is 999" in p and "re-export" in p for p in problems)


def test_missing_meta_keys_are_named(valid_copy):
    problems = _problems_after(valid_copy, "DELETE FROM meta WHERE key IN ('created_utc', 'source')")
    assert "meta key created_utc is missing or empty" in problems
    assert "meta key source is missing or empty" in problems


def test_row_counts_in_meta_must_match_the_tables(valid_copy):
    problems = _problems_after(valid_copy, "DELETE FROM missing_discoveries")
    assert any(p.startswith("meta row_counts") for p in problems)


def test_a_definition_other_than_the_codes_is_refused(valid_copy):
    problems = _problems_after(valid_copy, "UPDATE meta SET value = 'q <= 1.3 OR e > 0.9' WHERE key = 'neo_predicate'")
    assert any("neo_predicate" in p for p in problems)


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        (
            "UPDATE discoveries SET disc_year = 1700, disc_time = '1700-01-02T00:00:00.000000Z'",
            "disc_year out of range",
        ),
        ("UPDATE discoveries SET disc_year = 2023 WHERE neo_id = 1", "disc_year ≠ year of disc_time"),
        ("UPDATE discoveries SET twilight = 'dusk' WHERE neo_id = 2", "unknown twilight class"),
        ("UPDATE discoveries SET h = -9.99 WHERE neo_id = 2", "H sentinel"),
        ("UPDATE discoveries SET q = 1.31 WHERE neo_id = 2", "q outside"),
        ("UPDATE discoveries SET moon_illum = 1.5", "moon_illum outside"),
        (
            "UPDATE apparitions SET n_obs_post_7 = 99 WHERE stn = 'F51'",
            "not monotone in W: n_obs_post_7 > n_obs_post_29",
        ),
        ("UPDATE apparitions SET n_trk_any_1 = -1", "negative n_trk_any_1"),
        ("UPDATE apparitions SET n_obs_post_200 = 50 WHERE stn = 'G96'", "n_obs_any_200 < post"),
        ("UPDATE apparitions SET neo_id = 77 WHERE neo_id = 5 AND stn = 'F51'", "neo_id missing from discoveries"),
        ("UPDATE apparitions SET first_dt = -250 WHERE stn = 'F51'", "first_dt outside ±200 d"),
        ("DELETE FROM apparitions WHERE stn = 'G96' AND neo_id = 1", "no apparitions row of the discovering station"),
        ("UPDATE stations SET longitude = 10 WHERE stn = 'X99'", "station missing from obscodes has coordinates"),
        ("UPDATE discoveries SET provid = '0' || provid WHERE neo_id = 5", "not in ascending provid order"),
    ],
)
def test_insane_values_are_refused_with_the_rule_they_break(valid_copy, statement, expected):
    problems = _problems_after(valid_copy, statement)
    assert any(expected in p for p in problems), problems
