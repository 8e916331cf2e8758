"""The exporter's settings, taken from the project's one settings table (``dashboard_app.settings``).

The exporter's variables (``DATABASE_URL``, ``DATABASE_PASSWORD_FILE``,
``EXPORT_CONNECT_TIMEOUT_S``, ``EXPORT_STATEMENT_TIMEOUT_S``,
``EXPORT_APPLICATION_NAME``, ``SNAPSHOT_KEEP``, ``MAX_ROW_DROP``, ``DATA_DIR``)
are rows of :data:`dashboard_app.settings.SETTINGS`, so ``.env.example`` and the
README document them with the app's. An invalid value raises
:class:`ExportSettingsError` naming the variable; the command exits with code 2.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dashboard_app.exporter.connection import ConnectionSettings
from dashboard_app.exporter.errors import ExportSettingsError


@dataclass(frozen=True)
class ExportSettings:
    """Validated exporter settings."""

    data_dir: Path
    connection: ConnectionSettings
    snapshot_keep: int
    max_row_drop: float

    def replace(self, **changes: Any) -> ExportSettings:
        """A copy with ``changes`` (command-line overrides)."""
        return dataclasses.replace(self, **changes)


def load_export_settings(environ: Mapping[str, str], *, env_file: str | Path | None = ".env") -> ExportSettings:
    """Parse the settings from ``environ`` over the optional ``env_file`` (unset → default)."""
    from dashboard_app.settings import SettingsError, load_settings

    try:
        settings = load_settings(environ, env_file=env_file)
    except SettingsError as exc:
        raise ExportSettingsError(str(exc)) from None
    return ExportSettings(
        data_dir=settings.data_dir,
        connection=ConnectionSettings(
            database_url=settings.database_url,
            password_file=settings.database_password_file,
            connect_timeout_s=settings.export_connect_timeout_s,
            statement_timeout_s=settings.export_statement_timeout_s,
            application_name=settings.export_application_name,
        ),
        snapshot_keep=settings.snapshot_keep,
        max_row_drop=settings.max_row_drop,
    )
