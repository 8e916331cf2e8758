"""The exit codes of every ``neo-explorer`` command and the container's start-up check: one table.

The same condition has the same code whatever command meets it (a held lock is 6 for ``export`` and
``demo``; a bad setting or argument is 2 everywhere, the container start-up included). DEPLOYMENT.md's
"Exit codes" table is generated from :data:`EXIT_CODES` (``python -m dashboard_app.exit_codes``) and a
test keeps the two equal.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

OK = 0
FAILED = 1
USAGE = 2
DB_UNREACHABLE = 3
QUERY_FAILED = 4
REFUSED = 5
LOCKED = 6
WRITE_FAILED = 7
CHECK_FAILED = 8
REFRESH_FAILED = 9
IO_ERROR = 74  # EX_IOERR
INTERRUPTED = 130  # 128 + SIGINT, as shells report it


@dataclass(frozen=True)
class ExitCode:
    """One exit code: what it means and the commands that can end with it."""

    code: int
    meaning: str
    commands: tuple[str, ...]


EXIT_CODES: tuple[ExitCode, ...] = (
    ExitCode(OK, "success (export, demo: published; status: a snapshot is served and the last refresh did not fail)",
             ("all",)),
    ExitCode(FAILED, "the command failed: an internal error (export: a bug, please report it), no usable snapshot "
             "(status), the demo could not be built or published", ("export", "demo", "status", "start-up")),
    ExitCode(USAGE, "bad arguments or a bad setting (the message names it)", ("all",)),
    ExitCode(DB_UNREACHABLE, "the database cannot be reached, refused the login, or the connection was lost",
             ("export",)),
    ExitCode(QUERY_FAILED, "a query failed or hit the statement timeout (EXPORT_STATEMENT_TIMEOUT_S)", ("export",)),
    ExitCode(REFUSED, "the new snapshot failed validation (e.g. too many rows lost) and was not published",
             ("export",)),
    ExitCode(LOCKED, "another export or publish is running in the data directory", ("export", "demo")),
    ExitCode(WRITE_FAILED, "the snapshot could not be written (disk full, permissions)", ("export",)),
    ExitCode(CHECK_FAILED, "--check found a problem that would make an export fail (see its FAIL lines)",
             ("export",)),
    ExitCode(REFRESH_FAILED, "a snapshot is served, but the last refresh failed or was interrupted", ("status",)),
    ExitCode(IO_ERROR, "the file system refused a path the command did not expect to fail (one line names it)",
             ("all",)),
    ExitCode(INTERRUPTED, "interrupted (Ctrl-C, SIGINT)", ("all",)),
)  # fmt: skip
"""Every exit code; on any non-zero exit of ``export`` or ``demo`` the previous snapshot stays current."""


def meaning(code: int) -> str:
    """The documented meaning of ``code``."""
    return next(e.meaning for e in EXIT_CODES if e.code == code)


def markdown_table() -> str:
    """The table as Markdown (DEPLOYMENT.md, "Exit codes")."""
    rows = ["| Code | Meaning | Commands |", "|---:|---|---|"]
    rows += [f"| {e.code} | {e.meaning} | {', '.join(e.commands)} |" for e in EXIT_CODES]
    return "\n".join(rows)


if __name__ == "__main__":  # pragma: no cover - documentation generator
    sys.stdout.write(markdown_table() + "\n")
