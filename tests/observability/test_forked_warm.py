"""Workers forked from the master start with its results: each tab's page and default view are never computed
again in a worker (under a real gunicorn with 2 workers, counted by /metrics' memo counters)."""

from __future__ import annotations

import re

import pytest

from tests.observability.conftest import publish_tiny
from tests.observability.traffic import chart_callbacks, delta, parse, post_callback, request, scrape, total

pytestmark = pytest.mark.slow


def test_every_tabs_page_and_default_view_come_from_what_the_master_computed_before_forking(tmp_path, metrics_server):
    publish_tiny(tmp_path)
    server = metrics_server(tmp_path)
    before = parse(scrape(server.metrics_url)[1])
    charts = chart_callbacks(server.url)  # one per tab's update, every control at its default
    assert {c.tab for c in charts} >= {"discoveries", "sizes", "comparison", "followup", "sites", "circumstances"}

    for _round in range(3):  # whichever of the two workers answers
        for chart in charts:
            assert request(f"{server.url}/{chart.tab}")[0] == 200
            assert post_callback(server.url, chart.body) == 200
    after = parse(scrape(server.metrics_url)[1])

    assert total(before, "neo_memo_entries") > 0  # both workers hold them before any visitor came
    assert delta(after, before, "neo_memo_misses_total") == 0
    assert delta(after, before, "neo_memo_hits_total") >= 3 * len(charts)
    computed = re.search(r"computed the default views of (\d+) tabs before forking", server.log())
    assert computed and int(computed.group(1)) == len(charts)
