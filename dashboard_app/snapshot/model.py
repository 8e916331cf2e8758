"""The in-memory snapshot the analyses read: frames with deliberate dtypes plus a memo cache.

``load_snapshot(path)`` opens a snapshot file read-only and immutable and
returns a :class:`Snapshot`. Derived columns that depend on reference data
(size class, survey project) are computed here at load time, so a mapping change
is a code deploy, not a re-export.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from dashboard_app import reference
from dashboard_app.snapshot.schema import TABLES_BY_NAME

T = TypeVar("T")

MEMO_MAX_ENTRIES = 256


class SnapshotError(Exception):
    """A snapshot file cannot be opened, read or trusted; the message says which and why."""


@dataclass(eq=False)
class Snapshot:
    """One loaded, immutable snapshot. Frames must be treated as read-only by every caller.

    Frames (columns as in ``schema.py`` plus the derived ones listed):
    - ``discoveries``: + ``size_class`` (int8, size-class order 1..6, 6 = Unknown H),
      ``project`` (survey project of ``disc_stn``), ``disc_time`` as ``datetime64[ns, UTC]``.
    - ``apparitions``: + ``project`` (survey project of ``stn``).
    - ``stations``: + ``project``.
    - ``missing``: the ``missing_discoveries`` table.
    """

    id: str
    path: Path
    meta: Mapping[str, str]
    discoveries: pd.DataFrame
    apparitions: pd.DataFrame
    stations: pd.DataFrame
    missing: pd.DataFrame
    _memo: OrderedDict[Hashable, Any] = field(default_factory=OrderedDict, repr=False)
    _memo_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

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
        """Return ``compute()`` memoised under ``(name, params)`` for this snapshot (bounded LRU).

        ``params`` must be normalised by the caller (e.g. sorted tuples), so equal views share
        an entry. The cache lives on the snapshot, so a switch never serves mixed data.
        """
        key = (name, params)
        with self._memo_lock:
            if key in self._memo:
                self._memo.move_to_end(key)
                return self._memo[key]
        value = compute()
        with self._memo_lock:
            self._memo[key] = value
            self._memo.move_to_end(key)
            while len(self._memo) > MEMO_MAX_ENTRIES:
                self._memo.popitem(last=False)
        return value


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


def _project_column(codes: pd.Series) -> pd.Series:
    mapping = reference.station_projects()
    names = [p.name for p in reference.projects()]
    values = codes.map(lambda c: mapping.get(c, reference.OTHER_FOLLOWUP_PROJECT))
    return pd.Categorical(values, categories=names)


# table → the query that loads it, in a stable order
_QUERIES: dict[str, str] = {
    "meta": "SELECT key, value FROM meta",
    "discoveries": "SELECT * FROM discoveries ORDER BY neo_id",
    "apparitions": "SELECT * FROM apparitions ORDER BY neo_id, stn",
    "stations": "SELECT * FROM stations ORDER BY stn",
    "missing_discoveries": "SELECT * FROM missing_discoveries ORDER BY provid",
}
_PANDAS_TYPES = {"INTEGER": "int64", "REAL": "float64", "TEXT": "str"}
READERS: tuple[str, ...] = ("adbc", "sqlite3")
"""Ways to read the tables: Arrow ADBC (default: fast, Arrow-backed strings) or ``pandas.read_sql``."""


def _read_sqlite3(path: Path) -> dict[str, pd.DataFrame]:
    con = connect_readonly(path)
    try:
        return {name: pd.read_sql(sql, con) for name, sql in _QUERIES.items()}
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
    try:
        with adbc.connect(f"file:{Path(path).resolve()}?mode=ro&immutable=1") as con, con.cursor() as cur:
            for name, sql in _QUERIES.items():
                # One batch per table: the driver infers column types from the first batch and fails
                # when a nullable column is NULL throughout it. Sized to the table, not "huge": the
                # driver reserves batch-sized buffers, and terabytes of reserved address space make
                # the gunicorn master's fork fail (ENOMEM under heuristic overcommit).
                cur.execute(f"SELECT COUNT(*) FROM {name}")
                rows = cur.fetchone()[0]
                cur.adbc_statement.set_options(**{"adbc.sqlite.query.batch_rows": str(max(rows, 1))})
                cur.execute(sql)
                table = cur.fetch_arrow_table()
                # Declared types, also for columns that are NULL throughout (inferred as int64).
                wanted = pa.schema(
                    [pa.field(c.name, arrow_types[c.sql_type]) for c in TABLES_BY_NAME[name].columns]
                    if name != "meta"
                    else [pa.field("key", pa.string()), pa.field("value", pa.string())]
                )
                # The system allocator: mimalloc (pyarrow's default) keeps ~100 MB of freed
                # intermediate buffers resident in every process that loaded (measured in bench/).
                pool = pa.system_memory_pool()
                frames[name] = table.select(wanted.names).cast(wanted).to_pandas(memory_pool=pool)
    except (adbc.Error, OSError, KeyError, pa.ArrowException) as exc:
        raise SnapshotError(f"cannot read snapshot {path}: {exc}") from exc
    return frames


def _count_dtype(values: pd.Series) -> str:
    """int16 when the counts fit (they nearly always do), else int32: signed, so differences never wrap."""
    return "int16" if len(values) == 0 or int(values.max()) <= np.iinfo(np.int16).max else "int32"


def load_snapshot(path: Path, *, reader: str = "adbc") -> Snapshot:
    """Load a snapshot file into memory with compact dtypes and derived columns.

    ``reader`` picks how tables are read (:data:`READERS`); both give equal frames.
    """
    path = Path(path)
    if reader not in READERS:
        raise ValueError(f"reader must be one of {READERS}, not {reader!r}")
    frames = _read_adbc(path) if reader == "adbc" else _read_sqlite3(path)
    meta = dict(zip(frames["meta"]["key"], frames["meta"]["value"], strict=True))
    if "snapshot_id" not in meta:
        raise SnapshotError(f"snapshot {path} has no snapshot_id in meta")
    for name, table in TABLES_BY_NAME.items():
        if name != "meta":  # declared dtypes, also for columns NULL throughout, whichever reader ran
            frames[name] = frames[name].astype({c.name: _PANDAS_TYPES[c.sql_type] for c in table.columns})
    disc, app = frames["discoveries"], frames["apparitions"]
    stations, missing = frames["stations"], frames["missing_discoveries"]

    disc["disc_time"] = pd.to_datetime(disc["disc_time"], utc=True, format="ISO8601")
    disc["disc_year"] = disc["disc_year"].astype("int16")
    disc["neo_id"] = disc["neo_id"].astype("int32")
    disc["trk_nobs"] = disc["trk_nobs"].astype("int16")
    disc["size_class"] = reference.size_class_orders(disc["h"])
    disc["project"] = _project_column(disc["disc_stn"])
    disc["twilight"] = disc["twilight"].astype("category")
    disc["disc_stn"] = disc["disc_stn"].astype("category")

    app["neo_id"] = app["neo_id"].astype("int32")
    for col in app.columns:
        if col.startswith("n_"):
            app[col] = app[col].astype(_count_dtype(app[col]))
    app["project"] = _project_column(app["stn"])
    app["stn"] = app["stn"].astype("category")
    stations["project"] = _project_column(stations["stn"]).astype(object)

    return Snapshot(
        id=meta["snapshot_id"],
        path=path,
        meta=meta,
        discoveries=disc,
        apparitions=app,
        stations=stations,
        missing=missing,
    )
