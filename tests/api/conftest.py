"""Fixtures of the data API tests: the real app over the small synthetic sky, and a test client."""

from __future__ import annotations

from pathlib import Path

import pytest

BIG_LIMIT = "100000 per minute"  # the rate limit has its own test (tests/api/test_errors.py)


@pytest.fixture(scope="session")
def api_app(snapshot_data_dir: Path):
    """``create_app`` serving the shared small synthetic snapshot."""
    from dashboard_app.app import create_app
    from dashboard_app.settings import load_settings

    settings = {"DATA_DIR": str(snapshot_data_dir), "LOG_FORMAT": "text", "RATE_LIMIT": BIG_LIMIT}
    app = create_app(load_settings(settings, env_file=None))
    yield app
    app.server.extensions["neo_store"].stop()


@pytest.fixture
def client(api_app):
    return api_app.server.test_client()


@pytest.fixture(scope="session")
def api_snapshot(api_app):
    return api_app.server.extensions["neo_store"].current()
