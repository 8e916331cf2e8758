"""Values derived from a whole snapshot, computed once per machine and mapped by every process (issue #11)."""

from __future__ import annotations

import dataclasses
import json
import logging
import multiprocessing
import os
from pathlib import Path

import numpy as np
import pytest

from dashboard_app.analysis import circumstances as circ_analysis
from dashboard_app.analysis import sites as sites_analysis
from dashboard_app.snapshot import derived
from dashboard_app.snapshot.model import load_snapshot
from dashboard_app.snapshot.store import SnapshotStore
from dashboard_app.tabs import circumstances as circ_tab
from dashboard_app.tabs import followup as followup_tab
from dashboard_app.tabs import sites as sites_tab


@pytest.fixture(scope="module")
def snap(snapshot_file):
    """The synthetic snapshot, loaded without a cache directory: everything computed in this process."""
    return load_snapshot(snapshot_file)


def _columns(snap):
    return circ_analysis.circumstance_columns(snap.discoveries)


def _assert_same(left, right, prefix=""):
    """Field by field: arrays equal (NaN where NaN; text as text), other values equal."""
    for f in dataclasses.fields(left):
        a, b = getattr(left, f.name), getattr(right, f.name)
        if dataclasses.is_dataclass(a):
            _assert_same(a, b, f"{prefix}{f.name}.")
        elif isinstance(a, np.ndarray):
            assert a.shape == b.shape, prefix + f.name
            if a.dtype.kind in "fc":
                np.testing.assert_array_equal(a, b, err_msg=prefix + f.name)
            else:
                assert a.tolist() == b.tolist(), prefix + f.name
        else:
            assert a == b, prefix + f.name


def _mapped(array: np.ndarray) -> bool:
    """True when ``array``'s memory is a read-only file mapping (not this process's heap)."""
    import mmap

    base: object = array
    while getattr(base, "base", None) is not None:
        base = base.base  # type: ignore[attr-defined]
    return isinstance(base, mmap.mmap) and not array.flags.writeable


def test_a_derived_value_is_mapped_from_files_and_equals_the_computed_one(snap, tmp_path):
    value = derived.shared_value(tmp_path, snap.id, "circ", circ_analysis.CircumstanceColumns, lambda: _columns(snap))
    _assert_same(_columns(snap), value)
    assert _mapped(value.sky.hover) and _mapped(value.base.h) and _mapped(value.twilight)
    assert value.sky.hover.dtype.kind == "U"  # text maps as fixed-width unicode, not as Python objects
    index = derived.shared_value(
        tmp_path,
        snap.id,
        "index",
        sites_analysis.StationIndex,
        lambda: sites_analysis.station_index(snap.discoveries, snap.apparitions, snap.lifetime, snap.stations),
    )
    expected = sites_analysis.station_index(snap.discoveries, snap.apparitions, snap.lifetime, snap.stations)
    _assert_same(expected, index)
    assert _mapped(index.life_app_row) and isinstance(index.codes, tuple)


def test_a_frame_of_numbers_and_categories_maps_without_copies(snap, tmp_path):
    """The follow-up delays: int32, categorical, float64 and int16 columns, each a view of its file."""
    import pandas as pd

    from dashboard_app.analysis import followup as followup_analysis

    def compute():
        return followup_analysis.followup_delays(snap.discoveries, snap.apparitions)

    frame = derived.shared_value(tmp_path, snap.id, "delays", pd.DataFrame, compute)
    pd.testing.assert_frame_equal(frame, compute(), check_exact=True)
    assert _mapped(frame["neo_id"].to_numpy()) and _mapped(frame["delay"].to_numpy())
    assert _mapped(frame["project"].array.codes)
    with pytest.raises(derived.DerivedError, match="default index"):
        derived.write_value(compute().set_index("neo_id"), tmp_path / "indexed")
    numbered = pd.DataFrame({"code": pd.Categorical([3, 1, 3])})  # would come back as text: refused
    with pytest.raises(derived.DerivedError, match="not text"):
        derived.write_value(numbered, tmp_path / "numbered")


def test_the_tabs_give_the_same_answers_from_mapped_values(snap, tmp_path):
    """The points file (hover text, coordinates), the sky map's CSV and the Sites table, byte for byte."""
    shared = dataclasses.replace(snap, cache_dir=tmp_path, memo_cache=type(snap.memo_cache)(), _shared={})
    assert circ_tab.points_file(shared) == circ_tab.points_file(snap)
    v = circ_tab.VIEW.defaults(snap)
    assert circ_tab.sky_csv(v, shared)[0].equals(circ_tab.sky_csv(v, snap)[0])
    assert circ_tab.rate_csv(v, shared)[0].equals(circ_tab.rate_csv(v, snap)[0])
    w = sites_tab.VIEW.defaults(snap)
    assert sites_tab.site_table(w, shared).equals(sites_tab.site_table(w, snap))
    f = followup_tab.VIEW.defaults(snap)
    for left, right in zip(followup_tab._selected(f, shared), followup_tab._selected(f, snap), strict=True):
        assert left.equals(right)
    assert _mapped(shared.shared("circumstances.columns", circ_analysis.CircumstanceColumns, lambda: None).rate)
    assert snap.cache_dir is None and "circumstances.columns" not in snap._shared  # memoised there instead


def _ask(cache: str, snapshot_file: str, log: str, barrier) -> str:
    snap = load_snapshot(Path(snapshot_file))

    def compute():
        with open(log, "a") as fh:
            fh.write(f"{os.getpid()}\n")
        return _columns(snap)

    barrier.wait()
    value = derived.shared_value(Path(cache), snap.id, "circ", circ_analysis.CircumstanceColumns, compute)
    return "mapped" if _mapped(value.sky.hover) else "private"


def test_processes_asking_at_once_compute_it_once_and_all_map_it(snapshot_file, tmp_path):
    log = tmp_path / "computed.log"
    log.touch()
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Manager().Barrier(3)
    with ctx.Pool(3) as pool:
        answers = pool.starmap(_ask, [(str(tmp_path / "c"), str(snapshot_file), str(log), barrier)] * 3)
    assert answers == ["mapped"] * 3
    assert len(log.read_text().split()) == 1


def _value_dir(cache: Path, snapshot_id: str) -> Path:
    (directory,) = [p for p in derived.snapshot_dir(cache, snapshot_id).iterdir() if p.is_dir()]
    return directory


def test_a_corrupt_or_mismatched_file_is_refused_and_rebuilt(snap, tmp_path, caplog):
    calls = []

    def compute():
        calls.append(1)
        return _columns(snap)

    derived.shared_value(tmp_path, snap.id, "circ", circ_analysis.CircumstanceColumns, compute)
    directory = _value_dir(tmp_path, snap.id)
    victim = sorted(directory.glob("*.npy"))[-1]
    data = bytearray(victim.read_bytes())
    data[-5] ^= 0xFF  # one flipped byte in the last array's data
    victim.write_bytes(bytes(data))
    with caplog.at_level(logging.WARNING, logger="dashboard_app.snapshot.derived"):
        value = derived.shared_value(tmp_path, snap.id, "circ", circ_analysis.CircumstanceColumns, compute)
    assert len(calls) == 2 and "does not match its SHA-256" in caplog.text
    _assert_same(_columns(snap), value)

    manifest = json.loads((directory / derived.MANIFEST).read_text())
    manifest["type"] = "dashboard_app.analysis.sites.StationIndex"  # another value's files under this name
    (directory / derived.MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(derived.DerivedError, match=r"not a dashboard_app\.analysis\.circumstances"):
        derived.map_value(circ_analysis.CircumstanceColumns, directory)
    derived.shared_value(tmp_path, snap.id, "circ", circ_analysis.CircumstanceColumns, compute)
    assert len(calls) == 3


def test_an_unusable_cache_directory_computes_in_this_process(snap, tmp_path, caplog, monkeypatch):
    blocked = tmp_path / "a-file"
    blocked.write_text("not a directory")
    with caplog.at_level(logging.WARNING, logger="dashboard_app.snapshot.derived"):
        value = derived.shared_value(
            blocked, snap.id, "circ", circ_analysis.CircumstanceColumns, lambda: _columns(snap)
        )
    assert "computed in this process" in caplog.text and not _mapped(value.rate)
    _assert_same(_columns(snap), value)

    foreign = tmp_path / "foreign"
    derived.shared_value(foreign, snap.id, "circ", circ_analysis.CircumstanceColumns, lambda: _columns(snap))
    uid = os.getuid()
    monkeypatch.setattr(derived.os, "getuid", lambda: uid + 1)  # as if another user owned the directory
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="dashboard_app.snapshot.derived"):
        value = derived.shared_value(
            foreign, snap.id, "circ", circ_analysis.CircumstanceColumns, lambda: _columns(snap)
        )
    assert "belongs to another user" in caplog.text and not _mapped(value.rate)


def test_a_value_the_files_cannot_hold_is_kept_in_this_process(tmp_path, caplog):
    @dataclasses.dataclass(frozen=True)
    class Odd:
        names: np.ndarray

    odd = Odd(np.array(["a", None], dtype=object))
    with caplog.at_level(logging.WARNING, logger="dashboard_app.snapshot.derived"):
        assert derived.shared_value(tmp_path, "s", "odd", Odd, lambda: odd) is odd
    assert "kept in this process" in caplog.text


def test_a_switch_removes_the_old_snapshots_derived_values(data_dir, publish_tiny, tmp_path):
    store = SnapshotStore(data_dir, poll_interval_s=60, cache_dir=tmp_path / "cache")
    try:
        publish_tiny(tag=0)
        old = store.load_initial()
        circ_tab.points_file(old)
        assert derived.snapshot_dir(store.cache_dir, old.id).is_dir()
        publish_tiny(tag=1)
        assert store.check_now()
        new = store.current()
        assert not derived.snapshot_dir(store.cache_dir, old.id).exists()
        assert circ_tab.points_file(old)  # a request still on the old snapshot keeps its mapping
        circ_tab.points_file(new)
        assert derived.snapshot_dir(store.cache_dir, new.id).is_dir()
    finally:
        store.stop()


def test_a_worker_prepares_the_shared_values_before_it_switches_but_not_at_start(data_dir, publish_tiny, tmp_path):
    """A worker's watcher builds (or maps) them before the switch, so no request waits; the loading process
    (gunicorn's master) and a worker's first load do not, so start-up is not delayed."""
    from dashboard_app.app import prepare_snapshot

    prepared = []

    def prepare(snapshot):
        prepared.append(snapshot.id)
        prepare_snapshot(snapshot)

    master = SnapshotStore(data_dir, poll_interval_s=60, cache_dir=tmp_path / "m", prepare=prepare)
    worker = SnapshotStore(data_dir, poll_interval_s=60, cache_dir=tmp_path / "w", prepare=prepare)
    publish_tiny(tag=0)
    master.load_initial()
    assert worker.check_now()  # a worker's first load (no origin: not the loading process)
    assert prepared == []
    publish_tiny(tag=1)
    assert master.check_now() and prepared == []  # the master serves nothing
    assert worker.check_now()
    new = worker.current()
    worker.stop()
    assert prepared == [new.id]
    directory = derived.snapshot_dir(worker.cache_dir, new.id)
    assert sorted(p.name.split("-")[0] for p in directory.iterdir() if p.is_dir()) == [
        "circumstances.columns",
        "followup.delays",
        "sites.index",
    ]
    assert set(new._shared) == {"circumstances.columns", "followup.delays", "sites.index"}


def test_a_failing_prepare_does_not_stop_the_switch(data_dir, publish_tiny, tmp_path, caplog):
    def prepare(snapshot):
        raise RuntimeError("no room")

    worker = SnapshotStore(data_dir, poll_interval_s=60, cache_dir=tmp_path / "w", prepare=prepare)
    publish_tiny(tag=0)
    worker.check_now()
    publish_tiny(tag=1)
    with caplog.at_level(logging.ERROR, logger="dashboard_app.snapshot.store"):
        assert worker.check_now()
    assert "computed on first use" in caplog.text and worker.stats().switches == 1


def test_files_other_code_wrote_are_replaced(snap, tmp_path):
    """A value is keyed by a fingerprint of the code: after a deploy (or an edit) it is rebuilt, the old files go."""
    old = derived.snapshot_dir(tmp_path, snap.id) / "circ-0123456789abcdef"
    old.mkdir(parents=True)
    (old / derived.MANIFEST).write_text("{}")
    value = derived.shared_value(tmp_path, snap.id, "circ", circ_analysis.CircumstanceColumns, lambda: _columns(snap))
    assert _mapped(value.rate) and not old.exists()
    assert [p.name for p in _value_dir(tmp_path, snap.id).parent.iterdir() if p.is_dir()] == [
        f"circ-{derived.code_fingerprint()}"
    ]
