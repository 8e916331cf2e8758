"""Connecting to ``mpc_sbn``: settings → libpq parameters, a read-only transaction, errors by kind.

The connection comes from ``DATABASE_URL`` (a ``postgresql://`` URL or a libpq
``key=value`` string) or, when it is empty, from libpq's own ``PG*`` variables
(``PGHOST``, ``PGPORT``, ``PGUSER``, ``PGDATABASE``, ``PGPASSWORD``,
``PGPASSFILE``, ``PGSSLMODE``, …). A password may also come from a file named
by ``DATABASE_PASSWORD_FILE`` (a container secret). Passwords never appear on a
command line, in progress output, in the status file or in error messages:
every message about the target goes through :func:`describe_target` or
:func:`redact`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import conninfo as pg_conninfo

from dashboard_app.exporter.errors import DatabaseUnreachableError, ExportSettingsError, QueryFailedError

WORK_MEM = "256MB"
"""``work_mem`` of the export's session (one session, a few hash and sort nodes)."""

_URL_PASSWORD = re.compile(r"(?P<scheme>postgres(?:ql)?://[^:/@\s]*):[^@\s]*@", re.I)
_KV_PASSWORD = re.compile(r"(?P<key>\bpassword\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)", re.I)


def redact(text: str, secrets: tuple[str, ...] = ()) -> str:
    """``text`` with passwords in URLs and ``password=…`` pairs (and any of ``secrets``) replaced by ``***``."""
    text = _URL_PASSWORD.sub(r"\g<scheme>:***@", text)
    text = _KV_PASSWORD.sub(r"\g<key>***", text)
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


@dataclass(frozen=True)
class ConnectionSettings:
    """What the exporter needs to open its database session."""

    database_url: str = ""
    password_file: Path | None = None
    connect_timeout_s: int = 10
    statement_timeout_s: float = 600.0
    application_name: str = "neo-explorer-export"

    def conninfo(self) -> str:
        """libpq conninfo (may hold a password: never print it; use :meth:`describe`)."""
        try:
            params = pg_conninfo.conninfo_to_dict(self.database_url) if self.database_url.strip() else {}
        except psycopg.ProgrammingError as exc:
            msg = f"DATABASE_URL is not a valid PostgreSQL URL or conninfo: {redact(str(exc))}"
            raise ExportSettingsError(msg) from None
        if self.password_file is not None:
            params["password"] = self._read_password_file()
        params["connect_timeout"] = str(max(2, int(self.connect_timeout_s)))
        params["application_name"] = self.application_name
        return pg_conninfo.make_conninfo("", **params)

    def _read_password_file(self) -> str:
        path = self.password_file
        assert path is not None
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ExportSettingsError(f"DATABASE_PASSWORD_FILE={path} cannot be read: {exc.strerror}") from None
        password = text.rstrip("\r\n")
        if not password:
            raise ExportSettingsError(f"DATABASE_PASSWORD_FILE={path} is empty")
        return password

    def secrets(self) -> tuple[str, ...]:
        """Passwords to scrub from any message (from the URL or the password file)."""
        found = []
        with suppress(psycopg.ProgrammingError):
            found.append(str(pg_conninfo.conninfo_to_dict(self.database_url).get("password") or ""))
        if self.password_file is not None:
            with suppress(OSError):
                found.append(self.password_file.read_text(encoding="utf-8").rstrip("\r\n"))
        return tuple(s for s in found if s)

    def public_source(self) -> str:
        """What a snapshot may say about where its data came from: the database's name only.

        Snapshot files are public; the role, host and port of the database are not. A database name
        libpq would default to the user's name is not given: ``mpc_sbn`` stands in for it.
        """
        try:
            params = pg_conninfo.conninfo_to_dict(self.database_url) if self.database_url.strip() else {}
        except psycopg.ProgrammingError:
            params = {}
        import os

        dbname = str(params.get("dbname") or os.environ.get("PGDATABASE") or "").strip()
        return f"PostgreSQL database {dbname or 'mpc_sbn'}"

    def describe(self) -> str:
        """``user@host:port/dbname`` of the target, without the password (libpq defaults filled in)."""
        try:
            params = pg_conninfo.conninfo_to_dict(self.database_url) if self.database_url.strip() else {}
        except psycopg.ProgrammingError:
            return "(unparsable DATABASE_URL)"
        import os

        user = params.get("user") or os.environ.get("PGUSER") or "(default user)"
        host = params.get("host") or os.environ.get("PGHOST") or "(default host)"
        port = params.get("port") or os.environ.get("PGPORT") or "5432"
        dbname = params.get("dbname") or os.environ.get("PGDATABASE") or user
        return f"{user}@{host}:{port}/{dbname}"


def classify(exc: psycopg.Error, conn: psycopg.Connection | None, settings: ConnectionSettings, what: str) -> Exception:
    """Turn a psycopg error raised while doing ``what`` into a named export error (message redacted)."""
    detail = redact(str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__, settings.secrets())
    target = settings.describe()
    if isinstance(exc, psycopg.errors.QueryCanceled):
        return QueryFailedError(
            f"{what} on {target} hit the statement timeout of {settings.statement_timeout_s:g} s "
            f"(EXPORT_STATEMENT_TIMEOUT_S); check the replica's load and the setup indexes "
            f"(neo-explorer export --print-setup-sql): {detail}"
        )
    lost = conn is None or conn.broken or conn.closed or isinstance(exc, psycopg.errors.AdminShutdown)
    if isinstance(exc, psycopg.OperationalError) and lost:
        return DatabaseUnreachableError(f"lost the connection to {target} during {what}: {detail}")
    return QueryFailedError(f"{what} on {target} failed: {detail}")


def connect(settings: ConnectionSettings) -> psycopg.Connection:
    """Open a connection (not yet in a transaction); raise :class:`DatabaseUnreachableError` on failure."""
    conninfo = settings.conninfo()
    try:
        return psycopg.connect(conninfo, autocommit=False)
    except psycopg.Error as exc:
        detail = redact(str(exc).strip().replace("\n", " "), settings.secrets())
        raise DatabaseUnreachableError(
            f"cannot connect to {settings.describe()} (timeout {settings.connect_timeout_s} s): {detail}"
        ) from None


@contextmanager
def read_only_session(settings: ConnectionSettings) -> Iterator[psycopg.Connection]:
    """A connection inside one REPEATABLE READ, READ ONLY transaction with the statement timeout set.

    Every query of an export sees the same database snapshot. The transaction is
    rolled back at the end (nothing is ever written).
    """
    conn = connect(settings)
    try:
        try:
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            timeout_ms = max(1, round(settings.statement_timeout_s * 1000))
            conn.execute(f"SET LOCAL statement_timeout = {timeout_ms}")
            conn.execute("SET LOCAL idle_in_transaction_session_timeout = 0")
            # The apparition aggregation hashes millions of rows; give it memory instead of temp files.
            conn.execute(f"SET LOCAL work_mem = '{WORK_MEM}'")
            # JIT compiling these wide queries costs seconds and saves nothing on index probes.
            conn.execute("SET LOCAL jit = off")
        except psycopg.Error as exc:
            raise classify(exc, conn, settings, "starting the read-only transaction") from None
        yield conn
    finally:
        try:
            if not conn.closed and not conn.broken:
                conn.rollback()
        except psycopg.Error:
            pass
        conn.close()
