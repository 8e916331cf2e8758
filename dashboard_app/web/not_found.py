"""Unknown page paths answer HTTP 404 (Dash answers every path with its index page and a 200).

Dash's page routing stays as it is: the index page is still served, so a person who mistypes a
URL sees the site with Dash's "page not found" text and the tab bar; only the status code
changes, so crawlers, link checkers and monitoring see the 404 they expect. The known paths are
the page registry's (``path``, or ``path_template`` with ``<variable>`` segments).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from flask import Flask, make_response

PAGE_RULE_SUFFIX = "/<path:path>"


def page_matcher(pages: Iterable[Mapping[str, Any]]) -> Callable[[str], bool]:
    """A test ``path -> bool`` for the registered pages (trailing slashes ignored, as Dash's router does).

    A page with a ``path_template`` may register ``exists=callable(**path_variables) -> bool`` (an extra
    ``dash.register_page`` argument): a path that fits the template but names nothing (an unknown NEO
    designation) is then a 404 too.
    """
    exact: set[str] = set()
    templates: list[tuple[re.Pattern[str], Callable[..., bool] | None]] = []
    for page in pages:
        template = page.get("path_template")
        if template:
            parts = [
                f"(?P<{seg[1:-1]}>[^/]+)" if re.fullmatch(r"<[^<>/]+>", seg) else re.escape(seg)
                for seg in template.strip("/").split("/")
            ]
            templates.append((re.compile("/".join(parts)), page.get("exists")))
        else:
            exact.add(page["path"].strip("/"))

    def is_page(path: str) -> bool:
        path = path.strip("/")
        if path in exact:
            return True
        for pattern, exists in templates:
            if m := pattern.fullmatch(path):
                return exists is None or bool(exists(**m.groupdict()))
        return False

    return is_page


def install_page_not_found(server: Flask, pages: Iterable[Mapping[str, Any]]) -> None:
    """Make Dash's catch-all page view answer 404 for paths that are no registered page."""
    is_page = page_matcher(pages)
    endpoint = next(r.endpoint for r in server.url_map.iter_rules() if r.rule.endswith(PAGE_RULE_SUFFIX))
    serve_index = server.view_functions[endpoint]

    @functools.wraps(serve_index)
    def serve_page(*args: Any, **kwargs: Any) -> Any:
        response = make_response(serve_index(*args, **kwargs))
        if not is_page(kwargs.get("path", "")):
            response.status_code = 404
        return response

    server.view_functions[endpoint] = serve_page
