"""The first view in one round trip: a page's own content comes with the page layout (``/_dash-layout``).

Dash Pages fills ``dash.page_container`` from a callback: the browser loads the layout, the
container's ``dcc.Location`` reports the URL, the router callback (a POST) answers with the page's
layout, and only then can the page's own callbacks (a tab's charts) start: two callback requests in
sequence before the first chart. Here instead ``assets/shell.js`` names the page it is on when the
renderer asks for the layout (``/_dash-layout?page=<path and query>``), and :func:`page_container`
renders that page's layout into the container, whose ``dcc.Location`` already holds that path and
query: on mount it reports no change, the router callback does not run, and the tab's one update
callback is the first request of the view.

The page's HTML also names that layout request (:func:`install_layout_preload`: ``<link rel="preload"
as="fetch">``), so the browser asks for it beside the page's scripts and the server draws the first view
while the browser is still starting them, not after; ``assets/shell.js`` asks for exactly that URL, with
no headers, so the browser takes the preloaded answer instead of asking again.

Everything else is Dash's router, unchanged: following a tab link runs it as before. Without the
parameter (a page from an older deploy, a script that did not load), for a path that is no page,
or when the page's layout raises, the container starts empty and the router fills it as before.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import dash
import flask
from dash import dcc, html

LAYOUT_PATH = "/_dash-layout"
"""Dash's layout route (under the app's prefix)."""
PAGE_PARAM = "page"
"""The query parameter of ``/_dash-layout`` naming the page (``location.pathname + location.search``)."""

# The ids Dash's router callback reads and writes (``dash.page_container``'s components).
ID_LOCATION = "_pages_location"
ID_CONTENT = "_pages_content"
ID_STORE = "_pages_store"
ID_DUMMY = "_pages_dummy"

URI_COMPONENT_SAFE = "-_.!~*'()"
"""What JavaScript's ``encodeURIComponent`` leaves as it is besides letters and digits (``quote``'s ``safe``)."""

log = logging.getLogger(__name__)


def _template_pattern(template: str) -> re.Pattern[str]:
    parts = [
        f"(?P<{seg[1:-1]}>[^/]+)" if re.fullmatch(r"<[^<>/]+>", seg) else re.escape(seg)
        for seg in template.strip("/").split("/")
    ]
    return re.compile("/".join(parts))


def find_page(pages: Iterable[Mapping[str, Any]], path: str) -> tuple[Mapping[str, Any], dict[str, str]] | None:
    """The registered page for ``path`` (without the app's prefix) and its path variables, as Dash's router
    matches them: a ``path_template`` first, else the exact ``path`` (slashes at either end ignored)."""
    stripped = path.strip("/")
    for page in pages:
        template = page.get("path_template")
        if template and (m := _template_pattern(template).fullmatch(stripped)):
            return page, m.groupdict()
        if stripped == str(page.get("path", "")).strip("/"):
            return page, {}
    return None


def query_arguments(search: str) -> dict[str, Any]:
    """The layout's keyword arguments from a query string, as Dash's router passes them (one value → str)."""
    parsed = parse_qs(search.removeprefix("?"), keep_blank_values=True)
    return {k: v[0] if len(v) == 1 else v for k, v in parsed.items()}


def requested_page() -> tuple[str, str] | None:
    """``(pathname, search)`` the layout request names, or None (no request, no or a malformed parameter)."""
    if not flask.has_request_context():
        return None
    raw = flask.request.args.get(PAGE_PARAM)
    if not raw or not raw.startswith("/") or raw.startswith("//") or len(raw) > 4096:
        return None
    parts = urlsplit(raw)
    if parts.scheme or parts.netloc:
        return None
    return parts.path, f"?{parts.query}" if parts.query else ""


def _empty() -> html.Div:
    """``dash.page_container`` as Dash builds it: the router fills it after the page has loaded."""
    return _container(None, None, None, None)


def _container(pathname: str | None, search: str | None, content: Any, title: str | None) -> html.Div:
    location = (
        dcc.Location(id=ID_LOCATION, refresh="callback-nav")
        if pathname is None
        else dcc.Location(id=ID_LOCATION, refresh="callback-nav", pathname=pathname, search=search)
    )
    return html.Div(
        [
            location,
            html.Div(content, id=ID_CONTENT, disable_n_clicks=True),
            # What the router would have stored: Dash's clientside callback sets the document title from it.
            dcc.Store(id=ID_STORE) if title is None else dcc.Store(id=ID_STORE, data={"title": title}),
            html.Div(id=ID_DUMMY, disable_n_clicks=True),
        ]
    )


def page_container(pages: Callable[[], Iterable[Mapping[str, Any]]] | None = None) -> html.Div:
    """The page container, holding the layout of the page the layout request names (see the module docstring).

    ``pages`` gives the registered pages (default: ``dash.page_registry``'s).
    """
    requested = requested_page()
    if requested is None:
        return _empty()
    pathname, search = requested
    found = find_page(pages() if pages else dash.page_registry.values(), dash.strip_relative_path(pathname) or "")
    if found is None:
        return _empty()  # not a page: the router shows Dash's "page not found" as before
    page, variables = found
    layout, title = page.get("layout", ""), page.get("title", "")
    try:
        content = layout(**{**variables, **query_arguments(search)}) if callable(layout) else layout
        title = title(**variables) if callable(title) else title
    except Exception:  # the router will call it again and report the error the usual way
        log.exception("first view: the layout of %s failed; the page router will fill the page", pathname)
        return _empty()
    return _container(pathname, search, content, str(title))


def layout_url(page: str, prefix: str = "/") -> str:
    """The layout request that names ``page`` (``location.pathname + location.search``), exactly as
    ``assets/shell.js`` writes it."""
    return f"{prefix}{LAYOUT_PATH.lstrip('/')}?{PAGE_PARAM}={quote(page, safe=URI_COMPONENT_SAFE)}"


def requested_target() -> str | None:
    """This page request's path and query as the browser sent them (what ``location.pathname +
    location.search`` holds): the raw path (the WSGI server's ``RAW_URI`` or ``REQUEST_URI``) and the raw
    ``QUERY_STRING``; None when the server does not say."""
    if not flask.has_request_context():
        return None
    environ = flask.request.environ
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if not isinstance(raw, str) or not raw.startswith("/") or raw.startswith("//") or len(raw) > 4096:
        return None
    path = raw.partition("?")[0]
    query = str(environ.get("QUERY_STRING") or "")
    return f"{path}?{query}" if query else path  # "/sizes?" has an empty location.search


def install_layout_preload(app: Any) -> None:
    """The page names its own layout request in its HTML (``app.fetch_preloads``, first: before any data; see
    the module docstring). Not when a proxy strips a path prefix: the URL the browser sees would differ from
    the one the server sees, and a preload nobody uses is a second layout request."""
    prefix = app.config.requests_pathname_prefix

    def urls() -> list[str]:
        target = requested_target()
        if target is None or prefix != app.config.routes_pathname_prefix:
            return []
        return [layout_url(target, prefix)]

    app.fetch_preloads = (urls, *app.fetch_preloads)
