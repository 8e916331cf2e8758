"""Fixtures of the Multi-survey Comparison and Follow-up Timing tests."""

from __future__ import annotations

import flask
import pytest

from dashboard_app.snapshot.model import Snapshot
from tests.tabs_comparison.tiny_sky import tiny_snapshot


@pytest.fixture(scope="session")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Snapshot:
    """The hand-made tiny sky (see ``tiny_sky.py``) as a loaded snapshot."""
    return tiny_snapshot(tmp_path_factory.mktemp("tiny-sky"))


class FixedStore:
    """A store serving one snapshot (the tab code asks the app's store for the current snapshot)."""

    def __init__(self, snapshot: Snapshot | None):
        self.snapshot = snapshot

    def current(self) -> Snapshot | None:
        return self.snapshot

    def unavailable_reason(self) -> str:
        return "no snapshot has been published in this test"


@pytest.fixture
def serving(tiny):
    """A Flask request context whose app serves the tiny sky, as the tab callbacks expect."""
    app = flask.Flask("tabs-comparison-tests")
    app.extensions["neo_store"] = FixedStore(tiny)
    with app.test_request_context():
        yield tiny


@pytest.fixture
def serving_fresh(tmp_path):
    """Like ``serving`` but with its own freshly loaded tiny sky (an empty memo cache)."""
    snapshot = tiny_snapshot(tmp_path)
    app = flask.Flask("tabs-comparison-tests-fresh")
    app.extensions["neo_store"] = FixedStore(snapshot)
    with app.test_request_context():
        yield snapshot


@pytest.fixture
def serving_nothing():
    """A request context whose app has no snapshot loaded yet."""
    app = flask.Flask("tabs-comparison-tests-empty")
    app.extensions["neo_store"] = FixedStore(None)
    with app.test_request_context():
        yield
