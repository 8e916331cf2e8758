"""The exporter's named errors and the documented exit code of each.

Every failure the operator can act on is one of these, with a one-line message
that never contains a password.
"""

from __future__ import annotations

from dashboard_app import exit_codes

# The exporter's names for codes of the one table (dashboard_app/exit_codes.py).
EXIT_OK = exit_codes.OK
EXIT_INTERNAL = exit_codes.FAILED
EXIT_SETTINGS = exit_codes.USAGE
EXIT_DB_UNREACHABLE = exit_codes.DB_UNREACHABLE
EXIT_QUERY_FAILED = exit_codes.QUERY_FAILED
EXIT_REFUSED = exit_codes.REFUSED
EXIT_LOCKED = exit_codes.LOCKED
EXIT_WRITE_FAILED = exit_codes.WRITE_FAILED
EXIT_CHECK_FAILED = exit_codes.CHECK_FAILED

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
