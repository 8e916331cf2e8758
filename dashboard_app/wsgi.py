"""The gunicorn target: ``dashboard_app.wsgi:server`` (the app is built from the environment on import).

A setting that is not accepted prints one line and exits with status 2.
"""

from __future__ import annotations

import sys

from dashboard_app.app import create_app
from dashboard_app.settings import SettingsError

try:
    app = create_app()
except SettingsError as exc:
    print(f"neo-explorer: {exc}", file=sys.stderr)
    raise SystemExit(2) from None

server = app.server
