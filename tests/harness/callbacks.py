"""Dash callback requests as the browser sends them, built from the app's own ``/_dash-dependencies``.

- ``dependencies(client)`` — the app's callback list (Flask test client or ``requests`` session + base URL).
- ``request_body(dep, values, changed)`` — the JSON body of one callback request: every input and state
  filled from ``values`` (``"<id>.<prop>"`` keys, ids stringified as Dash does).
- ``tab_update(deps, view)`` — the one server callback that draws a tab (its input is the tab's request store).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

CALLBACK_PATH = "/_dash-update-component"


def key(component_id: Any, prop: str) -> str:
    """``"<id>.<prop>"`` with dict ids stringified the way Dash does (sorted keys, no spaces)."""
    cid = (
        json.dumps(component_id, sort_keys=True, separators=(",", ":"))
        if isinstance(component_id, dict)
        else component_id
    )
    return f"{cid}.{prop}"


def _id(text: str) -> Any:
    return json.loads(text) if text.startswith("{") else text


def output_specs(output: str) -> list[dict[str, Any]]:
    """The ``outputs`` list of a dependency's ``output`` string (``..a.x...b.y..`` for several)."""
    parts = output[2:-2].split("...") if output.startswith("..") else [output]
    return [{"id": _id(p.rsplit(".", 1)[0]), "property": p.rsplit(".", 1)[1]} for p in parts]


def dependencies(client: Any) -> list[dict[str, Any]]:
    """The app's callbacks as the browser receives them."""
    response = client.get("/_dash-dependencies")
    assert response.status_code == 200
    return response.get_json()


def request_body(dep: Mapping[str, Any], values: Mapping[str, Any], changed: list[str] | None = None) -> dict:
    """The body the browser POSTs for ``dep`` with inputs and states from ``values``."""

    def filled(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{**i, "id": _id(i["id"]), "value": values.get(f"{i['id']}.{i['property']}")} for i in items]

    outputs = output_specs(dep["output"])
    inputs = filled(dep["inputs"])
    return {
        "output": dep["output"],
        "outputs": outputs if dep["output"].startswith("..") else outputs[0],
        "inputs": inputs,
        "state": filled(dep.get("state", [])),
        "changedPropIds": changed
        if changed is not None
        else [f"{dep['inputs'][0]['id']}.{dep['inputs'][0]['property']}"],
    }


def server_callbacks_reading(deps: list[dict[str, Any]], keys: set[str]) -> list[dict[str, Any]]:
    """The server (not clientside) callbacks with an Input among ``keys``."""
    return [
        d
        for d in deps
        if not d.get("clientside_function") and {f"{i['id']}.{i['property']}" for i in d["inputs"]} & keys
    ]


def tab_update(deps: list[dict[str, Any]], view: Any) -> dict[str, Any]:
    """The one server callback drawing ``view``'s tab."""
    (dep,) = server_callbacks_reading(deps, {key(view.request_id, "data")})
    return dep
