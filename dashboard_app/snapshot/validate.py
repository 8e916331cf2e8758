"""Check a snapshot file against the contract in ``schema.py`` before anyone trusts it.

Used by the publisher (on the freshly built temporary file) and by the app's
snapshot store (before switching to a new file). Checks, in order: SQLite
integrity, the schema (tables, columns, types, nullability, indexes), the
``meta`` keys and definitions, the recorded row counts, and sane values
(ranges, monotone window counts, references between tables).
"""

from __future__ import annotations

import itertools
import json
import re
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from dashboard_app import definitions as d
from dashboard_app.snapshot import schema
from dashboard_app.snapshot.model import SnapshotError, parse_utc
from dashboard_app.snapshot.schema import count_column

EARLIEST_DISCOVERY_YEAR = 1800
"""No NEO discovery observation predates this year (433 Eros: 1898)."""

TWILIGHT_LABELS: tuple[str, ...] = (*(label for label, _ in d.TWILIGHT_CLASSES), d.TWILIGHT_SPACE, d.TWILIGHT_UNKNOWN)

DATA_TABLES: tuple[str, ...] = tuple(t.name for t in schema.TABLES if t.name != "meta")
"""Tables whose row counts are recorded in ``meta.row_counts`` and compared between snapshots."""

OBS_TYPES: tuple[str, ...] = ("optical", "satellite", "radar", "occultation", "roving")
"""Values of ``obscodes.observations_type`` (``stations.obs_type``)."""
DEPTH_PERIODS: tuple[str, ...] = ("last_5_years", "all_time")


class SnapshotInvalidError(SnapshotError):
    """A snapshot file breaks the contract; ``problems`` lists every finding."""

    def __init__(self, path: Path | str, problems: list[str]):
        self.path = Path(path)
        self.problems = problems
        shown = "; ".join(problems[:8]) + (f"; … and {len(problems) - 8} more" if len(problems) > 8 else "")
        super().__init__(f"snapshot {self.path.name} is invalid: {shown}")


@dataclass(frozen=True)
class Check:
    """One value rule: rows of ``table`` where ``condition`` is not true break it."""

    table: str
    condition: str
    description: str


def definition_meta() -> dict[str, str]:
    """The ``meta`` entries that record the definitions this code uses."""
    return {
        "neo_predicate": d.NEO_PREDICATE_SQL,
        "apparition_half_window_days": str(d.APPARITION_HALF_WINDOW_DAYS),
        "apparition_windows_days": ",".join(str(w) for w in d.APPARITION_WINDOWS_DAYS),
        "tracklet_half_window_hours": f"{d.TRACKLET_HALF_WINDOW_HOURS:g}",
    }


def _value_checks(max_year: int) -> list[Check]:
    half = d.APPARITION_HALF_WINDOW_DAYS
    twilight = ", ".join(f"'{t}'" for t in TWILIGHT_LABELS)
    checks = [
        Check("discoveries", "neo_id >= 1", "neo_id below 1"),
        Check("discoveries", f"disc_year BETWEEN {EARLIEST_DISCOVERY_YEAR} AND {max_year}", "disc_year out of range"),
        Check(
            "discoveries",
            "disc_time GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9]*Z'",
            "disc_time not ISO 8601 UTC with 'Z'",
        ),
        Check("discoveries", "CAST(substr(disc_time, 1, 4) AS INTEGER) = disc_year", "disc_year ≠ year of disc_time"),
        Check("discoveries", "trk_nobs >= 1", "discovery tracklet with no observation"),
        Check("discoveries", "trk_ra >= 0 AND trk_ra < 360", "trk_ra outside [0, 360)"),
        Check("discoveries", "trk_dec BETWEEN -90 AND 90", "trk_dec outside [-90, 90]"),
        Check("discoveries", "trk_rate IS NULL OR trk_rate >= 0", "negative trk_rate"),
        Check("discoveries", "trk_pa IS NULL OR (trk_pa >= 0 AND trk_pa < 360)", "trk_pa outside [0, 360)"),
        Check("discoveries", "(trk_rate IS NULL) = (trk_pa IS NULL)", "only one of trk_rate/trk_pa is NULL"),
        Check("discoveries", "sun_elong BETWEEN -180 AND 180", "sun_elong outside [-180, 180]"),
        Check("discoveries", "sun_alt IS NULL OR sun_alt BETWEEN -90 AND 90", "sun_alt outside [-90, 90]"),
        Check("discoveries", f"twilight IN ({twilight})", "unknown twilight class"),
        Check(
            "discoveries",
            f"(sun_alt IS NULL) = (twilight IN ('{d.TWILIGHT_SPACE}', '{d.TWILIGHT_UNKNOWN}'))",
            "twilight class disagrees with sun_alt being NULL",
        ),
        Check("discoveries", "moon_elong BETWEEN 0 AND 180", "moon_elong outside [0, 180]"),
        Check("discoveries", "moon_illum BETWEEN 0 AND 1", "moon_illum outside [0, 1]"),
        Check("discoveries", "disc_stn IN (SELECT stn FROM stations)", "disc_stn missing from stations"),
        Check(
            "discoveries",
            "EXISTS (SELECT 1 FROM apparitions a WHERE a.neo_id = discoveries.neo_id "
            "AND a.stn = discoveries.disc_stn AND a.first_post_dt = 0)",
            "no apparitions row of the discovering station at Δt = 0",
        ),
        Check("apparitions", "neo_id IN (SELECT neo_id FROM discoveries)", "neo_id missing from discoveries"),
        Check("apparitions", "stn IN (SELECT stn FROM stations)", "stn missing from stations"),
        Check("apparitions", f"first_dt BETWEEN -{half} AND {half}", f"first_dt outside ±{half} d"),
        Check(
            "apparitions",
            f"first_post_dt IS NULL OR (first_post_dt BETWEEN 0 AND {half} AND first_post_dt >= first_dt)",
            f"first_post_dt outside [max(0, first_dt), {half}] d",
        ),
        Check(
            "apparitions",
            f"{count_column('obs', 'any', half)} >= 1",
            f"row without any observation within ±{half} d",
        ),
        Check(
            "apparitions",
            f"(first_post_dt IS NULL) = ({count_column('obs', 'post', half)} = 0)",
            "first_post_dt disagrees with the post-discovery count",
        ),
        Check("stations", "ground IN (0, 1) AND in_obscodes IN (0, 1)", "ground/in_obscodes not 0 or 1"),
        Check(
            "stations",
            "in_obscodes = 1 OR (longitude IS NULL AND rhocosphi IS NULL AND rhosinphi IS NULL AND ground = 0)",
            "station missing from obscodes has coordinates",
        ),
        Check("missing_discoveries", "n_obs >= 0", "negative n_obs"),
        Check(
            "missing_discoveries",
            "provid NOT IN (SELECT provid FROM discoveries)",
            "provid also has a discovery",
        ),
    ]
    for table in ("discoveries", "missing_discoveries"):  # both hold NEOs with their orbit
        checks += [
            Check(table, f"q > 0 AND q <= {d.NEO_Q_MAX_AU!r}", f"q outside (0, {d.NEO_Q_MAX_AU}] au"),
            Check(table, f"h IS NULL OR h > {d.H_UNKNOWN_AT_OR_BELOW!r}", "H sentinel stored instead of NULL"),
        ]
    obs_types = ", ".join(f"'{t}'" for t in OBS_TYPES)
    periods = ", ".join(f"'{p}'" for p in DEPTH_PERIODS)
    checks += [  # schema v2
        Check("stations", f"obs_type IS NULL OR obs_type IN ({obs_types})", "unknown obs_type"),
        Check("stations", "latitude IS NULL OR latitude BETWEEN -90 AND 90", "latitude outside [-90, 90]"),
        Check("stations", "(latitude IS NULL) = (ground = 0)", "latitude without ground coordinates, or missing"),
        Check("missing_discoveries", "e IS NULL OR e >= 0", "negative e"),
        Check("missing_discoveries", "i IS NULL OR i BETWEEN 0 AND 180", "i outside [0, 180]"),
        Check("lifetime", "neo_id IN (SELECT neo_id FROM discoveries)", "neo_id missing from discoveries"),
        Check("lifetime", "stn IN (SELECT stn FROM stations)", "stn missing from stations"),
        Check("lifetime", "n_trk >= 1 AND n_obs >= n_trk", "counts below 1 or more tracklets than observations"),
        Check("lifetime", "first_dt <= last_dt", "first_dt after last_dt"),
        Check(
            "lifetime",
            "NOT EXISTS (SELECT 1 FROM apparitions a WHERE a.neo_id = lifetime.neo_id AND a.stn = lifetime.stn "
            f"AND (a.first_dt < lifetime.first_dt OR a.{count_column('obs', 'any', half)} > lifetime.n_obs))",
            "fewer observations or a later first one than the apparition row",
        ),
        Check("site_depth", "stn IN (SELECT stn FROM stations)", "stn missing from stations"),
        Check("site_depth", f"period IN ({periods})", "unknown period"),
        Check("site_depth", f"n >= {d.SITE_DEPTH_MIN_OBS}", f"fewer than {d.SITE_DEPTH_MIN_OBS} observations"),
        Check(
            "site_depth",
            f"v_median BETWEEN {d.SITE_DEPTH_V_RANGE[0]} AND {d.SITE_DEPTH_V_RANGE[1]} "
            f"AND v_p95 BETWEEN v_median AND {d.SITE_DEPTH_V_RANGE[1]} AND v_robust >= v_median "
            "AND v_mean_1sd IS NOT NULL",
            "depth statistics out of range or order",
        ),
    ]
    return checks + _count_checks(d.APPARITION_WINDOWS_DAYS)


def _count_checks(windows: tuple[int, ...]) -> list[Check]:
    """Window counts are ≥ 0, grow with W, either side ≥ after discovery, tracklets ≤ observations."""
    col = schema.count_column
    checks = []
    for kind in schema.COUNT_KINDS:
        for side in schema.COUNT_SIDES:
            first = col(kind, side, windows[0])
            checks.append(Check("apparitions", f"{first} >= 0", f"negative {first}"))
            for w1, w2 in itertools.pairwise(windows):
                c1, c2 = col(kind, side, w1), col(kind, side, w2)
                checks.append(Check("apparitions", f"{c1} <= {c2}", f"not monotone in W: {c1} > {c2}"))
    for w in windows:
        for kind in schema.COUNT_KINDS:
            any_w, post_w = col(kind, "any", w), col(kind, "post", w)
            checks.append(Check("apparitions", f"{any_w} >= {post_w}", f"{any_w} < post"))
        for side in schema.COUNT_SIDES:
            checks.append(
                Check(
                    "apparitions",
                    f"{col('trk', side, w)} <= {col('obs', side, w)}",
                    f"more tracklets than obs ({side}_{w})",
                )
            )
    return checks


def _present_tables(con: sqlite3.Connection) -> set[str]:
    query = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    return {name for (name,) in con.execute(query)}


def file_version(con: sqlite3.Connection) -> int:
    """The schema version recorded in the file's ``meta`` (the current one without; −1 when unreadable)."""
    if "meta" not in _present_tables(con):
        return schema.SCHEMA_VERSION  # the schema check reports the missing table
    row = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    return schema.version_of({"schema_version": row[0]} if row else None)


def _schema_problems(con: sqlite3.Connection, version: int) -> list[str]:
    problems = []
    present = _present_tables(con)
    tables = schema.tables_of(version)
    expected = {t.name for t in tables}
    problems += [f"table {name} is missing" for name in sorted(expected - present)]
    problems += [f"unexpected table {name}" for name in sorted(present - expected)]
    for table in tables:
        if table.name not in present:
            continue
        actual = [(r[1], r[2].upper(), bool(r[3])) for r in con.execute(f"PRAGMA table_info({table.name})")]
        wanted = [(c.name, c.sql_type, not c.nullable) for c in table.columns]
        if actual != wanted:
            diff = sorted(set(actual) ^ set(wanted))
            problems.append(f"table {table.name} columns differ from schema v{version}: {diff[:6]}")
        indexed = {
            tuple(r[2] for r in con.execute(f"PRAGMA index_info({name!r})"))
            for (name,) in con.execute(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ?", (table.name,)
            )
        }
        problems += [f"index {table.name}({', '.join(i)}) is missing" for i in table.indexes if i not in indexed]
    return problems


def _meta_problems(meta: dict[str, str], counts: dict[str, int], max_year: int) -> list[str]:
    problems = [f"meta key {k} is missing or empty" for k in schema.META_KEYS if not meta.get(k)]
    if meta.get("schema_version") and schema.version_of(meta) not in schema.SUPPORTED_VERSIONS:
        readable = ", ".join(str(v) for v in schema.SUPPORTED_VERSIONS)
        problems.append(f"schema_version is {meta['schema_version']}, this code reads {readable}: re-export")
    if meta.get("synthetic") not in (None, "", "0", "1"):
        problems.append(f"meta synthetic must be '0' or '1', not {meta['synthetic']!r}")
    for key, value in definition_meta().items():
        if meta.get(key) and meta[key] != value:
            problems.append(f"meta {key} is {meta[key]!r} but the code defines {value!r}: re-export")
    for key in ("created_utc", "newest_observation_utc"):
        if meta.get(key):
            try:
                year = parse_utc(meta[key]).year
            except ValueError:
                problems.append(f"meta {key} is not an ISO 8601 time: {meta[key]!r}")
                continue
            if not EARLIEST_DISCOVERY_YEAR <= year <= max_year:
                problems.append(f"meta {key} year {year} is out of range")
    if meta.get("row_counts"):
        try:
            recorded = {str(k): int(v) for k, v in json.loads(meta["row_counts"]).items()}
        except (ValueError, TypeError, AttributeError):
            problems.append("meta row_counts is not a JSON object of integers")
        else:
            if recorded != counts:
                problems.append(f"meta row_counts {recorded} differ from the actual counts {counts}")
    return problems


def _value_problems(con: sqlite3.Connection, max_year: int, version: int) -> list[str]:
    problems = []
    by_table: dict[str, list[Check]] = {}
    tables = schema.tables_of(version)
    columns = {t.name: set(t.column_names) | {t.name for t in tables} for t in tables}
    for check in _value_checks(max_year):  # only the rules whose table and columns this version has
        if check.table in columns and _names_in(check.condition) & _V2_NAMES <= columns[check.table]:
            by_table.setdefault(check.table, []).append(check)
    for table, checks in by_table.items():
        # One scan per table: count the rows breaking each rule.
        sums = ", ".join(f"SUM(CASE WHEN ({c.condition}) IS NOT 1 THEN 1 ELSE 0 END)" for c in checks)
        row = con.execute(f"SELECT {sums} FROM {table}").fetchone()
        for check, bad in zip(checks, row, strict=True):
            if bad:
                problems.append(f"{table}: {bad} row(s) with {check.description}")
    ids = con.execute("SELECT COUNT(*), MIN(neo_id), MAX(neo_id) FROM discoveries").fetchone()
    if ids[0] and (ids[1] != 1 or ids[2] != ids[0]):
        problems.append(f"discoveries: neo_id must run 1..{ids[0]}, found {ids[1]}..{ids[2]}")
    out_of_order = con.execute(
        "SELECT COUNT(*) FROM (SELECT neo_id, ROW_NUMBER() OVER (ORDER BY provid) AS rn FROM discoveries) "
        "WHERE neo_id != rn"
    ).fetchone()[0]
    if out_of_order:
        problems.append(f"discoveries: {out_of_order} neo_id(s) not in ascending provid order")
    return problems


_V2_NAMES = {c.name for t in schema.TABLES for c in t.columns if c.since > t.since} | {
    t.name for t in schema.TABLES if t.since > 1
}
"""Column and table names a version-1 file lacks: value rules naming them run on version 2 files only."""


def _names_in(condition: str) -> set[str]:
    return set(re.findall(r"[A-Za-z_][A-Za-z_0-9]*", condition))


def table_counts(con: sqlite3.Connection) -> dict[str, int]:
    """Row count of every data table the file has (not ``meta``; a version-1 file has fewer)."""
    present = _present_tables(con)
    return {t: con.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in DATA_TABLES if t in present}


def check_snapshot(con: sqlite3.Connection, *, quick: bool = False, now: datetime | None = None) -> list[str]:
    """Every way the open snapshot breaks the contract (empty list: valid).

    ``quick`` uses ``PRAGMA quick_check`` instead of the full ``integrity_check``.
    ``now`` bounds plausible years (default: the current UTC time).
    """
    max_year = (now or datetime.now(UTC)).year + 1
    try:
        pragma = "quick_check" if quick else "integrity_check"
        result = [r[0] for r in con.execute(f"PRAGMA {pragma}(20)")]
        if result != ["ok"]:
            return [f"SQLite {pragma} failed: {'; '.join(result)}"]
        version = file_version(con)
        if version not in schema.SUPPORTED_VERSIONS:
            readable = ", ".join(str(v) for v in schema.SUPPORTED_VERSIONS)
            return [f"schema_version is {version}, this code reads {readable}: re-export"]
        problems = _schema_problems(con, version)
        if problems:
            return problems
        meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
        counts = table_counts(con)
        return _meta_problems(meta, counts, max_year) + _value_problems(con, max_year, version)
    except sqlite3.DatabaseError as exc:
        return [f"SQLite cannot read the file: {exc}"]


def checks_run(*, quick: bool = False) -> list[str]:
    """Names of the checks :func:`validate_snapshot` runs (recorded in a companion's manifest)."""
    return [
        f"PRAGMA {'quick_check' if quick else 'integrity_check'}",
        f"schema v{schema.SCHEMA_VERSION}: tables, columns, types, indexes",
        "meta keys, definitions and recorded row counts",
        f"{len(_value_checks(datetime.now(UTC).year))} value rules",
    ]


def validate_snapshot(
    path: Path, *, quick: bool = False, immutable: bool = False, now: datetime | None = None
) -> dict[str, str]:
    """Validate the snapshot file at ``path``; return its ``meta`` or raise :class:`SnapshotInvalidError`.

    ``immutable`` opens a published (never again written) file without any locking.
    """
    path = Path(path)
    if not path.is_file():
        raise SnapshotInvalidError(path, ["the file does not exist"])
    try:
        flags = "mode=ro&immutable=1" if immutable else "mode=ro"
        con = sqlite3.connect(f"file:{path.resolve()}?{flags}", uri=True)
    except sqlite3.Error as exc:
        raise SnapshotInvalidError(path, [f"cannot open: {exc}"]) from exc
    try:
        problems = check_snapshot(con, quick=quick, now=now)
        if problems:
            raise SnapshotInvalidError(path, problems)
        return dict(con.execute("SELECT key, value FROM meta").fetchall())
    finally:
        con.close()
