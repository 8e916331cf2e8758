"""/metrics under a real gunicorn with 2 workers: the numbers equal the traffic sent, whichever worker served it."""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.observability.conftest import publish_tiny
from tests.observability.traffic import (
    CALLBACK_PATH,
    TOKEN,
    by,
    chart_callbacks,
    delta,
    download_callbacks,
    parse,
    post_callback,
    request,
    scrape,
    total,
)

pytestmark = pytest.mark.slow


def test_request_callback_and_rejection_counts_equal_the_traffic_sent_to_two_workers(tmp_path, metrics_server):
    snapshot_id = publish_tiny(tmp_path)
    server = metrics_server(tmp_path, RATE_LIMIT="30 per minute", MEMO_MAX_MB="64")
    status, text = scrape(server.metrics_url)
    assert status == 200
    before = parse(text)

    pages = [request(f"{server.url}/discoveries")[0] for _ in range(6)]
    health = [request(f"{server.url}/health")[0] for _ in range(4)]
    bad = [post_callback(server.url, b"[1, 2, 3]") for _ in range(3)]
    too_large = [post_callback(server.url, b'{"output": "' + b"x" * 70_000 + b'"}') for _ in range(2)]
    charts = chart_callbacks(server.url)
    assert {c.tab for c in charts} >= {"discoveries", "sizes", "comparison", "followup"}
    downloads = download_callbacks(server.url)
    assert {(d.tab, d.chart) for d in downloads} >= {
        ("sizes", "main"),
        ("comparison", "venn"),
        ("circumstances", "rate"),
    }
    sent: Counter = Counter()
    for download in downloads:  # one CSV download per chart: labelled with that chart
        sent[(download.tab, download.chart, f"{post_callback(server.url, download.body) // 100}xx")] += 1
    rounds = -(-75 // len(charts))  # 75+ requests: well over 2 workers x 30 per minute, so some get 429
    for _ in range(rounds):
        for chart in charts:
            sent[(chart.tab, chart.chart, f"{post_callback(server.url, chart.body) // 100}xx")] += 1
    answered_429 = sum(n for (_, _, cls), n in sent.items() if cls == "4xx")

    assert pages == [200] * 6 and health == [200] * 4 and bad == [400] * 3 and too_large == [413] * 2
    assert answered_429 > 0 and sum(n for (_, _, cls), n in sent.items() if cls == "2xx") > 0
    assert {cls for _, _, cls in sent} <= {"2xx", "4xx"}

    status, text = scrape(server.metrics_url)
    after = parse(text)
    http = "neo_http_requests_total"
    assert delta(after, before, http, route="/<path:path>", method="GET", status="2xx") == 6
    assert delta(after, before, http, route="/health", method="GET", status="2xx") == 4
    posts = sum(sent.values()) + len(bad) + len(too_large)
    assert delta(after, before, http, route=CALLBACK_PATH, method="POST") == posts
    refused = answered_429 + len(bad) + len(too_large)
    assert delta(after, before, http, route=CALLBACK_PATH, method="POST", status="4xx") == refused
    assert delta(after, before, "neo_http_request_duration_seconds_count", route=CALLBACK_PATH) == posts
    assert delta(after, before, "neo_http_rejected_total", code="400") == len(bad)
    assert delta(after, before, "neo_http_rejected_total", code="413") == len(too_large)
    assert delta(after, before, "neo_http_rejected_total", code="429") == answered_429

    got = by(after, "neo_callback_requests_total", ("tab", "chart", "status"))
    assert got == sent, "callback counts by tab, chart and status class equal what the client received"
    durations = by(after, "neo_callback_duration_seconds_count", ("tab", "chart"))
    assert durations == _sum_by_chart(sent)
    inf = by(after, "neo_callback_duration_seconds_bucket", ("tab", "chart"), le="+Inf")
    assert inf == durations
    assert total(after, "neo_callback_duration_seconds_sum") > 0

    # both workers took part, each serves the published snapshot, and the scrape-time facts are there
    assert total(after, "neo_workers") == 2
    assert total(after, "neo_worker_starts_total") == 2
    assert total(after, "neo_snapshot_served", snapshot_id=snapshot_id) == 2
    assert total(after, "neo_snapshot_available") == 1
    # the memo caches (one per worker, MEMO_MAX_MB for all of them together) answered the repeated views (default
    # views all: the master computed them before it forked, test_forked_warm.py)
    assert total(after, "neo_memo_max_bytes") == 64 * 2**20
    assert delta(after, before, "neo_memo_hits_total") > delta(after, before, "neo_memo_misses_total")
    assert 0 < total(after, "neo_memo_bytes") <= total(after, "neo_memo_max_bytes")
    assert total(after, "neo_memo_entries") > 0
    assert 3600 <= total(after, "neo_snapshot_age_seconds") < 3600 + 300
    assert total(after, "neo_snapshot_stale_after_seconds") == 48 * 3600
    assert total(after, "neo_snapshot_rows", table="discoveries") == 4
    assert total(after, "neo_export_state", state="succeeded") == 1
    assert total(after, "neo_process_pss_bytes", process="workers") > 0
    assert total(after, "neo_container_memory_working_set_bytes") > 0
    assert total(after, "neo_container_memory_limit_bytes") >= total(after, "neo_container_memory_working_set_bytes")


def _sum_by_chart(sent: Counter) -> Counter:
    out: Counter = Counter()
    for (tab, chart, _), n in sent.items():
        out[(tab, chart)] += n
    return out


def test_metrics_answer_operators_only_and_the_metrics_port_serves_nothing_else(tmp_path, metrics_server):
    publish_tiny(tmp_path)
    server = metrics_server(tmp_path)
    public = f"{server.url}/metrics"
    assert scrape(public)[0] == 401
    assert scrape(public, "x" * 40)[0] == 401
    status, text = scrape(public, TOKEN)
    assert status == 200 and "neo_http_requests_total" in text
    metrics_base = server.metrics_url.rsplit("/", 1)[0]
    assert request(server.metrics_url)[0] == 200
    assert request(f"{metrics_base}/health")[0] == 200
    for path in ("/", "/discoveries", "/_dash-layout", "/assets/shell.js"):
        assert request(metrics_base + path)[0] == 404, path
    assert any(server.metrics_dir.glob("counter_*.db")), "the workers write their files in METRICS_DIR"


def test_without_operator_access_metrics_are_a_404_and_nothing_is_recorded(tmp_path, start_server):
    publish_tiny(tmp_path)
    server = start_server(tmp_path, WORKERS="2", METRICS_DIR=str(tmp_path / "metrics"))
    assert request(f"{server.url}/metrics")[0] == 404
    assert request(f"{server.url}/metrics", headers={"Authorization": f"Bearer {TOKEN}"})[0] == 404
    assert request(f"{server.url}/discoveries")[0] == 200
    assert not (tmp_path / "metrics").exists()


def _scrape_until(server, done, timeout_s: float = 30.0):
    """Send requests (so every worker syncs) and scrape until ``done(samples)``; returns the samples."""
    deadline = time.monotonic() + timeout_s
    while True:
        for _ in range(6):
            request(f"{server.url}/health")
        got = parse(scrape(server.metrics_url)[1])
        if done(got) or time.monotonic() > deadline:
            return got
        time.sleep(0.3)


def test_swaps_and_refused_files_are_counted_per_worker(tmp_path, metrics_server):
    old = publish_tiny(tmp_path, tag=0, age_hours=3)
    server = metrics_server(tmp_path, SWAP_REFRESH_WORKERS="false")  # the same two workers count (no replacement)
    before = parse(scrape(server.metrics_url)[1])
    assert total(before, "neo_snapshot_served", snapshot_id=old) == 2

    new = publish_tiny(tmp_path, tag=1, age_hours=1)
    # each worker notices the pointer within a poll and syncs its gauges after the next request it answers
    after = _scrape_until(server, lambda got: total(got, "neo_snapshot_served", snapshot_id=new) == 2)
    assert delta(after, before, "neo_snapshot_swaps_total") == 2
    assert total(after, "neo_snapshot_served", snapshot_id=new) == 2
    assert total(after, "neo_snapshot_served", snapshot_id=old) == 0
    created = json.loads(request(f"{server.url}/health")[1])["checks"]["snapshot:age"][0]["time"]
    assert total(after, "neo_snapshot_created_timestamp_seconds") == pytest.approx(_epoch(created), abs=1e-3)
    assert total(after, "neo_snapshot_load_seconds") > 0

    bad = Path(tmp_path) / "snapshot-20990101T000000.000000Z-0123456789.sqlite"
    bad.write_bytes(b"not a database at all")
    (Path(tmp_path) / "CURRENT").write_text(bad.name + "\n")
    refused = _scrape_until(server, lambda got: delta(got, after, "neo_snapshot_refusals_total") >= 2)
    assert delta(refused, after, "neo_snapshot_refusals_total") == 2
    assert total(refused, "neo_snapshot_refused_files") == 1
    assert total(refused, "neo_snapshot_served", snapshot_id=new) == 2, "the good snapshot is still served"


def _epoch(text: str) -> float:
    from dashboard_app.snapshot.model import parse_utc

    return parse_utc(text).timestamp()


def test_recycled_workers_are_counted_and_their_requests_still_add_up(tmp_path, metrics_server):
    publish_tiny(tmp_path)
    server = metrics_server(tmp_path, WORKERS="1", MAX_REQUESTS="10")
    before = parse(scrape(server.metrics_url)[1])
    answers = [request(f"{server.url}/health")[0] for _ in range(45)]
    assert answers == [200] * 45
    deadline = time.monotonic() + 30
    while True:  # until the last recycled worker's replacement has booted (scrapes count as requests too)
        after = parse(scrape(server.metrics_url)[1])
        exits = delta(after, before, "neo_worker_exits_total", reason="max_requests")
        if delta(after, before, "neo_worker_starts_total") == exits or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    recycled = delta(after, before, "neo_worker_exits_total", reason="max_requests")
    assert recycled >= 3, "45 requests at MAX_REQUESTS=10 (jitter 1) recycle the worker at least 3 times"
    assert delta(after, before, "neo_worker_starts_total") == recycled
    assert total(after, "neo_workers") == 1
    assert delta(after, before, "neo_http_requests_total", route="/health") == 45, "no request lost with a worker"
    files = sorted(p.name for p in server.metrics_dir.glob("*.db"))
    assert "counter_archive.db" in files and len([f for f in files if f.startswith("counter_")]) <= 3
