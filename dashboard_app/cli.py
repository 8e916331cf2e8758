"""The ``neo-explorer`` command line: a thin layer over library functions.

Each subcommand lives in the module that owns its feature and exposes
``add_arguments(parser)`` and ``run(args) -> int``; this module only wires them
up, imports them lazily (so ``--help`` stays fast) and maps errors to exit codes.

The argument types below (:func:`bounded_int`, :func:`bounded_float`, :func:`fraction`,
:func:`directory_path`) refuse junk at parse time with argparse's one-line usage error
(exit code 2), so no argument of any subcommand ends in a traceback. An ``OSError`` a
subcommand does not handle itself (the file system refusing a path) is printed as one
line with exit code 74 (``EX_IOERR``). Every command's codes: :mod:`dashboard_app.exit_codes`.
"""

from __future__ import annotations

import argparse
import importlib
import math
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from dashboard_app import __version__, exit_codes

EXIT_IO_ERROR = exit_codes.IO_ERROR
NAME_MAX_BYTES = 255  # longest file name component on Linux file systems
PATH_MAX_BYTES = 4095

# name → (module, one-line help)
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "demo": ("dashboard_app.sky.demo", "build and publish a synthetic demo snapshot (no database needed)"),
    "export": ("dashboard_app.exporter.command", "export a snapshot from PostgreSQL mpc_sbn and publish it"),
    "status": ("dashboard_app.snapshot.status", "print the current snapshot, its meta and the refresh status"),
    "serve": ("dashboard_app.serve", "run the web app under gunicorn with gunicorn.conf.py"),
}


def bounded_int(low: int, high: int) -> Callable[[str], int]:
    """An argparse type: an integer from ``low`` to ``high``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{text} is not between {low} and {high}")
        return value

    return parse


def bounded_float(low: float, high: float) -> Callable[[str], float]:
    """An argparse type: a finite number above ``low`` and at most ``high``."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not (math.isfinite(value) and low < value <= high):
            raise argparse.ArgumentTypeError(f"{text} is not a number above {low:g} and at most {high:g}")
        return value

    return parse


def fraction(text: str) -> float:
    """An argparse type: a number from 0 to 1."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 <= value <= 1:  # NaN fails too
        raise argparse.ArgumentTypeError(f"{text} is not a fraction from 0 to 1")
    return value


def directory_path(text: str) -> Path:
    """An argparse type: a non-empty path the file system can name (not necessarily existing yet)."""
    raw = os.fsencode(text)
    if not raw.strip():
        raise argparse.ArgumentTypeError("an empty path is not accepted (use . for the current directory)")
    if len(raw) > PATH_MAX_BYTES or any(len(part) > NAME_MAX_BYTES for part in raw.split(b"/")):
        raise argparse.ArgumentTypeError(f"{text[:40]!r}… is longer than a file name or path can be")
    return Path(text)


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
        return exit_codes.INTERRUPTED
    except OSError as exc:  # the file system refused something the subcommand did not expect to fail
        where = f" {exc.filename!s:.120}" if exc.filename else ""
        print(f"neo-explorer {args.command}: {exc.strerror or exc}{where}", file=sys.stderr)
        return EXIT_IO_ERROR


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
