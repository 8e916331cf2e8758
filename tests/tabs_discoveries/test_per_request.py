"""views.per_request: an intermediate computed once per request and let go when the request ends."""

from __future__ import annotations

import threading

import flask

from dashboard_app import views


def counting() -> tuple[list[int], object]:
    calls: list[int] = []

    def compute() -> list[int]:
        calls.append(1)
        return [len(calls)]

    return calls, compute


def test_one_computation_per_request_and_key():
    app = flask.Flask("per-request")
    calls, compute = counting()
    with app.app_context(), app.test_request_context():
        first = views.per_request(("snap-a", "x"), compute)
        assert views.per_request(("snap-a", "x"), compute) is first
        views.per_request(("snap-b", "x"), compute)  # another snapshot: another value
        assert len(calls) == 2
    with app.app_context(), app.test_request_context():
        assert views.per_request(("snap-a", "x"), compute) is not first  # the next request computes anew
    assert len(calls) == 3


def test_concurrent_requests_do_not_share():
    app = flask.Flask("per-request-threads")
    calls, compute = counting()
    seen: list[object] = []

    def request() -> None:
        with app.app_context(), app.test_request_context():
            seen.append(views.per_request("k", compute))

    threads = [threading.Thread(target=request) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 4 and len({id(v) for v in seen}) == 4


def test_outside_a_request_every_call_computes():
    calls, compute = counting()
    views.per_request("k", compute)
    views.per_request("k", compute)
    assert len(calls) == 2
