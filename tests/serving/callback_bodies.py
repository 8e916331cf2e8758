"""Well-formed callback request bodies for every server callback of an app, built from its declared shapes.

Only from what the browser is told (``/_dash-dependencies``, through
:func:`dashboard_app.web.callback_shapes.callback_shapes`), so the bodies follow the callbacks as
they change. Pattern wildcards get the index ``"x"``; ``ALL`` dependencies get one match. Values
are ``None`` except a location ``pathname`` (``"/about"``) and ``search`` (``""``).
"""

from __future__ import annotations

import json
from typing import Any

from dashboard_app.web.callback_shapes import CallbackShape, Dependency, _wildcard

PLACEHOLDER_VALUES = {"pathname": "/about", "search": "", "hash": ""}


def concrete_id(dep: Dependency) -> Any:
    """The declared id with every wildcard replaced by ``"x"``."""
    if not dep.is_pattern:
        return dep.id
    return {k: ("x" if _wildcard(v) else v) for k, v in dep.id.items()}  # type: ignore[union-attr]


def item(dep: Dependency, *, value: bool) -> Any:
    one: dict[str, Any] = {"id": concrete_id(dep), "property": dep.property}
    if value:
        one["value"] = PLACEHOLDER_VALUES.get(dep.property)
    return [one] if dep.is_multi else one


def prop_id(dep: Dependency) -> str:
    id_ = concrete_id(dep)
    text = json.dumps(id_, sort_keys=True, separators=(",", ":")) if isinstance(id_, dict) else id_
    return f"{text}.{dep.property}"


def valid_body(shape: CallbackShape) -> dict[str, Any]:
    """A body the guard accepts for ``shape``, as the renderer would send it (first input changed)."""
    outputs = [item(d, value=False) for d in shape.outputs]
    body: dict[str, Any] = {
        "output": shape.output,
        "outputs": outputs if shape.multi_output or not outputs else outputs[0],
        "inputs": [item(d, value=True) for d in shape.inputs],
        "changedPropIds": [prop_id(shape.inputs[0])] if shape.inputs else [],
    }
    if shape.state:
        body["state"] = [item(d, value=True) for d in shape.state]
    return body
