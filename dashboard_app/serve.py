"""``neo-explorer serve``: run the web app under gunicorn with ``gunicorn.conf.py``.

Validates the settings first (one clear line and exit status 2 when a value is
not accepted), then replaces this process with gunicorn, so signals from the
container's init reach gunicorn directly.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from dashboard_app.settings import Settings, SettingsError, load_settings

SOURCE_CONFIG = Path(__file__).resolve().parent.parent / "gunicorn.conf.py"
EXIT_BAD_SETTINGS = 2


def default_config() -> Path:
    """``./gunicorn.conf.py`` when present (the container's working directory), else the source tree's."""
    local = Path("gunicorn.conf.py")
    return local if local.is_file() else SOURCE_CONFIG


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        type=Path,
        default=None,
        help="gunicorn configuration file (default: ./gunicorn.conf.py, else the one in the source tree)",
    )
    parser.add_argument(
        "--check", action="store_true", help="validate the settings and the configuration file, then exit"
    )


def url(settings: Settings) -> str:
    """The address a person opens in a browser."""
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::") else settings.host
    return f"http://{f'[{host}]' if ':' in host else host}:{settings.port}/"


def gunicorn_command(config: Path) -> list[str]:
    """The command line that starts gunicorn with ``config``."""
    return [sys.executable, "-m", "gunicorn", "--config", str(config)]


def run(args: argparse.Namespace) -> int:
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"neo-explorer: {exc}", file=sys.stderr)
        return EXIT_BAD_SETTINGS
    config = args.config or default_config()
    if not config.is_file():
        print(f"neo-explorer: gunicorn configuration {config} does not exist", file=sys.stderr)
        return EXIT_BAD_SETTINGS
    if args.check:
        print(f"neo-explorer: settings valid; serving with {config} on {url(settings)}")
        return 0
    command = gunicorn_command(config)
    print(f"neo-explorer: serving on {url(settings)} (Ctrl-C stops)", flush=True)
    os.execv(command[0], command)
    return 0  # not reached
