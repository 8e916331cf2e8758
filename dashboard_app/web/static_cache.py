"""A year of browser caching for the page's own assets, whose URLs already name their version.

Dash links every file of the assets folder as ``/assets/<file>?m=<mtime>``: a changed file gets a
new URL. Flask serves them without ``Cache-Control``, so every page view fetched the stylesheets
again (render-blocking) and ``shell.js``. When ``m`` is the file's current modification time the
answer is marked immutable; any other ``m`` (or none) keeps the default, so a stale link never pins
old content. Dash's favicon, linked as ``/_favicon.ico?v=<Dash version>``, likewise.
"""

from __future__ import annotations

import os
from importlib.metadata import version
from pathlib import Path

from flask import Flask, Response, request

IMMUTABLE = "public, max-age=31536000, immutable"
DASH_VERSION = version("dash")  # what Dash puts in the favicon link


def install_static_cache(server: Flask, assets_dir: Path) -> None:
    """Mark ``/assets/<file>?m=<its mtime>`` and ``/_favicon.ico?v=<Dash version>`` answers immutable."""
    folder = Path(assets_dir).resolve()

    @server.after_request
    def _immutable_assets(response: Response) -> Response:
        if request.path.endswith("/_favicon.ico") and response.status_code == 200:
            # Dash links it as /_favicon.ico?v=<Dash's version>; Chromium asks again at every URL change
            if request.args.get("v") == DASH_VERSION:
                response.headers["Cache-Control"] = IMMUTABLE
            return response
        version = request.args.get("m")
        name = (request.view_args or {}).get("filename")
        if response.status_code != 200 or not version or not name or not (request.endpoint or "").endswith("static"):
            return response
        path = (folder / name).resolve()
        try:
            current = str(os.stat(path).st_mtime)
        except OSError:
            return response
        if path.is_relative_to(folder) and version == current:
            response.headers["Cache-Control"] = IMMUTABLE
        return response
