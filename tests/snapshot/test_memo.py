"""The memo cache: bounded by bytes, least recently used out first, one computation per key at a time."""

from __future__ import annotations

import gc
import sys
import threading
import time
import tracemalloc
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from dashboard_app.app import build_store
from dashboard_app.settings import load_settings
from dashboard_app.snapshot import memo
from dashboard_app.snapshot.memo import MemoCache, estimate_bytes

KB = 1024


def _block(kb: int, fill: int = 0) -> np.ndarray:
    return np.full(kb * KB, fill, dtype=np.uint8)


def test_entries_are_evicted_least_recently_used_first_when_the_bytes_exceed_the_budget():
    cache = MemoCache(max_bytes=1000 * KB)
    for name in ("a", "b", "c"):
        cache.get(("s", name, ()), lambda: _block(300))
    assert cache.stats().entries == 3
    cache.get(("s", "a", ()), lambda: pytest.fail("a is cached"))  # a is now the most recently used
    cache.get(("s", "d", ()), lambda: _block(300))  # 4 × 300 kB > 1000 kB: b (least recent) goes
    stats = cache.stats()
    assert stats.entries == 3 and stats.evictions == 1
    assert stats.bytes <= 1000 * KB
    recomputed = []
    cache.get(("s", "b", ()), lambda: recomputed.append("b") or _block(300))
    assert recomputed == ["b"]
    for name in ("a", "d"):  # still there (the last insert evicted c, now least recent)
        cache.get(("s", name, ()), lambda name=name: pytest.fail(f"{name} was evicted"))


def test_many_small_entries_fit_where_few_large_ones_do_not():
    cache = MemoCache(max_bytes=2000 * KB)
    for i in range(100):
        cache.get(("s", "small", i), lambda: _block(10))
    assert cache.stats().entries == 100
    for i in range(10):
        cache.get(("s", "large", i), lambda: _block(500))
    stats = cache.stats()
    assert stats.bytes <= 2000 * KB
    assert stats.entries == 3  # only the three newest large entries fit


def test_a_value_larger_than_the_whole_budget_is_returned_but_not_kept():
    cache = MemoCache(max_bytes=100 * KB)
    cache.get(("s", "small", ()), lambda: _block(10))
    value = cache.get(("s", "huge", ()), lambda: _block(200))
    assert len(value) == 200 * KB
    stats = cache.stats()
    assert stats.too_large == 1 and stats.entries == 1  # the small entry was not pushed out for it


def test_frames_and_dataclasses_are_measured_by_their_contents():
    frame = pd.DataFrame({"x": np.arange(100_000, dtype=np.int64), "s": ["NEO"] * 100_000})
    assert estimate_bytes(frame) >= frame.memory_usage(deep=True).sum()

    @dataclass(frozen=True)
    class Result:
        table: pd.DataFrame
        extra: tuple[np.ndarray, ...]

    result = Result(frame, (_block(64), _block(64)))
    assert estimate_bytes(result) >= estimate_bytes(frame) + 128 * KB
    assert estimate_bytes((frame, frame)) < 1.1 * estimate_bytes(frame)  # the same object counts once


def test_a_frame_is_measured_as_pandas_measures_it_deeply():
    """Numbers, text (Arrow-backed and Python objects), categories, a labelled index: each counted."""
    rows = 5_000
    frame = pd.DataFrame(
        {
            "n": np.arange(rows, dtype=np.int64),
            "x": np.linspace(0, 1, rows),
            "text": [f"2024 AB{i}" for i in range(rows)],
            "objects": pd.Series([f"station {i % 97}" for i in range(rows)], dtype=object),
            "cat": pd.Categorical([f"K{i % 7}" for i in range(rows)]),
        },
        index=pd.Index([f"row {i}" for i in range(rows)], dtype=object),
    )
    deep = int(frame.memory_usage(index=True, deep=True).sum())
    overhead = memo._FRAME_OVERHEAD + memo._BLOCK_OVERHEAD * frame._mgr.nblocks
    assert 0.9 * deep <= estimate_bytes(frame) - overhead <= 1.1 * deep


def _traced_bytes(make):
    """Bytes allocated for what ``make()`` returns and still held: Python's (tracemalloc) and Arrow's (pandas'
    text columns)."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0] + pa.total_allocated_bytes()
        value = make()
        gc.collect()
        return value, tracemalloc.get_traced_memory()[0] + pa.total_allocated_bytes() - before
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("rows", [3, 30, 300])
@pytest.mark.parametrize("columns", [1, 4, 9])
def test_small_chart_tables_are_measured_with_the_objects_pandas_builds_around_them(rows, columns):
    """Most memo entries are chart tables of a few rows: pandas counts their numbers (~1 KB), not the ~8-16 KB
    of objects around them, so a budget of such entries held twice what it said (measured: 30 MB counted,
    54 MB freed when a worker's memo was emptied)."""
    rng = np.random.default_rng(rows * columns)
    source = pd.DataFrame({"group": rng.integers(0, rows, 3 * rows)})
    for i in range(columns):
        source[f"c{i}"] = rng.random(3 * rows) if i % 2 else rng.integers(0, 9, 3 * rows)

    def aggregated() -> pd.DataFrame:
        return source.groupby("group").sum().reset_index()

    def labelled() -> pd.DataFrame:  # the shape of most analysis results: aggregated, then labelled
        out = aggregated()
        out["label"] = [f"station {g}" for g in out["group"]]
        return out

    for make in (aggregated, labelled, lambda: pd.Series(rng.random(rows))):
        value, held = _traced_bytes(make)
        assert 0.6 * held <= estimate_bytes(value) <= 1.6 * held


def test_object_arrays_count_the_strings_they_point_to():
    """Hover text and designations are object arrays of str: their pointers are 8 bytes, their strings ~60."""
    small = np.array([f"(1{i:05d}) 2024 AB{i}: 2024-01-02, 703, V 19.5" for i in range(1_000)], dtype=object)
    large = np.array([f"(1{i:05d}) 2024 AB{i}: 2024-01-02, 703, V 19.5" for i in range(100_000)], dtype=object)
    for array in (small, large):  # summed, and sampled
        strings = sum(sys.getsizeof(x) for x in array)
        assert 0.9 * strings <= estimate_bytes(array) - array.nbytes <= 1.1 * strings + 200


@pytest.mark.parametrize("entries", [500, 5_000])
def test_dicts_lists_and_sets_count_their_items_summed_or_sampled(entries):
    """Station labels and option lists are containers of a few thousand strings: counted item by item up to a
    thousand, from an even sample beyond (each within 10 % of the exact sum)."""
    labels = {f"{i:03d}{chr(65 + i % 26)}": f"Observatory number {i} ({i % 7} telescopes)" for i in range(entries)}
    exact = sys.getsizeof(labels) + sum(sys.getsizeof(k) + sys.getsizeof(v) for k, v in labels.items())
    assert 0.9 * exact <= estimate_bytes(labels) <= 1.1 * exact
    for container in (list(labels.values()), frozenset(labels.values())):
        exact = sys.getsizeof(container) + sum(sys.getsizeof(v) for v in container)
        assert 0.9 * exact <= estimate_bytes(container) <= 1.1 * exact


def test_views_of_mapped_files_are_not_counted(tmp_path):
    """Arrays of the shared derived values live in the page cache once per machine, not in a worker's memo."""
    np.save(tmp_path / "a.npy", np.arange(1_000_000, dtype=np.int64))
    mapped = np.asarray(np.load(tmp_path / "a.npy", mmap_mode="r"))
    assert estimate_bytes(mapped) < 1_000 and estimate_bytes(mapped[10:]) < 1_000
    assert estimate_bytes(mapped[[1, 2, 3]]) < 1_000 < estimate_bytes(mapped * 2)  # copies are counted
    assert estimate_bytes(np.arange(1_000_000, dtype=np.int64)) >= 8_000_000


def test_concurrent_requests_for_the_same_entry_compute_it_once():
    cache = MemoCache()
    calls = []
    barrier = threading.Barrier(8)
    results = []

    def compute():
        calls.append(threading.get_ident())
        time.sleep(0.3)  # long enough for every other thread to arrive while it runs
        return object()

    def request():
        barrier.wait()
        results.append(cache.get(("s", "view", (2000, 2020)), compute))

    threads = [threading.Thread(target=request) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert len(calls) == 1
    assert len(results) == 8 and all(r is results[0] for r in results)
    assert cache.stats().waits == 7


def test_an_error_reaches_every_waiting_request_and_nothing_is_cached():
    cache = MemoCache()
    barrier = threading.Barrier(4)
    errors = []
    calls = []

    def compute():
        calls.append(1)
        time.sleep(0.3)
        raise ValueError("bad view")

    def request():
        barrier.wait()
        try:
            cache.get(("s", "view", ()), compute)
        except ValueError as exc:
            errors.append(str(exc))

    threads = [threading.Thread(target=request) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert errors == ["bad view"] * 4 and len(calls) == 1
    assert cache.get(("s", "view", ()), lambda: "fine now") == "fine now"


def test_different_keys_compute_in_parallel():
    cache = MemoCache()
    barrier = threading.Barrier(2, timeout=5)

    def compute():
        barrier.wait()  # deadlocks (BrokenBarrierError) if the second key waited for the first
        return 1

    threads = [threading.Thread(target=cache.get, args=(("s", "view", i), compute)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert cache.stats().entries == 2


def test_keep_only_drops_other_snapshots_and_refuses_their_late_results():
    cache = MemoCache()
    cache.get(("old", "view", ()), lambda: _block(10))
    cache.get(("new", "view", ()), lambda: _block(10))
    cache.keep_only("new")
    assert cache.stats().entries == 1
    cache.get(("old", "other", ()), lambda: _block(10))  # a request still running on the old snapshot
    assert cache.stats().entries == 1


def test_memo_max_mb_is_the_budget_of_all_workers_together(tmp_path):
    for workers, each in (("1", 12 * 2**20), ("2", 6 * 2**20), ("4", 3 * 2**20), ("5", 12 * 2**20 // 5)):
        settings = load_settings({"MEMO_MAX_MB": "12", "WORKERS": workers, "DATA_DIR": str(tmp_path)}, env_file=None)
        assert build_store(settings).memo_cache.max_bytes == each, workers
    with pytest.raises(ValueError, match="MEMO_MAX_MB='-1' is not accepted"):
        load_settings({"MEMO_MAX_MB": "-1"}, env_file=None)


def test_a_forked_child_keeps_the_parents_entries_but_counts_only_its_own_hits_and_misses():
    cache = MemoCache(max_bytes=10_000)
    cache.get(("s", "a", 1), lambda: "x" * 100)  # the parent's miss and hit (the master before it forks)
    cache.get(("s", "a", 1), lambda: "never")
    cache.after_fork()
    stats = cache.stats()
    assert (stats.entries, stats.hits, stats.misses) == (1, 0, 0)
    assert cache.get(("s", "a", 1), lambda: "never") == "x" * 100
    assert (cache.stats().hits, cache.stats().misses) == (1, 0)
