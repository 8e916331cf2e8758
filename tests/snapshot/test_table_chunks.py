"""Reading one table at a time in chunks gives exactly the frames of reading the whole snapshot at once,
and the companion writer's memory is bounded by the largest table, not by the snapshot."""

from __future__ import annotations

import tracemalloc

import pandas as pd
import pytest

from dashboard_app.snapshot import frames, table_chunks
from dashboard_app.snapshot.frames import companion_path, open_companion
from dashboard_app.snapshot.model import read_tables
from dashboard_app.snapshot.publish import publish
from tests.snapshot.rows import tiny_build


@pytest.fixture(scope="module")
def whole(snapshot_file):
    return read_tables(snapshot_file)


@pytest.mark.parametrize("chunk_rows", [7, 1_000, table_chunks.CHUNK_ROWS])
def test_a_table_read_in_chunks_equals_the_table_read_whole(snapshot_file, whole, chunk_rows):
    meta, tables = whole
    assert table_chunks.read_meta(snapshot_file) == meta
    for name, expected in tables.items():
        got = table_chunks.read_table(snapshot_file, meta, name, chunk_rows=chunk_rows)
        # dtypes too: int16/int32 counts, int32 ids, categories (values and order), UTC microseconds
        pd.testing.assert_frame_equal(got, expected, check_exact=True)
        assert got.dtypes.to_dict() == expected.dtypes.to_dict()


def test_large_tables_are_read_in_several_chunks_and_small_ones_whole(snapshot_file, whole):
    meta, tables = whole
    rows = len(tables["apparitions"])
    parts = list(table_chunks.iter_chunks(snapshot_file, meta, "apparitions", chunk_rows=rows // 8))
    assert 7 <= len(parts) <= 9
    assert max(len(p) for p in parts) < rows // 4
    assert sum(len(p) for p in parts) == rows
    # every part already in storage dtypes (the wide declared-type intermediate never spans the table)
    assert all(p.dtypes.to_dict() == tables["apparitions"].dtypes.to_dict() for p in parts)
    assert len(list(table_chunks.iter_chunks(snapshot_file, meta, "stations", chunk_rows=10))) == 1


def _storage_bytes(frame: pd.DataFrame) -> int:
    return int(frame.memory_usage(index=False, deep=True).sum())


def test_the_companion_writer_holds_one_table_at_a_time(tmp_path):
    """Traced peak (NumPy and Python allocations) of writing and checking a companion, against the
    largest table in storage dtypes. Holding every table at once, or a whole table in its declared
    dtypes (int64 counts: ~3× the storage), or comparing categoricals row by row as objects would
    exceed the bound; the constant covers the 1 MiB read buffers of the checksums."""
    path = publish(tmp_path / "data", tiny_build(30_000), max_row_drop=None).path
    meta, tables = read_tables(path)
    largest = max(_storage_bytes(f) for f in tables.values())
    everything = sum(_storage_bytes(f) for f in tables.values())
    declared = len(tables["apparitions"]) * len(tables["apparitions"].columns) * 8
    del tables
    (tmp_path / "warm").mkdir()
    frames.write_companion(path, companion_path(tmp_path / "warm" / path.name), checks=[])  # imports done
    dest = companion_path(tmp_path / path.name)
    tracemalloc.start()
    try:
        frames.write_companion(path, dest, checks=["test"], chunk_rows=10_000)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    open_companion(dest, snapshot_id=meta["snapshot_id"])  # a valid companion
    print(f"largest table {largest:,} B, all {everything:,} B, apparitions declared {declared:,} B; peak {peak:,} B")
    bound = 1.5 * largest + 2_500_000
    assert bound < min(everything, declared)  # holding every table, or one in declared dtypes, breaks it
    assert peak <= bound
