"""The declared shape of every server callback, and a check of a callback request body against it.

Dash's renderer posts one JSON body per callback call to ``/_dash-update-component``:
``output`` (the callback's key), ``outputs``, ``inputs``, ``state``, ``changedPropIds``. Dash itself
trusts that body: a missing key, a wrong type or a list of the wrong length ends in a KeyError,
TypeError or IndexError deep inside Dash, a 500 and a stack trace. :func:`callback_shapes` reads the
app's public dependency list (what ``/_dash-dependencies`` serves the browser) once at start-up, so
the shapes follow the callbacks as they change, and :func:`check_body` compares a body with them
before Dash sees it. The module is pure: no Flask, no I/O.

What a body must look like for a callback with outputs O, inputs I and state S (as the renderer
sends it, dash 4.4):

- ``outputs``: one item per output (a list when O has several, the item alone when one);
  ``inputs``: a list with one item per input; ``state``: likewise, absent or empty when S is;
- an item is ``{"id": …, "property": …}`` (inputs and state also carry ``value``) whose id and
  property are the declared ones; a pattern-matching id (``{"type": "x", "index": MATCH}``) is a
  dict with the declared keys, the declared value where the key is not a wildcard and a string,
  number or boolean where it is; an ``ALL``/``ALLSMALLER`` dependency is a list of such items;
- ``changedPropIds``: a list of ``"<id>.<property>"`` naming inputs of this call;
- a ``dcc.Location``'s ``pathname`` (Dash's page router) is text starting with ``/`` and its
  ``search``/``hash`` text (or null).
Values are not checked further: they are each callback's own business.
"""

from __future__ import annotations

import builtins
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

WILDCARDS = frozenset({"ALL", "MATCH", "ALLSMALLER"})
MULTI_WILDCARDS = frozenset({"ALL", "ALLSMALLER"})

# Properties whose values Dash itself (not a callback) parses: dcc.Location's, read by the page router.
_LOCATION_TEXT = {"pathname": "/", "search": "?", "hash": "#"}


class BodyError(ValueError):
    """The body does not have the callback's declared shape; the message says where, in a few words."""


@dataclass(frozen=True)
class Dependency:
    """One declared output, input or state: a component id (text or pattern dict) and a property."""

    id: str | Mapping[str, Any]
    property: str

    # `builtins.property`: in the class body `property` is the field above.
    @builtins.property
    def is_pattern(self) -> bool:
        return not isinstance(self.id, str)

    @builtins.property
    def is_multi(self) -> bool:
        """True for ``ALL``/``ALLSMALLER`` patterns: the body carries a list of matching items."""
        return not isinstance(self.id, str) and any(_wildcard(v) in MULTI_WILDCARDS for v in self.id.values())

    def describe(self) -> str:
        return f"{json.dumps(self.id, sort_keys=True) if self.is_pattern else self.id}.{self.property}"


@dataclass(frozen=True)
class CallbackShape:
    """What a request for one server callback must carry (see the module docstring)."""

    output: str
    outputs: tuple[Dependency, ...]
    multi_output: bool
    inputs: tuple[Dependency, ...]
    state: tuple[Dependency, ...]


def _wildcard(value: Any) -> str | None:
    """``"ALL"`` for the serialised wildcard ``["ALL"]`` (how Dash writes them in ids), else ``None``."""
    if isinstance(value, list) and len(value) == 1 and value[0] in WILDCARDS:
        return value[0]
    return None


def _parse_id(text: str) -> str | dict[str, Any]:
    """A dependency id as served: plain text, or a pattern dict serialised as JSON text."""
    return json.loads(text) if text.startswith("{") else text


def _clean(prop: str) -> str:
    """The property without the ``@hash`` Dash appends to ``allow_duplicate`` outputs."""
    return prop.split("@", 1)[0]


def _split_output(output: str) -> tuple[list[Dependency], bool]:
    """The outputs named by a callback key: ``id.prop`` or ``..id1.prop1...id2.prop2..`` (multi-output)."""
    multi = output.startswith("..") and output.endswith("..")
    parts = output[2:-2].split("...") if multi else [output]
    deps = []
    for part in parts:
        id_text, _, prop = part.rpartition(".")
        deps.append(Dependency(_parse_id(id_text), _clean(prop)))
    return deps, multi


def _dependencies(items: Iterable[Mapping[str, Any]]) -> tuple[Dependency, ...]:
    return tuple(Dependency(_parse_id(item["id"]), item["property"]) for item in items)


def callback_shapes(dependencies: Sequence[Mapping[str, Any]]) -> dict[str, CallbackShape]:
    """The server callbacks' shapes from Dash's dependency list (``GET /_dash-dependencies``).

    Clientside callbacks are left out: they run in the browser, so a request naming one is refused.
    """
    shapes = {}
    for dep in dependencies:
        if dep.get("clientside_function"):
            continue
        outputs, multi = ([], False) if dep.get("no_output") else _split_output(dep["output"])
        shapes[dep["output"]] = CallbackShape(
            dep["output"], tuple(outputs), multi, _dependencies(dep["inputs"]), _dependencies(dep.get("state", []))
        )
    return shapes


# --- the check --------------------------------------------------------------------------


def _is_scalar(value: Any) -> bool:
    """A value a wildcard key of a pattern id may take: text, a number or a boolean."""
    return isinstance(value, str | bool | int) or (isinstance(value, float) and value == value)


def _same(a: Any, b: Any) -> bool:
    """JSON equality without Python's ``True == 1``."""
    return type(a) is type(b) and a == b


def _check_id(found: Any, declared: str | Mapping[str, Any], where: str) -> None:
    if isinstance(declared, str):
        if not _same(found, declared):
            raise BodyError(f"{where}: id is not {declared!r}")
        return
    if not isinstance(found, dict) or set(found) != set(declared):
        raise BodyError(f"{where}: id is not a pattern id with keys {sorted(declared)}")
    for key, want in declared.items():
        got = found[key]
        if _wildcard(want) is not None:
            if not _is_scalar(got):
                raise BodyError(f"{where}: id key {key!r} is not text, a number or a boolean")
        elif not _same(got, want):
            raise BodyError(f"{where}: id key {key!r} is not {want!r}")


def _check_location_value(item: Mapping[str, Any], where: str) -> None:
    prefix = _LOCATION_TEXT.get(item["property"])
    if prefix is None or ("value" not in item and prefix != "/"):
        return
    value = item.get("value")  # a pathname sent without a value reaches the router as None: refused like null
    if prefix == "/":
        if not (isinstance(value, str) and value.startswith("/")):
            raise BodyError(f"{where}: pathname is not text starting with '/'")
    elif value is not None and not (isinstance(value, str) and (value == "" or value.startswith(prefix))):
        raise BodyError(f"{where}: {item['property']} is not text starting with {prefix!r}")


def _check_single(item: Any, dep: Dependency, where: str, *, output: bool) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise BodyError(f"{where}: not an object with id and property")
    if "id" not in item or "property" not in item:
        raise BodyError(f"{where}: id or property missing")
    prop = item["property"]
    if not isinstance(prop, str) or (_clean(prop) if output else prop) != dep.property:
        raise BodyError(f"{where}: property is not {dep.property!r}")
    _check_id(item["id"], dep.id, where)
    if not output:
        _check_location_value(item, where)
    return item


def _check_item(item: Any, dep: Dependency, where: str, *, output: bool = False) -> list[dict[str, Any]]:
    """Check one body item against its dependency; return the concrete items (several for ALL)."""
    if dep.is_multi:
        if not isinstance(item, list):
            raise BodyError(f"{where}: not a list (pattern {dep.describe()})")
        return [_check_single(x, dep, f"{where}[{i}]", output=output) for i, x in enumerate(item)]
    return [_check_single(item, dep, where, output=output)]


def _check_list(body: Mapping[str, Any], key: str, deps: Sequence[Dependency]) -> list[dict[str, Any]]:
    items = body.get(key)
    if items is None and key == "state" and not deps:
        return []
    if not isinstance(items, list):
        raise BodyError(f"{key}: not a list")
    if len(items) != len(deps):
        raise BodyError(f"{key}: {len(items)} items, the callback has {len(deps)}")
    return [
        one
        for i, (item, dep) in enumerate(zip(items, deps, strict=True))
        for one in _check_item(item, dep, f"{key}[{i}]")
    ]


def _check_outputs(body: Mapping[str, Any], shape: CallbackShape) -> None:
    outputs = body.get("outputs")
    if not shape.outputs:  # a callback without outputs: Dash ignores what is sent
        if outputs not in (None, []):
            raise BodyError("outputs: the callback has none")
        return
    if shape.multi_output:
        if not isinstance(outputs, list) or len(outputs) != len(shape.outputs):
            raise BodyError(f"outputs: not a list of {len(shape.outputs)} items")
        for i, (item, dep) in enumerate(zip(outputs, shape.outputs, strict=True)):
            _check_item(item, dep, f"outputs[{i}]", output=True)
    else:
        _check_item(outputs, shape.outputs[0], "outputs", output=True)


def _prop_id_target(prop_id: str) -> tuple[Any, str] | None:
    """``(id, property)`` of a ``changedPropIds`` entry, the id parsed when it is a pattern; None if unreadable."""
    id_text, dot, prop = prop_id.rpartition(".")
    if not dot or not id_text:
        return None
    if id_text.startswith("{"):
        try:
            return json.loads(id_text), prop
        except ValueError:
            return None
    return id_text, prop


def _check_changed(body: Mapping[str, Any], inputs: Sequence[Mapping[str, Any]]) -> None:
    changed = body.get("changedPropIds", [])
    if not isinstance(changed, list) or len(changed) > len(inputs):
        raise BodyError("changedPropIds: not a list of at most one entry per input")
    for i, prop_id in enumerate(changed):
        target = _prop_id_target(prop_id) if isinstance(prop_id, str) else None
        if target is None or not any(_same(item["id"], target[0]) and item["property"] == target[1] for item in inputs):
            raise BodyError(f"changedPropIds[{i}]: names no input of this call")


def check_body(body: Any, shapes: Mapping[str, CallbackShape]) -> CallbackShape:
    """Return the shape of the callback ``body`` calls; raise :class:`BodyError` unless it has that shape."""
    if not isinstance(body, dict):
        raise BodyError("the body is not a JSON object")
    output = body.get("output")
    shape = shapes.get(output) if isinstance(output, str) else None
    if shape is None:
        raise BodyError("output names no server callback of this app")
    _check_outputs(body, shape)
    inputs = _check_list(body, "inputs", shape.inputs)
    _check_list(body, "state", shape.state)
    _check_changed(body, inputs)
    return shape


def json_depth_exceeds(value: Any, limit: int) -> bool:
    """True when ``value`` nests lists/objects more than ``limit`` deep (checked without recursion)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children: Iterable[Any] = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False
