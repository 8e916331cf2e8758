"""plotly.js for the charts: the app's own partial bundle, fingerprinted, cached for a year, fetched early.

Dash loads plotly.js only when the first ``dcc.Graph`` mounts, from an unfingerprinted URL with no
``Cache-Control`` (``/_dash-component-suites/plotly/package_data/plotly.min.js``: 4.8 MB, 1.4 MB
compressed, every trace type plotly has). Here instead:

- the bundle is ``assets/vendor/plotly.min.js``, built by ``scripts/plotly-bundle`` with only the
  trace types in ``scripts/plotly-bundle/traces.json`` (WebGL ones in plotly's CSP-safe "strict"
  form), its sha256 and trace list in ``plotly.min.json`` beside it;
- it is served at ``/_plotly/plotly-<sha256[:16]>.min.js`` with ``Cache-Control: public,
  max-age=31536000, immutable`` (a new bundle is a new URL), compressed once per process by
  :mod:`dashboard_app.web.compression`;
- :class:`BundledDash` tells Dash's renderer that URL (the page config's ``plotlyjs_url``) and
  puts ``<link rel="preload">`` for it (and for dcc's lazily loaded graph and slider chunks) at the
  top of the page, so those downloads start with the page's other scripts instead of after the
  layout and the first callback.

Another fingerprint in the file name still gets the current bundle (a page from the previous
deploy keeps working during a rolling update) but without the immutable header.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

import dash
from flask import Flask, Response, request
from werkzeug.wrappers import Response as WerkzeugResponse

from dashboard_app.web.compression import IMMUTABLE_ENDPOINTS_KEY

VENDOR_DIR = "vendor"
BUNDLE_NAME = "plotly.min.js"
MANIFEST_NAME = "plotly.min.json"
ROUTE = "_plotly/"
ENDPOINT = "neo_plotly_bundle"
EXTENSION_KEY = "neo_plotly_bundle"
IMMUTABLE = "public, max-age=31536000, immutable"
# dcc's lazily loaded chunks that every chart tab renders (paths under /_dash-component-suites/).
LAZY_CHUNKS = ("dash/dcc/async-graph.js", "dash/dcc/async-slider.js")


def bundle_path(assets_dir: Path) -> Path:
    """Where the bundle lives in an assets folder (``assets/vendor/plotly.min.js``)."""
    return Path(assets_dir) / VENDOR_DIR / BUNDLE_NAME


@dataclass(frozen=True)
class PlotlyBundle:
    """The bundle's bytes (read once, before fork), its fingerprint and what it holds."""

    code: bytes
    sha256: str
    traces: tuple[str, ...]
    plotly_js: str

    @property
    def fingerprint(self) -> str:
        return self.sha256[:16]

    @property
    def file_name(self) -> str:
        return f"plotly-{self.fingerprint}.min.js"

    @classmethod
    def read(cls, assets_dir: Path) -> PlotlyBundle:
        """Read and check the bundle and its manifest; ValueError when they are missing or disagree."""
        path = bundle_path(assets_dir)
        manifest_path = path.with_name(MANIFEST_NAME)
        if not path.is_file() or not manifest_path.is_file():
            raise ValueError(f"{path} or {manifest_path.name} is missing: run `make plotly-bundle`")
        code = path.read_bytes()
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        sha256 = hashlib.sha256(code).hexdigest()
        if manifest.get("sha256") != sha256:
            raise ValueError(f"{path} does not match {manifest_path.name}: rebuild it with `make plotly-bundle`")
        return cls(code, sha256, tuple(manifest["traces"]), str(manifest["plotly_js"]))


class BundledDash(dash.Dash):
    """A Dash app whose renderer loads the app's plotly.js bundle (see the module docstring), with a page
    config that leaves out the validation layout; its page also preloads the data ``fetch_preloads`` names."""

    plotly_bundle_url: str | None = None
    fetch_preloads: tuple[Callable[[], list[str]], ...] = ()
    """What the page being served will fetch first: each gives same-origin URLs (called per page request, in
    order); a module adds its own (``app.fetch_preloads = (*app.fetch_preloads, urls)``)."""

    def _config(self) -> dict[str, Any]:
        config = super()._config()
        # Dash puts the whole validation layout (every page's layout, ~100 KB) in every page's config so that
        # the renderer can report callbacks to missing ids; with dev tools off nobody sees those reports.
        # The layouts are validated once on the server at start-up; the page stays small.
        config.pop("validation_layout", None)
        config["suppress_callback_exceptions"] = True
        if self.plotly_bundle_url:
            # The renderer reads `serve_locally` for one thing only: whether to take plotly.js from
            # `plotlyjs_url` or from Dash's fixed, unfingerprinted path. Every other bundle is still
            # served locally (the server side of serve_locally is unchanged).
            config["serve_locally"] = False
            config["plotlyjs_url"] = self.plotly_bundle_url
        return config

    def preload_urls(self) -> list[str]:
        """Scripts every chart tab needs that the page would only request late: plotly.js, and the lazily
        loaded chunks of ``dcc.Graph`` and ``dcc.RangeSlider`` (requested only once the first callback has
        put those components on the page)."""
        prefix = f"{self.config.requests_pathname_prefix}_dash-component-suites/"
        chunks = [f"{prefix}{chunk}" for chunk in LAZY_CHUNKS]
        return [self.plotly_bundle_url, *chunks] if self.plotly_bundle_url else chunks

    def interpolate_index(self, *args: Any, **kwargs: Any) -> str:
        # Dash calls this with keywords only; forwarding them all keeps working when Dash adds one.
        preloads = "".join(f'<link rel="preload" href="{url}" as="script">\n' for url in self.preload_urls())
        # as="fetch" with crossorigin="anonymous" matches the page's fetch(url, {credentials: "same-origin"})
        fetches = [url for urls in self.fetch_preloads for url in urls()]
        preloads += "".join(
            f'<link rel="preload" href="{escape(url)}" as="fetch" crossorigin="anonymous">\n' for url in fetches
        )
        kwargs["css"] = f"{preloads}{kwargs.get('css', '')}"
        return super().interpolate_index(*args, **kwargs)


def install_plotly_bundle(app: BundledDash, assets_dir: Path) -> str:
    """Serve the bundle of ``assets_dir`` and point the page at it; returns its URL."""
    bundle = PlotlyBundle.read(assets_dir)
    server: Flask = app.server
    server.extensions[EXTENSION_KEY] = bundle
    app.config.assets_path_ignore = [*(app.config.assets_path_ignore or []), f"^{VENDOR_DIR}$"]

    def serve(name: str) -> WerkzeugResponse:  # make_conditional is typed as werkzeug's Response
        if not (name.startswith("plotly-") and name.endswith(".min.js")):
            return Response("Not found", status=404, mimetype="text/plain")
        response = Response(bundle.code, mimetype="text/javascript")
        response.set_etag(bundle.sha256)
        current = name == bundle.file_name
        response.headers["Cache-Control"] = IMMUTABLE if current else "no-cache"
        return response.make_conditional(request)

    server.add_url_rule(f"{app.config.routes_pathname_prefix}{ROUTE}<name>", ENDPOINT, serve)
    server.extensions.setdefault(IMMUTABLE_ENDPOINTS_KEY, set()).add(ENDPOINT)  # compressed once, cached
    url = f"{app.config.requests_pathname_prefix}{ROUTE}{bundle.file_name}"
    app.plotly_bundle_url = url
    return url
