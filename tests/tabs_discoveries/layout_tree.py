"""Find components in a Dash layout tree (for URL round-trip tests)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def walk(component: Any) -> Iterator[Any]:
    """Every component in the tree under ``component`` (itself first), depth first."""
    yield component
    children = getattr(component, "children", None)
    if children is None:
        return
    for child in children if isinstance(children, (list, tuple)) else [children]:
        yield from walk(child)


def find(component: Any, component_id: Any) -> Any:
    """The component with ``component_id`` in the tree under ``component`` (None when absent)."""
    return next((c for c in walk(component) if getattr(c, "id", None) == component_id), None)


def control_values(layout: Any, view: Any) -> dict[str, Any]:
    """``{name: value}`` of every control of ``view`` as rendered in ``layout``."""
    out = {}
    for name in view.names:
        component = find(layout, view.control_id(name))
        assert component is not None, f"control {name} missing from the layout"
        out[name] = component.value
    return out
