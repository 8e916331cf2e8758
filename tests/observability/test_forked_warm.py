"""Workers forked from the master after its first start with its results: each tab's page and default view are
computed once, in the master, never again in such a worker (a real gunicorn, counted by /metrics' memo counters)."""

from __future__ import annotations

import os
import re
import signal
import time

import pytest

from tests.observability.conftest import publish_tiny
from tests.observability.traffic import chart_callbacks, delta, parse, post_callback, request, scrape
from tests.snapshot.test_hot_swap import _children

pytestmark = pytest.mark.slow


def _wait(condition, what: str, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def test_a_worker_forked_after_the_first_answers_every_default_view_from_what_the_master_computed(
    tmp_path, metrics_server
):
    publish_tiny(tmp_path)
    server = metrics_server(tmp_path, WORKERS="1")
    master = server.process.pid
    (first,) = _children(master)
    assert "computed the default views" not in server.log()  # the first worker forked at once, nothing waited

    os.kill(master, signal.SIGTTIN)  # one more worker: the master computes the default views before forking it
    _wait(lambda: len(_children(master)) == 2, "the second worker")
    os.kill(master, signal.SIGTTOU)  # one fewer: gunicorn stops the oldest, the first
    _wait(lambda: _children(master) and first not in _children(master), "the first worker to stop")
    charts = chart_callbacks(server.url)  # one per tab's update, every control at its default
    assert {c.tab for c in charts} >= {"discoveries", "sizes", "comparison", "followup", "sites", "circumstances"}
    before = parse(scrape(server.metrics_url)[1])

    for _round in range(2):
        for chart in charts:
            assert request(f"{server.url}/{chart.tab}")[0] == 200
            assert post_callback(server.url, chart.body) == 200
    after = parse(scrape(server.metrics_url)[1])

    assert delta(after, before, "neo_memo_misses_total") == 0
    assert delta(after, before, "neo_memo_hits_total") >= 2 * len(charts)
    computed = re.search(r"computed the default views of (\d+) tabs before forking", server.log())
    assert computed and int(computed.group(1)) == len(charts)
