"""Fixtures of this area: an app over a small hand-made snapshot, and a request context for callbacks."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.tabs_discoveries.frames import SMALL
from tests.tabs_discoveries.small_snapshot import publish_small


@pytest.fixture(scope="session")
def small_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory with the ten-NEO snapshot of ``frames.SMALL`` published in it."""
    data_dir = tmp_path_factory.mktemp("tabs7-small")
    publish_small(data_dir, SMALL)
    return data_dir


@pytest.fixture(scope="session")
def small_app(small_data_dir: Path):
    """The real app (``create_app``) serving the small snapshot."""
    from dashboard_app.app import create_app
    from dashboard_app.settings import load_settings

    return create_app(load_settings({"DATA_DIR": str(small_data_dir)}, env_file=None))


@pytest.fixture
def in_request(small_app) -> Iterator[None]:
    """A request context of the small app, so callbacks can be called as plain functions."""
    with small_app.server.test_request_context("/_dash-update-component", method="POST"):
        yield
