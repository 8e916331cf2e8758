"""Reading a ``/_dash-layout`` answer (components as JSON) in tests."""

from __future__ import annotations

from typing import Any


def find(node: Any, wanted_id: Any) -> dict[str, Any] | None:
    """The component (as JSON) with id ``wanted_id`` in a ``/_dash-layout`` answer, or None."""
    if isinstance(node, dict):
        if node.get("props", {}).get("id") == wanted_id:
            return node
        return next((hit for v in node.values() if (hit := find(v, wanted_id)) is not None), None)
    if isinstance(node, list):
        return next((hit for v in node if (hit := find(v, wanted_id)) is not None), None)
    return None
