"""bench.memory's swap latency figures: the windows "before" matched to each swap, and the ratio's interval."""

from __future__ import annotations

import math
import shutil
from datetime import UTC, datetime

import numpy as np

from bench.memory_procs import (
    SERVER_PHASES,
    before_each,
    latencies,
    p95_ratio_interval,
    server_p95_by_phase,
    windows,
)


def test_each_swap_is_compared_with_as_long_a_time_just_before_it():
    assert before_each([(100.0, 106.5), (145.0, 150.0)]) == [(93.5, 100.0), (140.0, 145.0)]


def test_the_latencies_are_those_whose_p95_the_window_reports():
    answers = [{"t": float(t), "ms": float(ms), "error": None, "status": 200} for t, ms in enumerate(range(100, 0, -1))]
    spans = [(10.0, 30.0), (50.0, 70.0)]
    ms = latencies(answers, spans)
    assert len(ms) == windows(answers, spans)["n"] == 40
    assert sorted(ms)[int(0.95 * 40)] == windows(answers, spans)["p95_ms"]


def test_the_ratio_interval_holds_the_true_ratio_and_narrows_with_more_callbacks():
    rng = np.random.default_rng(1)
    before = rng.lognormal(3.3, 0.4, 600).tolist()
    during = (1.5 * rng.lognormal(3.3, 0.4, 600)).tolist()
    low, high = p95_ratio_interval(before, during)
    assert low < 1.5 < high
    few_low, few_high = p95_ratio_interval(before[:60], during[:60])
    assert few_high - few_low > high - low
    same_low, same_high = p95_ratio_interval(before, before)
    assert same_low < 1.0 < same_high
    assert all(math.isnan(x) for x in p95_ratio_interval([], during))


def _access(at: float, pid: int, ms: float, path: str = "/_dash-update-component") -> dict:
    stamp = datetime.fromtimestamp(at, tz=UTC).isoformat(timespec="milliseconds")
    return {"time": stamp, "logger": "gunicorn.access", "pid": pid, "path": path, "duration_ms": ms}


def test_the_servers_time_is_split_by_where_the_answering_worker_was_in_its_switch():
    flip = 1_800_000_000.0
    switched = {11: flip + 3.0, 22: flip + 1.0}  # worker 22 switched early, 11 late
    records = [
        *(_access(flip - 4 + i / 10, 11, 10.0) for i in range(40)),  # just before: 10 ms
        _access(flip - 9, 11, 500.0),  # earlier than as long a time before: not counted
        *(_access(flip + 0.5 + i / 10, 11, 30.0) for i in range(20)),  # 11 still warming: 30 ms
        *(_access(flip + 1.5 + i / 10, 22, 12.0) for i in range(20)),  # 22 switched already: after
        *(_access(flip + 3.5 + i / 10, 11, 14.0) for i in range(10)),  # 11 after its switch
        _access(flip + 9, 11, 900.0),  # more than 5 s after its switch: not counted
        _access(flip + 2, 11, 700.0, path="/health"),  # not a callback
        {"time": "2026-12-05T17:00:00+00:00", "logger": "dashboard_app", "message": "serving snapshot …"},
    ]
    phases = server_p95_by_phase(records, [(flip, flip - 5.0, switched)])
    assert list(phases) == list(SERVER_PHASES)
    assert phases[SERVER_PHASES[0]] == (10.0, 40)
    assert phases[SERVER_PHASES[1]] == (30.0, 20)
    assert phases[SERVER_PHASES[2]] == (14.0, 30)
    assert all(math.isnan(p95) and n == 0 for p95, n in server_p95_by_phase([], [(flip, flip - 5, {})]).values())


def test_a_run_with_failed_callbacks_keeps_its_servers_logs(tmp_path):
    from bench.memory import _keep_logs

    (tmp_path / "gunicorn-4.log").write_text("replacing worker 12, forked before snapshot x\n")
    (tmp_path / "sky.sqlite").write_bytes(b"not a log")
    kept = _keep_logs(tmp_path)
    try:
        assert kept.parent != tmp_path  # outlives the run's temporary directory
        assert sorted(p.name for p in kept.iterdir()) == ["gunicorn-4.log"]
        assert (kept / "gunicorn-4.log").read_text().startswith("replacing worker 12")
    finally:
        shutil.rmtree(kept)
