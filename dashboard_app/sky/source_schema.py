"""The source side of the data: the ``mpc_sbn`` tables the exporter reads, as data.

Column names and PostgreSQL types follow the MPC's public schema documentation
(Smithsonian/mpc-public, ``docs-public/docs/mpc-ops-docs/data-and-services/schema/``:
``obs-sbn.md``, ``mpc-orbits.md``, ``numbered-identifications.md``,
``current-identifications.md``, ``obscodes.md``). Only the columns the project
uses plus a few realistic extras are listed; the real tables have many more.
Two deliberate choices where the MPC page and the SBN replica differ:
``obs_sbn.obstime`` is ``timestamp(6) without time zone`` (UTC) and
``obs_sbn.id`` is ``bigint``, as in the replica the exporter reads.

The synthetic sky's DataFrames (``Sky.source``) have exactly these columns in
this order: timestamps naive UTC (``datetime64[us]``), ``numeric`` and
``double precision`` as float64, ``character(1)`` as one-character strings or
missing, ``boolean`` as bool. :func:`ddl` creates the tables in PostgreSQL so
the exporter's tests can load those frames with ``COPY``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SourceColumn:
    """One source column: PostgreSQL type, nullability and meaning."""

    name: str
    pg_type: str
    meaning: str
    nullable: bool = True


@dataclass(frozen=True)
class SourceTable:
    """One ``mpc_sbn`` table as the project sees it."""

    name: str
    meaning: str
    columns: tuple[SourceColumn, ...]
    primary_key: tuple[str, ...] = ()
    indexes: tuple[tuple[str, ...], ...] = ()

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


C = SourceColumn
TS = "timestamp(6) without time zone"
ROW_ID = C("id", "integer", "row identifier", nullable=False)
PRIMARY_DESIGNATION = (
    C("packed_primary_provisional_designation", "text", "packed primary provisional designation", False),
    C("unpacked_primary_provisional_designation", "text", "unpacked primary provisional designation", False),
)
ROW_TIMES = (C("created_at", TS, "row insert time"), C("updated_at", TS, "row update time"))

MPC_ORBITS = SourceTable(
    "mpc_orbits",
    "Orbits of minor planets, one row per primary provisional designation.",
    (
        ROW_ID,
        *PRIMARY_DESIGNATION,
        C("q", "double precision", "perihelion distance [au]"),
        C("e", "double precision", "eccentricity"),
        C("i", "double precision", "inclination [deg]"),
        C("node", "double precision", "longitude of ascending node [deg]"),
        C("argperi", "double precision", "argument of pericenter [deg]"),
        C("a", "double precision", "semi-major axis [au] (often NULL in the real table)"),
        C("h", "double precision", "absolute magnitude; 0 and -9.99 are sentinels for unknown"),
        C("g", "double precision", "slope parameter"),
        C("epoch_mjd", "double precision", "orbit epoch [TT, MJD]"),
        C("earth_moid", "double precision", "MOID with Earth [au] (mostly NULL in the real table)"),
        C("orbit_type_int", "integer", "MPC orbit classification code (NULL for about a third of rows)"),
        C("nopp", "integer", "number of oppositions"),
        C("nobs_total", "integer", "total number of observations"),
        *ROW_TIMES,
    ),
    primary_key=("id",),
    indexes=(("unpacked_primary_provisional_designation",), ("q",)),
)

NUMBERED_IDENTIFICATIONS = SourceTable(
    "numbered_identifications",
    "Numbered objects with their primary provisional designation.",
    (
        ROW_ID,
        *PRIMARY_DESIGNATION,
        C("permid", "text", "unpacked permanent designation (the number, e.g. '500000')", False),
        *ROW_TIMES,
    ),
    primary_key=("id",),
    indexes=(("unpacked_primary_provisional_designation",), ("permid",)),
)

CURRENT_IDENTIFICATIONS = SourceTable(
    "current_identifications",
    "One row per identification: primary designation with each secondary (primary = secondary when none).",
    (
        ROW_ID,
        C("packed_primary_provisional_designation", "text", "packed primary provisional designation"),
        C("unpacked_primary_provisional_designation", "text", "unpacked primary provisional designation"),
        C("packed_secondary_provisional_designation", "text", "packed secondary provisional designation"),
        C("unpacked_secondary_provisional_designation", "text", "unpacked secondary provisional designation"),
        C("numbered", "boolean", "true when the primary designation is numbered"),
        C("object_type", "integer", "object classification"),
        C("published", "integer", "publication status (0 not published, 1 MPEC, 2 DOU, 3/4 circulars)"),
        *ROW_TIMES,
    ),
    primary_key=("id",),
    indexes=(("unpacked_primary_provisional_designation",), ("unpacked_secondary_provisional_designation",)),
)

OBS_SBN = SourceTable(
    "obs_sbn",
    "Published observations (ADES fields plus MPC operations fields).",
    (
        C("id", "bigint", "row identifier", False),
        C("trksub", "text", "observer-assigned tracklet identifier"),
        C("trkid", "text", "MPC tracklet identifier (NULL for many older observations)"),
        C("obsid", "text", "MPC observation identifier"),
        C("obs80_bit", "character(42)", "columns 16-56 of the 80-column record: date, RA, Dec as published"),
        C("permid", "text", "permanent designation (number) the observation is filed under"),
        C("provid", "text", "unpacked provisional designation the observation is filed under"),
        C("stn", "text", "observatory code"),
        C("mode", "text", "instrument mode, e.g. CCD"),
        C("obstime", TS, "UTC date and time of the observation"),
        C("ra", "numeric", "right ascension, J2000 [deg]"),
        C("dec", "numeric", "declination, J2000 [deg]"),
        C("mag", "numeric", "apparent magnitude in band"),
        C("band", "text", "photometric band code"),
        C("astcat", "text", "astrometric catalogue"),
        C("disc", "character(1)", "discovery flag: '*' marks a discovery observation"),
        C("deprecated", "character(1)", "'X' for a deprecated observation kept for history"),
        C("status", "character(1)", "processing status: P published, p pending, I ITF"),
    ),
    primary_key=("id",),
    indexes=(("provid",), ("permid",), ("trkid",), ("obstime",)),
    # The real table also has duplicates (same obs80_bit and stn), empty strings where NULL is meant
    # (permid, trkid, band) and ITF ('I') and pending ('p') rows; the synthetic sky has them too.
)

OBSCODES = SourceTable(
    "obscodes",
    "Observatory codes with parallax constants.",
    (
        ROW_ID,
        C("obscode", "character varying(4)", "observatory code", False),
        C("name", "character varying", "name of the station"),
        C("longitude", "numeric", "longitude [deg east of Greenwich]"),
        C("rhocosphi", "numeric", "parallax constant ρ cos φ′ [Earth radii]"),
        C("rhosinphi", "numeric", "parallax constant ρ sin φ′ [Earth radii]"),
        C("observations_type", "character varying(255)", "optical | satellite | radar | occultation | roving"),
    ),
    primary_key=("id",),
    indexes=(("obscode",),),
)

SOURCE_TABLES: tuple[SourceTable, ...] = (
    MPC_ORBITS,
    NUMBERED_IDENTIFICATIONS,
    CURRENT_IDENTIFICATIONS,
    OBS_SBN,
    OBSCODES,
)
SOURCE_TABLES_BY_NAME: dict[str, SourceTable] = {t.name: t for t in SOURCE_TABLES}


def ddl(schema: str | None = None) -> list[str]:
    """``CREATE TABLE`` statements for the source tables (PostgreSQL), optionally in ``schema``."""
    prefix = f"{schema}." if schema else ""
    out = []
    for t in SOURCE_TABLES:
        cols = [f"{c.name} {c.pg_type}{'' if c.nullable else ' NOT NULL'}" for c in t.columns]
        if t.primary_key:
            cols.append(f"PRIMARY KEY ({', '.join(t.primary_key)})")
        out.append(f"CREATE TABLE {prefix}{t.name} (\n  " + ",\n  ".join(cols) + "\n)")
    return out


def index_ddl(schema: str | None = None) -> list[str]:
    """``CREATE INDEX`` statements like the replica's (run after loading, for speed)."""
    prefix = f"{schema}." if schema else ""
    return [
        f"CREATE INDEX {t.name}_{'_'.join(idx)}_idx ON {prefix}{t.name} ({', '.join(idx)})"
        for t in SOURCE_TABLES
        for idx in t.indexes
    ]
