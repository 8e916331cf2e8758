"""After a swap, the workers forked before it are replaced one at a time by fresh forks of the master.

The decisions (``dashboard_app/web/worker_refresh.py``) on their own, then a real gunicorn under keep-alive
callback traffic: every worker of the old snapshot is replaced, the configured number keeps serving, no
request fails, and the replacements count as such in the operator's metrics.
"""

from __future__ import annotations

import os
import re
import signal
import threading
import time

import pytest
import requests

from dashboard_app.snapshot.publish import publish
from dashboard_app.tabs import discoveries
from dashboard_app.theme import CHART_THEME_STORE_ID
from dashboard_app.web.worker_refresh import NOTHING, Step, WorkerRefresh
from tests.harness.callbacks import CALLBACK_PATH, key, request_body, tab_update
from tests.harness.snapshots import build_snapshot_dir
from tests.snapshot.test_hot_swap import _booted_after, _children, _mapped_by_live_processes, _warmers

P = 5.0  # the poll interval, the refresh's tick


def ticks(refresh: WorkerRefresh, workers: dict[int, int], since: float, count: int, settled: bool = True):
    """The steps of ``count`` timer ticks from ``since``, applying each to ``workers`` as gunicorn would."""
    steps = []
    for k in range(count):
        step = refresh.step(dict(workers), settled, since + k * P)
        if step.retire is not None:
            del workers[step.retire]
        if step.add:
            workers[max(workers, default=0) + 100] = max(workers.values(), default=0) + 1
        steps.append(step)
    return steps


def test_nothing_happens_before_a_swap():
    refresh = WorkerRefresh(P)
    assert ticks(refresh, {11: 1, 12: 2}, 0.0, 5) == [NOTHING] * 5


def test_after_a_swap_each_old_worker_is_replaced_one_interval_apart_and_the_count_comes_back():
    refresh = WorkerRefresh(P)
    workers = {11: 1, 12: 2, 13: 3}
    refresh.swapped(workers)
    steps = ticks(refresh, workers, 100.0, 8)
    # the first tick once settled only starts the wait (the workers switch in place meanwhile)
    assert steps[0] == NOTHING
    assert steps[1] == Step(retire=None, add=True, drain=11)
    assert [s.retire for s in steps[2:5]] == [11, 12, 13]  # the oldest first, as gunicorn's SIGTTOU does
    assert [s.add for s in steps[2:5]] == [True, True, False]
    # each is told to drain its connections one interval before it is retired, and only then
    assert [s.drain for s in steps[1:5]] == [11, 12, 13, None]
    assert steps[5:] == [NOTHING] * 3
    assert len(workers) == 3 and not set(workers) & {11, 12, 13}
    assert refresh.pending == 0


def test_no_worker_is_replaced_until_the_warm_up_is_over():
    refresh = WorkerRefresh(P)
    workers = {11: 1, 12: 2}
    refresh.swapped(workers)
    assert ticks(refresh, workers, 0.0, 4, settled=False) == [NOTHING] * 4
    assert ticks(refresh, workers, 20.0, 2) == [NOTHING, Step(add=True, drain=11)]


def test_extra_timer_calls_between_ticks_do_not_hurry_the_replacement():
    refresh = WorkerRefresh(P)
    workers = {11: 1, 12: 2}
    refresh.swapped(workers)
    assert refresh.step(workers, True, 0.0) == NOTHING
    assert refresh.step(workers, True, 1.0) == NOTHING  # a worker's signal between ticks
    assert refresh.step(workers, True, P * 0.8) == Step(add=True, drain=11)  # a tick a little early counts
    assert refresh.step({**workers, 20: 3}, True, P * 0.8 + 1.0) == NOTHING


def test_a_worker_that_exits_on_its_own_is_not_replaced_again_and_the_extra_one_is_still_retired():
    refresh = WorkerRefresh(P)
    refresh.swapped({11: 1, 12: 2})
    refresh.step({11: 1, 12: 2}, True, 0.0)
    assert refresh.step({11: 1, 12: 2}, True, P) == Step(add=True, drain=11)
    # 11 and 12 were recycled by gunicorn (max_requests) meanwhile: 20 is the added worker, 21-22 their successors
    assert refresh.step({20: 3, 21: 4, 22: 5}, True, 2 * P) == Step(retire=20, add=False)
    assert refresh.step({21: 4, 22: 5}, True, 3 * P) == NOTHING


def test_no_worker_is_retired_unless_gunicorn_runs_the_added_one_so_the_count_never_drops():
    refresh = WorkerRefresh(P)
    refresh.swapped({11: 1, 12: 2})
    refresh.step({11: 1, 12: 2}, True, 0.0)
    assert refresh.step({11: 1, 12: 2}, True, P) == Step(add=True, drain=11)
    # the extra worker never came (gunicorn did not act on the signal): ask again, retire nothing
    assert refresh.step({11: 1, 12: 2}, True, 2 * P, extra=False) == Step(add=True, drain=11)
    assert refresh.step({11: 1, 12: 2, 20: 3}, True, 3 * P, extra=True) == Step(retire=11, add=True, drain=12)


def test_a_swap_during_a_replacement_starts_again_with_every_worker_then_alive():
    refresh = WorkerRefresh(P)
    workers = {11: 1, 12: 2}
    refresh.swapped(workers)
    ticks(refresh, workers, 0.0, 3)  # wait, add, retire 11 + add
    assert set(workers) == {12, 112, 212}
    refresh.swapped(workers)
    steps = ticks(refresh, workers, 100.0, 6)
    assert [s.retire for s in steps if s.retire] == [12, 112, 212]  # the extra worker's step retires 12 first
    assert len(workers) == 2 and not set(workers) & {12, 112, 212}


def test_the_interval_must_be_positive():
    with pytest.raises(ValueError, match="positive"):
        WorkerRefresh(0)


# --- a real gunicorn -------------------------------------------------------------------------------

WORKERS = 2
CLIENTS = 4
POLL_S = 1.0
SCALE = 0.005
TOKEN = "t" * 32


class KeepAliveLoad:
    """``CLIENTS`` threads, each one keep-alive session POSTing the Discoveries tab's update and GETting /health,
    as a browser reuses its connections."""

    def __init__(self, url: str):
        self.url = url
        session = requests.Session()
        deps = session.get(url + "/_dash-dependencies", timeout=15).json()
        view = discoveries.VIEW
        self.body = request_body(
            tab_update(deps, view), {key(view.request_id, "data"): {}, key(CHART_THEME_STORE_ID, "data"): "dark"}
        )
        self.answers: list[tuple[str, int | None, str | None, int | None]] = []  # path, status, error, pid
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._client, daemon=True) for _ in range(CLIENTS)]
        self._lock = threading.Lock()

    def _client(self) -> None:
        session = requests.Session()
        deadline = time.monotonic() + 120
        while not self.stop.is_set() and time.monotonic() < deadline:
            for path in (CALLBACK_PATH, "/health"):
                pid = error = status = None
                try:
                    if path == CALLBACK_PATH:
                        r = session.post(self.url + path, json=self.body, timeout=30)
                    else:
                        r = session.get(self.url + path, timeout=15)
                        pid = r.json()["checks"]["uptime"][0]["pid"]
                    status = r.status_code
                except Exception as exc:  # every failure is recorded and fails the test
                    error = repr(exc)
                with self._lock:
                    self.answers.append((path, status, error, pid))
            time.sleep(0.02)


@pytest.mark.slow
def test_after_a_swap_every_worker_is_replaced_by_a_fresh_fork_without_a_failed_request(start_server, tmp_path):
    from dashboard_app.sky import generate

    data_dir = tmp_path / "data"
    build_snapshot_dir(data_dir, sky=generate(41, SCALE))
    server = start_server(
        data_dir,
        WORKERS=str(WORKERS),
        THREADS="2",
        SNAPSHOT_POLL_SECONDS=f"{POLL_S:g}",
        RATE_LIMIT="100000 per minute",
        OPERATOR_TOKEN=TOKEN,
    )
    master = server.process.pid
    load = KeepAliveLoad(server.url)
    for t in load.threads:
        t.start()
    try:
        time.sleep(2)
        before = set(_children(master)) - _warmers(server.log())
        assert len(before) == WORKERS
        newer = publish(data_dir, generate(42, SCALE).build, max_row_drop=None).snapshot_id
        published = time.time()
        deadline = time.monotonic() + 40  # warm-up 3 s, a wait, then two ticks per worker
        while time.monotonic() < deadline:
            replaced = {int(p) for p in re.findall(r"replacing worker (\d+), forked before", server.log())}
            if replaced >= before:
                break
            time.sleep(0.2)
        time.sleep(3 * POLL_S)  # the last one drains; a later tick must do nothing more
        live = [pid for pid in _children(master) if pid not in _warmers(server.log())]
        mapped = _mapped_by_live_processes([master, *live])
        served = {pid for path, status, _e, pid in load.answers[-4 * CLIENTS :] if pid}
    finally:
        load.stop.set()
        for t in load.threads:
            t.join(30)

    assert replaced == before, f"replaced {replaced}, forked before the swap {before}"
    log = server.log()  # the master held the warm-up's results before the first fresh fork: each fork shares them
    held = re.search(r"the master holds [1-9]\d* warmed results", log)
    assert held and held.start() < log.index("replacing worker"), "warmed results held before the refresh forks"
    drained = [int(p) for p in re.findall(r"worker (\d+) drains its kept-alive connections", server.log())]
    assert drained == [int(p) for p in re.findall(r"replacing worker (\d+), forked before", server.log())]
    failed = [a for a in load.answers if a[1] != 200]
    assert not failed, f"{len(failed)} failed of {len(load.answers)}: {failed[:5]}"
    assert sum(1 for a in load.answers if a[0] == CALLBACK_PATH) > 50
    # the configured number of workers, all forked after the swap from the master, which maps the new snapshot
    fresh = {pid for pid in mapped if pid != master}
    assert len(fresh) == WORKERS and not fresh & before
    assert fresh <= _booted_after(server.log(), published)
    assert all(names == {newer} for names in mapped.values()), mapped
    assert served <= fresh
    metrics = requests.get(f"{server.url}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=15).text
    assert f'neo_worker_exits_total{{reason="replaced"}} {float(WORKERS)}' in metrics
    assert 'neo_worker_exits_total{reason="shutdown"} 0.0' in metrics
    assert "Traceback" not in server.log()


def test_a_worker_told_to_drain_closes_each_kept_alive_connection_after_its_answer_and_serves_on(
    start_server, tmp_path
):
    from dashboard_app.sky import generate

    data_dir = tmp_path / "data"
    build_snapshot_dir(data_dir, sky=generate(45, SCALE))
    server = start_server(data_dir, WORKERS="1")
    session = requests.Session()

    def health() -> tuple[int, str]:
        r = session.get(server.url + "/health", timeout=15)
        assert r.status_code == 200
        return r.json()["checks"]["uptime"][0]["pid"], r.headers.get("Connection", "")

    pid, connection = health()
    assert connection.lower() != "close" and health() == (pid, connection)  # kept alive
    os.kill(pid, signal.SIGUSR2)  # what the master sends the worker it retires next
    deadline = time.monotonic() + 10
    while "drains its kept-alive connections" not in server.log() and time.monotonic() < deadline:
        time.sleep(0.1)
    for _ in range(3):  # each answer closes its connection; the next request opens another, served as well
        assert health() == (pid, "close")
    assert f"worker {pid} drains its kept-alive connections" in server.log()
    assert "Traceback" not in server.log()


@pytest.mark.slow
def test_with_the_refresh_off_the_workers_forked_before_a_swap_serve_on(start_server, tmp_path):
    from dashboard_app.sky import generate

    data_dir = tmp_path / "data"
    build_snapshot_dir(data_dir, sky=generate(43, SCALE))
    server = start_server(data_dir, WORKERS="2", SNAPSHOT_POLL_SECONDS=f"{POLL_S:g}", SWAP_REFRESH_WORKERS="false")
    master = server.process.pid
    time.sleep(1)
    before = set(_children(master))
    publish(data_dir, generate(44, SCALE).build, max_row_drop=None)
    time.sleep(12 * POLL_S)  # longer than the refresh would take
    assert set(_children(master)) - _warmers(server.log()) == before
    assert "replacing" not in server.log()
