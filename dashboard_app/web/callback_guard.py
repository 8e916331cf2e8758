"""Reject callback requests that name no registered callback with a 400 a person can read.

Dash answers a tampered ``/_dash-update-component`` body (an output no callback
has) with a KeyError, a 500 and a stack trace in the log. This check wraps Dash's
view, inside the rate limit (so rejected requests still count): the body must be a
JSON object whose ``output`` is one of the app's callbacks. Errors inside a
registered callback are left alone: those are bugs and stay 500s.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Container
from typing import Any

from flask import Flask, Response, jsonify, request

CALLBACK_PATH = "/_dash-update-component"


def callback_endpoint(server: Flask) -> str:
    """The Flask endpoint name of Dash's callback route."""
    return next(rule.endpoint for rule in server.url_map.iter_rules() if rule.rule.endswith(CALLBACK_PATH))


def _bad_request(message: str) -> tuple[Response, int]:
    return jsonify(status=400, error="Bad callback request", message=message), 400


def install_callback_guard(server: Flask, callbacks: Container[str]) -> None:
    """Answer 400 JSON to callback POSTs that are not JSON objects naming a callback in ``callbacks``."""
    endpoint = callback_endpoint(server)
    dispatch: Callable[..., Any] = server.view_functions[endpoint]

    @functools.wraps(dispatch)
    def guarded_dispatch(*args: Any, **kwargs: Any) -> Any:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return _bad_request("The request body is not a JSON object; reload the page and try again.")
        output = body.get("output")
        if not isinstance(output, str) or output not in callbacks:
            return _bad_request("The request names no callback of this app; reload the page and try again.")
        return dispatch(*args, **kwargs)

    server.view_functions[endpoint] = guarded_dispatch
