"""Property-based fuzzing of the callback endpoint: for every server callback, structurally and semantically
bad bodies never get a 5xx, always answer in bounded time, errors are JSON, and ``/health`` stays 200.

Each callback gets a bounded number of examples (``max_examples``), so ``make test`` time stays
predictable (~1-2 minutes on a busy 2-core machine). The bodies start from a well-formed one built
from the callback's declared shape (``tests/serving/callback_bodies.py``) and are then damaged:
keys removed, values replaced by any JSON, list items added or removed (structure), or every
``value`` replaced by any JSON (semantics).
"""

from __future__ import annotations

import copy
import json
import time
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dashboard_app.app import create_app
from dashboard_app.settings import load_settings
from dashboard_app.web.callback_guard import CALLBACK_PATH, SHAPES_KEY
from tests.serving.callback_bodies import valid_body

pytestmark = pytest.mark.slow

SECONDS_PER_REQUEST = 10.0  # generous on a shared machine; a hang or a runaway computation still fails
FUZZ = settings(
    max_examples=12,
    deadline=None,  # the bound is SECONDS_PER_REQUEST, asserted per request, not hypothesis' timing
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    database=None,
)

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10), inner, max_size=5),
    max_leaves=12,
)


@pytest.fixture(scope="module")
def app(snapshot_data_dir):
    settings_ = load_settings(
        {"DATA_DIR": str(snapshot_data_dir), "LOG_FORMAT": "text", "RATE_LIMIT": "1000000 per minute"}, env_file=None
    )
    built = create_app(settings_)
    yield built
    built.server.extensions["neo_store"].stop()


@pytest.fixture(scope="module")
def client(app):
    return app.server.test_client()


def server_callbacks(app) -> list[str]:
    return sorted(app.server.extensions[SHAPES_KEY])


def _paths(node: Any, path: tuple = ()) -> list[tuple]:
    """Every path (tuple of keys/indexes) to a node below the root."""
    out = []
    if isinstance(node, dict):
        children = node.items()
    elif isinstance(node, list):
        children = enumerate(node)
    else:
        return out
    for key, child in children:
        out.append((*path, key))
        out.extend(_paths(child, (*path, key)))
    return out


def _parent(body: Any, path: tuple) -> Any:
    node = body
    for key in path[:-1]:
        node = node[key]
    return node


@st.composite
def damaged(draw, base: dict) -> dict:
    """``base`` with 1-3 structural changes at random places."""
    body = copy.deepcopy(base)
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(body)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent, key = _parent(body, path), path[-1]
        action = draw(st.sampled_from(["remove", "replace", "grow", "shrink", "retype"]))
        if action == "remove":
            del parent[key]
        elif action == "replace":
            parent[key] = draw(json_values)
        elif action == "retype":
            parent[key] = draw(st.sampled_from([None, 0, "", [], {}, True, "x.y", [None], {"id": None}]))
        elif isinstance(parent[key], list):
            if action == "grow":
                parent[key].append(copy.deepcopy(parent[key][0]) if parent[key] else draw(json_values))
            elif parent[key]:
                parent[key].pop()
        elif isinstance(parent[key], dict):
            parent[key][draw(st.text(max_size=8))] = draw(json_values)
    return body


@st.composite
def bad_values(draw, base: dict) -> dict:
    """``base`` with every input and state ``value`` replaced by arbitrary JSON (structure intact)."""
    body = copy.deepcopy(base)
    for key in ("inputs", "state"):
        for entry in body.get(key, []):
            for one in entry if isinstance(entry, list) else [entry]:
                one["value"] = draw(json_values)
    return body


def post(client, body: Any):
    started = time.monotonic()
    response = client.post(CALLBACK_PATH, data=json.dumps(body), content_type="application/json")
    elapsed = time.monotonic() - started
    return response, elapsed


def assert_handled(response, elapsed: float, body: Any) -> None:
    shown = json.dumps(body)[:600]
    assert response.status_code < 500, (
        f"HTTP {response.status_code} for {shown}\n{response.get_data(as_text=True)[:500]}"
    )
    assert elapsed < SECONDS_PER_REQUEST, f"{elapsed:.1f} s for {shown}"
    if response.status_code >= 400:
        error = response.get_json(silent=True)
        assert isinstance(error, dict) and error.get("error"), f"HTTP {response.status_code} without a JSON error"


def _property(client, bodies):
    @FUZZ
    @given(body=bodies)
    def property_holds(body):
        assert_handled(*post(client, body), body)

    return property_holds


def fuzz_every_callback(app, client, make_body) -> int:
    """Run the property for each server callback in turn; returns how many were fuzzed."""
    shapes = app.server.extensions[SHAPES_KEY]
    for output in sorted(shapes):
        try:
            _property(client, make_body(valid_body(shapes[output])))()
        except AssertionError as exc:
            raise AssertionError(f"callback {output}: {exc}") from None
    assert client.get("/health").status_code == 200
    return len(shapes)


def test_structurally_damaged_bodies_get_a_json_4xx_never_a_5xx(app, client):
    assert fuzz_every_callback(app, client, damaged) >= 10


def test_well_formed_bodies_with_any_values_never_get_a_5xx(app, client):
    assert fuzz_every_callback(app, client, bad_values) >= 10
