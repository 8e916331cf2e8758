"""Stream a query's rows out of PostgreSQL with ``COPY … TO STDOUT`` into a typed pandas frame.

COPY streams rows as the server produces them (no server-side result set held
in memory, no Python object per value); pyarrow's CSV reader parses the stream
block by block with declared column types. The time spent waiting for the
server is measured separately from parsing, for the benchmark's "inside
PostgreSQL" figure.
"""

from __future__ import annotations

import io
import time
from dataclasses import dataclass

import pandas as pd
import psycopg
import pyarrow as pa
from psycopg import sql
from pyarrow import csv as pacsv

BLOCK_SIZE = 4 << 20


class _CopyStream(io.RawIOBase):
    """A read-only byte stream over a psycopg ``Copy`` (``COPY … TO STDOUT``), timing each read."""

    def __init__(self, copy: psycopg.Copy):
        self._copy = copy
        self._pending = memoryview(b"")
        self.wait_s = 0.0
        self.bytes = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        """Fill ``buffer`` with as many whole COPY chunks (rows) as fit; 0 at the end of the data."""
        view = memoryview(buffer).cast("B")
        filled = 0
        while filled < len(view):
            if not self._pending:
                start = time.perf_counter()
                chunk = self._copy.read()
                self.wait_s += time.perf_counter() - start
                if not chunk:
                    break
                self._pending = memoryview(chunk)
                self.bytes += len(chunk)
            n = min(len(view) - filled, len(self._pending))
            view[filled : filled + n] = self._pending[:n]
            self._pending = self._pending[n:]
            filled += n
        return filled


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
    read = pacsv.ReadOptions(column_names=list(columns), block_size=BLOCK_SIZE, use_threads=False)
    convert = pacsv.ConvertOptions(
        column_types=columns, strings_can_be_null=True, quoted_strings_can_be_null=False, null_values=[""]
    )
    with conn.cursor() as cur:
        entered = time.perf_counter()
        copy_cm = cur.copy(statement)
        copy = copy_cm.__enter__()  # sends the statement; returns once the server starts the COPY
        stream = _CopyStream(copy)
        stream.wait_s = time.perf_counter() - entered
        buffered = io.BufferedReader(stream, buffer_size=1 << 20)
        try:
            if buffered.peek(1):
                table = pacsv.open_csv(buffered, read_options=read, convert_options=convert).read_all()
            else:  # no rows: pyarrow refuses an empty CSV stream
                table = pa.table({name: pa.array([], type=t) for name, t in columns.items()})
        except BaseException as exc:
            copy_cm.__exit__(type(exc), exc, exc.__traceback__)
            raise
        copy_cm.__exit__(None, None, None)
    frame = pd.DataFrame({name: _column(table.column(name)) for name in columns})
    return Fetched(frame, stream.wait_s, time.perf_counter() - start, stream.bytes)


def _column(values: pa.ChunkedArray):
    """NumPy-backed where possible; integers with NULLs become pandas nullable integers, not floats."""
    if pa.types.is_integer(values.type) and values.null_count:
        return pd.array(values.to_pylist(), dtype="Int64")
    return values.to_pandas()
