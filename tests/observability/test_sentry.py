"""Sentry: an unhandled error in a gunicorn worker reaches a local ingest sink, scrubbed; nothing without a DSN."""

from __future__ import annotations

import json

import pytest

from dashboard_app.observability.errors import scrub_event
from tests.harness.server import launch
from tests.observability.conftest import publish_tiny
from tests.observability.sentry_sink import sentry_sink
from tests.observability.traffic import request

REPO_APP = "tests.observability.failing_app:server"


def _start(tmp_path, tmp_path_factory, **env):
    from tests.harness.server import REPO

    folder = tmp_path_factory.mktemp("sentry")
    return launch(tmp_path, folder / "server.log", app=REPO_APP, PYTHONPATH=str(REPO), WORKERS="2", **env)


@pytest.mark.slow
def test_an_unhandled_error_reaches_sentry_with_its_request_id_and_no_personal_data(tmp_path, tmp_path_factory):
    publish_tiny(tmp_path)
    with sentry_sink() as sink:
        server = _start(tmp_path, tmp_path_factory, SENTRY_DSN=sink.dsn, SENTRY_ENVIRONMENT="test-env")
        try:
            assert json.loads(request(f"{server.url}/_test/sentry")[1]) == {"active": True}
            status, body = request(
                f"{server.url}/_test/boom?years=2000-2010&email=someone%40example.org",
                headers={"X-Request-ID": "req-0123456789abcdef", "Cookie": "session=s3cr3t-cookie"},
            )
            assert status == 500 and b"boom" not in body, "the visitor sees no error text"
            events = sink.wait_for_events(1)
        finally:
            server.stop()
    assert len(events) == 1, events
    event = events[0]
    (exception,) = event["exception"]["values"]
    assert (exception["type"], exception["value"]) == ("RuntimeError", "boom from the test route")
    assert event["tags"]["request_id"] == "req-0123456789abcdef"
    assert event["tags"]["component"] == "app"
    assert event["environment"] == "test-env"
    assert event["request"]["query_string"] == "years=2000-2010"
    assert event["request"]["url"].endswith("/_test/boom")
    assert "user" not in event and "env" not in event["request"] and "cookies" not in event["request"]
    assert {k.lower() for k in event["request"]["headers"]} <= {
        "accept",
        "accept-encoding",
        "content-length",
        "content-type",
        "x-request-id",
    }
    text = json.dumps(event)
    for personal in ("someone", "s3cr3t-cookie", "REMOTE_ADDR", "Python-urllib"):  # 127.0.0.1 is also the host
        assert personal not in text, personal
    for frame in exception["stacktrace"]["frames"]:
        assert "vars" not in frame, "no local variables leave the process"


@pytest.mark.slow
def test_without_a_dsn_sentry_stays_off_and_nothing_is_sent(tmp_path, tmp_path_factory):
    publish_tiny(tmp_path)
    with sentry_sink() as sink:
        server = _start(tmp_path, tmp_path_factory, SENTRY_DSN="")
        try:
            assert json.loads(request(f"{server.url}/_test/sentry")[1]) == {"active": False}
            assert request(f"{server.url}/_test/boom")[0] == 500
        finally:
            server.stop()
        assert sink.bodies == []
    assert "boom from the test route" in server.log(), "the error is still in the log for the operator"


def test_scrubbing_keeps_view_state_and_drops_addresses_cookies_and_secrets():
    event = {
        "user": {"ip_address": "203.0.113.9"},
        "request": {
            "url": "https://neo.example/sizes?email=a@b.c&years=1990-2000",
            "query_string": "email=a@b.c&years=1990-2000&size=all",
            "headers": {"User-Agent": "x", "X-Forwarded-For": "203.0.113.9", "X-Request-ID": "r1", "Cookie": "c=1"},
            "env": {"REMOTE_ADDR": "203.0.113.9"},
            "cookies": {"c": "1"},
        },
        "breadcrumbs": {
            "values": [
                {"category": "gunicorn.access", "message": "203.0.113.9 GET /sizes?email=a@b.c"},
                {"category": "dashboard_app", "message": "client 198.51.100.7 refused"},
            ]
        },
        "exception": {"values": [{"value": "cannot connect with password hunter2-secret"}]},
    }
    out = scrub_event(event, view_keys={"years", "size"}, secrets=["hunter2-secret"])
    assert out["request"] == {
        "url": "https://neo.example/sizes",
        "query_string": "years=1990-2000&size=all",
        "headers": {"X-Request-ID": "r1"},
    }
    assert "user" not in out
    assert [c["message"] for c in out["breadcrumbs"]["values"]] == ["client [address] refused"]
    assert out["exception"]["values"][0]["value"] == "cannot connect with password [redacted]"
