"""Tampered callback requests through Dash's real endpoint: junk values draw the default view, never a traceback."""

from __future__ import annotations

import pytest

from dashboard_app.tabs import discoveries, sizes
from dashboard_app.theme import CHART_THEME_STORE_ID
from tests.harness.callbacks import CALLBACK_PATH, dependencies, key, request_body, tab_update

JUNK_VALUES = [None, "", "💥", -1, 1e308, [], ["a", "b", "c"], {"$gt": ""}, "1990-1980-1970", True]


def post(client, view, request, theme) -> dict:
    """POST the tab's one update callback with ``request`` as the request store's value."""
    dep = tab_update(dependencies(client), view)
    body = request_body(dep, {key(view.request_id, "data"): request, key(CHART_THEME_STORE_ID, "data"): theme})
    response = client.post(CALLBACK_PATH, json=body)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert "Traceback" not in response.get_data(as_text=True)
    return response.get_json()["response"]


def charts(response: dict, view, index: str, prop: str):
    """A chart's answer: a table's rows, or a figure (in the chart's store, drawn by its client function)."""
    component, prop = (view.grid_id(index), prop) if prop == "rowData" else (view.packed_id(index), "data")
    return response[key(component, prop).rsplit(".", 1)[0]][prop]


@pytest.mark.parametrize("junk", JUNK_VALUES)
@pytest.mark.parametrize(
    ("tab", "index", "prop"), [(discoveries, "main", "figure"), (sizes, "main", "figure"), (sizes, "model", "rowData")]
)
def test_junk_in_every_control_answers_with_the_default_view(small_app, tab, index, prop, junk):
    client = small_app.server.test_client()
    got = post(client, tab.VIEW, dict.fromkeys(tab.VIEW.names, junk), junk)
    default = post(client, tab.VIEW, {}, "light")
    if prop == "figure":
        assert charts(got, tab.VIEW, index, prop)["data"] == charts(default, tab.VIEW, index, prop)["data"]
    else:
        assert charts(got, tab.VIEW, index, prop) == charts(default, tab.VIEW, index, prop)
    drawn = key(tab.VIEW.drawn_id, "data").rsplit(".", 1)[0]
    assert got[drawn]["data"] == default[drawn]["data"]  # CSV downloads follow the default view too


@pytest.mark.parametrize("junk", JUNK_VALUES)
def test_a_request_store_that_is_not_an_object_draws_the_default_view(small_app, junk):
    client = small_app.server.test_client()
    got = post(client, discoveries.VIEW, junk, "light")
    default = post(client, discoveries.VIEW, {}, "light")
    assert charts(got, discoveries.VIEW, "main", "figure") == charts(default, discoveries.VIEW, "main", "figure")
