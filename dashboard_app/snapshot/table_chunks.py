"""Read one snapshot table at a time, in bounded chunks, into the frames ``model.read_tables`` gives.

The companion writer (``frames.write_companion``) holds one table in storage dtypes at a time
instead of every table in declared dtypes: a chunk of ``chunk_rows`` rows is read through Arrow
ADBC in the declared types (int64/float64/string) and converted to the compact storage dtypes at
once, so the wide intermediate never exists for a whole table. The dtypes a chunk cannot decide
alone (int16 or int32 counts, the categories of station codes) are read from SQLite first.
``tests/snapshot/test_table_chunks.py`` checks that the frames equal ``read_tables``'s, column
for column and dtype for dtype, whatever the chunk size.
"""

from __future__ import annotations

import itertools
import math
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from dashboard_app.snapshot.model import (
    CATEGORICAL_COLUMNS,
    SnapshotError,
    connect_readonly,
    count_columns,
    count_dtype,
    declared_dtypes,
    to_storage,
)
from dashboard_app.snapshot.schema import SUPPORTED_VERSIONS, Table, tables_of, version_of

CHUNK_ROWS = 50_000
"""Rows read at a time: ~50 k rows × 32 columns × 8 bytes ≈ 13 MB of declared-type intermediate."""


def read_meta(path: Path) -> dict[str, str]:
    """The snapshot's ``meta`` (with a ``snapshot_id`` and a schema version this code reads)."""
    con = connect_readonly(path)
    try:
        meta = {str(k): str(v) for k, v in con.execute("SELECT key, value FROM meta").fetchall()}
    except sqlite3.Error as exc:
        raise SnapshotError(f"cannot read snapshot {path}: {exc}") from exc
    finally:
        con.close()
    if "snapshot_id" not in meta:
        raise SnapshotError(f"snapshot {path} has no snapshot_id in meta")
    if version_of(meta) not in SUPPORTED_VERSIONS:
        raise SnapshotError(
            f"snapshot {path} has schema version {version_of(meta)}; this code reads {SUPPORTED_VERSIONS}"
        )
    return meta


def _declared(meta: dict[str, str], name: str) -> Table:
    for table in tables_of(version_of(meta)):
        if table.name == name:
            return table
    raise SnapshotError(f"a schema-{version_of(meta)} snapshot has no table {name}")


def _ranges(con: sqlite3.Connection, table: Table, chunk_rows: int) -> list[str]:
    """WHERE clauses splitting ``table`` into chunks of about ``chunk_rows`` rows (by ``neo_id``)."""
    if table.primary_key[:1] != ("neo_id",):
        return [""]  # the small tables (stations, missing discoveries, site depth): whole
    rows, low, high = con.execute(f"SELECT COUNT(*), MIN(neo_id), MAX(neo_id) FROM {table.name}").fetchone()
    n = math.ceil(rows / chunk_rows) if rows else 1
    if n <= 1:
        return [""]
    step = (high - low + 1) / n
    bounds = [low - 1] + [low - 1 + round(step * i) for i in range(1, n)] + [high]
    return [f"WHERE neo_id > {a} AND neo_id <= {b}" for a, b in itertools.pairwise(bounds) if b > a]


def _fixed_dtypes(con: sqlite3.Connection, table: Table) -> tuple[dict[str, str], dict[str, pd.CategoricalDtype]]:
    """The count dtypes and categories of the whole table (a chunk alone cannot decide them)."""
    names = table.column_names
    counts: dict[str, str] = {}
    wanted = count_columns(table.name, names)
    if wanted:
        largest = con.execute(f"SELECT {', '.join(f'MAX({c})' for c in wanted)} FROM {table.name}").fetchone()
        counts = {c: count_dtype(m) for c, m in zip(wanted, largest, strict=True)}
    categories = {}
    for col in CATEGORICAL_COLUMNS.get(table.name, ()):
        values = [v for (v,) in con.execute(f"SELECT DISTINCT {col} FROM {table.name} WHERE {col} IS NOT NULL")]
        # sorted as pandas sorts a column's categories (code point order), in the column's string dtype
        categories[col] = pd.CategoricalDtype(pd.Index(sorted(values), dtype="str"))
    return counts, categories


def iter_chunks(path: Path, meta: dict[str, str], name: str, *, chunk_rows: int = CHUNK_ROWS) -> Iterator[pd.DataFrame]:
    """Table ``name`` in primary-key order, as consecutive frames of about ``chunk_rows`` rows in storage dtypes."""
    import adbc_driver_sqlite.dbapi as adbc
    import pyarrow as pa

    table = _declared(meta, name)
    con = connect_readonly(path)
    try:
        clauses = _ranges(con, table, chunk_rows)
        counts, categories = _fixed_dtypes(con, table)
        sizes = [con.execute(f"SELECT COUNT(*) FROM {name} {where}").fetchone()[0] for where in clauses]
    except sqlite3.Error as exc:
        raise SnapshotError(f"cannot read snapshot {path}: {exc}") from exc
    finally:
        con.close()
    arrow_types = {"INTEGER": pa.int64(), "REAL": pa.float64(), "TEXT": pa.string()}
    wanted = pa.schema([pa.field(c.name, arrow_types[c.sql_type]) for c in table.columns])
    dtypes = declared_dtypes(table)
    pool = pa.system_memory_pool()  # freed buffers go back to the allocator (see model._read_adbc)
    order = ", ".join(table.primary_key)
    try:
        with adbc.connect(f"file:{Path(path).resolve()}?mode=ro&immutable=1") as db, db.cursor() as cur:
            for where, rows in zip(clauses, sizes, strict=True):
                # one batch per query: the driver infers types from the first batch (see model._read_adbc)
                cur.adbc_statement.set_options(**{"adbc.sqlite.query.batch_rows": str(max(rows, 1))})
                cur.execute(f"SELECT {', '.join(wanted.names)} FROM {name} {where} ORDER BY {order}")
                part = cur.fetch_arrow_table().cast(wanted).to_pandas(memory_pool=pool)
                yield to_storage(name, part.astype(dtypes), counts=counts, categories=categories)
    except (adbc.Error, OSError, pa.ArrowException) as exc:
        raise SnapshotError(f"cannot read snapshot {path}: {exc}") from exc


def read_table(path: Path, meta: dict[str, str], name: str, *, chunk_rows: int = CHUNK_ROWS) -> pd.DataFrame:
    """Table ``name`` of the snapshot at ``path`` in storage dtypes, equal to ``read_tables(path)[1][name]``."""
    parts = list(iter_chunks(path, meta, name, chunk_rows=chunk_rows))
    if len(parts) == 1:
        return parts[0]
    frame = pd.concat(parts, ignore_index=True)
    del parts
    return frame
