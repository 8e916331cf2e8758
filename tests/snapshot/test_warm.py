"""The warm-up's parts: recorded views, the warm file, waiting for it, the low-priority process."""

from __future__ import annotations

import json
import logging
import os
import pickle
import shutil
import signal
import subprocess
import sys
import threading
import time

import pandas as pd
import pytest

from dashboard_app.snapshot import warm
from dashboard_app.snapshot.memo import MemoCache, Pickled


def test_views_of_every_worker_are_merged_most_asked_for_first_and_a_gone_workers_file_is_dropped(tmp_path):
    first, second = warm.RecentViews(), warm.RecentViews()
    for _ in range(3):
        first.note("sizes", {"years": [2000, 2020], "mode": "count"})
    first.note("sites", {"top": 10})
    assert first.dump(tmp_path)
    views_dir = tmp_path / warm.VIEWS_DIR
    (views_dir / f"{os.getpid()}.json").rename(views_dir / "1.json")  # as if another worker had written it
    second.note("sites", {"top": 10})
    second.note("sites", {"top": 10})
    second.note("sites", {"top": 10})
    second.note("sites", {"top": 10})
    second.note("discoveries", {"size": "all"})
    assert second.dump(tmp_path)
    gone = views_dir / "2.json"
    gone.write_text(json.dumps([["followup", {"days": 30}, 99]]))
    an_hour_ago = time.time() - 3600
    os.utime(gone, (an_hour_ago, an_hour_ago))

    views = warm.read_views(tmp_path, max_age_s=1800)

    assert views == [
        ("sites", {"top": 10}),  # 1 + 4
        ("sizes", {"mode": "count", "years": [2000, 2020]}),  # 3
        ("discoveries", {"size": "all"}),  # 1
    ]
    assert not gone.exists()


def test_views_costly_cold_come_before_cheap_ones_asked_for_as_often(tmp_path):
    """After a switch a cheap view answered cold barely shows in the p95; a costly one does, so the warm-up,
    which may not reach every view in its time, takes the costly ones first."""
    views = warm.RecentViews()
    for _ in range(10):
        views.note("discoveries", {"size": "all"}, 0.002)  # cheap, asked for most
    for _ in range(4):
        views.note("comparison", {"surveys": ["a", "b"]}, 0.004)  # the hits after its cold answer
    views.note("comparison", {"surveys": ["a", "b"]}, 0.180)  # its cold answer: the cost kept
    views.note("sites", {"top": 10}, 0.020)
    views.note("sizes", {"mode": "count"})  # not timed: ranked by its count at the floor cost
    assert views.dump(tmp_path)
    (tmp_path / warm.VIEWS_DIR / "1.json").write_text(json.dumps([["sites", '{"top":10}', 2]]))  # older format

    assert warm.read_views(tmp_path) == [
        ("comparison", {"surveys": ["a", "b"]}),  # 5 × 0.180
        ("sites", {"top": 10}),  # 3 × 0.020 (its largest cost from either file)
        ("discoveries", {"size": "all"}),  # 10 × 0.005 (the floor)
        ("sizes", {"mode": "count"}),  # 1 × 0.005
    ]


def test_recorded_views_are_bounded_and_written_only_when_they_changed(tmp_path):
    views = warm.RecentViews(limit=3)
    for top in range(5):
        views.note("sites", {"top": top})
    views.note("sites", {"unserialisable": object()})  # ignored, not an error
    assert views.dump(tmp_path)
    assert not views.dump(tmp_path)  # nothing new since
    assert [v for _, v in warm.read_views(tmp_path)] == [{"top": 2}, {"top": 3}, {"top": 4}]


def test_the_warm_file_round_trips_what_pickles_and_holds_the_most_recent_within_its_budget(tmp_path):
    frame = pd.DataFrame({"year": [2001, 2002], "n": [3, 4]})
    entries = [
        (("s1", "a.table", (2000, 2020)), frame, 5000),
        (("s1", "a.unpicklable", ()), lambda: None, 100),  # skipped
        (("s0", "old.table", ()), frame, 5000),  # another snapshot's: not written
        (("s1", "b.known", ()), frozenset({"F51", "G96"}), 300),
    ]
    path = warm.warm_file(tmp_path, "s1")
    path.parent.mkdir(parents=True)

    count, size = warm.write_warm(path, "s1", entries, max_bytes=10**6)
    back = warm.read_warm(tmp_path, "s1")

    assert count == 2 and size > 0
    assert [(key, estimate) for key, _, estimate in back] == [
        (("s1", "a.table", (2000, 2020)), 5000),
        (("s1", "b.known", ()), 300),
    ]
    pd.testing.assert_frame_equal(back[0][1], frame)
    assert back[1][1] == frozenset({"F51", "G96"})

    small = len(pickle.dumps(frozenset({"F51", "G96"}), protocol=5))
    assert warm.write_warm(path, "s1", entries, max_bytes=small) == (1, small)  # the most recent entry fits
    assert [key for key, _, _ in warm.read_warm(tmp_path, "s1")] == [("s1", "b.known", ())]


def test_a_warm_file_of_another_snapshot_or_a_truncated_one_is_refused(tmp_path):
    path = warm.warm_file(tmp_path, "s1")
    path.parent.mkdir(parents=True)
    warm.write_warm(path, "s1", [(("s1", "a", ()), 1, 28)], max_bytes=10**6)
    other = warm.warm_file(tmp_path, "s2")
    other.parent.mkdir(parents=True)
    other.write_bytes(path.read_bytes())  # s1's results under s2's name
    with pytest.raises(warm.WarmError, match="snapshot s1, not s2"):
        warm.read_warm(tmp_path, "s2")
    path.write_bytes(path.read_bytes()[:-5])
    with pytest.raises(warm.WarmError, match="cannot read"):
        warm.read_warm(tmp_path, "s1")
    with pytest.raises(warm.WarmError):
        warm.read_warm(tmp_path, "s3")  # none written


def test_preloaded_entries_are_served_as_hits_and_count_against_the_budget():
    cache = MemoCache(max_bytes=10**6)
    frame = pd.DataFrame({"n": range(10)})
    assert cache.preload([(("s1", "a", ()), frame, 9000), (("s1", "b", ()), 2, 28)]) == 2
    assert cache.get(("s1", "a", ()), lambda: pytest.fail("computed again")) is frame
    assert cache.stats().hits == 1 and cache.stats().misses == 0 and cache.stats().bytes == 9028
    assert [(key, size) for key, _, size in cache.entries_of("s1")] == [(("s1", "b", ()), 28), (("s1", "a", ()), 9000)]
    assert cache.preload([(("s1", "a", ()), "other", 50)]) == 0  # held already: left as it is
    tiny = MemoCache(max_bytes=10)
    assert tiny.preload([(("s1", "a", ()), frame, 9000)]) == 0  # larger than the budget


def test_a_switching_worker_reads_the_warm_file_still_pickled_and_each_result_is_unpickled_on_first_use(
    tmp_path, caplog
):
    frame = pd.DataFrame({"year": [2001, 2002], "n": [3, 4]})
    path = warm.warm_file(tmp_path, "s1")
    path.parent.mkdir(parents=True)
    warm.write_warm(path, "s1", [(("s1", "a", ()), frame, 5000), (("s1", "b", ()), [1, 2], 100)], max_bytes=10**6)

    lazy = warm.read_warm(tmp_path, "s1", lazy=True)
    assert all(isinstance(value, Pickled) for _, value, _ in lazy)
    cache = MemoCache(max_bytes=10**6)
    assert cache.preload(lazy) == 2 and cache.stats().bytes == 5100  # the sizes of the unpickled values

    first = cache.get(("s1", "a", ()), lambda: pytest.fail("computed again"))
    pd.testing.assert_frame_equal(first, frame)
    assert cache.get(("s1", "a", ()), lambda: pytest.fail("computed again")) is first  # unpickled once, kept so
    assert cache.stats().hits == 2 and cache.stats().misses == 0

    # A warm-up forked from a process holding results still pickled writes them as they are.
    again = warm.write_warm(path, "s1", cache.entries_of("s1"), max_bytes=10**6)
    assert again[0] == 2
    assert [value for key, value, _ in warm.read_warm(tmp_path, "s1") if key[1] == "b"] == [[1, 2]]

    cache.preload([(("s1", "bad", ()), Pickled(b"not a pickle"), 10)])
    with caplog.at_level(logging.WARNING, logger="dashboard_app.snapshot.memo"):
        assert cache.get(("s1", "bad", ()), lambda: "computed") == "computed"
    assert "cannot be read" in caplog.text
    assert cache.get(("s1", "bad", ()), lambda: pytest.fail("computed again")) == "computed"


def test_a_worker_does_not_wait_when_no_warmer_starts_or_it_dies_without_a_file(tmp_path):
    started = time.monotonic()
    assert warm.wait_for_warm(tmp_path, "s1", 5.0, start_wait_s=0.3) is None
    assert 0.3 <= time.monotonic() - started < 2.0

    marker = warm.started_file(tmp_path, "s1")
    marker.parent.mkdir(parents=True)
    dead = os.fork()
    if dead == 0:
        os._exit(0)
    os.waitpid(dead, 0)
    marker.write_text(str(dead))
    started = time.monotonic()
    assert warm.wait_for_warm(tmp_path, "s1", 5.0) is None  # the warmer is gone: no point waiting 5 s
    assert time.monotonic() - started < 1.0


def test_a_worker_takes_the_warm_file_as_soon_as_it_is_written(tmp_path):
    marker = warm.started_file(tmp_path, "s1")
    marker.parent.mkdir(parents=True)
    marker.write_text(str(os.getpid()))  # a live warmer
    path = warm.warm_file(tmp_path, "s1")
    writer = threading.Timer(0.3, lambda: warm.write_warm(path, "s1", [(("s1", "a", ()), 1, 28)], max_bytes=100))
    writer.start()
    started = time.monotonic()
    assert warm.wait_for_warm(tmp_path, "s1", 5.0) == path
    assert 0.25 <= time.monotonic() - started < 2.0
    writer.join()


def test_the_warmer_runs_only_when_the_cpu_is_idle_writes_its_marker_and_exits(tmp_path):
    out = tmp_path / "child.json"
    closed = tmp_path / "closed"

    def work() -> None:
        out.write_text(json.dumps({"policy": os.sched_getscheduler(0), "nice": os.nice(0), "pid": os.getpid()}))

    ours = (os.sched_getscheduler(0), os.nice(0))
    pid = warm.fork_warmer(tmp_path, "s1", work, close_in_child=closed.touch)
    _, status = os.waitpid(pid, 0)

    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
    child = json.loads(out.read_text())
    # Linux lets any process lower itself to SCHED_IDLE: a waking worker preempts the warmer at once
    assert child["pid"] == pid and child["policy"] == os.SCHED_IDLE
    assert closed.exists()
    assert warm.started_file(tmp_path, "s1").read_text() == str(pid)
    assert (os.sched_getscheduler(0), os.nice(0)) == ours  # this process kept its priority


def test_without_sched_idle_the_warmer_takes_the_lowest_nice_value(monkeypatch):
    def refused(*_args):
        raise OSError(1, "Operation not permitted")

    monkeypatch.setattr(os, "sched_setscheduler", refused)
    niced: list[int] = []
    monkeypatch.setattr(os, "nice", niced.append)
    assert warm.lower_priority() == f"nice {warm.LOW_PRIORITY}"
    assert niced == [warm.LOW_PRIORITY]


def test_a_failing_warm_up_exits_with_an_error_and_writes_no_file(tmp_path):
    def work() -> None:
        raise RuntimeError("boom")

    pid = warm.fork_warmer(tmp_path, "s1", work, close_in_child=lambda: None)
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 1
    assert not warm.warm_file(tmp_path, "s1").exists()


def test_a_warm_up_whose_snapshot_was_replaced_meanwhile_ends_quietly(tmp_path):
    logged = tmp_path / "warm.log"
    handler, level = logging.FileHandler(logged), warm.log.level
    warm.log.addHandler(handler)
    warm.log.setLevel(logging.INFO)
    try:

        def work() -> None:  # a newer snapshot's switch removes this one's derived values while it runs
            shutil.rmtree(warm.warm_file(tmp_path, "s1").parent)
            warm.write_warm(warm.warm_file(tmp_path, "s1"), "s1", [(("s1", "a", ()), 1, 28)], max_bytes=10**6)

        pid = warm.fork_warmer(tmp_path, "s1", work, close_in_child=lambda: None)
        _, status = os.waitpid(pid, 0)
    finally:
        warm.log.removeHandler(handler)
        warm.log.setLevel(level)
        handler.close()
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
    text = logged.read_text()
    assert "warm-up of snapshot s1 stopped: a newer snapshot replaced it" in text
    assert "Traceback" not in text and "failed" not in text


def test_a_hanging_warm_up_is_killed_after_its_time_limit(tmp_path):
    started = time.monotonic()
    pid = warm.fork_warmer(tmp_path, "s1", lambda: time.sleep(30), close_in_child=lambda: None, limit_s=0.3)
    _, status = os.waitpid(pid, 0)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGALRM
    assert time.monotonic() - started < 10


def _spend_cpu(seconds: float) -> None:
    """Compute in Python (so signal handlers run between bytecodes) until ``seconds`` of this process's CPU."""
    until = time.process_time() + seconds
    while time.process_time() < until:
        sum(range(1000))


def test_the_warm_up_pauses_while_another_process_waits_to_run_and_stops_pausing_when_its_budget_is_spent(
    monkeypatch,
):
    monkeypatch.setattr(warm, "others_running", lambda: True)  # a machine that is never idle
    started = time.monotonic()
    with warm.YieldToOthers(budget_s=0.2) as yielded:
        _spend_cpu(0.3)
    wall = time.monotonic() - started

    assert 0.2 <= yielded.paused_s < 0.2 + 2 * warm.YIELD_PAUSE_S
    assert yielded.pauses >= 5  # each pause ends after YIELD_PAUSE_S (20 ms; a busy machine's sleeps overshoot)
    # the work ran to its end after the budget was spent: the pauses and the computing add up (the process's CPU
    # time may include a little of other threads', e.g. pytest-xdist's, so not all 0.3 s is this thread's)
    assert wall >= 0.2 + 0.25


def test_the_warm_up_does_not_pause_while_nothing_else_runs(monkeypatch):
    looked: list[float] = []

    def idle() -> bool:
        looked.append(time.process_time())
        return False

    monkeypatch.setattr(warm, "others_running", idle)
    with warm.YieldToOthers(budget_s=1.0) as yielded:
        _spend_cpu(0.1)

    assert (yielded.pauses, yielded.paused_s) == (0, 0.0)
    assert len(looked) >= 10  # it looked about every YIELD_TICK_S of its CPU time


def test_pausing_restores_the_signal_handler_and_disarms_its_timer(monkeypatch):
    monkeypatch.setattr(warm, "others_running", lambda: True)
    before = signal.getsignal(signal.SIGPROF)
    with warm.YieldToOthers(budget_s=0.05):
        assert signal.getitimer(signal.ITIMER_PROF)[1] == pytest.approx(warm.YIELD_TICK_S)
        _spend_cpu(0.05)
    assert signal.getsignal(signal.SIGPROF) == before
    assert signal.getitimer(signal.ITIMER_PROF) == (0.0, 0.0)


def test_after_a_handler_set_in_c_the_signal_is_ignored_not_left_to_end_the_process(monkeypatch):
    real_signal = signal.signal
    calls: list[object] = []

    def as_if_set_in_c(signum, handler):  # Python reports a handler it did not set as None
        previous = real_signal(signum, handler)
        calls.append(handler)
        return None if len(calls) == 1 else previous

    monkeypatch.setattr(warm, "others_running", lambda: False)
    monkeypatch.setattr(signal, "signal", as_if_set_in_c)
    before = signal.getsignal(signal.SIGPROF)
    try:
        with warm.YieldToOthers(budget_s=0.05):
            _spend_cpu(0.02)
        assert signal.getsignal(signal.SIGPROF) == signal.SIG_IGN
        assert signal.getitimer(signal.ITIMER_PROF) == (0.0, 0.0)
    finally:
        real_signal(signal.SIGPROF, before)


def test_pausing_is_off_outside_the_main_thread_and_with_no_budget(monkeypatch):
    monkeypatch.setattr(warm, "others_running", lambda: True)
    results = []

    def in_a_thread() -> None:
        with warm.YieldToOthers(budget_s=1.0) as yielded:
            _spend_cpu(0.05)
        results.append(yielded.pauses)

    thread = threading.Thread(target=in_a_thread)
    thread.start()
    thread.join()
    with warm.YieldToOthers(budget_s=0) as unbudgeted:
        _spend_cpu(0.05)
    assert results == [0] and unbudgeted.pauses == 0


def test_beside_a_real_spinning_process_the_warm_up_pauses_until_its_budget_is_spent():
    code = "import time\nend = time.monotonic() + 10\nwhile time.monotonic() < end: pass"
    spinner = subprocess.Popen([sys.executable, "-c", code])
    try:
        time.sleep(0.3)  # started and spinning: the kernel counts it runnable whenever this process looks
        looked = [warm.others_running() for _ in range(50)]
        with warm.YieldToOthers(budget_s=0.1) as yielded:
            _spend_cpu(0.1)
    finally:
        spinner.kill()
        spinner.wait()
    assert all(looked)
    assert yielded.paused_s >= 0.1 and yielded.pauses >= 3  # in pauses of at most YIELD_PAUSE_S (20 ms)
