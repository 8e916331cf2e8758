"""Security headers on every response, including the Content-Security-Policy.

A small ``after_request`` hook rather than flask-talisman: talisman does not set
Cross-Origin-Opener-Policy / Cross-Origin-Resource-Policy, and the whole policy
fits in one readable table here.

Why each CSP source is there:
- ``script-src 'self'`` plus the sha256 hashes of Dash's own inline scripts
  (``app.csp_hashes()``): no ``'unsafe-inline'``, no ``'unsafe-eval'``, so no
  WebGL traces (their shader compiler needs eval).
- ``style-src 'self' 'unsafe-inline'``: Dash components and plotly.js inject
  ``<style>`` elements and ``style=`` attributes at run time; neither can be
  hashed in advance. Styles cannot run code, so this does not weaken script-src.
- ``img-src 'self' data: blob:``: Bootstrap's icons are ``data:`` SVGs and
  plotly's "download as PNG" renders through ``data:``/``blob:`` URLs.
- ``report-uri``: violations are posted to :data:`REPORT_PATH`, where
  :mod:`dashboard_app.web.csp_reports` logs one line per report, so a violation in production is
  seen. ``report-to`` (the Reporting API) is left out on purpose: when a policy has it, Chromium
  ignores ``report-uri``, and Chromium 156 delivered no ``report-to`` report to 127.0.0.1 within
  70 s in our browser test (even with ``--short-reporting-delay``), while ``report-uri`` arrives in
  well under a second in Chromium, Firefox and Safari. The endpoint reads both formats.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import Flask, Response

from dashboard_app.web.csp_reports import REPORT_PATH

# One year; includeSubDomains left out on purpose: the operator may serve other hosts under the domain.
HSTS_VALUE = "max-age=31536000"


def content_security_policy(script_hashes: Iterable[str]) -> str:
    """The CSP header value with Dash's inline-script hashes allowed in ``script-src`` (each once)."""
    directives: dict[str, list[str]] = {
        "default-src": ["'self'"],
        "script-src": ["'self'", *dict.fromkeys(script_hashes)],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "report-uri": [REPORT_PATH],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


def security_headers(csp: str, *, serve_tls: bool) -> dict[str, str]:
    """Every header set on every response (HSTS only when the site is served over TLS)."""
    headers = {
        "Content-Security-Policy": csp,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "strict-origin-when-cross-origin",
        "Permissions-Policy": ("camera=(), microphone=(), geolocation=(), payment=(), usb=(), browsing-topics=()"),
        "Cross-Origin-Opener-Policy": "same-origin",
        "Cross-Origin-Resource-Policy": "same-origin",
        "X-Frame-Options": "DENY",
    }
    if serve_tls:
        headers["Strict-Transport-Security"] = HSTS_VALUE
    return headers


EXTENSION_KEY = "neo_security_headers"


def install_security_headers(server: Flask) -> None:
    """Add ``server.extensions["neo_security_headers"]`` to every response (pages, assets, callbacks, errors).

    The factory sets that mapping once the CSP hashes are known (after Dash's set-up request); the
    hook also drops any ``Server`` header.
    """

    @server.after_request
    def _add_security_headers(response: Response) -> Response:
        response.headers.update(server.extensions.get(EXTENSION_KEY, {}))
        response.headers.pop("Server", None)
        return response
