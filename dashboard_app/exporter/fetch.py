"""Stream a query's rows out of PostgreSQL with ``COPY … TO STDOUT`` into a typed pandas frame.

COPY streams rows as the server produces them (no server-side result set held
in memory, no Python object per value); the text is gathered in one buffer
and pyarrow's multi-threaded CSV reader parses it with declared column types.
The time until the last row has arrived (the server executing the query plus
the transfer) is measured separately from parsing, for the benchmark's
"inside PostgreSQL" figure.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import pandas as pd
import psycopg
import pyarrow as pa
from psycopg import sql
from pyarrow import csv as pacsv

BLOCK_SIZE = 4 << 20


def _read_all(copy: psycopg.Copy) -> bytearray:
    """Every row of a ``COPY … TO STDOUT`` in one buffer.

    libpq hands COPY data over one row at a time, so this loop does as little
    Python work per row as it can; the buffer is parsed afterwards in one go.
    """
    read, data = copy.read, bytearray()
    while chunk := read():
        data += chunk  # copies and lets libpq free its row buffer at once
    return data


@dataclass
class Fetched:
    """A fetched frame and what it cost."""

    frame: pd.DataFrame
    wait_s: float
    total_s: float
    bytes: int


def copy_frame(conn: psycopg.Connection, query: sql.Composable, columns: dict[str, pa.DataType]) -> Fetched:
    """Run ``query`` through ``COPY (query) TO STDOUT (FORMAT csv)`` and parse it into a frame.

    ``columns`` names the query's output columns in order with their Arrow types;
    SQL NULL becomes a missing value, an empty string stays an empty string.
    """
    start = time.perf_counter()
    statement = sql.SQL("COPY ({}) TO STDOUT WITH (FORMAT csv)").format(query)
    read = pacsv.ReadOptions(column_names=list(columns), block_size=BLOCK_SIZE, use_threads=True)
    convert = pacsv.ConvertOptions(
        column_types=columns, strings_can_be_null=True, quoted_strings_can_be_null=False, null_values=[""]
    )
    with conn.cursor() as cur, cur.copy(statement) as copy:
        raw = _read_all(copy)
    wait_s = time.perf_counter() - start  # executing, producing and receiving the rows
    data = pa.py_buffer(raw)  # no copy
    if data.size:
        table = pacsv.read_csv(pa.BufferReader(data), read_options=read, convert_options=convert)
    else:  # no rows: pyarrow refuses an empty CSV file
        table = pa.table({name: pa.array([], type=t) for name, t in columns.items()})
    frame = pd.DataFrame({name: _column(table.column(name)) for name in columns})
    return Fetched(frame, wait_s, time.perf_counter() - start, data.size)


def _column(values: pa.ChunkedArray):
    """NumPy-backed where possible; integers with NULLs become pandas nullable integers, not floats."""
    if pa.types.is_integer(values.type) and values.null_count:
        return pd.array(values.to_pylist(), dtype="Int64")
    return values.to_pandas()
