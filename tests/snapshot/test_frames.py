"""The Arrow companion: written and checked by the publisher, mapped by the app, refused when not trustworthy."""

from __future__ import annotations

import json
import logging
import os
import shutil
import stat
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from dashboard_app.snapshot import frames
from dashboard_app.snapshot.frames import CompanionError, companion_path, open_companion, sha256_file
from dashboard_app.snapshot.model import load_snapshot
from dashboard_app.snapshot.store import FRAMES_CACHED, FRAMES_MAPPED, FRAMES_PRIVATE, SnapshotStore

FRAMES = ("discoveries", "apparitions", "stations", "missing")


@pytest.fixture
def store(data_dir, tmp_path):
    store = SnapshotStore(data_dir, poll_interval_s=0.2, cache_dir=tmp_path / "cache")
    yield store
    store.stop()


def _writable(path: Path) -> None:
    os.chmod(path, 0o775 if path.is_dir() else 0o644)


def _in_mapping(array, file: Path) -> bool:
    """True when the array's data lie inside this process's memory mapping of ``file``."""
    address = array.__array_interface__["data"][0]
    for line in Path("/proc/self/maps").read_text().splitlines():
        fields = line.split(maxsplit=5)
        if len(fields) == 6 and fields[5] == str(file.resolve()):
            start, end = (int(x, 16) for x in fields[0].split("-"))
            if start <= address < end:
                return True
    return False


def test_publish_writes_a_companion_with_checksums_beside_the_snapshot(publish_tiny):
    result = publish_tiny(n_neos=5)
    companion = companion_path(result.path)
    manifest = json.loads((companion / frames.MANIFEST_FILE).read_text())
    assert manifest["snapshot_id"] == result.snapshot_id
    assert manifest["sqlite"] == {
        "file": result.path.name,
        "bytes": result.path.stat().st_size,
        "sha256": sha256_file(result.path),
    }
    for name in frames.TABLE_NAMES:
        entry = manifest["tables"][name]
        assert entry["sha256"] == sha256_file(companion / entry["file"])
        assert entry["rows"] == result.row_counts[name]
        assert stat.S_IMODE((companion / entry["file"]).stat().st_mode) == 0o444
    assert "PRAGMA integrity_check" in manifest["checks"]
    assert stat.S_IMODE(companion.stat().st_mode) == 0o775  # another UID of the group may remove it


def test_mapped_frames_equal_the_sqlite_tables_and_are_views_of_the_file(publish_tiny):
    path = publish_tiny(n_neos=6).path
    mapped = load_snapshot(path, reader="frames")
    read = load_snapshot(path, reader="adbc")
    for name in FRAMES:
        pd.testing.assert_frame_equal(getattr(mapped, name), getattr(read, name), check_exact=True)
    assert mapped.meta == read.meta
    # numeric and categorical columns are the file's pages, not a private copy of them
    companion = companion_path(path)
    assert _in_mapping(mapped.apparitions["n_obs_post_7"].to_numpy(), companion / "apparitions.arrow")
    assert _in_mapping(mapped.apparitions["stn"].array.codes, companion / "apparitions.arrow")
    assert _in_mapping(mapped.discoveries["q"].to_numpy(), companion / "discoveries.arrow")
    assert not _in_mapping(read.apparitions["n_obs_post_7"].to_numpy(), companion / "apparitions.arrow")


def test_the_synthetic_sky_round_trips_through_its_companion(snapshot_file):
    mapped = load_snapshot(snapshot_file, reader="frames")
    read = load_snapshot(snapshot_file, reader="sqlite3")
    for name in FRAMES:
        pd.testing.assert_frame_equal(getattr(mapped, name), getattr(read, name), check_exact=True)


def test_a_store_maps_the_published_companion(store, publish_tiny):
    result = publish_tiny()
    assert store.load_initial().id == result.snapshot_id
    assert store.health()["frames"] == FRAMES_MAPPED
    assert not (store.cache_dir / companion_path(result.path).name).exists()


def _flip_a_byte(companion: Path) -> None:
    target = companion / "apparitions.arrow"
    _writable(target)
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0xFF
    target.write_bytes(bytes(data))


def _truncate(companion: Path) -> None:
    target = companion / "discoveries.arrow"
    _writable(target)
    data = target.read_bytes()
    target.write_bytes(data[: len(data) // 2])


def _truncate_and_fix_the_size(companion: Path) -> None:
    """Truncated, with a manifest edited to the new size: the checksum still gives it away."""
    _truncate(companion)
    manifest_path = companion / frames.MANIFEST_FILE
    _writable(manifest_path)
    manifest = json.loads(manifest_path.read_text())
    manifest["tables"]["discoveries"]["bytes"] = (companion / "discoveries.arrow").stat().st_size
    manifest_path.write_text(json.dumps(manifest))


def _corrupt_manifest(companion: Path) -> None:
    target = companion / frames.MANIFEST_FILE
    _writable(target)
    target.write_text("{ not json")


def _other_format_version(companion: Path) -> None:
    target = companion / frames.MANIFEST_FILE
    _writable(target)
    manifest = json.loads(target.read_text())
    target.write_text(json.dumps(manifest | {"format_version": frames.FORMAT_VERSION + 1}))


def _missing_table(companion: Path) -> None:
    _writable(companion)
    (companion / "stations.arrow").unlink()


TAMPERING: dict[str, Callable[[Path], None]] = {
    "a flipped byte": _flip_a_byte,
    "a truncated file": _truncate,
    "a truncated file with a matching size": _truncate_and_fix_the_size,
    "an unreadable manifest": _corrupt_manifest,
    "another format version": _other_format_version,
    "a missing table file": _missing_table,
}


@pytest.mark.parametrize("tamper", TAMPERING.values(), ids=TAMPERING.keys())
def test_a_damaged_companion_is_refused_and_the_old_snapshot_stays(store, publish_tiny, tamper, caplog):
    good = publish_tiny(tag=0)
    store.load_initial()
    newer = publish_tiny(tag=1)
    tamper(companion_path(newer.path))
    assert store.check_now() is False
    assert store.current().id == good.snapshot_id
    message = store.health()["last_error"]["message"]
    assert f"refused snapshot {newer.path.name}" in message and message.endswith(good.snapshot_id)
    assert any("refused snapshot" in r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR)
    assert store.check_now() is False  # refused for good: not tried again on every poll
    assert store.current().id == good.snapshot_id


def test_a_companion_of_another_snapshot_is_refused(store, publish_tiny, data_dir):
    first = publish_tiny(tag=0)
    store.load_initial()
    newer = publish_tiny(tag=1)
    mine = companion_path(newer.path)
    _writable(mine)
    shutil.rmtree(mine)
    shutil.copytree(companion_path(first.path), mine)  # the old snapshot's companion under the new name
    assert store.check_now() is False
    assert store.current().id == first.snapshot_id
    message = store.health()["last_error"]["message"]
    assert f"belongs to snapshot {first.snapshot_id}, not {newer.snapshot_id}" in message


def test_a_companion_beside_a_replaced_sqlite_file_is_refused(publish_tiny):
    result = publish_tiny()
    _writable(result.path)
    with open(result.path, "ab") as fh:
        fh.write(b"\0" * 4096)
    with pytest.raises(CompanionError, match="its companion recorded"):
        open_companion(companion_path(result.path), snapshot_id=result.snapshot_id, snapshot_path=result.path)


def _as_published_by_older_code(path: Path) -> None:
    companion = companion_path(path)
    _writable(companion)
    shutil.rmtree(companion)


def test_a_snapshot_without_a_companion_is_served_from_one_built_once_into_the_cache(
    store, publish_tiny, data_dir, tmp_path
):
    result = publish_tiny(n_neos=5)
    _as_published_by_older_code(result.path)
    before = sorted(p.name for p in data_dir.iterdir())
    snapshot = store.load_initial()
    assert snapshot.id == result.snapshot_id
    assert store.health()["frames"] == FRAMES_CACHED
    cached = companion_path(result.path, store.cache_dir)
    manifest = frames.read_manifest(cached)
    assert "PRAGMA quick_check" in manifest["checks"]  # the app validated the SQLite file before trusting it
    assert sorted(p.name for p in data_dir.iterdir()) == before  # the snapshot directory is only read
    pd.testing.assert_frame_equal(snapshot.apparitions, load_snapshot(result.path, reader="adbc").apparitions)
    # another process (a second store) maps the cached companion instead of building it again
    built_at = (cached / frames.MANIFEST_FILE).stat().st_mtime_ns
    other = SnapshotStore(data_dir, 1.0, cache_dir=store.cache_dir)
    assert other.load_initial().id == result.snapshot_id
    assert (cached / frames.MANIFEST_FILE).stat().st_mtime_ns == built_at
    # the next such snapshot replaces it in the cache
    newer = publish_tiny(tag=1)
    _as_published_by_older_code(newer.path)
    assert store.check_now() is True
    companions = [p.name for p in store.cache_dir.iterdir() if p.name.endswith(frames.COMPANION_SUFFIX)]
    assert companions == [companion_path(newer.path).name]


def test_without_a_writable_cache_a_snapshot_without_a_companion_is_read_privately(
    data_dir, publish_tiny, tmp_path, caplog
):
    result = publish_tiny()
    _as_published_by_older_code(result.path)
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    store = SnapshotStore(data_dir, 1.0, cache_dir=blocker / "cache")
    assert store.load_initial().id == result.snapshot_id
    assert store.health()["frames"] == FRAMES_PRIVATE
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("reading it into this process" in m and result.path.name in m for m in warnings)


def test_a_corrupt_snapshot_without_a_companion_is_refused_before_any_companion_is_built(store, publish_tiny, data_dir):
    good = publish_tiny(tag=0)
    store.load_initial()
    newer = publish_tiny(tag=1)
    _as_published_by_older_code(newer.path)
    _writable(newer.path)
    data = bytearray(newer.path.read_bytes())
    data[4096 * 2 : 4096 * 4] = b"\xa5" * 8192
    newer.path.write_bytes(bytes(data))
    assert store.check_now() is False
    assert store.current().id == good.snapshot_id
    assert "is invalid" in store.health()["last_error"]["message"]
    assert not companion_path(newer.path, store.cache_dir).exists()


def test_retention_removes_companions_with_their_snapshots_and_orphans(data_dir, publish_tiny):
    results = [publish_tiny(tag=t) for t in range(3)]
    orphan = data_dir / "snapshot-20000101T000000.000000Z-0000000000.frames"
    shutil.copytree(companion_path(results[0].path), orphan)  # its snapshot file never got renamed
    publish_tiny(tag=3, keep=2)
    companions = sorted(p.name for p in data_dir.iterdir() if p.name.endswith(frames.COMPANION_SUFFIX))
    snapshots = sorted(p.name.removesuffix(".sqlite") for p in data_dir.iterdir() if p.name.endswith(".sqlite"))
    assert [c.removesuffix(frames.COMPANION_SUFFIX) for c in companions] == snapshots
    assert len(snapshots) == 2
