"""Publishing: atomic, validated, locked, retained, and truthful about what happened."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sysconfig
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from dashboard_app.snapshot import publish as pub
from dashboard_app.snapshot.model import SnapshotError
from dashboard_app.snapshot.publish import (
    PublishError,
    PublishLockedError,
    SnapshotRefusedError,
    current_snapshot_path,
    publish,
    read_status,
    snapshot_files,
)
from dashboard_app.snapshot.validate import validate_snapshot
from tests.faults import pause_env
from tests.snapshot.conftest import REPO, publisher_script
from tests.snapshot.rows import table_contents, tiny_build


def _leftovers(data_dir: Path) -> list[str]:
    return sorted(p.name for p in data_dir.iterdir() if p.name.startswith((".build-", ".CURRENT.tmp", ".status.tmp")))


def test_publish_writes_an_immutable_versioned_file_and_points_current_at_it(data_dir, publish_tiny):
    result = publish_tiny()
    assert result.path.name == f"snapshot-{result.snapshot_id}.sqlite"
    assert current_snapshot_path(data_dir) == result.path
    assert (data_dir / "CURRENT").read_text() == result.path.name + "\n"
    assert stat.S_IMODE(result.path.stat().st_mode) == 0o444
    meta = validate_snapshot(result.path)
    assert meta["snapshot_id"] == result.snapshot_id
    assert json.loads(meta["row_counts"]) == result.row_counts
    assert meta["source"] == "hand-made test rows tag=0"
    assert _leftovers(data_dir) == []


def test_status_records_a_successful_refresh(data_dir, publish_tiny):
    result = publish_tiny()
    status = read_status(data_dir)
    assert status["state"] == "succeeded"
    assert status["stage"] == "finished"
    assert status["snapshot_id"] == result.snapshot_id
    assert status["error"] is None
    assert status["pid"] == os.getpid()
    assert status["started_utc"] <= status["finished_utc"]


def test_publishing_the_same_content_twice_gives_equal_tables_and_the_same_content_hash(data_dir, publish_tiny):
    first = publish_tiny(tag=3)
    second = publish_tiny(tag=3)
    other = publish_tiny(tag=4)
    assert first.snapshot_id != second.snapshot_id
    assert table_contents(first.path) == table_contents(second.path)
    assert first.snapshot_id.split("-")[-1] == second.snapshot_id.split("-")[-1]
    assert other.snapshot_id.split("-")[-1] != first.snapshot_id.split("-")[-1]


def test_a_second_publisher_gets_a_clear_locked_error(data_dir, paused_publisher, publish_tiny):
    holder = paused_publisher("building")
    with pytest.raises(PublishLockedError, match=rf"another publisher is running.*pid {holder.pid}.*Wait for it"):
        publish_tiny(tag=2, lock_wait_s=0.2)
    assert read_status(data_dir)["state"] == "running"


def test_a_snapshot_losing_too_many_rows_is_refused_and_the_old_one_stays(data_dir, publish_tiny):
    good = publish_tiny(n_neos=10)
    with pytest.raises(SnapshotRefusedError, match=r"discoveries would drop from 10 to 4 rows \(−60.0 %, limit 50 %\)"):
        publish_tiny(n_neos=4, tag=1)
    assert current_snapshot_path(data_dir) == good.path
    status = read_status(data_dir)
    assert status["state"] == "failed"
    assert "would drop from 10 to 4" in status["error"]
    assert snapshot_files(data_dir) == [good.path]
    assert _leftovers(data_dir) == []


def test_a_row_drop_within_the_configured_fraction_is_published(data_dir, publish_tiny):
    publish_tiny(n_neos=10)
    result = publish_tiny(n_neos=4, tag=1, max_row_drop=0.7)
    assert current_snapshot_path(data_dir) == result.path


def test_a_snapshot_with_a_wrong_schema_is_refused(data_dir, publish_tiny):
    good = publish_tiny()

    def drop_column(con):
        con.execute("ALTER TABLE discoveries DROP COLUMN moon_illum")

    with pytest.raises(SnapshotRefusedError, match="discoveries columns differ") as info:
        publish(data_dir, tiny_build(4, 1, tamper=drop_column))
    assert any("moon_illum" in p for p in info.value.problems)
    assert current_snapshot_path(data_dir) == good.path
    assert read_status(data_dir)["state"] == "failed"


def test_a_snapshot_with_insane_values_is_refused(data_dir, publish_tiny):
    good = publish_tiny()

    def break_counts(con):
        con.execute("UPDATE apparitions SET n_obs_post_1 = 1000 WHERE stn = 'F51'")

    with pytest.raises(SnapshotRefusedError, match="not monotone in W"):
        publish(data_dir, tiny_build(4, 1, tamper=break_counts))
    assert current_snapshot_path(data_dir) == good.path


def test_a_corrupt_file_is_refused(data_dir, publish_tiny, monkeypatch):
    good = publish_tiny()
    real_validate = pub.validate_snapshot

    def corrupt_then_validate(path, **kwargs):
        data = bytearray(path.read_bytes())
        data[4096 * 2 : 4096 * 3] = b"\x5a" * 4096
        path.write_bytes(bytes(data))
        return real_validate(path, **kwargs)

    monkeypatch.setattr(pub, "validate_snapshot", corrupt_then_validate)
    with pytest.raises(SnapshotRefusedError, match=r"integrity_check|cannot read"):
        publish_tiny(tag=1)
    assert current_snapshot_path(data_dir) == good.path
    assert _leftovers(data_dir) == []


def test_a_failing_build_is_recorded_and_reraised(data_dir, publish_tiny):
    good = publish_tiny()

    def failing_build(con):
        raise RuntimeError("source database unreachable")

    with pytest.raises(RuntimeError, match="source database unreachable"):
        publish(data_dir, failing_build)
    status = read_status(data_dir)
    assert (status["state"], status["stage"], status["error"]) == ("failed", "building", "source database unreachable")
    assert current_snapshot_path(data_dir) == good.path
    assert _leftovers(data_dir) == []


def test_a_build_that_omits_required_meta_is_refused(data_dir):
    def build(con):
        tiny_build()(con)
        return {"source": "x"}

    with pytest.raises(PublishError, match="no meta synthetic, newest_observation_utc"):
        publish(data_dir, build)
    assert current_snapshot_path(data_dir) is None


def test_a_failed_write_reports_the_cause(data_dir, publish_tiny):
    good = publish_tiny()

    def build(con):
        con.execute("PRAGMA max_page_count = 5")  # the disk is "full" after 5 pages
        return tiny_build(200)(con)

    with pytest.raises(PublishError, match=r"building the snapshot .* failed: database or disk is full"):
        publish(data_dir, build)
    assert current_snapshot_path(data_dir) == good.path
    assert read_status(data_dir)["state"] == "failed"


def test_retention_keeps_the_newest_n(data_dir, publish_tiny):
    results = [publish_tiny(tag=t) for t in range(6)]
    assert len(snapshot_files(data_dir)) == 5
    publish_tiny(tag=6, keep=3)
    kept = snapshot_files(data_dir)
    assert len(kept) == 3
    assert kept[1:] == [results[5].path, results[4].path]


def test_retention_never_removes_the_snapshot_before_the_current_one(data_dir, publish_tiny):
    older = publish_tiny(tag=0)
    # an orphan newer than the current one (e.g. renamed by a run killed before the pointer moved)
    orphan = publish_tiny(tag=1)
    (data_dir / "CURRENT").write_text(older.path.name + "\n")
    result = publish_tiny(tag=2, keep=1)
    assert result.previous == older.path
    assert set(snapshot_files(data_dir)) == {result.path, older.path}
    assert not orphan.path.exists()


def test_keep_and_max_row_drop_are_checked(data_dir, publish_tiny):
    with pytest.raises(ValueError, match="keep must be at least 1"):
        publish_tiny(keep=0)
    with pytest.raises(ValueError, match="fraction between 0 and 1"):
        publish_tiny(max_row_drop=5)


@pytest.mark.slow
@pytest.mark.parametrize("stage", pub.STAGES)
def test_a_publisher_killed_at_any_stage_never_leaves_current_naming_a_bad_file(
    data_dir, publish_tiny, paused_publisher, stage
):
    before = publish_tiny(tag=0)
    proc = paused_publisher(stage, tag=1)
    proc.kill()
    proc.wait(10)

    named = current_snapshot_path(data_dir)
    validate_snapshot(named)  # whatever CURRENT names is complete and valid
    moved = pub.STAGES.index(stage) >= pub.STAGES.index("pointer_replaced")
    assert (named != before.path) == moved
    # before its first status write the killed run left the previous (succeeded) record
    expected_state = "succeeded" if stage in ("locked", "finished") else "interrupted"
    assert read_status(data_dir)["state"] == expected_state

    after = publish_tiny(tag=2)
    assert current_snapshot_path(data_dir) == after.path
    assert _leftovers(data_dir) == []
    assert read_status(data_dir)["state"] == "succeeded"


def test_a_publisher_in_another_process_publishes_and_prints_the_id(data_dir):
    env = os.environ | {"PYTHONPATH": str(REPO)}
    out = subprocess.run(
        publisher_script(data_dir, 3, 0), cwd=REPO, env=env, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert current_snapshot_path(data_dir).name == f"snapshot-{out.stdout.strip()}.sqlite"


def test_publishing_repairs_a_damaged_pointer(data_dir, publish_tiny):
    publish_tiny()
    (data_dir / "CURRENT").write_text("../../etc/passwd\n")
    with pytest.raises(SnapshotError, match="not a snapshot file name"):
        current_snapshot_path(data_dir)
    result = publish_tiny(tag=1)
    assert current_snapshot_path(data_dir) == result.path


SYSTEM_PYTHON = Path("/usr/bin/python3.11")  # the test runner's own interpreter may sit where other UIDs cannot read


@pytest.fixture
def shared_data_dir() -> Iterator[Path]:
    """A data directory like the container's /data: owned by root, group 0, mode 0775, reachable by any UID."""
    path = Path(tempfile.mkdtemp(prefix="neo-uids-", dir="/tmp"))
    os.chmod(path, 0o755)
    data = path / "data"
    data.mkdir()
    os.chown(data, 0, 0)
    os.chmod(data, 0o775)
    yield data
    shutil.rmtree(path)


def _as_uid(uid: int, data_dir: Path, tag: int, pause_at: str | None = None) -> subprocess.Popen:
    """A publisher process running as ``uid`` in group 0 with umask 022 (what a container gets)."""
    pythonpath = f"{REPO}:{sysconfig.get_paths()['purelib']}"
    env = {
        "PYTHONPATH": pythonpath,
        "PYTHONNOUSERSITE": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "HOME": "/tmp",
    }
    if pause_at:
        env |= pause_env(pause_at, pythonpath=pythonpath)
    code = (
        "from dashboard_app.snapshot.publish import publish; from tests.snapshot.rows import tiny_build; "
        f"print(publish({str(data_dir)!r}, tiny_build(4, {tag}), keep=1).snapshot_id)"
    )
    return subprocess.Popen(
        [str(SYSTEM_PYTHON), "-c", code],
        cwd=data_dir,
        env=env,
        user=uid,
        group=0,
        extra_groups=[],
        umask=0o022,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.skipif(
    os.geteuid() != 0 or not SYSTEM_PYTHON.exists(),
    reason="needs root (to run publishers as two other UIDs) and /usr/bin/python3.11",
)
def test_any_uid_of_the_group_publishes_after_another_and_cleans_up_after_it(shared_data_dir):
    ids = {}
    for uid, tag in ((10001, 0), (10002, 1)):
        proc = _as_uid(uid, shared_data_dir, tag)
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, f"uid {uid}: {err[-2000:]}"
        ids[uid] = out.strip()
    assert current_snapshot_path(shared_data_dir).name == f"snapshot-{ids[10002]}.sqlite"
    # uid 10001 is killed mid-publish, leaving its temporary files and an orphan companion behind
    killed = _as_uid(10001, shared_data_dir, 2, pause_at="companion_written")
    assert killed.stderr is not None
    deadline = time.monotonic() + 60
    for line in killed.stderr:
        if "paused at companion_written" in line or time.monotonic() > deadline:
            break
    killed.kill()
    killed.wait(10)
    owners = {p.stat().st_uid for p in shared_data_dir.iterdir() if p.name != "CURRENT"}
    assert 10001 in owners
    proc = _as_uid(10002, shared_data_dir, 3)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err[-2000:]
    assert current_snapshot_path(shared_data_dir).name == f"snapshot-{out.strip()}.sqlite"
    assert _leftovers(shared_data_dir) == []
    # keep=1 keeps the current snapshot and the one before, each with its companion; nothing else
    names = sorted(p.name for p in shared_data_dir.iterdir() if not p.name.startswith((".", "CURRENT", "status")))
    expected = sorted(f"snapshot-{i}{suffix}" for i in (ids[10002], out.strip()) for suffix in (".sqlite", ".frames"))
    assert names == expected
