"""The page shell and the About tab: banners, data line after a hot swap, definitions from their one module."""

from __future__ import annotations

import fcntl
import json
import os

from dashboard_app import definitions, reference
from dashboard_app.snapshot.publish import LOCK_FILE, STATUS_FILE
from tests.serving.conftest import publish_tiny
from tests.serving.test_responses import post_callback


def layout_text(client) -> str:
    return client.get("/_dash-layout").get_data(as_text=True)


def test_synthetic_data_gets_a_banner_and_real_data_does_not(build_app, tmp_path):
    synthetic_dir, real_dir = tmp_path / "synthetic", tmp_path / "real"
    publish_tiny(synthetic_dir, synthetic="1")
    publish_tiny(real_dir, synthetic="0")
    assert "Synthetic demo data" in layout_text(build_app(synthetic_dir).server.test_client())
    assert "Synthetic demo data" not in layout_text(build_app(real_dir).server.test_client())


def test_stale_data_gets_a_banner(build_app, tmp_path):
    publish_tiny(tmp_path, age_hours=30)
    assert "Stale data" in layout_text(build_app(tmp_path, STALE_AFTER_HOURS="24").server.test_client())
    assert "Stale data" not in layout_text(build_app(tmp_path, STALE_AFTER_HOURS="48").server.test_client())


def test_a_running_refresh_gets_a_banner(build_app, tmp_path):
    publish_tiny(tmp_path)
    client = build_app(tmp_path).server.test_client()
    assert "A data refresh is running" not in layout_text(client)
    # What a publisher holding the lock writes; the store reports it as running only while the lock is held.
    status = json.loads((tmp_path / STATUS_FILE).read_text(encoding="utf-8"))
    (tmp_path / STATUS_FILE).write_text(json.dumps(status | {"state": "running"}), encoding="utf-8")
    fd = os.open(tmp_path / LOCK_FILE, os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        assert "A data refresh is running" in layout_text(client)
    finally:
        os.close(fd)


def test_no_snapshot_gets_a_banner_and_the_pages_still_render(build_app, tmp_path):
    client = build_app(tmp_path).server.test_client()
    assert "No data snapshot is available yet" in layout_text(client)
    assert client.get("/about").status_code == 200


def test_the_data_line_follows_a_hot_swap_without_a_reload(build_app, tmp_path):
    first = publish_tiny(tmp_path, tag=1)
    app = build_app(tmp_path)
    client = app.server.test_client()
    assert f"snapshot {first}" in layout_text(client)
    second = publish_tiny(tmp_path, tag=2)
    assert app.server.extensions["neo_store"].check_now()
    refreshed = post_callback(client).get_data(as_text=True)
    assert f"snapshot {second}" in refreshed and first not in refreshed


def test_the_about_tab_renders_every_definition_and_reference_source(build_app, snapshot_dir):
    app = build_app(snapshot_dir)
    with app.server.test_request_context("/about"):
        from dashboard_app.tabs import about

        text = json.dumps(about.layout().to_plotly_json(), default=lambda o: o.to_plotly_json(), ensure_ascii=False)
    for d in definitions.DEFINITIONS:
        assert json.dumps(d.text, ensure_ascii=False)[1:-1] in text, d.term
    for name, source in reference.REFERENCE_SOURCES:
        assert json.dumps(source, ensure_ascii=False)[1:-1] in text, name
    for size_class in reference.size_classes():
        assert json.dumps(size_class.label, ensure_ascii=False)[1:-1] in text
    for project in reference.projects():
        assert project.name in text and project.colour in text
    assert reference.POPULATION_CAVEAT in text
    assert ", ".join(f"{w} d" for w in definitions.APPARITION_WINDOWS_DAYS) in text


def test_the_about_tab_ignores_junk_query_values(build_app, snapshot_dir):
    app = build_app(snapshot_dir)
    with app.server.test_request_context("/about"):
        from dashboard_app.tabs import about

        assert about.layout(year="';drop", x="<script>").id == about.layout().id


def test_stale_is_the_stores_one_rule_on_its_clock_for_banner_and_health(build_app, tmp_path):
    """The banner and /health both follow the store's ``stale`` fact (its clock), never the wall clock."""
    from datetime import timedelta

    from dashboard_app.web.health import health_report
    from dashboard_app.web.shell import banners

    publish_tiny(tmp_path)  # a fresh snapshot by the wall clock
    store = build_app(tmp_path, STALE_AFTER_HOURS="24").server.extensions["neo_store"]
    snapshot = store.current()
    store._clock = lambda: snapshot.created + timedelta(hours=72)  # the store's clock says three days later
    facts = store.health()
    assert (facts["stale"], facts["age_hours"]) == (True, 72.0)
    stale = [b.text for b in banners(snapshot, facts) if b.kind == "stale"]
    assert stale == ["Stale data: this snapshot was built 3.0 days ago and has not been refreshed since."]
    report = health_report(facts, stale_after_hours=24, release_id="", uptime_s=1.0)
    assert report["status"] == "warn"
    store._clock = lambda: snapshot.created + timedelta(hours=1)
    facts = store.health()
    assert not [b for b in banners(snapshot, facts) if b.kind == "stale"]
    assert health_report(facts, stale_after_hours=24, release_id="", uptime_s=1.0)["status"] == "pass"
