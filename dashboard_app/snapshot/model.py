"""The in-memory snapshot the analyses read: frames with deliberate dtypes plus a memo cache.

``load_snapshot(path)`` returns a :class:`Snapshot`: it maps the snapshot's Arrow companion
(``frames.py``) when there is one, so the frames are shared by every process through the page
cache, and otherwise reads the SQLite file (opened read-only and immutable) into this process.
Derived columns that depend on reference data (size class, survey project) are computed here at
load time, so a mapping change is a code deploy, not a re-export.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import numpy as np
import pandas as pd

from dashboard_app import reference
from dashboard_app.definitions import OTHER_FOLLOWUP_PROJECT
from dashboard_app.snapshot.memo import MemoCache
from dashboard_app.snapshot.schema import SUPPORTED_VERSIONS, Table, tables_of, version_of

T = TypeVar("T")


class SnapshotError(Exception):
    """A snapshot file cannot be opened, read or trusted; the message says which and why."""


@dataclass(eq=False)
class Snapshot:
    """One loaded, immutable snapshot. Frames must be treated as read-only by every caller.

    Frames (columns as in ``schema.py`` plus the derived ones listed):
    - ``discoveries``: + ``size_class`` (int8, size-class order 1..6, 6 = Unknown H),
      ``project`` (:func:`project_of` ``disc_stn``), ``disc_time`` as ``datetime64[ns, UTC]``.
    - ``apparitions``: + ``project`` (:func:`project_of` ``stn``).
    - ``stations``: + ``project`` (:func:`project_of` ``stn``).
    - ``missing``: the ``missing_discoveries`` table.
    - ``lifetime``, ``site_depth`` (schema v2): None while a version-1 file is served; tabs that
      need them say so in their empty state.
    """

    id: str
    path: Path
    meta: Mapping[str, str]
    discoveries: pd.DataFrame
    apparitions: pd.DataFrame
    stations: pd.DataFrame
    missing: pd.DataFrame
    lifetime: pd.DataFrame | None = None
    site_depth: pd.DataFrame | None = None
    memo_cache: MemoCache = field(default_factory=MemoCache, repr=False)
    cache_dir: Path | None = field(default=None, repr=False)
    """Where values derived from the whole snapshot are shared between processes (:meth:`shared`); None: not."""
    _shared: dict[str, object] = field(default_factory=dict, repr=False)

    @property
    def schema_version(self) -> int:
        """The schema version of the file (1 when ``meta`` does not say)."""
        return version_of(self.meta)

    @property
    def synthetic(self) -> bool:
        """True when the data come from the synthetic sky generator."""
        return self.meta.get("synthetic") == "1"

    @property
    def created(self) -> datetime:
        """When the snapshot was built (UTC)."""
        return parse_utc(self.meta["created_utc"])

    @property
    def data_time(self) -> datetime | None:
        """Newest observation time in the source: the time the data describe (UTC)."""
        value = self.meta.get("newest_observation_utc")
        return parse_utc(value) if value else None

    @property
    def row_counts(self) -> dict[str, int]:
        """Table → row count as recorded in ``meta``."""
        return {k: int(v) for k, v in json.loads(self.meta.get("row_counts", "{}")).items()}

    def memo(self, name: str, params: Hashable, compute: Callable[[], T]) -> T:
        """Return ``compute()`` memoised under ``(name, params)`` for this snapshot.

        ``params`` must be normalised by the caller (e.g. sorted tuples), so equal views share
        an entry. Entries are keyed by the snapshot id, so a switch never serves mixed data; the
        cache (the worker's, see ``memo.py``) is bounded by bytes, and concurrent callers asking
        for the same entry wait for one computation. Memoise small derived results; a large
        intermediate that several charts of one answer start from belongs in ``views.per_request``.
        """
        return self.memo_cache.get((self.id, name, params), compute)

    def shared(self, name: str, cls: type[T], compute: Callable[[], T]) -> T:
        """``compute()``, a value derived from the whole snapshot, held once per machine: a dataclass of arrays
        or a frame of numeric and categorical columns (``cls`` names its type).

        With a ``cache_dir`` the first process computes it and every process maps its files
        (``derived.py``): megabytes that would otherwise sit in each worker's memo. Without one (tests,
        scripts), it is memoised in this process like any other result.
        """
        if self.cache_dir is None:
            return self.memo(name, (), compute)
        value = self._shared.get(name)
        if value is None:
            from dashboard_app.snapshot import derived

            value = self._shared[name] = derived.shared_value(self.cache_dir, self.id, name, cls, compute)
        return value  # type: ignore[return-value]


def parse_utc(value: str) -> datetime:
    """Parse an ISO 8601 UTC timestamp as written in snapshots (``...Z``)."""
    dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def format_utc(dt: datetime) -> str:
    """Format a datetime as the snapshot's ISO 8601 UTC text (microseconds, ``Z``)."""
    if dt.tzinfo is not None:
        dt = dt.astimezone(UTC).replace(tzinfo=None)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def connect_readonly(path: Path) -> sqlite3.Connection:
    """Open a snapshot read-only and immutable (no locks, no journal, never written)."""
    uri = f"file:{Path(path).resolve()}?mode=ro&immutable=1"
    try:
        con = sqlite3.connect(uri, uri=True, check_same_thread=False)
        con.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()
    except sqlite3.Error as exc:
        raise SnapshotError(f"cannot open snapshot {path}: {exc}") from exc
    return con


# table → the query that loads it, in a stable order
_QUERIES: dict[str, str] = {
    "meta": "SELECT key, value FROM meta",
    "discoveries": "SELECT * FROM discoveries ORDER BY neo_id",
    "apparitions": "SELECT * FROM apparitions ORDER BY neo_id, stn",
    "stations": "SELECT * FROM stations ORDER BY stn",
    "missing_discoveries": "SELECT * FROM missing_discoveries ORDER BY provid",
    "lifetime": "SELECT * FROM lifetime ORDER BY neo_id, stn",
    "site_depth": "SELECT * FROM site_depth ORDER BY stn",
}
_PANDAS_TYPES = {"INTEGER": "int64", "REAL": "float64", "TEXT": "str"}


def _queries(meta_rows: list[tuple[str, str]], path: Path) -> dict[str, str]:
    """The data tables to read for the schema version ``meta`` records (a version-1 file has fewer)."""
    version = version_of(dict(meta_rows))
    if version not in SUPPORTED_VERSIONS:
        raise SnapshotError(f"snapshot {path} has schema version {version}; this code reads {SUPPORTED_VERSIONS}")
    return {t.name: _QUERIES[t.name] for t in tables_of(version) if t.name != "meta"}


READERS: tuple[str, ...] = ("adbc", "sqlite3")
"""Ways to read the tables: Arrow ADBC (default: fast, Arrow-backed strings) or ``pandas.read_sql``."""


def _read_sqlite3(path: Path) -> dict[str, pd.DataFrame]:
    con = connect_readonly(path)
    try:
        meta = pd.read_sql(_QUERIES["meta"], con)
        queries = _queries(list(zip(meta["key"], meta["value"], strict=True)), path)
        return {"meta": meta} | {name: pd.read_sql(sql, con) for name, sql in queries.items()}
    except (sqlite3.Error, pd.errors.DatabaseError) as exc:
        raise SnapshotError(f"cannot read snapshot {path}: {exc}") from exc
    finally:
        con.close()


def _read_adbc(path: Path) -> dict[str, pd.DataFrame]:
    import adbc_driver_sqlite.dbapi as adbc  # imported on first load, not at import time
    import pyarrow as pa

    arrow_types = {"INTEGER": pa.int64(), "REAL": pa.float64(), "TEXT": pa.string()}
    if not Path(path).is_file():
        raise SnapshotError(f"cannot open snapshot {path}: no such file")
    frames = {}
    meta_schema = pa.schema([pa.field("key", pa.string()), pa.field("value", pa.string())])
    try:
        with adbc.connect(f"file:{Path(path).resolve()}?mode=ro&immutable=1") as con, con.cursor() as cur:

            def read(name: str, sql: str, wanted: pa.Schema) -> pd.DataFrame:
                # One batch per table: the driver infers column types from the first batch and fails
                # when a nullable column is NULL throughout it. Sized to the table, not "huge": the
                # driver reserves batch-sized buffers, and terabytes of reserved address space make
                # the gunicorn master's fork fail (ENOMEM under heuristic overcommit).
                cur.execute(f"SELECT COUNT(*) FROM {name}")
                counted = cur.fetchone()
                rows = int(counted[0]) if counted else 0
                cur.adbc_statement.set_options(**{"adbc.sqlite.query.batch_rows": str(max(rows, 1))})
                cur.execute(sql)
                table = cur.fetch_arrow_table()
                # The system allocator: mimalloc (pyarrow's default) keeps ~100 MB of freed
                # intermediate buffers resident in every process that loaded (measured in bench/).
                pool = pa.system_memory_pool()
                # Declared types, also for columns that are NULL throughout (inferred as int64).
                return table.select(wanted.names).cast(wanted).to_pandas(memory_pool=pool)

            frames["meta"] = read("meta", _QUERIES["meta"], meta_schema)
            meta_rows = list(zip(frames["meta"]["key"], frames["meta"]["value"], strict=True))
            declared = {t.name: t for t in tables_of(version_of(dict(meta_rows)))} if meta_rows else {}
            for name, sql in _queries(meta_rows, path).items():
                columns = declared[name].columns
                frames[name] = read(name, sql, pa.schema([pa.field(c.name, arrow_types[c.sql_type]) for c in columns]))
    except (adbc.Error, OSError, KeyError, pa.ArrowException) as exc:
        raise SnapshotError(f"cannot read snapshot {path}: {exc}") from exc
    return frames


def _count_dtype(values: pd.Series) -> str:
    """int16 when the counts fit (they nearly always do), else int32: signed, so differences never wrap."""
    return count_dtype(int(values.max()) if len(values) else None)


def count_dtype(largest: int | None) -> str:
    """The storage dtype of a count column whose largest value is ``largest`` (None: no rows)."""
    return "int16" if largest is None or largest <= np.iinfo(np.int16).max else "int32"


CATEGORICAL_COLUMNS: dict[str, tuple[str, ...]] = {
    "discoveries": ("twilight", "disc_stn"),
    "apparitions": ("stn",),
    "lifetime": ("stn",),
}
"""Columns stored as categoricals (categories: the column's distinct values, sorted)."""


def count_columns(table: str, columns: Sequence[str]) -> tuple[str, ...]:
    """The count columns of ``table`` stored as int16 (int32 when a value does not fit)."""
    if table == "apparitions":
        return tuple(c for c in columns if c.startswith("n_"))
    if table == "lifetime":
        return ("n_obs", "n_trk")
    return ()


def to_storage(
    table: str,
    frame: pd.DataFrame,
    *,
    counts: Mapping[str, str] | None = None,
    categories: Mapping[str, pd.CategoricalDtype] | None = None,
) -> pd.DataFrame:
    """``frame`` (one table in its declared dtypes) in storage dtypes, converted in place and returned.

    ``counts`` (column → dtype) and ``categories`` (column → dtype) fix the dtypes a part of a
    table cannot decide alone (a table read in chunks); by default they follow ``frame``.
    """
    counts, categories = counts or {}, categories or {}
    if table == "discoveries":
        frame["disc_time"] = pd.to_datetime(frame["disc_time"], utc=True, format="ISO8601").astype(
            "datetime64[us, UTC]"
        )
        frame["disc_year"] = frame["disc_year"].astype("int16")
        frame["trk_nobs"] = frame["trk_nobs"].astype("int16")
    if table in ("discoveries", "apparitions", "lifetime"):
        frame["neo_id"] = frame["neo_id"].astype("int32")
    for col in count_columns(table, list(frame.columns)):
        frame[col] = frame[col].astype(counts.get(col) or _count_dtype(frame[col]))
    for col in CATEGORICAL_COLUMNS.get(table, ()):
        frame[col] = frame[col].astype(categories.get(col, "category"))
    return frame


def declared_dtypes(table: Table) -> dict[str, str]:
    """Column → pandas dtype of the table's declared SQL types (before :func:`to_storage`)."""
    return {c.name: _PANDAS_TYPES[c.sql_type] for c in table.columns}


def read_tables(path: Path, *, reader: str = "adbc") -> tuple[dict[str, str], dict[str, pd.DataFrame]]:
    """Read a SQLite snapshot's ``meta`` and data tables in their storage dtypes (what the companion holds).

    Storage dtypes (:func:`to_storage`): declared types, compact integers (``neo_id`` int32, counts
    int16 when they fit), ``disc_time`` as ``datetime64[us, UTC]``, station codes and twilight classes
    as categoricals. ``reader`` picks how tables are read (:data:`READERS`); both give equal frames.
    ``snapshot/table_chunks.py`` reads one table at a time in bounded chunks to the same frames.
    """
    path = Path(path)
    if reader not in READERS:
        raise ValueError(f"reader must be one of {READERS}, not {reader!r}")
    frames = _read_adbc(path) if reader == "adbc" else _read_sqlite3(path)
    meta_frame = frames.pop("meta")
    meta = dict(zip(meta_frame["key"], meta_frame["value"], strict=True))
    if "snapshot_id" not in meta:
        raise SnapshotError(f"snapshot {path} has no snapshot_id in meta")
    for table in tables_of(version_of(meta)):
        if table.name != "meta":  # declared dtypes, also for columns NULL throughout, whichever reader ran
            frames[table.name] = to_storage(table.name, frames[table.name].astype(declared_dtypes(table)))
    return meta, frames


def project_of(stn: str) -> str:
    """Survey project of a station code: the project ``reference/station_projects.csv`` maps it to, else
    "Other Follow-up" (:data:`~dashboard_app.definitions.OTHER_FOLLOWUP_PROJECT`).

    The one home of the project-of-station rule: the loader's ``project`` columns, the analyses
    and the tabs all derive a station's project from it (or from those columns).
    """
    return reference.station_projects().get(stn, OTHER_FOLLOWUP_PROJECT)


def project_column(stations: pd.Series) -> pd.Categorical:
    """:func:`project_of` each station code, mapped once per distinct code (not per row).

    Categories are the reference projects in display order (``reference.projects()``).
    """
    names = [p.name for p in reference.projects()]
    codes = stations.astype("category")
    per_code = pd.Index(names).get_indexer([project_of(str(c)) for c in codes.cat.categories])
    rows = codes.cat.codes.to_numpy()
    return pd.Categorical.from_codes(np.where(rows >= 0, per_code[rows], -1), categories=names)


def snapshot_from_tables(
    path: Path,
    meta: Mapping[str, str],
    tables: Mapping[str, pd.DataFrame],
    memo: MemoCache | None = None,
    cache_dir: Path | None = None,
) -> Snapshot:
    """A :class:`Snapshot` over tables in storage dtypes, adding the columns derived from reference data.

    The storage columns are used as they are (mapped companion columns stay shared); only the
    derived columns (``size_class``, ``project``; a few hundred kB) are built in this process.
    """
    disc = tables["discoveries"].copy(deep=False)
    app = tables["apparitions"].copy(deep=False)
    stations = tables["stations"].copy(deep=False)
    disc["size_class"] = reference.size_class_orders(disc["h"])
    disc["project"] = project_column(disc["disc_stn"])
    app["project"] = project_column(app["stn"])
    stations["project"] = project_column(stations["stn"]).astype(object)
    return Snapshot(
        id=meta["snapshot_id"],
        path=Path(path),
        meta=dict(meta),
        discoveries=disc,
        apparitions=app,
        stations=stations,
        missing=tables["missing_discoveries"],
        lifetime=tables.get("lifetime"),
        site_depth=tables.get("site_depth"),
        memo_cache=memo if memo is not None else MemoCache(),
        cache_dir=cache_dir,
    )


def load_snapshot(path: Path, *, reader: str = "auto", memo: MemoCache | None = None) -> Snapshot:
    """Load a snapshot file: map its companion when it has one, else read the SQLite tables.

    ``reader``: ``auto`` (the companion beside the file if present, else ``adbc``), ``frames``
    (the companion; :class:`SnapshotError` without one), or one of :data:`READERS`.
    """
    from dashboard_app.snapshot import frames  # the companion module builds on this one

    path = Path(path)
    companion = frames.companion_path(path)
    if reader == "frames" or (reader == "auto" and companion.is_dir()):
        meta, tables = frames.open_companion(companion, snapshot_id=frames.snapshot_id_of(path), snapshot_path=path)
    else:
        meta, tables = read_tables(path, reader="adbc" if reader == "auto" else reader)
    return snapshot_from_tables(path, meta, tables, memo)
