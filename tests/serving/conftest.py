"""Fixtures of the serving tests: small real snapshots, apps built from settings, a running gunicorn."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dash
import pytest

from dashboard_app.app import create_app
from dashboard_app.settings import load_settings
from dashboard_app.snapshot.publish import publish
from tests.snapshot.rows import tiny_build


def publish_tiny(data_dir: Path, *, tag: int = 0, age_hours: float = 1.0, synthetic: str = "1") -> str:
    """Publish a tiny hand-made snapshot built ``age_hours`` ago; returns its snapshot id."""
    built = datetime.now(UTC) - timedelta(hours=age_hours)
    result = publish(data_dir, tiny_build(4, tag, synthetic=synthetic), clock=lambda: built, max_row_drop=None)
    return result.snapshot_id


@pytest.fixture(scope="module")
def snapshot_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory with one fresh synthetic snapshot (shared by a test module; never modified)."""
    path = tmp_path_factory.mktemp("data")
    publish_tiny(path)
    return path


@pytest.fixture
def build_app() -> Iterator[Callable[..., dash.Dash]]:
    """``build_app(data_dir, **env)`` → a Dash app from exactly these settings (no ``.env``, no os.environ)."""
    apps: list[dash.Dash] = []

    def _build(data_dir: Path, **env: str) -> dash.Dash:
        settings = load_settings({"DATA_DIR": str(data_dir), "LOG_FORMAT": "text", **env}, env_file=None)
        app = create_app(settings)
        apps.append(app)
        return app

    yield _build
    for app in apps:
        app.server.extensions["neo_store"].stop()
