"""Callback bodies with the wrong structure, size or depth get a short JSON 4xx and one log line, never a 500."""

from __future__ import annotations

import copy
import json
import logging

import pytest

from dashboard_app.web.callback_guard import CALLBACK_PATH, MAX_JSON_DEPTH, SHAPES_KEY
from dashboard_app.web.callback_shapes import BodyError, callback_shapes, check_body, json_depth_exceeds
from tests.serving.callback_bodies import valid_body
from tests.serving.test_responses import STATUS_CALLBACK

PAGES = ".._pages_content.children..._pages_store.data.."


@pytest.fixture(scope="module")
def app(snapshot_dir):
    from dashboard_app.app import create_app
    from dashboard_app.settings import load_settings

    settings = load_settings(
        {"DATA_DIR": str(snapshot_dir), "LOG_FORMAT": "text", "RATE_LIMIT": "100000 per minute"}, env_file=None
    )
    built = create_app(settings)
    yield built
    built.server.extensions["neo_store"].stop()


@pytest.fixture
def client(app):
    return app.server.test_client()


@pytest.fixture
def guard_log():
    """Records of the guard's logger (the app's handler writes to stdout; this one keeps them for asserts)."""
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append
    logger = logging.getLogger("dashboard_app.web.callback_guard")
    logger.addHandler(handler)
    yield records
    logger.removeHandler(handler)


def shape_of(app, output):
    return app.server.extensions[SHAPES_KEY][output]


def first_with(app, predicate):
    """The first server callback (sorted by key) whose shape satisfies ``predicate``."""
    shapes = app.server.extensions[SHAPES_KEY]
    return next(shapes[k] for k in sorted(shapes) if predicate(shapes[k]))


def post_json(client, body, **kwargs):
    return client.post(CALLBACK_PATH, data=json.dumps(body), content_type="application/json", **kwargs)


def assert_refused(response, status=400):
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    answer = response.get_json()
    assert answer["status"] == status and answer["error"] and answer["message"]
    assert len(response.get_data()) < 600  # short: no echo of the body, no stack trace
    return answer


def test_every_server_callback_and_only_those_are_known_to_the_guard(app, client):
    dependencies = client.get("/_dash-dependencies").get_json()
    server_side = {d["output"] for d in dependencies if not d.get("clientside_function")}
    assert set(app.server.extensions[SHAPES_KEY]) == server_side
    assert PAGES in server_side  # Dash's page router is checked like the app's own callbacks


def test_a_well_formed_body_built_from_each_declared_shape_is_accepted(app):
    for shape in app.server.extensions[SHAPES_KEY].values():
        assert check_body(valid_body(shape), app.server.extensions[SHAPES_KEY]) is shape


def test_the_body_real_browsers_send_for_the_status_refresh_is_answered(client):
    assert post_json(client, STATUS_CALLBACK).status_code == 200


def _mutations(app):
    """(name, body) for each kind of damage the issue lists, on real callbacks of the app."""
    multi = valid_body(first_with(app, lambda s: s.multi_output and len(s.inputs) > 1))
    stateful = valid_body(first_with(app, lambda s: s.state))
    single = valid_body(first_with(app, lambda s: not s.multi_output and s.outputs))
    pattern = valid_body(first_with(app, lambda s: any(d.is_pattern for d in s.inputs)))
    pages = valid_body(shape_of(app, PAGES))

    def changed(body, **edits):
        body = copy.deepcopy(body)
        for key, value in edits.items():
            if value is ...:
                body.pop(key, None)
            else:
                body[key] = value
        return body

    first_input = multi["inputs"][0]
    yield "inputs missing", changed(multi, inputs=...)
    yield "inputs not a list", changed(multi, inputs={"id": "x"})
    yield "inputs one short", changed(multi, inputs=multi["inputs"][:-1])
    yield "inputs one too many", changed(multi, inputs=[*multi["inputs"], first_input])
    yield "an input not an object", changed(multi, inputs=["x", *multi["inputs"][1:]])
    yield "an input without id", changed(multi, inputs=[{"property": "value"}, *multi["inputs"][1:]])
    yield "an input without property", changed(multi, inputs=[{"id": first_input["id"]}, *multi["inputs"][1:]])
    yield "an input with an unknown id", changed(multi, inputs=[first_input | {"id": "nope"}, *multi["inputs"][1:]])
    yield "an input id of the wrong type", changed(multi, inputs=[first_input | {"id": 7}, *multi["inputs"][1:]])
    yield (
        "an input with another property",
        changed(multi, inputs=[first_input | {"property": "style"}, *multi["inputs"][1:]]),
    )
    yield "state missing", changed(stateful, state=...)
    yield "state not a list", changed(stateful, state="x")
    yield "state one short", changed(stateful, state=stateful["state"][:-1])
    yield "outputs missing", changed(multi, outputs=...)
    yield "outputs not a list", changed(multi, outputs=multi["outputs"][0])
    yield "outputs one short", changed(multi, outputs=multi["outputs"][:-1])
    yield "an output with an unknown id", changed(multi, outputs=[{"id": "nope", "property": "children"}] * 2)
    yield "single output as a list", changed(single, outputs=[single["outputs"]])
    yield "single output without property", changed(single, outputs={"id": single["outputs"]["id"]})
    yield "changedPropIds not a list", changed(multi, changedPropIds="x.value")
    yield "changedPropIds naming no input", changed(multi, changedPropIds=["nope.value"])
    yield "changedPropIds not text", changed(multi, changedPropIds=[{"id": "x"}])
    yield "changedPropIds with broken pattern JSON", changed(multi, changedPropIds=['{"type":.value'])
    pattern_input = next(i for i in pattern["inputs"] if isinstance(i, dict) and isinstance(i["id"], dict))
    broken = [
        pattern_input | {"id": {**pattern_input["id"], "extra": 1}} if i is pattern_input else i
        for i in pattern["inputs"]
    ]
    yield "a pattern id with an extra key", changed(pattern, inputs=broken)
    yield (
        "a pattern id given as text",
        changed(
            pattern,
            inputs=[
                pattern_input | {"id": json.dumps(pattern_input["id"])} if i is pattern_input else i
                for i in pattern["inputs"]
            ],
        ),
    )
    yield (
        "output names a clientside callback",
        changed(
            single,
            output=next(
                d["output"]
                for d in app.server.test_client().get("/_dash-dependencies").get_json()
                if d.get("clientside_function")
            ),
        ),
    )
    yield "output missing", changed(single, output=...)
    for value in (None, 5, ["/about"], "about", "", "javascript:alert(1)"):
        location = [dict(pages["inputs"][0], value=value), pages["inputs"][1]]
        yield f"page router pathname {value!r}", changed(pages, inputs=location)
    without_value = {k: v for k, v in pages["inputs"][0].items() if k != "value"}
    yield "page router pathname without a value", changed(pages, inputs=[without_value, pages["inputs"][1]])
    yield "page router search a list", changed(pages, inputs=[pages["inputs"][0], dict(pages["inputs"][1], value=[1])])


def test_each_kind_of_structural_damage_gets_a_400_with_one_log_line_and_no_traceback(app, client, guard_log):
    refused = []
    for name, body in _mutations(app):
        guard_log.clear()
        response = post_json(client, body)
        try:
            answer = assert_refused(response)
        except AssertionError as exc:
            raise AssertionError(f"{name}: {exc}") from None
        refused.append(name)
        assert answer["detail"], name
        assert len(guard_log) == 1, name
        assert guard_log[0].exc_info is None and "Traceback" not in guard_log[0].getMessage(), name
    assert len(refused) >= 30


def test_json_nested_5000_deep_gets_400_not_a_recursion_error(client, guard_log):
    deep = "[" * 5000 + "]" * 5000
    assert (
        "nested deeper"
        in assert_refused(client.post(CALLBACK_PATH, data=deep, content_type="application/json"))["detail"]
    )
    assert len(guard_log) == 1 and guard_log[0].exc_info is None


def test_a_value_nested_deeper_than_the_limit_gets_400(app, client):
    body = valid_body(shape_of(app, PAGES))
    value: list = []
    for _ in range(MAX_JSON_DEPTH):
        value = [value]
    body["inputs"][1]["value"] = value
    assert "nested deeper" in assert_refused(post_json(client, body))["detail"]


def test_a_body_over_the_size_limit_gets_413_before_it_is_read(build_app, snapshot_dir):
    client = build_app(snapshot_dir, CALLBACK_MAX_BYTES="8192").server.test_client()
    body = dict(STATUS_CALLBACK, padding="x" * 9000)
    answer = assert_refused(post_json(client, body), status=413)
    assert "8,192 bytes" in answer["message"]
    assert post_json(client, STATUS_CALLBACK).status_code == 200


def test_a_body_that_is_not_declared_json_gets_415(client):
    response = client.post(CALLBACK_PATH, data=json.dumps(STATUS_CALLBACK), content_type="text/plain")
    assert_refused(response, status=415)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"output": "a.b", "inputs": []}, "output names no server callback"),
        ([], "not a JSON object"),
    ],
)
def test_check_body_names_the_problem(body, reason):
    shapes = callback_shapes([{"output": "x.children", "inputs": [{"id": "y", "property": "value"}], "state": []}])
    with pytest.raises(BodyError, match=reason):
        check_body(body, shapes)


def test_allow_duplicate_outputs_are_accepted_with_or_without_their_hash():
    shapes = callback_shapes(
        [{"output": "..a.value@abc...b.children..", "inputs": [{"id": "c", "property": "n_clicks"}], "state": []}]
    )
    for prop in ("value@abc", "value"):
        body = {
            "output": "..a.value@abc...b.children..",
            "outputs": [{"id": "a", "property": prop}, {"id": "b", "property": "children"}],
            "inputs": [{"id": "c", "property": "n_clicks", "value": 1}],
            "changedPropIds": ["c.n_clicks"],
        }
        check_body(body, shapes)


def test_all_wildcards_take_a_list_of_matches_and_match_wildcards_one():
    shapes = callback_shapes(
        [
            {
                "output": '{"index":["MATCH"],"type":"out"}.children',
                "inputs": [{"id": '{"index":["ALL"],"type":"in"}', "property": "value"}],
                "state": [],
            }
        ]
    )
    body = {
        "output": '{"index":["MATCH"],"type":"out"}.children',
        "outputs": {"id": {"index": 2, "type": "out"}, "property": "children"},
        "inputs": [[{"id": {"index": 1, "type": "in"}, "property": "value", "value": 3}]],
        "changedPropIds": ['{"index":1,"type":"in"}.value'],
    }
    check_body(body, shapes)
    for broken in (
        body | {"inputs": [{"id": {"index": 1, "type": "in"}, "property": "value"}]},  # ALL needs a list
        body | {"outputs": [body["outputs"]]},  # MATCH needs one
        body | {"inputs": [[{"id": {"index": [1], "type": "in"}, "property": "value"}]]},  # index not a scalar
        body | {"inputs": [[{"id": {"index": 1, "type": "other"}, "property": "value"}]]},  # fixed key differs
    ):
        with pytest.raises(BodyError):
            check_body(broken, shapes)


def test_depth_is_measured_without_recursion():
    deep: list = []
    for _ in range(100_000):
        deep = [deep]
    assert json_depth_exceeds(deep, 64)
    assert not json_depth_exceeds({"a": [[1]]}, 3)
    assert json_depth_exceeds({"a": [[1]]}, 2)
