"""Fixtures of the object-page tests: the real app over the small synthetic sky, and its snapshot."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

BIG_LIMIT = "100000 per minute"  # these tests are no load test: the rate limit has its own tests


@pytest.fixture(scope="session")
def sky_app(snapshot_data_dir: Path):
    """``create_app`` serving the shared small synthetic snapshot."""
    from dashboard_app.app import create_app
    from dashboard_app.settings import load_settings

    app = create_app(
        load_settings(
            {"DATA_DIR": str(snapshot_data_dir), "LOG_FORMAT": "text", "RATE_LIMIT": BIG_LIMIT}, env_file=None
        )
    )
    yield app
    app.server.extensions["neo_store"].stop()


@pytest.fixture(scope="session")
def sky_snapshot(sky_app):
    """The snapshot the app serves (the published synthetic sky)."""
    return sky_app.server.extensions["neo_store"].current()


@pytest.fixture
def in_request(sky_app) -> Iterator[None]:
    """A request context of the app, so layouts and callbacks can be called as plain functions."""
    with sky_app.server.test_request_context("/"):
        yield
