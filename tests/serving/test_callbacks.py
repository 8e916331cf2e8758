"""How callbacks are registered and what each interaction costs: one server callback per tab, public Dash API only.

- Two apps built in one process (tests do this all the time) both serve every callback: the factory
  replays the declarations of :mod:`dashboard_app.callbacks` on each app with ``app.callback``.
- No module reaches into Dash's private state (issue #20).
- A control change reaches the server through exactly one callback per tab (the tab's update, fed by the
  request store that the browser fills); CSV downloads read the drawn view, never the controls.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dashboard_app import callbacks
from dashboard_app.app import tab_modules
from dashboard_app.theme import CHART_THEME_STORE_ID
from dashboard_app.views.tab import SNAPSHOT_STORE_ID
from tests.harness.callbacks import (
    CALLBACK_PATH,
    dependencies,
    key,
    request_body,
    server_callbacks_reading,
    tab_update,
)

PACKAGE = Path(__file__).resolve().parents[2] / "dashboard_app"
PRIVATE_DASH = re.compile(r"dash\._|from dash import _|_callback_list|_inline_scripts|GLOBAL_CALLBACK|GLOBAL_INLINE")


def tabs_with_views():
    return [m for m in tab_modules() if hasattr(m, "TAB")]


def update_answer(client, module) -> dict:
    dep = tab_update(dependencies(client), module.VIEW)
    body = request_body(dep, {key(module.VIEW.request_id, "data"): {}, key(CHART_THEME_STORE_ID, "data"): "dark"})
    response = client.post(CALLBACK_PATH, json=body)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return response.get_json()["response"]


def test_two_apps_built_in_one_process_both_serve_every_callback(build_app, snapshot_dir):
    first, second = build_app(snapshot_dir), build_app(snapshot_dir)
    clients = [first.server.test_client(), second.server.test_client()]
    outputs = [sorted(d["output"] for d in dependencies(c)) for c in clients]
    assert outputs[0] == outputs[1]
    assert len(outputs[0]) >= len(callbacks.declared())  # every declaration, plus Dash's own page router
    for module in tabs_with_views():
        answers = [update_answer(c, module) for c in clients]
        assert answers[0] == answers[1]
        for chart in module.TAB.charts:
            out = chart.answer_output(module.VIEW)  # the graph, or the store a packed chart is drawn from
            graph = key(out.component_id, out.component_property).rsplit(".", 1)[0]
            assert out.component_property in answers[0][graph], (module.NAME, chart.index)
    csp = [c.get("/about").headers["Content-Security-Policy"] for c in clients]
    assert csp[0] == csp[1]
    inline = sum(isinstance(d.function, str) for d in callbacks.declared())
    assert len(re.findall(r"'sha256-", csp[0])) > inline  # each inline clientside callback is hashed


def test_no_module_reaches_into_private_dash_state():
    offenders = [
        f"{path.relative_to(PACKAGE.parent)}:{n}: {line.strip()}"
        for path in sorted(PACKAGE.rglob("*.py"))
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if PRIVATE_DASH.search(line)
    ]
    assert offenders == []


def test_declared_callbacks_stay_plain_functions():
    from dashboard_app.tabs import discoveries

    assert discoveries.TAB.update.__module__ == "dashboard_app.views.tab"
    assert not hasattr(discoveries.TAB.update, "__wrapped__")  # Dash's wrapper is attached to the app, not here


@pytest.mark.parametrize("module", tabs_with_views(), ids=lambda m: m.PATH)
def test_a_control_change_reaches_the_server_through_one_callback(build_app, snapshot_dir, module):
    deps = dependencies(build_app(snapshot_dir).server.test_client())
    view = module.VIEW
    controls = {key(view.control_id(n), "value") for n in view.names}
    assert server_callbacks_reading(deps, controls) == []  # controls feed the browser's request store only
    update = tab_update(deps, view)
    assert {f"{i['id']}.{i['property']}" for i in update["inputs"]} == {
        key(view.request_id, "data"),
        key(CHART_THEME_STORE_ID, "data"),  # set only when the visitor's theme differs from the page's charts
        key(SNAPSHOT_STORE_ID, "data"),  # a newly published snapshot redraws the open tab
    }
    assert [f"{i['id']}.{i['property']}" for i in update.get("state", [])] == [key(view.shown_id, "data")]
    # The request store is filled in the browser (no request), by one clientside callback.
    fillers = [d for d in deps if key(view.request_id, "data") in d["output"]]
    assert len(fillers) == 1 and fillers[0]["clientside_function"]
    assert {f"{i['id']}.{i['property']}" for i in fillers[0]["inputs"]} == controls


@pytest.mark.parametrize("module", tabs_with_views(), ids=lambda m: m.PATH)
def test_csv_downloads_read_the_drawn_view_not_the_controls(build_app, snapshot_dir, module):
    deps = dependencies(build_app(snapshot_dir).server.test_client())
    view = module.VIEW
    (download,) = [d for d in deps if '"type":"view-download"' in d["output"] and f'"tab":"{view.tab}"' in d["output"]]
    read = {f"{i['id']}.{i['property']}" for i in download["inputs"] + download["state"]}
    assert key(view.drawn_id, "data") in read
    assert not read & {key(view.control_id(n), "value") for n in view.names}
    assert not read & {key(view.request_id, "data")}
