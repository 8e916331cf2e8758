"""A few hand-written mpc_sbn rows whose snapshot was counted by hand (see test_definitions_on_hand_counted_rows)."""

from __future__ import annotations

from dashboard_app.exporter.setup_sql import setup_statements
from dashboard_app.sky.source_schema import ddl, index_ddl
from tests.harness.postgres import READER_ROLE, PostgresServer

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


def load_hand_rows(postgres_server: PostgresServer, name: str, *, analyze: bool = True) -> None:
    """Create database ``name`` with the source tables, the setup indexes and the rows above (then ANALYZE)."""
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
            "INSERT INTO obscodes (id, obscode, name, longitude, rhocosphi, rhosinphi, observations_type) VALUES "
            "(1, 'G96', 'Mt. Lemmon', 249.21, 0.845, 0.533, 'optical'), "
            "(2, 'F51', 'Pan-STARRS 1', 203.74, 0.936, 0.351, 'optical'), "
            "(3, '703', 'Catalina', 249.26, 0.845, 0.533, 'optical'), (4, '500', 'Geocentric', 0, 0, 0, 'satellite')"
        )
        con.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {READER_ROLE}")
        if analyze:
            con.execute("ANALYZE")
