"""Fixtures of the Follow-up Comparison tests: the published small synthetic sky, served to the tab's callbacks."""

from __future__ import annotations

import flask
import pytest

from dashboard_app.snapshot.model import load_snapshot
from tests.tabs_comparison.conftest import FixedStore


@pytest.fixture
def serving(snapshot_file):
    """A Flask request context whose app serves the small synthetic sky, as the tab callbacks expect."""
    snapshot = load_snapshot(snapshot_file)
    app = flask.Flask("tabs-sites-tests")
    app.extensions["neo_store"] = FixedStore(snapshot)
    with app.test_request_context():
        yield snapshot
