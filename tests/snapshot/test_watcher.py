"""The snapshot watcher: its heartbeat (a stuck or dead watcher is reported, not hidden) and early wake-ups."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

from dashboard_app.snapshot.store import SnapshotStore, stuck_after_s

POLL_S = 0.2


class MovableClock:
    """The store's clock, which the test can move forward (the heartbeat's age is read from it)."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


def _wait_for(predicate, timeout_s: float) -> float:
    start = time.monotonic()
    while time.monotonic() - start < timeout_s:
        if predicate():
            return time.monotonic() - start
        time.sleep(0.02)
    pytest.fail(f"condition not met within {timeout_s} s")


@pytest.fixture
def clock():
    return MovableClock()


@pytest.fixture
def store(data_dir, tmp_path, clock):
    store = SnapshotStore(data_dir, poll_interval_s=POLL_S, cache_dir=tmp_path / "cache", clock=clock)
    yield store
    store.stop()


def test_a_running_watcher_reports_its_last_completed_check(store, publish_tiny):
    publish_tiny()
    store.load_initial()
    assert store.health()["watcher"] == "not started"  # the loading process (tests, the gunicorn master)
    store.start()
    first = store.health()["last_check_utc"]
    _wait_for(lambda: store.health()["last_check_utc"] != first, 5)  # it keeps checking, each poll
    facts = store.health()
    assert facts["watching"] is True and facts["watcher"] == "watching"
    assert 0 <= facts["last_check_age_s"] < stuck_after_s(POLL_S)


def test_a_watcher_stuck_in_a_check_is_reported_as_not_watching_and_recovers(store, publish_tiny, clock):
    publish_tiny(tag=0)
    store.load_initial()
    store.start()
    entered, release = threading.Event(), threading.Event()
    real_load = store._load

    def hanging_load(path):  # the next load hangs, like a read from a stalled shared volume
        entered.set()
        release.wait(30)
        return real_load(path)

    store._load = hanging_load
    newer = publish_tiny(tag=1)
    assert entered.wait(10)
    assert store.health()["watching"] is True  # only just started that check
    clock.offset = timedelta(seconds=stuck_after_s(POLL_S) + 1)  # … and it never completes
    facts = store.health()
    assert (facts["watcher"], facts["watching"]) == ("stuck", False)
    assert facts["last_check_age_s"] > stuck_after_s(POLL_S)
    release.set()
    _wait_for(lambda: store.health()["watching"], 10)
    assert store.current().id == newer.snapshot_id


def test_a_dead_watcher_is_reported(store, publish_tiny):
    publish_tiny()
    store.load_initial()
    store.start()
    store.stop()
    assert (store.health()["watcher"], store.health()["watching"]) == ("dead", False)


def test_a_new_pointer_seen_by_a_request_wakes_the_watcher_before_its_poll(data_dir, tmp_path, publish_tiny):
    publish_tiny(tag=0)
    slow = SnapshotStore(data_dir, poll_interval_s=60, cache_dir=tmp_path / "cache")
    try:
        slow.load_initial()
        slow.start()
        newer = publish_tiny(tag=1)
        time.sleep(0.3)
        assert slow.current().id != newer.snapshot_id  # not switched inside the request itself
        waited = _wait_for(lambda: slow.current().id == newer.snapshot_id, 10)  # requests keep coming
        assert waited < 10 < slow.poll_interval_s  # long before the next poll
    finally:
        slow.stop()


def test_health_warns_while_this_workers_watcher_is_stuck(data_dir, tmp_path, publish_tiny, clock):
    from dashboard_app.app import create_app
    from dashboard_app.settings import load_settings

    publish_tiny(tag=0)
    settings = load_settings({"DATA_DIR": str(data_dir), "FRAMES_CACHE_DIR": str(tmp_path / "c")}, env_file=None)
    store = SnapshotStore(data_dir, poll_interval_s=POLL_S, cache_dir=tmp_path / "cache", clock=clock)
    client = create_app(settings, store=store).server.test_client()
    try:
        store.start()  # as a worker does after fork
        body = client.get("/health").json
        assert body["status"] == "pass"
        assert body["checks"]["snapshot:watcher"][0]["status"] == "pass"
        assert body["checks"]["snapshot:watcher"][0]["observedValue"] < stuck_after_s(POLL_S)
        entered, release = threading.Event(), threading.Event()
        real_load = store._load
        store._load = lambda path: (entered.set(), release.wait(30), real_load(path))[2]
        publish_tiny(tag=1)
        assert entered.wait(10)  # the watcher is inside its check, which hangs
        clock.offset = timedelta(seconds=stuck_after_s(POLL_S) + 5)
        answer = client.get("/health")
        assert answer.status_code == 200  # a warning for the operator, never a restart by the orchestrator
        body = answer.json
        assert body["status"] == "warn"
        watcher = body["checks"]["snapshot:watcher"][0]
        assert (watcher["status"], watcher["state"]) == ("warn", "stuck")
        assert any("snapshot watcher of this worker is stuck" in note for note in body["notes"])
        release.set()
        _wait_for(lambda: client.get("/health").json["status"] == "pass", 10)
    finally:
        store.stop()
