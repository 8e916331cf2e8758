"""The warm-up process is stopped while any worker answers a request (``snapshot/warm_pause.py``): real forked
processes share one :class:`WarmPause`; a warm-up counts its progress in shared memory, so "stopped" means it
made none (and the kernel shows it stopped), "going on" that it made some."""

from __future__ import annotations

import mmap
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from dashboard_app.snapshot import warm_pause
from dashboard_app.snapshot.warm_pause import PauseWhileServing, WarmPause


class WarmUp:
    """A forked process that registers as the warm-up and counts, like one computing views."""

    def __init__(self, pause: WarmPause, window_s: float):
        self._memory = mmap.mmap(-1, 8)
        self._progress = memoryview(self._memory).cast("q")
        self.pid = os.fork()
        if self.pid == 0:
            try:
                pause.register(window_s)
                while True:
                    self._progress[0] += 1
                    time.sleep(0.001)
            finally:
                os._exit(0)

    def state(self) -> str:
        return Path(f"/proc/{self.pid}/stat").read_text(encoding="ascii").rsplit(")", 1)[1].split()[0]

    def goes_on(self, within_s: float = 5.0) -> bool:
        start, deadline = self._progress[0], time.monotonic() + within_s
        while time.monotonic() < deadline:
            if self._progress[0] > start + 20:
                return True
            time.sleep(0.01)
        return False

    def stays_still(self, for_s: float = 0.4) -> bool:
        time.sleep(0.05)  # a signal sent just now arrives
        start = self._progress[0]
        time.sleep(for_s)
        return self._progress[0] == start

    def stop(self) -> None:
        os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)


class Worker:
    """A forked process that claims a slot, starts a request and ends it (or dies) when told, through a pipe."""

    def __init__(self, pause: WarmPause, slot: int):
        orders_r, self._orders = os.pipe()
        self._done, done_w = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:
            try:
                os.close(self._orders)  # the parent's ends: the child's read sees the end of orders when it closes
                os.close(self._done)
                pause.claim(slot)
                for order in iter(lambda: os.read(orders_r, 1), b""):
                    if order == b"s":
                        pause.started()
                    elif order == b"e":
                        pause.ended()
                    elif order == b"x":  # dies in the middle of its request
                        os._exit(0)
                    os.write(done_w, b".")
            finally:
                os._exit(0)
        os.close(orders_r)
        os.close(done_w)

    def do(self, order: bytes) -> None:
        os.write(self._orders, order)
        if order != b"x":
            assert os.read(self._done, 1) == b"."

    def close(self) -> None:
        os.close(self._orders)
        os.waitpid(self.pid, 0)


@pytest.fixture
def spawn() -> Iterator:
    started: list[WarmUp] = []

    def _spawn(pause: WarmPause, window_s: float = 60.0) -> WarmUp:
        warm_up = WarmUp(pause, window_s)
        started.append(warm_up)
        return warm_up

    yield _spawn
    for warm_up in started:
        warm_up.stop()


def _registered(pause: WarmPause, pid: int, timeout_s: float = 5.0) -> None:
    deadline = time.monotonic() + timeout_s
    while pause._cells[warm_pause._PID] != pid:
        assert time.monotonic() < deadline, "the warm-up never registered"
        time.sleep(0.01)


def test_a_request_in_flight_stops_the_warm_up_and_its_end_lets_it_go_on(spawn):
    pause = WarmPause(slots=4)
    warm_up = spawn(pause)
    _registered(pause, warm_up.pid)
    assert warm_up.goes_on()
    pause.claim(pause.assign([]))

    pause.started()
    assert warm_up.stays_still() and warm_up.state() == "T"
    pause.started()  # a second request of the same worker: still stopped after the first ends
    pause.ended()
    assert warm_up.stays_still()
    pause.ended()
    assert warm_up.goes_on() and warm_up.state() != "T"


def test_the_warm_up_goes_on_only_once_every_worker_has_answered(spawn):
    pause = WarmPause(slots=4)
    warm_up = spawn(pause)
    _registered(pause, warm_up.pid)
    other = Worker(pause, pause.assign([0]))
    pause.claim(0)
    try:
        pause.started()
        other.do(b"s")
        pause.ended()  # the other worker still answers
        assert warm_up.stays_still()
        other.do(b"e")
        assert warm_up.goes_on()
    finally:
        other.close()


def test_a_warm_up_that_starts_during_a_request_waits_for_its_end(spawn):
    pause = WarmPause(slots=4)
    pause.claim(0)
    pause.started()
    warm_up = spawn(pause)
    _registered(pause, warm_up.pid)
    assert warm_up.stays_still(for_s=0.6)
    pause.ended()
    assert warm_up.goes_on()


def test_after_its_window_the_warm_up_goes_on_whatever_the_traffic_and_the_master_forgets_it(spawn):
    pause = WarmPause(slots=4)
    warm_up = spawn(pause, window_s=1.5)
    _registered(pause, warm_up.pid)
    other = Worker(pause, 1)
    pause.claim(0)
    try:
        other.do(b"s")  # a request that outlasts the window
        assert warm_up.stays_still() and warm_up.state() == "T"
        time.sleep(1.5)
        pause.started()  # past the window: no SIGSTOP
        pause.ended()  # and a SIGCONT although the other worker still answers
        assert warm_up.goes_on()
        pause.tend()  # the master's timer
        assert pause._cells[warm_pause._PID] == 0
        pause.started()
        assert warm_up.goes_on()
        pause.ended()
        other.do(b"e")
    finally:
        other.close()


def test_a_worker_that_died_in_a_request_leaves_no_warm_up_stopped_once_the_master_empties_its_slot(spawn):
    pause = WarmPause(slots=4)
    warm_up = spawn(pause)
    _registered(pause, warm_up.pid)
    slot = pause.assign([])
    dying = Worker(pause, slot)
    dying.do(b"s")
    assert warm_up.stays_still()
    dying.do(b"x")
    dying.close()
    assert warm_up.stays_still()  # nobody ended that request
    pause.release(slot)  # gunicorn's child_exit, in the master
    assert warm_up.goes_on()
    assert pause.assign([]) == slot  # free again


def test_a_pid_that_is_not_the_registered_warm_up_any_more_is_never_signalled(spawn):
    pause = WarmPause(slots=4)
    warm_up = spawn(pause)
    _registered(pause, warm_up.pid)
    pause._cells[warm_pause._STARTED] += 1  # as if the warm-up had ended and its pid gone to another process
    pause.claim(0)
    pause.started()
    assert warm_up.goes_on() and warm_up.state() != "T"
    pause.ended()


def test_slots_go_to_new_workers_one_each_until_there_are_none():
    pause = WarmPause(slots=3)
    assert pause.assign([]) == 0
    assert pause.assign([0, None]) == 1
    assert pause.assign([1, 0]) == 2
    assert pause.assign([0, 1, 2]) is None
    pause.claim(None)  # a worker without a slot never pauses anything
    pause.started()
    assert not any(pause._cells[warm_pause._HEADER :])


def test_the_middleware_counts_a_request_until_it_ends_even_when_it_fails():
    pause = WarmPause(slots=2)
    pause.claim(1)
    seen: list[int] = []

    def app(environ, start_response):
        seen.append(pause._cells[warm_pause._HEADER + 1])
        if environ.get("fail"):
            raise RuntimeError("the app failed")
        return [b"ok"]

    wrapped = PauseWhileServing(app, lambda: pause)
    assert wrapped({}, None) == [b"ok"]
    with pytest.raises(RuntimeError):
        wrapped({"fail": True}, None)
    assert seen == [1, 1]
    assert pause._cells[warm_pause._HEADER + 1] == 0
    assert PauseWhileServing(app, lambda: None)({}, None) == [b"ok"]  # where the master does not warm
