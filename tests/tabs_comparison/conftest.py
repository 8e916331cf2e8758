"""Fixtures of the Multi-survey Comparison and Follow-up Timing tests."""

from __future__ import annotations

import pytest

from dashboard_app.snapshot.model import Snapshot
from tests.tabs_comparison.tiny_sky import tiny_snapshot


@pytest.fixture(scope="session")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Snapshot:
    """The hand-made tiny sky (see ``tiny_sky.py``) as a loaded snapshot."""
    return tiny_snapshot(tmp_path_factory.mktemp("tiny-sky"))
