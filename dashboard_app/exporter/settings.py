"""The exporter's settings: environment variables, validated once, as a frozen dataclass.

:data:`EXPORT_SETTINGS` is the declarative table (variable, default, what is
accepted, meaning). An invalid value raises :class:`ExportSettingsError` naming
the variable; the command exits with code 2.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dashboard_app.exporter.connection import ConnectionSettings
from dashboard_app.exporter.errors import ExportSettingsError


@dataclass(frozen=True)
class ExportSetting:
    """One environment variable of the exporter."""

    name: str
    default: str
    parse: Callable[[str], Any]
    accepted: str
    help: str


def _number(low: float, high: float, cast: Callable[[str], Any] = float) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        value = cast(text.strip())
        if not low <= value <= high:  # NaN fails too
            raise ValueError(text)
        return value

    return parse


def _text(text: str) -> str:
    return text.strip()


def _optional_path(text: str) -> Path | None:
    return Path(text.strip()).expanduser() if text.strip() else None


def _path(text: str) -> Path:
    if not text.strip():
        raise ValueError(text)
    return Path(text.strip()).expanduser()


EXPORT_SETTINGS: tuple[ExportSetting, ...] = (
    ExportSetting("DATA_DIR", "./data", _path, "a directory path", "Directory the snapshot is published into."),
    ExportSetting(
        "DATABASE_URL",
        "",
        _text,
        "a postgresql:// URL or libpq conninfo, or empty",
        "The mpc_sbn database the exporter reads; empty means libpq's PG* variables (PGHOST, PGUSER, …). "
        "Prefer PGPASSFILE or DATABASE_PASSWORD_FILE to a password in the URL.",
    ),
    ExportSetting(
        "DATABASE_PASSWORD_FILE",
        "",
        _optional_path,
        "a file path, or empty",
        "File holding the exporter's database password (e.g. a container secret); empty: libpq's own lookup.",
    ),
    ExportSetting(
        "EXPORT_CONNECT_TIMEOUT_S",
        "10",
        _number(2, 600, int),
        "an integer 2-600 (seconds)",
        "How long the exporter waits to connect to the database.",
    ),
    ExportSetting(
        "EXPORT_STATEMENT_TIMEOUT_S",
        "900",
        _number(0.001, 86400),
        "a number of seconds > 0",
        "Longest time one export query may run before it is cancelled (exit code 4).",
    ),
    ExportSetting(
        "EXPORT_APPLICATION_NAME",
        "neo-explorer-export",
        _text,
        "any text",
        "application_name the exporter's session shows in pg_stat_activity.",
    ),
    ExportSetting(
        "SNAPSHOT_KEEP",
        "5",
        _number(1, 1000, int),
        "an integer 1-1000",
        "Snapshots kept in DATA_DIR (the current one and the one before are always kept).",
    ),
    ExportSetting(
        "MAX_ROW_DROP",
        "0.5",
        _number(0, 1),
        "a fraction 0-1",
        "An export that loses more than this fraction of any table's rows against the current snapshot "
        "is refused (exit code 5).",
    ),
)


@dataclass(frozen=True)
class ExportSettings:
    """Validated exporter settings."""

    data_dir: Path
    connection: ConnectionSettings
    snapshot_keep: int
    max_row_drop: float

    def replace(self, **changes: Any) -> ExportSettings:
        return dataclasses.replace(self, **changes)


def load_export_settings(environ: Mapping[str, str]) -> ExportSettings:
    """Parse the exporter's variables from ``environ`` (unset → default)."""
    values: dict[str, Any] = {}
    for setting in EXPORT_SETTINGS:
        text = environ.get(setting.name, setting.default)
        try:
            values[setting.name] = setting.parse(text)
        except (ValueError, TypeError):
            shown = "(hidden)" if setting.name == "DATABASE_URL" else repr(text)
            raise ExportSettingsError(f"{setting.name}={shown} is not accepted: expected {setting.accepted}") from None
    return ExportSettings(
        data_dir=values["DATA_DIR"],
        connection=ConnectionSettings(
            database_url=values["DATABASE_URL"],
            password_file=values["DATABASE_PASSWORD_FILE"],
            connect_timeout_s=values["EXPORT_CONNECT_TIMEOUT_S"],
            statement_timeout_s=values["EXPORT_STATEMENT_TIMEOUT_S"],
            application_name=values["EXPORT_APPLICATION_NAME"],
        ),
        snapshot_keep=values["SNAPSHOT_KEEP"],
        max_row_drop=values["MAX_ROW_DROP"],
    )
