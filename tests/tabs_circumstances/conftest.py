"""Fixtures of the Discovery Circumstances tests: the real app over the small synthetic snapshot."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def circumstances_app(snapshot_data_dir: Path):
    """The real app (``create_app``) serving the harness's small synthetic snapshot."""
    from dashboard_app.app import create_app
    from dashboard_app.settings import load_settings

    return create_app(load_settings({"DATA_DIR": str(snapshot_data_dir)}, env_file=None))


@pytest.fixture
def in_request(circumstances_app) -> Iterator[None]:
    """A request context of that app, so the tab's callbacks can be called as plain functions."""
    with circumstances_app.server.test_request_context("/_dash-update-component", method="POST"):
        yield
