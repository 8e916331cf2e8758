"""Light and dark themes: the id of the store holding the visitor's theme and the plotly templates.

Every page has a ``dcc.Store`` with id :data:`THEME_STORE_ID` (browser local
storage) holding ``"light"`` or ``"dark"``. It starts from the browser's
``prefers-color-scheme`` and changes when the visitor presses the toggle; the
choice then sticks across reloads. Tab callbacks take it as an ``Input`` and
pass it to :func:`figure_template`.
"""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files
from typing import Any

import flask

THEME_STORE_ID = "theme-store"
CHART_THEME_STORE_ID = "chart-theme"
"""The theme the charts are drawn in: the tabs' callbacks take it as an ``Input``. The page starts with the theme
the first charts were drawn in (:func:`request_theme`); it changes only when the visitor's theme differs, so
setting the theme store on page load (from local storage) asks the server for nothing."""
THEME_COOKIE = "neo-theme"
"""The visitor's theme, mirrored by ``assets/shell.js`` from local storage into a cookie (a preference, nothing
else) so that the server can draw a page's first charts in it."""
THEMES: tuple[str, ...] = ("light", "dark")
DEFAULT_THEME = "light"

# Page colours per theme, matching Bootstrap 5.3's light and dark colour modes (body bg / fg / grid).
_PALETTE = {
    "light": {"base": "plotly_white", "paper": "#ffffff", "font": "#212529", "grid": "#dee2e6"},
    "dark": {"base": "plotly_dark", "paper": "#212529", "font": "#dee2e6", "grid": "#495057"},
}


def normalise_theme(theme: object) -> str:
    """``"light"`` or ``"dark"``; anything else (None, junk from local storage) → the default."""
    return theme if theme in THEMES else DEFAULT_THEME


def plotly_template(name: str) -> dict[str, Any]:
    """One of plotly's packaged templates as a plain dict, read from the JSON file ``plotly.io.templates`` reads
    (the same content; building it through ``plotly.io`` validates every property, ~0.1 s of start-up per
    template that a dict the charts only send to the browser does not need)."""
    return json.loads((files("plotly") / "package_data" / "templates" / f"{name}.json").read_text(encoding="utf-8"))


@cache
def _template(theme: str) -> dict[str, Any]:
    colours = _PALETTE[theme]
    template = plotly_template(colours["base"])
    layout = template["layout"]
    layout["paper_bgcolor"] = colours["paper"]
    layout["plot_bgcolor"] = colours["paper"]
    layout.setdefault("font", {})["color"] = colours["font"]
    layout.setdefault("xaxis", {})["gridcolor"] = colours["grid"]
    layout.setdefault("yaxis", {})["gridcolor"] = colours["grid"]
    return template


def figure_template(theme: object) -> dict[str, Any]:
    """The plotly template for ``theme`` (``"light"`` | ``"dark"``; junk → light) as a plain dict. Do not
    mutate it."""
    return _template(normalise_theme(theme))


# Built once at import, so under gunicorn's preload_app the master holds them and every worker shares them.
for _theme in THEMES:
    _template(_theme)


def request_theme() -> str:
    """The theme of the browser asking, from :data:`THEME_COOKIE` (light when absent, junk or outside a request)."""
    if not flask.has_request_context():
        return DEFAULT_THEME
    return normalise_theme(flask.request.cookies.get(THEME_COOKIE))
