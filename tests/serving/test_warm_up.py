"""The swap's warm-up computes exactly what the views visitors asked for need: nothing is computed again."""

from __future__ import annotations

import json
import time
from pathlib import Path

from dashboard_app.app import tab_modules
from dashboard_app.snapshot.store import pin_snapshot
from dashboard_app.theme import DEFAULT_THEME
from dashboard_app.views import warm_up

TRAFFIC_MODEL = Path(__file__).resolve().parents[2] / "bench" / "traffic_model.json"


def recorded_views() -> list[tuple[str, dict]]:
    """Every distinct view a recorded browser session asked a tab's update callback for (bench's traffic model)."""
    views: dict[str, tuple[str, dict]] = {}
    for step in json.loads(TRAFFIC_MODEL.read_text(encoding="utf-8"))["steps"]:
        for request in step["requests"]:
            for item in (request.get("body") or {}).get("inputs", []):
                if isinstance(item.get("id"), dict) and item["id"].get("type") == "view-request":
                    view = (item["id"]["tab"], item["value"])
                    views[json.dumps(view, sort_keys=True)] = view
    return list(views.values())


def test_every_recorded_view_warmed_from_its_tables_is_drawn_without_computing_anything(build_app, snapshot_dir):
    app = build_app(snapshot_dir)
    store = app.server.extensions["neo_store"]
    snapshot = store.current()
    views = recorded_views()
    tabs = {m.VIEW.tab: m.TAB for m in tab_modules() if hasattr(m, "TAB")}
    assert len(views) >= 20 and {tab for tab, _ in views} == set(tabs)  # every tab, many views
    store.memo_cache.keep_only("nothing")  # an empty cache, as a new snapshot's
    store.memo_cache.keep_only(snapshot.id)

    warmed = warm_up.view_warmer(app.server, tab_modules())(snapshot, views, time.monotonic() + 600)
    computed = store.memo_cache.stats().misses
    for tab, values in views:
        with app.server.test_request_context("/"):
            pin_snapshot(snapshot)
            tabs[tab].update(values, DEFAULT_THEME, None, shown=None)

    assert store.memo_cache.stats().misses == computed, "drawing a warmed view computed a memoised result again"
    assert computed > 0
    # each tab's default, then the recorded views (those this snapshot's year range makes the same count once)
    assert warmed > 2 * len(tabs)


def test_the_warm_up_stops_at_its_deadline(build_app, snapshot_dir):
    app = build_app(snapshot_dir)
    snapshot = app.server.extensions["neo_store"].current()
    assert warm_up.view_warmer(app.server, tab_modules())(snapshot, recorded_views(), time.monotonic()) == 0


def test_a_served_view_is_recorded_with_the_cpu_time_of_its_costliest_answer(build_app, snapshot_dir, tmp_path):
    """The warm-up ranks views by how often they were asked for times that cost (``warm.read_views``)."""
    app = build_app(snapshot_dir)
    store = app.server.extensions["neo_store"]
    snapshot = store.current()
    tabs = {m.VIEW.tab: m.TAB for m in tab_modules() if hasattr(m, "TAB")}
    tab, values = next(view for view in recorded_views() if view[0] == "comparison")
    store.memo_cache.keep_only("nothing")  # cold: its first answer computes what it draws
    store.memo_cache.keep_only(snapshot.id)
    store.recent_views.after_fork()  # nothing recorded yet
    costs = []
    for _ in range(2):
        with app.server.test_request_context("/"):
            pin_snapshot(snapshot)
            started = time.thread_time()
            tabs[tab].update(values, DEFAULT_THEME, None, shown=None)
            costs.append(time.thread_time() - started)

    assert store.recent_views.dump(tmp_path)
    [(recorded_tab, _, count, cost)] = json.loads((tmp_path / "views").glob("*.json").__next__().read_text())
    assert (recorded_tab, count) == (tab, 2)
    assert 0.5 * max(costs) <= cost <= max(costs) + 1e-4  # the costlier answer's CPU time, as the callback saw it
