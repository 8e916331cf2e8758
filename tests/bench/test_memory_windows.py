"""bench.memory's swap latency figures: the windows "before" matched to each swap, and the ratio's interval."""

from __future__ import annotations

import math
import shutil

import numpy as np

from bench.memory_procs import before_each, latencies, p95_ratio_interval, windows


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
