"""The ``neo-explorer`` command line: a thin layer over library functions.

Each subcommand lives in the module that owns its feature and exposes
``add_arguments(parser)`` and ``run(args) -> int``; this module only wires them
up, imports them lazily (so ``--help`` stays fast) and maps errors to exit codes.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from dashboard_app import __version__

# name → (module, one-line help)
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "demo": ("dashboard_app.sky.demo", "build and publish a synthetic demo snapshot (no database needed)"),
    "export": ("dashboard_app.exporter.command", "export a snapshot from PostgreSQL mpc_sbn and publish it"),
    "status": ("dashboard_app.snapshot.status", "print the current snapshot, its meta and the refresh status"),
    "serve": ("dashboard_app.serve", "run the web app under gunicorn with gunicorn.conf.py"),
}


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand registered."""
    parser = argparse.ArgumentParser(prog="neo-explorer", description="NEO Discovery Statistics Explorer")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (module_name, help_text) in SUBCOMMANDS.items():
        sub = subparsers.add_parser(name, help=help_text, description=help_text)
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name is None or not module_name.startswith(exc.name):
                raise
            sub.set_defaults(_run=lambda _args, n=name: _unavailable(n))
            continue
        module.add_arguments(sub)
        sub.set_defaults(_run=module.run)
    return parser


def _unavailable(name: str) -> int:
    print(f"neo-explorer: the '{name}' command is not available in this build", file=sys.stderr)
    return 2


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``neo-explorer`` and ``python -m dashboard_app``; returns the exit code."""
    args = build_parser().parse_args(argv)
    try:
        return int(args._run(args) or 0)
    except KeyboardInterrupt:
        print("neo-explorer: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
