"""The load benchmark's traffic model: visitors vary values consistently, and every answer is checked."""

from __future__ import annotations

import json
import random

from bench.traffic_model import Request, Step, TrafficModel, Visitor, _pools, check_answer, entry_key

GRAPH = {"index": "main", "tab": "t", "type": "view-graph"}
GRAPH_KEY = entry_key({"id": GRAPH, "property": "figure"})


def callback(changed: str, years: list[int], mode: str, figures: tuple[str, ...] = ()) -> Request:
    body = {
        "output": "x",
        "inputs": [{"id": "t-years", "property": "value", "value": years}],
        "state": [{"id": "t-mode", "property": "value", "value": mode}],
        "changedPropIds": [changed],
    }
    return Request("POST", "/_dash-update-component", 0.0, body, figures=figures)


def model(*steps: Step) -> TrafficModel:
    return TrafficModel(steps, ("/t",), pools=_pools(steps))


def test_dict_ids_are_keyed_the_way_dash_writes_changed_prop_ids():
    assert GRAPH_KEY == '{"index":"main","tab":"t","type":"view-graph"}.figure'
    assert entry_key({"id": "t-years", "property": "value"}) == "t-years.value"


def test_a_visitor_picks_recorded_values_and_carries_them_into_later_requests():
    steps = (
        Step("load", "open", "/t", 0, (callback("t-years.value", [2000, 2020], "a"),)),
        Step("change", "mode b", "/t", 1, (callback("t-mode.value", [2000, 2020], "b"),)),
        Step("change", "mode c", "/t", 1, (callback("t-mode.value", [2000, 2020], "c"),)),
        Step("change", "years", "/t", 1, (callback("t-years.value", [2005, 2020], "a"),)),
    )
    m = model(*steps)
    assert m.pools == {"t-mode.value": ["a", "b", "c"], "t-years.value": [[2000, 2020], [2005, 2020]]}
    for seed in range(20):
        visitor = Visitor(m, random.Random(seed))
        visitor.position = 0
        seen = [visitor.next_step()[1][0].body for _ in range(4)]
        chosen_mode = seen[2]["state"][0]["value"]
        assert chosen_mode in {"a", "b", "c"}
        assert seen[3]["state"][0]["value"] == chosen_mode  # a later request carries the visitor's choice
        assert steps[3].requests[0].body["state"][0]["value"] == "a"  # the model itself is untouched


def test_a_slider_sweep_keeps_its_recorded_sequence():
    sweep = tuple(callback("t-years.value", [2000, y], "a") for y in (2020, 2019, 2018))
    m = model(
        Step("load", "open", "/t", 0, (callback("t-years.value", [2000, 2021], "a"),)),
        Step("change", "s", "/t", 1, sweep),
    )
    visitor = Visitor(m, random.Random(1))
    visitor.position = 1
    _step, requests = visitor.next_step()
    assert [r.body["inputs"][0]["value"] for r in requests] == [[2000, 2020], [2000, 2019], [2000, 2018]]


def test_answers_without_their_figure_or_with_an_error_status_are_failures():
    request = callback("t-years.value", [2000, 2020], "a", figures=(GRAPH_KEY,))
    good = {
        "multi": True,
        "response": {json.dumps(GRAPH, separators=(",", ":"), sort_keys=True): {"figure": {"data": [], "layout": {}}}},
    }
    assert check_answer(request, 200, json.dumps(good)) is None
    assert "no figure data" in check_answer(request, 200, json.dumps({"multi": True, "response": {}}))
    assert check_answer(request, 200, "<html>") == "callback answer is not JSON"
    assert check_answer(request, 429, "{}") == "HTTP 429 (recorded 200)"
    assert check_answer(request, 500, "") == "HTTP 500 (recorded 200)"


def test_the_committed_model_covers_every_tab_with_loads_changes_and_switches():
    m = TrafficModel.load()
    from dashboard_app.tabs import TAB_MODULES

    assert len(m.tabs) == len(TAB_MODULES)
    kinds = {s.kind for s in m.steps}
    assert {"load", "switch", "change", "reset", "download"} <= kinds
    changed_tabs = {s.tab for s in m.steps if s.kind == "change"}
    assert len(changed_tabs) >= len(TAB_MODULES) - 1  # every tab with controls (About has none)
    assert all(r.status == 200 or r.status == 204 for s in m.steps for r in s.requests if r.is_callback)


def test_the_default_rate_limit_leaves_the_most_active_recorded_visitor_room_and_stops_a_flood():
    """Issue #12: sized from the recorded model at its most active (1 s think time); a script sending
    5 requests a second for the limit's whole period is refused."""
    from limits import parse_many

    from bench.traffic_model import busiest_window
    from dashboard_app.settings import load_settings

    model = TrafficModel.load()
    for item in parse_many(load_settings({}, env_file=None).rate_limit):
        window = item.get_expiry()
        most_active = busiest_window(model, window, think_s=1.0)
        assert most_active * 3 <= item.amount, f"{item}: the busiest recorded visitor sends {most_active}"
        assert item.amount < 5 * window, f"{item}: a flood of 5 requests a second would pass"


def test_every_recorded_request_still_gets_a_checked_answer_from_the_app(snapshot_data_dir):
    """The committed model matches today's callbacks; when this fails, re-record: python -m bench.traffic_record."""
    from dashboard_app.app import create_app
    from dashboard_app.settings import load_settings

    settings = load_settings(
        {"DATA_DIR": str(snapshot_data_dir), "LOG_FORMAT": "text", "RATE_LIMIT": "100000/minute"}, env_file=None
    )
    app = create_app(settings)
    try:
        client = app.server.test_client()
        problems = []
        for step in TrafficModel.load().steps:
            for r in step.requests:
                if r.static:
                    continue
                if r.method == "POST":
                    answer = client.post(r.path, data=json.dumps(r.body), content_type="application/json")
                else:
                    answer = client.get(r.path)
                error = check_answer(r, answer.status_code, answer.get_data(as_text=True))
                if error:
                    problems.append(f"{step.tab} {step.label}: {error}")
        assert problems == []
    finally:
        app.server.extensions["neo_store"].stop()


SHOWN = {"tab": "t", "type": "view-shown"}
SHOWN_KEY = entry_key({"id": SHOWN, "property": "data"})


def test_a_chart_left_out_because_the_page_shows_it_already_is_a_right_answer_and_the_visitor_keeps_digests():
    body = {"output": "x", "inputs": [], "state": [{"id": SHOWN, "property": "data", "value": {"main": "d1"}}]}
    request = Request("POST", "/_dash-update-component", 0.0, body, figures=(GRAPH_KEY,))
    shown_key = SHOWN_KEY.rsplit(".", 1)[0]
    same = json.dumps({"response": {shown_key: {"data": {"main": "d1"}}}})
    changed = json.dumps({"response": {shown_key: {"data": {"main": "d2"}}}})
    assert check_answer(request, 200, same) is None
    assert check_answer(request, 200, changed) == f"no figure data for figure of {GRAPH_KEY.rsplit('.', 1)[0][:60]}"

    fresh = Request("POST", "/_dash-update-component", 0.0, {**body, "state": [{**body["state"][0], "value": None}]})
    m = model(Step("load", "open", "/t", 0, (fresh,)), Step("change", "again", "/t", 1, (fresh,)))
    visitor = Visitor(m, random.Random(1))
    visitor.position = 0
    assert visitor.next_step()[1][0].body["state"][0]["value"] is None  # a new page shows nothing
    visitor.remember(changed)
    assert visitor.next_step()[1][0].body["state"][0]["value"] == {"main": "d2"}  # sends what its page shows
