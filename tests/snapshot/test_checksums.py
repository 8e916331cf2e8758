"""Files checked against their SHA-256 once per machine: hashed by one process, trusted from its record by the
others only while the file is unchanged (issue #11: after a swap the master and every worker hashed the same
79 MB at the same moment)."""

from __future__ import annotations

import dataclasses
import hashlib
import multiprocessing
import os
import time
from pathlib import Path

import numpy as np
import pytest

from dashboard_app.snapshot import checksums, derived
from dashboard_app.snapshot.checksums import Verifier
from dashboard_app.snapshot.frames import CompanionError, companion_path, open_companion
from dashboard_app.snapshot.store import SnapshotStore


def _settled_file(path: Path, data: bytes) -> tuple[Path, str]:
    """A file written long enough ago (by :data:`checksums.SETTLE_NS`) to be recorded, and its SHA-256."""
    path.write_bytes(data)
    time.sleep(checksums.SETTLE_NS / 1e9 + 0.05)
    return path, hashlib.sha256(data).hexdigest()


@pytest.fixture
def records(tmp_path: Path) -> Path:
    path = tmp_path / "records"
    path.mkdir(mode=0o700)
    return path


def test_a_file_is_hashed_once_and_then_trusted_from_its_record(tmp_path, records):
    path, digest = _settled_file(tmp_path / "table.arrow", b"x" * 100_000)
    with Verifier(records) as first:
        assert first.matches(path, digest)
    with Verifier(records) as second:
        assert second.matches(path, digest)
    assert (first.hashed, first.trusted) == (1, 0)
    assert (second.hashed, second.trusted) == (0, 1)


def test_a_file_changed_after_it_was_recorded_is_hashed_again_and_refused(tmp_path, records):
    path, digest = _settled_file(tmp_path / "table.arrow", b"x" * 100_000)
    with Verifier(records) as verifier:
        assert verifier.matches(path, digest)
    before = path.stat()
    with open(path, "r+b") as fh:  # one byte changed in place, same size, its mtime put back
        fh.seek(50_000)
        fh.write(b"y")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert (path.stat().st_size, path.stat().st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    with Verifier(records) as verifier:
        assert not verifier.matches(path, digest)
    assert verifier.hashed == 1


def test_a_file_replaced_by_another_with_the_same_bytes_count_is_hashed_again(tmp_path, records):
    path, digest = _settled_file(tmp_path / "table.arrow", b"x" * 1000)
    with Verifier(records) as verifier:
        assert verifier.matches(path, digest)
    other, _ = _settled_file(tmp_path / "other", b"z" * 1000)
    os.replace(other, path)
    with Verifier(records) as verifier:
        assert not verifier.matches(path, digest)


def test_a_file_changed_just_before_it_was_hashed_is_not_recorded(tmp_path, records, monkeypatch):
    monkeypatch.setattr(checksums, "SETTLE_NS", 60 * 10**9)  # "just before", however slow this machine is now
    path = tmp_path / "fresh.arrow"
    path.write_bytes(b"fresh")
    digest = hashlib.sha256(b"fresh").hexdigest()
    for _ in range(2):
        with Verifier(records) as verifier:
            assert verifier.matches(path, digest)
        assert verifier.hashed == 1
    assert not [p for p in records.iterdir() if p.name.startswith(checksums.RECORD_PREFIX)]


def test_a_file_is_recorded_only_once_its_last_change_is_a_clock_tick_or_more_in_the_past():
    now = 1_764_979_200_123_456_789
    assert checksums.settled(now - 25_000_000, now)
    assert not checksums.settled(now - 5_000_000, now)
    assert not checksums.settled(now + 1_000_000_000, now)  # changed "later" (another clock): never
    whole_second = 1_764_979_200_000_000_000  # a file system keeping whole seconds: one more change this second
    assert not checksums.settled(whole_second, whole_second + 1_500_000_000)
    assert checksums.settled(whole_second, whole_second + 2_000_000_000)


def test_a_wrong_checksum_is_never_recorded(tmp_path, records):
    path, _ = _settled_file(tmp_path / "table.arrow", b"data")
    wrong = hashlib.sha256(b"other data").hexdigest()
    for _ in range(2):
        with Verifier(records) as verifier:
            assert not verifier.matches(path, wrong)
        assert verifier.hashed == 1


def test_records_others_could_write_are_not_used(tmp_path, records):
    path, digest = _settled_file(tmp_path / "table.arrow", b"data")
    with Verifier(records) as verifier:
        assert verifier.matches(path, digest)
    records.chmod(0o777)
    for _ in range(2):
        with Verifier(records) as verifier:
            assert verifier.records is None and verifier.matches(path, digest)
        assert verifier.hashed == 1
    with Verifier(None) as verifier:  # no records at all: every file hashed, as before
        assert verifier.matches(path, digest) and verifier.hashed == 1


def _verify_in_a_process(records: str, path: str, digest: str, barrier) -> int:
    barrier.wait()
    with Verifier(Path(records)) as verifier:
        assert verifier.matches(Path(path), digest)
    return verifier.hashed


def test_processes_verifying_at_once_hash_each_file_once(tmp_path, records):
    path, digest = _settled_file(tmp_path / "table.arrow", os.urandom(4 << 20))
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Manager().Barrier(4)
    with ctx.Pool(4) as pool:
        hashed = pool.starmap(_verify_in_a_process, [(str(records), str(path), digest, barrier)] * 4)
    assert sorted(hashed) == [0, 0, 0, 1]


def _count_hashes(monkeypatch) -> list[str]:
    hashed: list[str] = []
    real = checksums.sha256_file

    def counting(path: Path) -> str:
        hashed.append(Path(path).name)
        return real(path)

    monkeypatch.setattr(checksums, "sha256_file", counting)
    return hashed


def test_stores_of_one_machine_hash_a_companion_once_and_refuse_it_once_changed(
    publish_tiny, data_dir, tmp_path, monkeypatch
):
    result = publish_tiny(n_neos=5)
    time.sleep(checksums.SETTLE_NS / 1e9 + 0.05)
    hashed = _count_hashes(monkeypatch)
    cache = tmp_path / "cache"
    tables = [p.name for p in companion_path(result.path).glob("*.arrow")]
    assert SnapshotStore(data_dir, 1.0, cache_dir=cache).load_initial().id == result.snapshot_id
    assert sorted(hashed) == sorted(tables)  # the first process hashes every table
    hashed.clear()
    assert SnapshotStore(data_dir, 1.0, cache_dir=cache).load_initial().id == result.snapshot_id
    assert hashed == []  # the next one trusts the records: the files are unchanged

    target = companion_path(result.path) / "apparitions.arrow"
    before = target.stat()
    target.chmod(0o644)
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0xFF
    target.write_bytes(bytes(data))
    os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))
    later = SnapshotStore(data_dir, 1.0, cache_dir=cache)
    assert later.load_initial() is None
    assert "does not match its SHA-256" in later.health()["last_error"]["message"]
    with pytest.raises(CompanionError, match="does not match its SHA-256"):
        open_companion(companion_path(result.path), snapshot_id=result.snapshot_id)


def test_the_records_go_with_the_snapshots_derived_values(publish_tiny, data_dir, tmp_path):
    first = publish_tiny(tag=0)
    time.sleep(checksums.SETTLE_NS / 1e9 + 0.05)
    cache = tmp_path / "cache"
    store = SnapshotStore(data_dir, 1.0, cache_dir=cache)
    store.load_initial()
    records = derived.snapshot_dir(cache, first.snapshot_id)
    assert len([p for p in records.iterdir() if p.name.startswith(checksums.RECORD_PREFIX)]) == len(
        list(companion_path(first.path).glob("*.arrow"))
    )
    newer = publish_tiny(tag=1)
    assert store.check_now() is True
    assert not records.exists()
    assert derived.snapshot_dir(cache, newer.snapshot_id).is_dir()


@dataclasses.dataclass(frozen=True)
class Pair:
    """A derived value: a dataclass of arrays."""

    a: np.ndarray
    b: np.ndarray


def test_a_derived_value_is_hashed_by_its_first_mapping_only(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    value = Pair(np.arange(100_000, dtype="int64"), np.linspace(0, 1, 1000))
    derived.shared_value(cache, "snap", "pair", Pair, lambda: value)
    time.sleep(checksums.SETTLE_NS / 1e9 + 0.05)
    hashed = _count_hashes(monkeypatch)
    (directory,) = [p for p in derived.snapshot_dir(cache, "snap").iterdir() if p.is_dir()]
    for _ in range(3):
        with Verifier(derived.snapshot_dir(cache, "snap")) as verifier:
            mapped = derived.map_value(Pair, directory, verifier=verifier)
        assert mapped.a.tolist() == value.a.tolist()
    assert len(hashed) == 2  # its two arrays, hashed by the first only
