"""The snapshot store: serves the current snapshot, switches to new ones, refuses bad ones."""

from __future__ import annotations

import os
import re
import shutil
import signal
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import flask
import pytest

from dashboard_app.snapshot import warm
from dashboard_app.snapshot.publish import publish
from dashboard_app.snapshot.store import NoSnapshotError, SnapshotStore, current_snapshot
from tests.snapshot.rows import tiny_build

POLL_S = 0.2


def _wait_for(predicate, timeout_s: float) -> float:
    """Seconds until ``predicate()`` holds (fails after ``timeout_s``)."""
    start = time.monotonic()
    while time.monotonic() - start < timeout_s:
        if predicate():
            return time.monotonic() - start
        time.sleep(0.02)
    pytest.fail(f"condition not met within {timeout_s} s")


def _plant_corrupt_snapshot(data_dir: Path, good: Path) -> Path:
    """A published-looking file with trashed pages, and CURRENT pointing at it."""
    bad = data_dir / f"snapshot-29991231T000000.000000Z-{good.name[-17:-7]}.sqlite"
    shutil.copyfile(good, bad)
    data = bytearray(bad.read_bytes())
    data[4096 * 2 : 4096 * 4] = b"\xa5" * 8192
    bad.write_bytes(bytes(data))
    (data_dir / "CURRENT").write_text(bad.name + "\n")
    return bad


@pytest.fixture
def store(data_dir, tmp_path):
    store = SnapshotStore(data_dir, poll_interval_s=POLL_S, cache_dir=tmp_path / "cache")
    yield store
    store.stop()


def test_an_empty_directory_serves_nothing_and_says_why(store, data_dir):
    assert store.load_initial() is None
    health = store.health()
    assert health["snapshot_id"] is None
    assert f"no snapshot has been published in {data_dir}" in health["last_error"]["message"]


def test_load_initial_serves_the_published_snapshot(store, publish_tiny):
    result = publish_tiny(n_neos=5)
    snapshot = store.load_initial()
    assert snapshot is store.current()
    assert snapshot.id == result.snapshot_id
    assert len(snapshot.discoveries) == 5


def test_the_watcher_picks_up_a_new_snapshot_within_the_poll_interval(store, publish_tiny):
    first = publish_tiny(tag=0)
    store.load_initial()
    store.start()
    held = store.current()
    second = publish_tiny(tag=1)
    waited = _wait_for(lambda: store.current().id == second.snapshot_id, POLL_S + 2.0)
    assert waited < POLL_S + 2.0
    assert held.id == first.snapshot_id  # an object a request holds never changes under it
    assert store.health()["pending"] is False


def test_the_watcher_also_finds_the_first_snapshot_published_after_start(store, publish_tiny):
    store.load_initial()
    store.start()
    result = publish_tiny()
    _wait_for(lambda: store.current() is not None and store.current().id == result.snapshot_id, POLL_S + 2.0)
    assert store.health()["last_error"] is None


def test_a_corrupt_new_snapshot_is_refused_and_the_old_one_kept(store, data_dir, publish_tiny, caplog):
    good = publish_tiny()
    store.load_initial()
    bad = _plant_corrupt_snapshot(data_dir, good.path)
    assert store.check_now() is False
    assert store.current().id == good.snapshot_id
    health = store.health()
    assert health["last_error"]["file"] == bad.name
    assert f"refused snapshot {bad.name}: " in health["last_error"]["message"]
    assert health["last_error"]["message"].endswith(f"; still serving snapshot {good.snapshot_id}")
    assert any("refused snapshot" in r.getMessage() for r in caplog.records)
    # a refused file is not loaded again, but the next good publish is
    assert store.check_now() is False
    newer = publish_tiny(tag=1)
    assert store.check_now() is True
    assert store.current().id == newer.snapshot_id
    assert store.health()["last_error"] is None


def test_a_pointer_to_a_missing_file_keeps_the_old_snapshot_and_is_tried_again(store, data_dir, publish_tiny, tmp_path):
    good = publish_tiny()
    store.load_initial()
    elsewhere = publish(tmp_path / "elsewhere", tiny_build(4, 1))  # a valid file not (yet) in data_dir
    (data_dir / "CURRENT").write_text(elsewhere.path.name + "\n")
    assert store.check_now() is False
    assert store.current().id == good.snapshot_id
    message = store.health()["last_error"]["message"]
    assert f"{elsewhere.path.name}, which does not exist; still serving snapshot {good.snapshot_id}" in message
    shutil.copyfile(elsewhere.path, data_dir / elsewhere.path.name)  # e.g. a slow shared volume catches up
    assert store.check_now() is True
    assert store.current().id == elsewhere.snapshot_id


def test_a_renamed_snapshot_file_is_refused(store, data_dir, publish_tiny):
    good = publish_tiny()
    store.load_initial()
    other = data_dir / "snapshot-20990101T000000.000000Z-0123456789.sqlite"
    shutil.copyfile(good.path, other)
    (data_dir / "CURRENT").write_text(other.name + "\n")
    assert store.check_now() is False
    assert "the file was renamed" in store.health()["last_error"]["message"]


def test_memo_caches_are_per_snapshot_and_a_switch_drops_the_old_entries(store, publish_tiny):
    publish_tiny(tag=0)
    old = store.load_initial()
    calls = []

    def compute(snapshot):
        calls.append(snapshot.id)
        return f"{snapshot.id}:{len(calls)}"

    assert old.memo("count", ("x",), lambda: compute(old)) == f"{old.id}:1"
    assert old.memo("count", ("x",), lambda: compute(old)) == f"{old.id}:1"
    publish_tiny(tag=1)
    store.check_now()
    new = store.current()
    assert new is not old and new.memo_cache is old.memo_cache  # one cache per process
    assert new.memo("count", ("x",), lambda: compute(new)) == f"{new.id}:2"  # never the old snapshot's value
    assert store.memo_cache.stats().entries == 1  # the old snapshot's entry went with the switch
    # a request still running on the old snapshot gets the old snapshot's values, not kept any more
    assert old.memo("count", ("x",), lambda: compute(old)) == f"{old.id}:3"
    assert store.memo_cache.stats().entries == 1


def test_health_reports_ages_with_the_injected_clock(data_dir, publish_tiny, tmp_path):
    result = publish_tiny()
    now = [datetime.now(UTC)]
    store = SnapshotStore(data_dir, 1.0, stale_after_hours=36, clock=lambda: now[0], cache_dir=tmp_path / "cache")
    snapshot = store.load_initial()
    created = snapshot.created
    now[0] = created + timedelta(hours=48)
    health = store.health()
    assert health["snapshot_id"] == result.snapshot_id
    assert health["age_hours"] == 48.0
    assert health["stale"] is True
    assert health["data_time_utc"] == "2024-06-01T00:00:00.000000Z"
    assert health["data_age_hours"] == pytest.approx((now[0] - snapshot.data_time).total_seconds() / 3600)
    assert health["row_counts"]["discoveries"] == 4
    assert health["synthetic"] is True
    assert health["refresh"]["state"] == "succeeded"
    now[0] = created + timedelta(hours=1)
    assert store.health()["stale"] is False


def test_current_snapshot_is_pinned_for_the_whole_request(store, publish_tiny):
    first = publish_tiny(tag=0)
    store.load_initial()
    app = flask.Flask(__name__)
    store.init_app(app)
    with app.test_request_context("/"):
        assert current_snapshot().id == first.snapshot_id
        publish_tiny(tag=1)
        assert store.check_now() is True
        assert current_snapshot().id == first.snapshot_id  # same request, same data
    with app.test_request_context("/"):
        assert current_snapshot().id != first.snapshot_id


def test_current_snapshot_raises_when_nothing_can_be_served(store):
    store.load_initial()
    app = flask.Flask(__name__)
    store.init_app(app)
    with app.test_request_context("/"), pytest.raises(NoSnapshotError, match="no data to show yet"):
        current_snapshot()


def test_the_loading_process_never_starts_a_watcher_but_a_forked_worker_does(store, publish_tiny):
    publish_tiny()
    store.load_initial()
    app = flask.Flask(__name__)
    store.init_app(app)
    with app.test_request_context("/"):  # like the factory's warm-up request before fork
        current_snapshot()
    assert store.health()["watching"] is False
    pid = os.fork()
    if pid == 0:  # the worker: first use starts its watcher, which then finds a new snapshot
        code = 1
        try:
            store.current()
            if store.health()["watching"]:
                code = 2
                deadline = time.monotonic() + 10
                target = (store.data_dir / "CURRENT").read_text().strip()
                while time.monotonic() < deadline and target == store.health()["snapshot_file"]:
                    time.sleep(0.05)
                    target = (store.data_dir / "CURRENT").read_text().strip()
                while time.monotonic() < deadline and store.health()["snapshot_file"] != target:
                    time.sleep(0.05)
                code = 0 if store.health()["snapshot_file"] == target else 3
        finally:
            os._exit(code)
    time.sleep(0.3)
    newer_id = publish_tiny(tag=1).snapshot_id
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert store.current().id != newer_id  # the parent did not watch
    assert store.health()["watching"] is False


def test_a_deleted_pointer_is_a_warning_with_one_log_line_and_clears_when_it_returns(
    store, data_dir, publish_tiny, caplog
):
    good = publish_tiny()
    store.load_initial()
    pointer = data_dir / "CURRENT"
    saved = pointer.read_text()
    pointer.unlink()
    for _ in range(3):  # polled again and again: still one log line
        assert store.check_now() is False
    assert store.current().id == good.snapshot_id
    message = store.health()["last_error"]["message"]
    assert message == f"the snapshot pointer {pointer} is gone; still serving snapshot {good.snapshot_id}"
    assert [r.getMessage() for r in caplog.records if "is gone" in r.getMessage()] == [f"snapshot store: {message}"]
    pointer.write_text(saved)
    assert store.check_now() is False  # the same snapshot: nothing to load, and nothing wrong any more
    assert store.health()["last_error"] is None


def test_the_health_document_warns_while_the_pointer_is_gone(data_dir, publish_tiny, tmp_path):
    from dashboard_app.app import create_app
    from dashboard_app.settings import load_settings

    publish_tiny()
    settings = load_settings({"DATA_DIR": str(data_dir), "FRAMES_CACHE_DIR": str(tmp_path / "c")}, env_file=None)
    client = create_app(settings).server.test_client()
    assert client.get("/health").json["status"] == "pass"
    (data_dir / "CURRENT").unlink()
    store = client.application.extensions["neo_store"]
    store.check_now()
    answer = client.get("/health")
    assert answer.status_code == 200 and answer.json["status"] == "warn"


def test_before_fork_switches_the_loading_process_to_the_current_snapshot(store, publish_tiny):
    publish_tiny(tag=0)
    first = store.load_initial()
    newer = publish_tiny(tag=1)
    assert store.current() is first  # the master has no watcher
    store.before_fork()
    assert store.current().id == newer.snapshot_id
    assert store.health()["watching"] is False  # and still none: threads must not cross the fork


def _ended_by(pid: int, timeout_s: float) -> int | None:
    """The signal that ended child ``pid`` within ``timeout_s`` (0 for an exit; None while it still runs)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.WTERMSIG(status) if os.WIFSIGNALED(status) else 0
        time.sleep(0.02)
    return None


def test_a_warm_up_still_running_when_a_newer_snapshot_is_loaded_is_stopped(data_dir, tmp_path, publish_tiny, caplog):
    caplog.set_level("INFO", logger="dashboard_app.snapshot.store")
    store = SnapshotStore(data_dir, poll_interval_s=POLL_S, cache_dir=tmp_path / "cache", warm_seconds=30)
    store.set_view_warmer(lambda snapshot, views, deadline: time.sleep(30) or 0)  # a warm-up that takes long
    publish_tiny(tag=0)
    store.load_initial()
    assert store.warm_in_master(close_in_child=lambda: None)

    def warmer_of(snapshot_id: str) -> int:
        pids = re.findall(rf"warming snapshot {snapshot_id} in process (\d+)", caplog.text)
        assert len(pids) == 1, caplog.text
        return int(pids[0])

    second = publish_tiny(tag=1).snapshot_id
    assert store.follow_in_master()
    first_warmer = warmer_of(second)
    third = publish_tiny(tag=2).snapshot_id
    assert store.follow_in_master()
    last_warmer = warmer_of(third)
    try:
        assert _ended_by(first_warmer, 5.0) == signal.SIGTERM  # its results would have been thrown away
        assert f"stopped warming snapshot {second} (process {first_warmer}): a newer one replaced it" in caplog.text
        assert _ended_by(last_warmer, 0.3) is None  # the current snapshot's warm-up goes on
    finally:
        os.kill(last_warmer, signal.SIGKILL)
        os.waitpid(last_warmer, 0)


def test_the_master_counts_a_warm_up_as_settled_once_its_results_are_written(data_dir, tmp_path, publish_tiny):
    store = SnapshotStore(data_dir, poll_interval_s=POLL_S, cache_dir=tmp_path / "cache", warm_seconds=5)
    store.set_view_warmer(lambda snapshot, views, deadline: time.sleep(0.5) or 0)  # a warm-up of half a second
    publish_tiny(tag=0)
    store.load_initial()
    assert store.warm_in_master(close_in_child=lambda: None)
    assert store.warm_settled()  # none ran yet: nothing to wait for
    newer = publish_tiny(tag=1).snapshot_id
    assert store.follow_in_master()
    assert store.snapshot_id == newer
    assert not store.warm_settled()  # the workers are waiting for its results: replacing them would wait too
    deadline = time.monotonic() + 10
    while not store.warm_settled() and time.monotonic() < deadline:
        time.sleep(0.05)
    warmer = store._warmer[0]
    try:
        assert store.warm_settled()
        assert warm.warm_file(tmp_path / "cache", newer).is_file()  # settled because its results are there
    finally:
        assert _ended_by(warmer, 5.0) == 0  # the warm-up exits by itself once written
