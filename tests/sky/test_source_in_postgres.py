"""The source frames load into real PostgreSQL tables made by ``ddl()`` and read back unchanged."""

import math

import numpy as np
import pytest

from dashboard_app.sky.source_schema import SOURCE_TABLES

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def loaded(mpc_sbn):
    return mpc_sbn


def test_every_source_table_has_the_declared_types_and_all_its_rows(loaded):
    with loaded.server.connect(loaded.dbname) as con:
        for table in SOURCE_TABLES:
            types = dict(
                con.execute(
                    "SELECT column_name, format_type(atttypid, atttypmod) FROM information_schema.columns c "
                    "JOIN pg_attribute a ON a.attname = c.column_name AND a.attrelid = %s::regclass "
                    "WHERE c.table_name = %s",
                    (table.name, table.name),
                ).fetchall()
            )
            assert types == {c.name: c.pg_type for c in table.columns}, table.name
            (count,) = con.execute(f"SELECT count(*) FROM {table.name}").fetchone()
            assert count == len(loaded.sky.source[table.name]), table.name


def test_observations_read_back_with_the_same_times_positions_and_flags(loaded):
    frame = loaded.sky.source["obs_sbn"].set_index("id")
    with loaded.server.connect(loaded.dbname) as con:
        rows = con.execute(
            "SELECT id, obstime, ra::float8, dec::float8, mag::float8, disc, deprecated, trkid, permid, provid "
            "FROM obs_sbn ORDER BY id"
        ).fetchall()
    assert len(rows) == len(frame)
    for oid, obstime, ra, dec, mag, disc, deprecated, trkid, permid, provid in rows[:: max(1, len(rows) // 2000)]:
        want = frame.loc[oid]
        assert np.datetime64(obstime, "us") == want["obstime"].to_datetime64()
        assert (ra, dec) == (want["ra"], want["dec"])
        assert (mag is None and math.isnan(want["mag"])) or mag == want["mag"]
        for got, col in (
            (disc, "disc"),
            (deprecated, "deprecated"),
            (trkid, "trkid"),
            (permid, "permid"),
            (provid, "provid"),
        ):
            assert (got is None and not isinstance(want[col], str)) or got == want[col], col
