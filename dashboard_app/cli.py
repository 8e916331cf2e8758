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


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The argument parser; only ``command``'s module is imported (the others stay unloaded)."""
    parser = argparse.ArgumentParser(prog="neo-explorer", description="NEO Discovery Statistics Explorer")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (module_name, help_text) in SUBCOMMANDS.items():
        sub = subparsers.add_parser(name, help=help_text, description=help_text)
        if name == command:
            module = importlib.import_module(module_name)
            module.add_arguments(sub)
            sub.set_defaults(_run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``neo-explorer`` and ``python -m dashboard_app``; returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    command = next((a for a in argv if not a.startswith("-")), None)
    args = build_parser(command if command in SUBCOMMANDS else None).parse_args(argv)
    try:
        return int(args._run(args) or 0)
    except KeyboardInterrupt:
        print("neo-explorer: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
