"""Rate-limit counters in shared memory: exact across forked workers and threads, robust to a dying worker."""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from dashboard_app.web import rate_counters
from dashboard_app.web.callback_guard import CALLBACK_PATH
from dashboard_app.web.rate_counters import SharedMemoryStorage
from tests.serving.test_responses import STATUS_CALLBACK, post_callback

FORK = multiprocessing.get_context("fork")
PROCESSES, THREADS, ATTEMPTS = 4, 8, 300


def _hammer(storage: SharedMemoryStorage, limit: int, results) -> None:
    accepted: list[bool] = []
    errors: list[str] = []

    def loop() -> None:
        for _ in range(ATTEMPTS):
            try:
                if storage.acquire_entry("client", limit, 60):
                    accepted.append(True)  # list.append is atomic; `n += 1` across threads is not
                storage.incr("hits", 60)
            except Exception as exc:  # any exception is the failure this test looks for
                errors.append(repr(exc))

    threads = [threading.Thread(target=loop) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    results.put((len(accepted), errors))


def test_workers_forked_after_creation_share_one_exact_count_under_concurrent_threads():
    """Stress: 4 processes × 8 threads × 300 requests; the limit lets exactly `limit` through, nothing raises."""
    limit = 1000
    storage = SharedMemoryStorage("shared-memory://", capacity=limit)  # the exact moving window
    results = FORK.Queue()
    workers = [FORK.Process(target=_hammer, args=(storage, limit, results)) for _ in range(PROCESSES)]
    for w in workers:
        w.start()
    outcomes = [results.get(timeout=120) for _ in workers]
    for w in workers:
        w.join(30)
    assert [w.exitcode for w in workers] == [0] * PROCESSES
    assert [e for _, errors in outcomes for e in errors] == []
    assert sum(accepted for accepted, _ in outcomes) == limit
    assert storage.get("hits") == PROCESSES * THREADS * ATTEMPTS


def test_a_worker_killed_while_holding_the_lock_does_not_block_the_others():
    storage = SharedMemoryStorage("shared-memory://")

    def die_holding_the_lock() -> None:
        with storage._locked():
            os.kill(os.getpid(), signal.SIGKILL)

    child = FORK.Process(target=die_holding_the_lock)
    child.start()
    child.join(30)
    assert child.exitcode == -signal.SIGKILL
    done = threading.Event()
    threading.Thread(target=lambda: (storage.incr("after", 60), done.set()), daemon=True).start()
    assert done.wait(10), "the lock of a dead worker was never released"
    assert storage.get("after") == 1


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def time(self) -> float:
        return self.now


def test_the_moving_window_refuses_past_the_limit_until_the_oldest_request_leaves_it(monkeypatch):
    clock = Clock(6_000_000.0)
    monkeypatch.setattr(rate_counters, "time", clock)
    storage = SharedMemoryStorage("shared-memory://?capacity=10")
    accepted = []
    for _ in range(12):  # one request every 5 s: 10 pass, then the window (60 s) is full
        accepted.append(storage.acquire_entry("a", 10, 60))
        clock.now += 5
    assert accepted == [True] * 10 + [False] * 2
    assert storage.acquire_entry("b", 10, 60)  # another client has its own count
    clock.now = 6_000_000.0 + 59.9
    start, count = storage.get_moving_window("a", 10, 60)
    assert (start, count) == (6_000_000.0, 10)  # Retry-After: when the oldest (t=0) leaves the window
    clock.now = 6_000_000.0 + 60.001
    assert storage.acquire_entry("a", 10, 60)
    assert not storage.acquire_entry("a", 10, 60)  # one place freed; the next oldest (t=5) is still inside
    clock.now += 5
    assert storage.acquire_entry("a", 10, 60)


def test_fixed_window_counters_count_and_expire(monkeypatch):
    clock = Clock(6_000_000.0)
    monkeypatch.setattr(rate_counters, "time", clock)
    storage = SharedMemoryStorage("shared-memory://")
    assert [storage.incr("k", 30) for _ in range(3)] == [1, 2, 3]
    assert storage.get("k") == 3 and storage.get_expiry("k") == 6_000_030.0
    clock.now += 31
    assert storage.get("k") == 0 and storage.incr("k", 30) == 1
    storage.clear("k")
    assert storage.get("k") == 0


def test_a_full_table_evicts_the_oldest_counters_and_keeps_counting_new_clients():
    storage = SharedMemoryStorage("shared-memory://?slots=64&capacity=5")
    for i in range(1000):
        assert storage.acquire_entry(f"client-{i}", 5, 60)
    assert [storage.acquire_entry("client-999", 5, 60) for _ in range(5)] == [True] * 4 + [False]
    assert storage.reset() <= 64


def test_a_limit_larger_than_the_ring_is_counted_in_fixed_windows(monkeypatch):
    clock = Clock(6_000_000.0)
    monkeypatch.setattr(rate_counters, "time", clock)
    storage = SharedMemoryStorage("shared-memory://?capacity=5")
    assert [storage.acquire_entry("k", 8, 60) for _ in range(9)] == [True] * 8 + [False]
    assert storage.get_moving_window("k", 8, 60) == (6_000_000.0, 8)
    clock.now += 60
    assert storage.acquire_entry("k", 8, 60)


@pytest.mark.parametrize(
    "uri", ["shared-memory://?slots=3", "shared-memory://?slots=lots", "shared-memory://?capacity=0"]
)
def test_a_table_size_out_of_range_is_refused(uri):
    with pytest.raises(ValueError):
        SharedMemoryStorage(uri)


@pytest.mark.slow
def test_under_gunicorn_the_limit_counts_each_client_once_whichever_worker_answers(start_server, snapshot_dir):
    """2 workers: the default storage gives exactly `limit` answers per address, across both workers."""
    server = start_server(snapshot_dir, WORKERS="2", THREADS="4", RATE_LIMIT="24 per minute", TRUSTED_PROXY_COUNT="1")
    body = json.dumps(STATUS_CALLBACK).encode()

    def post(address: str) -> int:
        request = urllib.request.Request(
            f"{server.url}{CALLBACK_PATH}",
            data=body,
            headers={"Content-Type": "application/json", "X-Forwarded-For": address},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status
        except urllib.error.HTTPError as exc:
            return exc.code

    with ThreadPoolExecutor(max_workers=12) as pool:  # many connections at once: both workers accept some
        codes = list(pool.map(post, ["198.51.100.7"] * 72))
        other = post("198.51.100.8")
    server.stop()
    assert Counter(codes) == {200: 24, 429: 48}
    assert other == 200
    lines = [json.loads(line) for line in server.log().splitlines() if line.startswith("{")]
    pids = {line["pid"] for line in lines if line.get("path") == CALLBACK_PATH}
    assert len(pids) == 2, "both workers must have answered for this test to show anything"


@pytest.fixture
def redis_socket(tmp_path):
    """A throwaway redis-server on a Unix socket (the shared store replicas use), stopped at teardown."""
    if not shutil.which("redis-server"):
        pytest.fail("redis-server is missing: run `bash scripts/system-deps.sh` (apt-get install redis-server)")
    socket = tmp_path / "redis.sock"
    process = subprocess.Popen(
        ["redis-server", "--port", "0", "--unixsocket", str(socket), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while not socket.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    yield socket
    process.terminate()
    process.wait(10)


def test_replicas_sharing_redis_count_each_client_once(build_app, snapshot_dir, redis_socket):
    """The moving-window strategy works with redis:// too: two replicas (apps) share one allowance."""
    env = {"RATE_LIMIT": "3 per minute", "RATE_LIMIT_STORAGE_URI": f"redis+unix://{redis_socket}"}
    replicas = [build_app(snapshot_dir, **env).server.test_client() for _ in range(2)]
    codes = [post_callback(replicas[i % 2]).status_code for i in range(5)]
    assert codes == [200, 200, 200, 429, 429]
