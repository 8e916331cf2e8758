"""The SQLite snapshot contract: tables, columns (type, unit, meaning), indexes, meta keys.

This module is the single source of the schema. The exporter and the demo
builder create tables from :func:`create_statements`; the validator checks a
file against :data:`TABLES`; ``docs/snapshot-schema.md`` is generated from it
(``python -m dashboard_app.snapshot.schema``) and a test keeps the two equal.

Timestamps are UTC. Absolute times are TEXT in ISO 8601 with a ``Z`` suffix and
microseconds (``2024-01-05T07:12:33.120000Z``); times of later observations
are stored as offsets from the NEO's discovery time in days (REAL), which is
what the analyses need and keeps the apparition table numeric.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from dashboard_app.definitions import APPARITION_WINDOWS_DAYS

SCHEMA_VERSION = 2
SUPPORTED_VERSIONS: tuple[int, ...] = (1, 2)
"""Schema versions this code serves: the previous one stays readable until the next export (no downtime)."""


@dataclass(frozen=True)
class Column:
    """One column: SQLite type, nullability, unit and meaning."""

    name: str
    sql_type: str  # INTEGER | REAL | TEXT
    meaning: str
    unit: str = ""
    nullable: bool = False
    since: int = 1  # the schema version that added the column


@dataclass(frozen=True)
class Table:
    """One snapshot table with its primary key and indexes."""

    name: str
    meaning: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...] = ()
    indexes: tuple[tuple[str, ...], ...] = ()
    since: int = 1  # the schema version that added the table

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def at(self, version: int) -> Table:
        """This table as schema ``version`` defines it (the columns it had then)."""
        return Table(
            self.name,
            self.meaning,
            tuple(c for c in self.columns if c.since <= version),
            self.primary_key,
            self.indexes,
            self.since,
        )


CountKind = Literal["trk", "obs"]
CountSide = Literal["post", "any"]
COUNT_KINDS: tuple[CountKind, ...] = ("trk", "obs")
"""What an ``apparitions`` count column counts: distinct tracklets or observations."""
COUNT_SIDES: tuple[CountSide, ...] = ("post", "any")
"""Which side of the discovery it counts: after it only (0 ≤ Δt ≤ W) or either side (|Δt| ≤ W)."""

_COUNT_MEANING = {
    ("trk", "post"): "distinct tracklets with 0 ≤ Δt ≤ {w} d",
    ("obs", "post"): "observations with 0 ≤ Δt ≤ {w} d",
    ("trk", "any"): "distinct tracklets with |Δt| ≤ {w} d",
    ("obs", "any"): "observations with |Δt| ≤ {w} d",
}


def count_column(kind: CountKind, side: CountSide, window: int) -> str:
    """The name of an ``apparitions`` window-count column, e.g. ``count_column("obs", "post", 7)`` → ``n_obs_post_7``.

    The one place that spells the pattern: the schema, the exporter, the validator, the
    analyses and the tests build every count column name with it.
    """
    if kind not in COUNT_KINDS or side not in COUNT_SIDES:
        raise ValueError(f"no count column for kind={kind!r}, side={side!r}")
    return f"n_{kind}_{side}_{window}"


def window_count_columns() -> tuple[Column, ...]:
    """The 4 × len(W) integer count columns of ``apparitions`` (e.g. ``n_obs_post_7``)."""
    return tuple(
        Column(count_column(kind, side, w), "INTEGER", _COUNT_MEANING[kind, side].format(w=w), "count")
        for w in APPARITION_WINDOWS_DAYS
        for side in COUNT_SIDES
        for kind in COUNT_KINDS
    )


META = Table(
    "meta",
    "Key/value facts about the snapshot (all values TEXT; see META_KEYS).",
    (
        Column("key", "TEXT", "meta key"),
        Column("value", "TEXT", "value, as text (numbers in decimal, JSON where stated)"),
    ),
    primary_key=("key",),
)

# Designations and orbit columns shared by `discoveries` and `missing_discoveries`.
DESIGNATION_COLUMNS: tuple[Column, ...] = (
    Column("provid", "TEXT", "unpacked primary provisional designation (the join key), e.g. '2024 AB12'"),
    Column("packed_provid", "TEXT", "packed primary provisional designation, e.g. 'K24A12B'"),
    Column("permid", "TEXT", "MPC number as text when numbered", nullable=True),
)
Q_COLUMN = Column("q", "REAL", "perihelion distance", "au")
H_COLUMN = Column("h", "REAL", "absolute magnitude; NULL when unknown (missing or sentinel ≤ 0)", "mag", nullable=True)

DISCOVERIES = Table(
    "discoveries",
    "One row per NEO with a discovery observation: designations, orbit, discovery observation, "
    "discovery tracklet and discovery circumstances.",
    (
        Column(
            "neo_id",
            "INTEGER",
            "compact key: NEOs numbered 1..N in ascending provid order (binary collation); not stable across snapshots",
        ),
        *DESIGNATION_COLUMNS,
        Q_COLUMN,
        Column("e", "REAL", "eccentricity", "", nullable=True),
        Column("i", "REAL", "inclination", "deg", nullable=True),
        H_COLUMN,
        Column("disc_obs_id", "INTEGER", "obs_sbn.id of the discovery observation"),
        Column("disc_time", "TEXT", "discovery observation time (ISO 8601 UTC, 'Z')", "UTC"),
        Column("disc_year", "INTEGER", "UTC year of the discovery time", "year"),
        Column("disc_stn", "TEXT", "station code of the discovery observation"),
        Column("disc_trkid", "TEXT", "trkid of the discovery observation", nullable=True),
        Column("trk_nobs", "INTEGER", "observations in the discovery tracklet (≥ 1)", "count"),
        Column("trk_ra", "REAL", "mean right ascension of the discovery tracklet (J2000)", "deg"),
        Column("trk_dec", "REAL", "mean declination of the discovery tracklet (J2000)", "deg"),
        Column("trk_v_mag", "REAL", "median band-corrected V magnitude of the tracklet", "mag", nullable=True),
        Column(
            "trk_rate",
            "REAL",
            "rate of motion, great-circle first→last / span; NULL for zero span",
            "deg/day",
            nullable=True,
        ),
        Column(
            "trk_pa",
            "REAL",
            "position angle of motion first→last, 0 = N, 90 = E; NULL for zero span",
            "deg",
            nullable=True,
        ),
        Column("sun_elong", "REAL", "signed solar elongation (+ east of the Sun / evening, − west / morning)", "deg"),
        Column(
            "sun_alt",
            "REAL",
            "Sun's altitude at the station; NULL for space-based or unknown sites",
            "deg",
            nullable=True,
        ),
        Column("twilight", "TEXT", "night | astronomical | nautical | civil | day | space | unknown"),
        Column("moon_elong", "REAL", "angular distance Moon–object (geocentric)", "deg"),
        Column("moon_illum", "REAL", "Moon's illuminated fraction (0..1)", "fraction"),
    ),
    primary_key=("neo_id",),
    indexes=(("provid",), ("disc_year",), ("disc_stn",)),
)

APPARITIONS = Table(
    "apparitions",
    "One row per NEO × station with at least one observation within the ±200-day apparition. "
    "Δt = observation time − discovery time.",
    (
        Column("neo_id", "INTEGER", "discoveries.neo_id"),
        Column("stn", "TEXT", "station code"),
        Column(
            "first_dt", "REAL", "Δt of the station's first observation in the apparition (negative = precovery)", "days"
        ),
        Column(
            "first_post_dt",
            "REAL",
            "Δt of the station's first observation at or after discovery (≥ 0)",
            "days",
            nullable=True,
        ),
        *window_count_columns(),
    ),
    primary_key=("neo_id", "stn"),
    indexes=(("stn",),),
)

STATIONS = Table(
    "stations",
    "Observatory codes from obscodes, plus every code referenced by the other tables "
    "(codes missing from obscodes appear with in_obscodes = 0 and NULL coordinates).",
    (
        Column("stn", "TEXT", "MPC observatory code"),
        Column("name", "TEXT", "observatory name (the code itself when unknown)"),
        Column("longitude", "REAL", "east longitude", "deg", nullable=True),
        Column("rhocosphi", "REAL", "ρ cos φ′ parallax constant", "Earth radii", nullable=True),
        Column("rhosinphi", "REAL", "ρ sin φ′ parallax constant", "Earth radii", nullable=True),
        Column("ground", "INTEGER", "1 when the code has usable ground coordinates, else 0 (space, roving, 500…)"),
        Column("in_obscodes", "INTEGER", "1 when the code was in the source obscodes table"),
        Column(
            "obs_type",
            "TEXT",
            "obscodes.observations_type: optical | satellite | radar | occultation | roving; NULL when unknown",
            nullable=True,
            since=2,
        ),
        Column(
            "latitude",
            "REAL",
            "geocentric latitude φ′ = atan2(ρ sin φ′, ρ cos φ′); NULL when ground = 0",
            "deg",
            nullable=True,
            since=2,
        ),
    ),
    primary_key=("stn",),
)

LIFETIME = Table(
    "lifetime",
    "One row per NEO × station with at least one observation at any time (not only the apparition). "
    "Same designation rules as `apparitions`; Δt = observation time − discovery time.",
    (
        Column("neo_id", "INTEGER", "discoveries.neo_id"),
        Column("stn", "TEXT", "station code"),
        Column("first_dt", "REAL", "Δt of the station's first observation of the NEO (negative = precovery)", "days"),
        Column("last_dt", "REAL", "Δt of the station's last observation of the NEO", "days"),
        Column("n_obs", "INTEGER", "observations of the NEO by the station, all time", "count"),
        Column("n_trk", "INTEGER", "distinct tracklets (an observation without trkid is one of its own)", "count"),
    ),
    primary_key=("neo_id", "stn"),
    indexes=(("stn",),),
    since=2,
)

SITE_DEPTH = Table(
    "site_depth",
    "Per station, limiting-magnitude statistics of band-corrected V over its observations of the NEOs in "
    "`discoveries` (no other objects): the last 5 years before the data time when the station has at least "
    "1,000 of them there, else all time; magnitudes outside 5–30 ignored; stations with fewer than 50 left out.",
    (
        Column("stn", "TEXT", "station code"),
        Column("period", "TEXT", "'last_5_years' or 'all_time': the observations used"),
        Column("n", "INTEGER", "observations used", "count"),
        Column("v_median", "REAL", "median V", "mag"),
        Column("v_robust", "REAL", "median + 1.4826 · MAD (median absolute deviation)", "mag"),
        Column("v_mean_1sd", "REAL", "mean + 1 standard deviation (population, ddof = 0)", "mag"),
        Column("v_p95", "REAL", "95th percentile (linear interpolation)", "mag"),
    ),
    primary_key=("stn",),
    since=2,
)

MISSING_DISCOVERIES = Table(
    "missing_discoveries",
    "NEOs (by the predicate) for which no non-deprecated disc='*' observation was found.",
    (
        *DESIGNATION_COLUMNS,
        Q_COLUMN,
        H_COLUMN,
        Column("n_obs", "INTEGER", "non-deprecated observations found for the object", "count"),
        Column("e", "REAL", "eccentricity", "", nullable=True, since=2),
        Column("i", "REAL", "inclination", "deg", nullable=True, since=2),
    ),
    primary_key=("provid",),
)

TABLES: tuple[Table, ...] = (META, DISCOVERIES, APPARITIONS, STATIONS, MISSING_DISCOVERIES, LIFETIME, SITE_DEPTH)
TABLES_BY_NAME: dict[str, Table] = {t.name: t for t in TABLES}


def tables_of(version: int) -> tuple[Table, ...]:
    """The tables (with their columns) of schema ``version``; the current one by default elsewhere."""
    if version not in SUPPORTED_VERSIONS:
        raise ValueError(f"schema version {version} is not one of {SUPPORTED_VERSIONS}")
    return tuple(t.at(version) for t in TABLES if t.since <= version)


def version_of(meta: Mapping[str, str] | None) -> int:
    """The schema version a snapshot's ``meta`` records (−1 when unreadable).

    Every published file records it; a file without one is read as the current version (and the
    validator reports the missing key).
    """
    try:
        return int((meta or {}).get("schema_version") or SCHEMA_VERSION)
    except ValueError:
        return -1


META_KEYS: dict[str, str] = {
    "schema_version": "integer; the SCHEMA_VERSION the file was written with",
    "snapshot_id": "unique id of this snapshot (UTC timestamp + short hash), also in its file name",
    "created_utc": "when the snapshot was built (ISO 8601 UTC)",
    "source": "human description of the source (the database's name only, never its role, host or port: "
    "snapshots are public; or 'synthetic sky seed=… scale=…')",
    "synthetic": "'1' when the data come from the synthetic sky generator, '0' for real data",
    "newest_observation_utc": "newest obs_sbn.obstime seen by the export (ISO 8601 UTC): the data time",
    "neo_predicate": "the NEO predicate used, e.g. 'q <= 1.30'",
    "apparition_half_window_days": "half-width of the apparition window in days",
    "apparition_windows_days": "comma-separated windows W of the apparition counts",
    "tracklet_half_window_hours": "half-width of the discovery-tracklet time window in hours",
    "exporter_version": "version of the package that wrote the snapshot",
    "row_counts": "JSON object table → row count, as written",
}


DATA_DIRECTORY_FILES: tuple[tuple[str, str], ...] = (
    (
        "snapshot-<id>.sqlite",
        "a published snapshot, mode 0444, never modified; `<id>` is `meta.snapshot_id` "
        "(UTC time stamp with microseconds + a hash of the table contents)",
    ),
    (
        "snapshot-<id>.frames/",
        "its Arrow companion, which the app memory-maps (shared by every process): one uncompressed Arrow IPC "
        "(Feather v2) file per data table in the dtypes the app computes with, and `manifest.json` with the "
        "snapshot's `meta`, each file's size, rows and SHA-256, the SQLite file's size and SHA-256, and the checks "
        "the publisher ran; files 0444, directory 0775. Snapshots without one (older exporters) get one built "
        "once into `FRAMES_CACHE_DIR`",
    ),
    ("CURRENT", "one line naming the snapshot file to serve; replaced atomically"),
    (
        "status.json",
        "the last refresh: `state` (running, succeeded, failed; read back as interrupted when its publisher "
        "died), `stage`, `started_utc`, `finished_utc`, `pid`, `host`, `snapshot_id`, `error`",
    ),
    (".publish.lock", "held (flock) by the one running publisher; any UID of the directory's group can take it"),
    (
        ".build-*, .CURRENT.tmp-*, .status.tmp-*",
        "temporary files of a running publisher; a later run removes those left by a killed one",
    ),
)
"""Files in the data directory (``DATA_DIR``) as ``publish.py`` writes them."""


def create_statements(version: int = SCHEMA_VERSION) -> list[str]:
    """``CREATE TABLE`` and ``CREATE INDEX`` statements for an empty snapshot of schema ``version``."""
    out = []
    for t in tables_of(version):
        cols = [f"{c.name} {c.sql_type}{'' if c.nullable else ' NOT NULL'}" for c in t.columns]
        if t.primary_key:
            cols.append(f"PRIMARY KEY ({', '.join(t.primary_key)})")
        out.append(f"CREATE TABLE {t.name} (\n  " + ",\n  ".join(cols) + "\n)")
        for idx in t.indexes:
            out.append(f"CREATE INDEX idx_{t.name}_{'_'.join(idx)} ON {t.name} ({', '.join(idx)})")
    return out


def markdown() -> str:
    """The schema as a Markdown document (written to ``docs/snapshot-schema.md``)."""
    lines = [
        "# Snapshot schema",
        "",
        "Generated from `dashboard_app/snapshot/schema.py` by",
        "`python -m dashboard_app.snapshot.schema > docs/snapshot-schema.md`;",
        "a test fails when this file and the code disagree.",
        "",
        f"Schema version: **{SCHEMA_VERSION}**. This code also serves version "
        + ", ".join(str(v) for v in SUPPORTED_VERSIONS if v != SCHEMA_VERSION)
        + " files (tables and columns marked *since v2* are absent there; tabs that need them say so), "
        "so a new app version keeps serving the snapshot already in the volume until the next export.",
        "",
        (__doc__ or "").split("\n\n", 2)[2].strip(),
        "",
    ]
    for t in TABLES:
        lines += [f"## `{t.name}`" + (f" (since v{t.since})" if t.since > 1 else ""), "", t.meaning, ""]
        if t.primary_key:
            lines += [f"Primary key: `({', '.join(t.primary_key)})`.", ""]
        if t.indexes:
            lines += ["Indexes: " + ", ".join(f"`({', '.join(i)})`" for i in t.indexes) + ".", ""]
        lines += ["| Column | Type | Null | Unit | Meaning |", "|---|---|---|---|---|"]
        for c in t.columns:
            since = f" *since v{c.since}*" if c.since > t.since else ""
            lines.append(
                f"| `{c.name}` | {c.sql_type} | {'yes' if c.nullable else 'no'} | {c.unit} | {c.meaning}{since} |"
            )
        lines.append("")
    lines += ["## `meta` keys", "", "| Key | Meaning |", "|---|---|"]
    lines += [f"| `{k}` | {v} |" for k, v in META_KEYS.items()]
    lines += ["", "## The data directory", "", "Snapshots are published into one directory, `DATA_DIR`:", ""]
    lines += ["| File | Meaning |", "|---|---|"]
    lines += [f"| `{name}` | {meaning} |" for name, meaning in DATA_DIRECTORY_FILES]
    lines += ["", "The newest N snapshots are kept (never the current one or the one before it)."]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # pragma: no cover - documentation generator
    print(markdown(), end="")
