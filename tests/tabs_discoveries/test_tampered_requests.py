"""Tampered callback requests through Dash's real endpoint: junk values draw the default view, never a traceback."""

from __future__ import annotations

import json

import pytest

from dashboard_app.tabs import discoveries, sizes
from dashboard_app.theme import THEME_STORE_ID

JUNK_VALUES = [None, "", "💥", -1, 1e308, [], ["a", "b", "c"], {"$gt": ""}, "1990-1980-1970", True]


def post(client, view, index: str, prop: str, values: dict, theme) -> dict:
    graph, note = view.graph_id(index), view.note_id(index)
    body = {
        "output": f"..{json.dumps(graph, sort_keys=True, separators=(',', ':'))}.{prop}..."
        f"{json.dumps(note, sort_keys=True, separators=(',', ':'))}.children..",
        "outputs": [{"id": graph, "property": prop}, {"id": note, "property": "children"}],
        "inputs": [{"id": view.control_id(n), "property": "value", "value": values.get(n)} for n in view.names]
        + [{"id": THEME_STORE_ID, "property": "data", "value": theme}],
        "state": [],
        "changedPropIds": [f"{view.control_id(view.names[0])}.value"],
    }
    response = client.post("/_dash-update-component", json=body)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert "Traceback" not in response.get_data(as_text=True)
    return response.get_json()["response"]


@pytest.mark.parametrize("junk", JUNK_VALUES)
@pytest.mark.parametrize(
    ("tab", "index", "prop"), [(discoveries, "main", "figure"), (sizes, "main", "figure"), (sizes, "model", "data")]
)
def test_junk_in_every_control_answers_with_the_default_view(small_app, tab, index, prop, junk):
    client = small_app.server.test_client()
    graph_key = json.dumps(tab.VIEW.graph_id(index), sort_keys=True, separators=(",", ":"))
    got = post(client, tab.VIEW, index, prop, dict.fromkeys(tab.VIEW.names, junk), junk)
    default = post(client, tab.VIEW, index, prop, {}, "light")
    if prop == "figure":
        assert got[graph_key]["figure"]["data"] == default[graph_key]["figure"]["data"]
    else:
        assert got[graph_key][prop] == default[graph_key][prop]
