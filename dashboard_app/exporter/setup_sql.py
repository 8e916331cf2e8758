"""The indexes the exporter relies on: the replica's own, and the tiers the operator may add once.

- **Replica indexes** (:data:`REPLICA_INDEXES`): plain B-tree indexes the SBN replica
  already has (``obs_sbn`` on ``provid``, ``permid``, ``trkid``, ``obstime`` and its
  primary key; ``mpc_orbits`` on ``q``). The export needs the ``obs_sbn`` ones; the
  setup never creates them again under another name (``neo-explorer export --check``
  compares definitions, not names).
- **Default tier** (:data:`DEFAULT_TIER`): two small partial covering indexes of the
  ``disc='*'`` rows (about one row per object). The discovery step then reads no heap
  page at all. Measured in ``bench/results.md`` (section *export-setup*): well under
  1 % of the heap.
- **Optional tier** (:data:`OPTIONAL_TIER`): partial covering indexes for the
  apparition probes, split on whether an observation carries a number, so the probes
  are index-only scans. For slow disks (HDD) or a replica with little RAM; tens of GB
  on the real table.

``neo-explorer export --print-setup-sql [--tier optional]`` prints :func:`setup_script`.
``CREATE INDEX CONCURRENTLY`` does not block replication or readers; it cannot run
inside a transaction block, so run the statements one by one (``psql -f`` does).
"""

from __future__ import annotations

from dataclasses import dataclass

from dashboard_app.definitions import DISCOVERY_FLAG

INDEX_PREFIX = "neo_export"
TIERS = ("default", "optional")
"""Setup tiers, each including the ones before it."""


@dataclass(frozen=True)
class IndexSpec:
    """One B-tree index by definition: table, key columns, INCLUDE columns, partial predicate."""

    name: str
    table: str
    keys: tuple[str, ...]
    include: tuple[str, ...] = ()
    where: str = ""
    purpose: str = ""

    def definition(self) -> str:
        """``table (keys) INCLUDE (…) WHERE …`` as in a CREATE INDEX statement."""
        text = f"{self.table} ({', '.join(self.keys)})"
        if self.include:
            text += f" INCLUDE ({', '.join(self.include)})"
        return text + (f" WHERE {self.where}" if self.where else "")

    def statement(self, *, concurrently: bool = True) -> str:
        """The idempotent ``CREATE INDEX`` statement."""
        how = "CONCURRENTLY " if concurrently else ""
        return f"CREATE INDEX {how}IF NOT EXISTS {self.name} ON {self.definition()}"


REPLICA_INDEXES: tuple[IndexSpec, ...] = (
    IndexSpec("obs_sbn(provid)", "obs_sbn", ("provid",), purpose="observations by provisional designation"),
    IndexSpec("obs_sbn(permid)", "obs_sbn", ("permid",), purpose="observations by number"),
    IndexSpec("obs_sbn(trkid)", "obs_sbn", ("trkid",), purpose="discovery tracklets by trkid"),
    IndexSpec("obs_sbn(obstime)", "obs_sbn", ("obstime",), purpose="the newest observation time"),
    IndexSpec("obs_sbn(id)", "obs_sbn", ("id",), purpose="obs80_bit of possible duplicates by id"),
)
"""Indexes the export needs and the replica already has (the export checks them by definition)."""

RECOMMENDED_REPLICA_INDEXES: tuple[IndexSpec, ...] = (
    IndexSpec("mpc_orbits(q)", "mpc_orbits", ("q",), purpose="the NEOs (q ≤ 1.30) without reading every orbit"),
)
"""Replica indexes that help but are not required (their absence costs one scan of a small table)."""

_DISCOVERY_COLUMNS = ("obstime", "id", "stn", "trkid", "ra", "dec", "mag", "band", "deprecated")
_PROBE_COLUMNS = ("id", "stn", "trkid", "deprecated", "mag", "band")
"""What the observation probes read besides the key (mag and band: site depth, schema v2)."""
_DISC = f"disc = '{DISCOVERY_FLAG}'"

DEFAULT_TIER: tuple[IndexSpec, ...] = (
    IndexSpec(
        f"{INDEX_PREFIX}_disc_provid",
        "obs_sbn",
        ("provid",),
        ("permid", *_DISCOVERY_COLUMNS),
        _DISC,
        "discovery observations by designation, index-only",
    ),
    IndexSpec(
        f"{INDEX_PREFIX}_disc_permid",
        "obs_sbn",
        ("permid",),
        _DISCOVERY_COLUMNS,
        _DISC,
        "discovery observations by number, index-only",
    ),
)
"""The default tier: the discovery step reads only these two small indexes."""

OPTIONAL_TIER: tuple[IndexSpec, ...] = (
    IndexSpec(
        f"{INDEX_PREFIX}_obs_provid",
        "obs_sbn",
        ("provid", "obstime"),
        _PROBE_COLUMNS,
        "permid IS NULL OR permid = ''",
        "apparition probes of unnumbered observations, index-only",
    ),
    IndexSpec(
        f"{INDEX_PREFIX}_obs_permid",
        "obs_sbn",
        ("permid", "obstime"),
        _PROBE_COLUMNS,
        "permid IS NOT NULL AND permid <> ''",
        "apparition probes of numbered observations, index-only",
    ),
)
"""The optional tier: apparition probes answered from the index alone (slow disks, small RAM)."""


def tier_indexes(tier: str) -> tuple[IndexSpec, ...]:
    """The setup indexes of ``tier`` ("none", "default" or "optional"; each includes the tiers before it)."""
    if tier == "none":
        return ()
    if tier not in TIERS:
        raise ValueError(f"unknown setup tier {tier!r}: expected none, {', '.join(TIERS)}")
    return DEFAULT_TIER + (OPTIONAL_TIER if tier == "optional" else ())


def setup_statements(tier: str = "default", *, concurrently: bool = True) -> list[str]:
    """``CREATE INDEX`` statements of ``tier`` (idempotent by name: ``IF NOT EXISTS``)."""
    return [spec.statement(concurrently=concurrently) for spec in tier_indexes(tier)]


def index_names(tier: str = "optional") -> list[str]:
    """Names of the setup indexes up to ``tier``."""
    return [spec.name for spec in tier_indexes(tier)]


def setup_script(tier: str = "default") -> str:
    """The setup SQL as a script an operator can read and run with ``psql -f``."""
    lines = [
        "-- NEO Discovery Statistics Explorer: one-time setup on the mpc_sbn replica.",
        "-- First run `neo-explorer export --check`: it lists the indexes the replica already has",
        "-- (by definition, whatever their names) and skips nothing silently. Sizes and build times",
        "-- measured on a synthetic replica are in DEPLOYMENT.md.",
        "-- Run as a role allowed to create indexes, one statement at a time (CONCURRENTLY cannot run",
        "-- inside a transaction block), e.g.: psql -d mpc_sbn -f setup.sql",
        "",
        "-- The export also needs these replica indexes (not created here): "
        + "; ".join(spec.name for spec in REPLICA_INDEXES),
        "",
        "-- Default tier: the disc='*' rows, about one per object (discovery step index-only).",
    ]
    lines += [spec.statement() + ";" for spec in DEFAULT_TIER]
    optional = [spec.statement() + ";" for spec in OPTIONAL_TIER]
    if tier == "optional":
        lines += ["", "-- Optional tier: apparition probes index-only (slow disks, small RAM; tens of GB)."]
        lines += optional
    else:
        lines += [
            "",
            "-- Optional tier (slow disks or small RAM; tens of GB on the real table, see DEPLOYMENT.md):",
            "-- print it with `neo-explorer export --print-setup-sql --tier optional`.",
        ]
    lines += [
        "",
        "ANALYZE obs_sbn;",
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
