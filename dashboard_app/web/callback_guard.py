"""Refuse malformed callback requests with a short JSON 4xx before Dash sees them (never a 500).

Dash trusts the body of ``POST /_dash-update-component``: a tampered one ends in an exception
inside Dash, a 500 and a stack trace in the log. This guard wraps Dash's view, inside the rate
limit (so refused requests still count), and answers:

- 413 when the body is larger than ``CALLBACK_MAX_BYTES`` (real bodies are ~2 kB; the setting's
  default leaves a wide margin, see ``tests/serving/test_callback_bodies_browser.py``);
- 415 when it is not declared as JSON; 400 when it is not JSON, nests deeper than
  :data:`MAX_JSON_DEPTH`, or does not have the declared shape of the callback it names
  (:mod:`dashboard_app.web.callback_shapes`).

Each refusal is one log line (warning) naming the reason; no stack trace. Errors inside a
registered callback are left alone: those are bugs and stay 500s.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Mapping
from typing import Any

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge, UnsupportedMediaType

from dashboard_app.web.callback_shapes import BodyError, CallbackShape, callback_shapes, check_body, json_depth_exceeds

CALLBACK_PATH = "/_dash-update-component"
SHAPES_KEY = "neo_callback_shapes"
MAX_JSON_DEPTH = 64
"""Deepest nesting of lists/objects accepted in a body. Real bodies nest 4-5 deep (body → inputs →
item → value → list); 64 leaves room for nested store data while staying far below the depth at which
Python's JSON parser or Dash's processing would recurse out of stack (~1,000)."""

log = logging.getLogger(__name__)


def route_endpoint(server: Flask, path: str) -> str:
    """The Flask endpoint name of the route ending in ``path`` (one of Dash's, under any prefix)."""
    return next(rule.endpoint for rule in server.url_map.iter_rules() if rule.rule.endswith(path))


def callback_endpoint(server: Flask) -> str:
    """The Flask endpoint name of Dash's callback route."""
    return route_endpoint(server, CALLBACK_PATH)


def _refuse(status: int, error: str, message: str, reason: str) -> tuple[Response, int]:
    log.warning("refused callback request (%d): %s", status, reason)
    return jsonify(status=status, error=error, message=message, detail=reason), status


def _bad_request(reason: str) -> tuple[Response, int]:
    return _refuse(
        400,
        "Bad callback request",
        "The page sent a request this app cannot read; reload the page and try again.",
        reason,
    )


def _read_body(max_bytes: int) -> Any:
    """The parsed JSON body (cached by Flask for Dash's own ``get_json``)."""
    request.max_content_length = max_bytes
    return request.get_json()


def learn_callback_shapes(server: Flask) -> dict[str, CallbackShape]:
    """Read the app's dependency list as the browser gets it and keep the shapes for the guard.

    Call after Dash's set-up request (the page router's callback is registered then) and after
    every callback is registered; :func:`install_callback_guard` refuses everything until then.
    """
    response = server.test_client().get(_dependencies_path(server))
    if response.status_code != 200:
        raise RuntimeError(f"/_dash-dependencies answered HTTP {response.status_code}")
    shapes = callback_shapes(response.get_json())
    server.extensions[SHAPES_KEY] = shapes
    return shapes


def _dependencies_path(server: Flask) -> str:
    return next(r.rule for r in server.url_map.iter_rules() if r.rule.endswith("/_dash-dependencies"))


def install_callback_guard(server: Flask, *, max_bytes: int) -> None:
    """Wrap Dash's callback view with the size, JSON, depth and shape checks (see the module docstring)."""
    endpoint = callback_endpoint(server)
    dispatch: Callable[..., Any] = server.view_functions[endpoint]

    @functools.wraps(dispatch)
    def guarded_dispatch(*args: Any, **kwargs: Any) -> Any:
        shapes: Mapping[str, CallbackShape] | None = server.extensions.get(SHAPES_KEY)
        if shapes is None:
            raise RuntimeError("callback shapes were never learned: call learn_callback_shapes(server)")
        if request.content_length is not None and request.content_length > max_bytes:
            return _too_large(max_bytes, f"Content-Length {request.content_length}")
        if not request.is_json:
            return _refuse(
                415,
                "Unsupported media type",
                "Callback requests are JSON (Content-Type: application/json); reload the page and try again.",
                f"Content-Type {request.mimetype or 'missing'}",
            )
        try:
            body = _read_body(max_bytes)
        except RequestEntityTooLarge:
            return _too_large(max_bytes, "body longer than announced")
        except (BadRequest, UnsupportedMediaType):
            return _bad_request("the body is not JSON")
        except RecursionError:
            return _bad_request(f"JSON nested deeper than {MAX_JSON_DEPTH}")
        if json_depth_exceeds(body, MAX_JSON_DEPTH):
            return _bad_request(f"JSON nested deeper than {MAX_JSON_DEPTH}")
        try:
            check_body(body, shapes)
        except BodyError as exc:
            return _bad_request(str(exc))
        return dispatch(*args, **kwargs)

    server.view_functions[endpoint] = guarded_dispatch


def _too_large(max_bytes: int, reason: str) -> tuple[Response, int]:
    return _refuse(
        413,
        "Request too large",
        f"Callback requests are at most {max_bytes:,} bytes; reload the page and try again.",
        reason,
    )
