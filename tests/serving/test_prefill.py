"""The first view drawn into the page: a tab's layout holds its charts, so a page load makes no callback request.

Measured before (issue #12): every page load and every tab link waited for the tab's update callback
(a request, then a second render) before its charts could start drawing.
"""

from __future__ import annotations

import json
import logging
from urllib.parse import quote

import dash
import pytest

from dashboard_app.app import tab_modules
from dashboard_app.theme import CHART_THEME_STORE_ID, THEME_COOKIE
from dashboard_app.views import prefill
from dashboard_app.web import first_view
from tests.serving.layout_tree import find


def views_tabs():
    return [m for m in tab_modules() if hasattr(m, "TAB")]


@pytest.fixture(scope="module")
def app(snapshot_dir):
    from dashboard_app.app import create_app
    from dashboard_app.settings import load_settings

    app = create_app(load_settings({"DATA_DIR": str(snapshot_dir), "LOG_FORMAT": "text"}, env_file=None))
    yield app
    app.server.extensions["neo_store"].stop()


def layout_for(client, page: str):
    response = client.get(f"/_dash-layout?{first_view.PAGE_PARAM}={quote(page, safe='')}")
    assert response.status_code == 200
    return response.get_json()


def jsonable(value):
    from plotly.io.json import to_json_plotly

    return json.loads(to_json_plotly(value))


@pytest.mark.parametrize("module", views_tabs(), ids=lambda m: m.PATH)
def test_the_page_holds_what_the_update_callback_answers_for_its_values(app, module):
    view, tab = module.VIEW, module.TAB
    layout = layout_for(app.server.test_client(), f"{module.PATH}?unrelated=1")
    values = find(layout, view.request_id)["props"]["data"]
    with app.server.test_request_context(module.PATH):
        answer = tab.update(values, "light", None, shown=None)
    for index, (figure, note) in answer["charts"].items():
        chart = next(c for c in tab.charts if c.index == index)
        target = find(layout, chart.answer_output(view).component_id)
        assert target is not None, index
        prop = chart.answer_output(view).component_property
        assert target["props"][prop] == jsonable(figure), f"{index}: the page's chart differs from the callback's"
        assert find(layout, view.note_id(index))["props"].get("children") == jsonable(note)
    assert find(layout, view.drawn_id)["props"]["data"] == answer["drawn"]  # CSV downloads follow it
    assert find(layout, view.url_id)["props"]["data"] == answer["url"]
    assert find(layout, view.shown_id)["props"]["data"] == answer["shown"]  # an unchanged chart is not resent
    for index, params in answer.get("exports", {}).items():  # a table's CSV: its file name and comment lines
        assert find(layout, view.grid_id(index))["props"]["csvExportParams"] == params
    for key, value in answer.get("props", {}).items():
        name, prop = key.split(".")
        assert find(layout, view.control_id(name))["props"][prop] == jsonable(value), key


def test_the_charts_are_drawn_in_the_theme_the_cookie_names_and_the_page_says_so(app):
    client = app.server.test_client()
    light = layout_for(client, "/discoveries")
    client.set_cookie(THEME_COOKIE, "dark")
    dark = layout_for(client, "/discoveries")
    client.set_cookie(THEME_COOKIE, "<script>")
    junk = layout_for(client, "/discoveries")
    from dashboard_app.tabs import discoveries

    def paper(layout):  # the chart's answer, in its store (drawn by its client function)
        figure = find(layout, discoveries.VIEW.packed_id("main"))["props"]["data"]
        return figure["layout"]["template"]["layout"]["paper_bgcolor"]

    assert (paper(light), paper(dark), paper(junk)) == ("#ffffff", "#212529", "#ffffff")
    # The chart-theme store starts as the theme the charts were drawn in: the callback runs only on a change.
    assert [find(x, CHART_THEME_STORE_ID)["props"]["data"] for x in (light, dark, junk)] == ["light", "dark", "light"]
    named = client.get(f"/_dash-layout?{first_view.PAGE_PARAM}=%2Fdiscoveries")
    assert named.headers["Cache-Control"] == "no-cache" and "Cookie" in named.headers["Vary"]  # never a shared copy


def test_the_update_callback_is_not_called_on_page_load_but_the_browser_side_ones_are(app):
    deps = app.server.test_client().get("/_dash-dependencies").get_json()
    for module in views_tabs():
        request = prefill.component_key(module.VIEW.request_id)
        update = next(d for d in deps if [i["id"] for i in d["inputs"]][:1] == [request])  # the tab's one update
        assert update["prevent_initial_call"] is True, module.PATH
        assert update["clientside_function"] is None
        show_query = next(
            d
            for d in deps
            if d["clientside_function"]
            and d["clientside_function"]["function_name"] == "showQuery"
            and d["inputs"][0]["id"] == prefill.component_key(module.VIEW.url_id)
        )
        assert show_query["prevent_initial_call"] is False  # the address bar gets the page's canonical query


def test_layouts_are_not_drawn_outside_a_page_request(app, monkeypatch):
    calls = []
    monkeypatch.setattr(prefill, "prefill", lambda tree, *_args: calls.append(tree) or tree)
    layout = next(p["layout"] for p in dash.page_registry.values() if p["path"] == "/discoveries")
    with app.server.test_request_context("/_dash-dependencies"):
        layout()  # as Dash validating the layouts at start-up: no charts computed
    layout()  # outside any request
    assert calls == []
    with app.server.test_request_context(f"/_dash-layout?{first_view.PAGE_PARAM}=/discoveries"):
        layout()
    assert len(calls) == 1


def test_a_first_view_that_fails_still_gives_the_page_with_each_chart_saying_so(app, monkeypatch, caplog):
    module = next(m for m in views_tabs() if m.PATH == "/sizes")

    def broken(*_args, **_kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(prefill, "prefill", broken)
    with caplog.at_level(logging.ERROR, logger=prefill.__name__):
        layout = layout_for(app.server.test_client(), "/sizes")
    assert find(layout, module.VIEW.request_id) is not None  # the controls are there: a change asks again
    for chart in module.TAB.charts:
        assert find(layout, module.VIEW.note_id(chart.index))["props"]["children"] == prefill.FAILED_NOTE
    assert any("first view of sizes" in r.getMessage() for r in caplog.records)


def test_the_layout_naming_a_page_is_rate_limited_like_a_callback_and_the_plain_layout_is_not(build_app, snapshot_dir):
    client = build_app(snapshot_dir, RATE_LIMIT="3 per minute").server.test_client()
    named = [client.get(f"/_dash-layout?{first_view.PAGE_PARAM}=%2Fsizes").status_code for _ in range(4)]
    assert named == [200, 200, 200, 429]
    refused = client.get(f"/_dash-layout?{first_view.PAGE_PARAM}=%2Fsizes")
    assert refused.get_json()["error"] == "Too many requests" and int(refused.headers["Retry-After"]) > 0
    assert {client.get("/_dash-layout").status_code for _ in range(5)} == {200}
