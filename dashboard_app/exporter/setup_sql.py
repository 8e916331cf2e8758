"""The indexes (and the read-only role) the operator creates once on the ``mpc_sbn`` replica.

``neo-explorer export --print-setup-sql`` prints :func:`setup_script`. The
exporter's queries (``queries.py``) are written so that PostgreSQL answers them
with these indexes: per-designation probes on ``obs_sbn`` bounded in time,
small partial indexes of the ``disc='*'`` rows (the probe indexes INCLUDE the
columns the export reads, so PostgreSQL answers from the index without visiting
the table's pages; on a 530-million-row table that is the difference between
sequential index reads and millions of random heap reads), a ``trkid`` probe for the
discovery tracklets and a backward step on ``obstime`` for the data time.
``CREATE INDEX CONCURRENTLY`` does not block replication or readers; it cannot
run inside a transaction block, so run the statements one by one (``psql -f``
does).
"""

from __future__ import annotations

from dashboard_app.definitions import DISCOVERY_FLAG

INDEX_PREFIX = "neo_export"

_PROBED = "id, stn, trkid, deprecated, disc"
"""Columns the per-designation probes read besides the key: INCLUDEd, so the probes are index-only scans."""

_DISCOVERY = "obstime, id, stn, trkid, ra, dec, mag, band, deprecated"
"""Columns of the discovery observation: INCLUDEd in the small partial indexes of the ``disc='*'`` rows."""

_INDEXES: tuple[tuple[str, str, str, str], ...] = (
    # (name suffix, table, columns [INCLUDE …], WHERE predicate or "")
    ("obs_permid_obstime", "obs_sbn", f"permid, obstime) INCLUDE ({_PROBED}", ""),
    ("obs_provid_obstime", "obs_sbn", f"provid, obstime) INCLUDE (permid, {_PROBED}", ""),
    ("obs_disc_permid", "obs_sbn", f"permid) INCLUDE ({_DISCOVERY}", f"disc = '{DISCOVERY_FLAG}'"),
    ("obs_disc_provid", "obs_sbn", f"provid) INCLUDE (permid, {_DISCOVERY}", f"disc = '{DISCOVERY_FLAG}'"),
    ("obs_trkid_obstime", "obs_sbn", "trkid, obstime", ""),
    ("obs_obstime", "obs_sbn", "obstime", ""),
    ("orbits_q", "mpc_orbits", "q", ""),
    ("numbered_primary", "numbered_identifications", "unpacked_primary_provisional_designation", ""),
    ("current_primary", "current_identifications", "unpacked_primary_provisional_designation", ""),
)


def setup_statements(*, concurrently: bool = True) -> list[str]:
    """``CREATE INDEX`` statements the export relies on (idempotent: ``IF NOT EXISTS``)."""
    how = "CONCURRENTLY " if concurrently else ""
    out = []
    for suffix, table, columns, where in _INDEXES:
        stmt = f"CREATE INDEX {how}IF NOT EXISTS {INDEX_PREFIX}_{suffix} ON {table} ({columns})"
        out.append(stmt + (f" WHERE {where}" if where else ""))
    return out


def index_names() -> list[str]:
    """Names of the setup indexes (what a plan should mention)."""
    return [f"{INDEX_PREFIX}_{suffix}" for suffix, *_ in _INDEXES]


def setup_script() -> str:
    """The setup SQL as a script an operator can read and run with ``psql -f``."""
    lines = [
        "-- NEO Discovery Statistics Explorer: one-time setup on the mpc_sbn replica.",
        "-- Run as a role allowed to create indexes, one statement at a time (CONCURRENTLY",
        "-- cannot run inside a transaction block), e.g.: psql -d mpc_sbn -f setup.sql",
        "-- On a large obs_sbn each index takes a while; they are idempotent (IF NOT EXISTS).",
        "",
        "-- Indexes the exporter's probes use (per designation within a time window, the",
        "-- disc='*' rows, tracklets, and the newest observation time):",
    ]
    lines += [s + ";" for s in setup_statements()]
    lines += [
        "",
        "ANALYZE obs_sbn;",
        "ANALYZE mpc_orbits;",
        "",
        "-- Optional: a login role that can only read the five tables. Set its password",
        "-- interactively (\\password neo_export) so it never lands in a file or shell history.",
        "-- CREATE ROLE neo_export LOGIN;",
        "-- ALTER ROLE neo_export SET default_transaction_read_only = on;",
        "-- GRANT USAGE ON SCHEMA public TO neo_export;",
        "-- GRANT SELECT ON mpc_orbits, numbered_identifications, current_identifications,",
        "--                 obs_sbn, obscodes TO neo_export;",
    ]
    return "\n".join(lines) + "\n"
