"""The exporter's named errors and the documented exit code of each.

Every failure the operator can act on is one of these, with a one-line message
that never contains a password.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_SETTINGS = 2
EXIT_DB_UNREACHABLE = 3
EXIT_QUERY_FAILED = 4
EXIT_REFUSED = 5
EXIT_LOCKED = 6
EXIT_WRITE_FAILED = 7
EXIT_CHECK_FAILED = 8

EXIT_CODES: dict[int, str] = {
    EXIT_OK: "the snapshot was exported and published",
    EXIT_INTERNAL: "unexpected internal error (a bug: please report it with the message)",
    EXIT_SETTINGS: "bad settings or arguments (the message names the variable)",
    EXIT_DB_UNREACHABLE: "the database cannot be reached, refused the login, or the connection was lost",
    EXIT_QUERY_FAILED: "a query failed or hit the statement timeout",
    EXIT_REFUSED: "the new snapshot failed validation (e.g. too many rows lost) and was not published",
    EXIT_LOCKED: "another export or publish is running in the data directory",
    EXIT_WRITE_FAILED: "the snapshot could not be written (disk full, permissions)",
    EXIT_CHECK_FAILED: "--check found a problem that would make an export fail (see its FAIL lines)",
}
"""Exit code → meaning, shown by ``neo-explorer export --help``."""


class ExportError(Exception):
    """An export failed; the previous snapshot stays current. ``exit_code`` is the process exit code."""

    exit_code = EXIT_INTERNAL


class ExportSettingsError(ExportError):
    """A setting or argument of the export is not accepted."""

    exit_code = EXIT_SETTINGS


class DatabaseUnreachableError(ExportError):
    """The database could not be reached, refused the login, or the connection broke mid-export."""

    exit_code = EXIT_DB_UNREACHABLE


class QueryFailedError(ExportError):
    """A query failed (SQL error, missing table or column, permission) or hit the statement timeout."""

    exit_code = EXIT_QUERY_FAILED


class SourceDataError(QueryFailedError):
    """The source tables hold data the definitions cannot handle (e.g. a designation twice)."""
