"""Test harness: small synthetic snapshots published into real data directories.

Fixtures (session-scoped, built once):
- ``synthetic_sky``: the small synthetic sky (:data:`SEED`, :data:`SCALE`) behind them;
- ``snapshot_data_dir``: a data directory with that sky's truth published (``CURRENT`` → snapshot file);
- ``snapshot_file``: the published snapshot file itself.
Function :func:`build_snapshot_dir` publishes any seed/scale into a directory (for tests that need
their own, e.g. hot swap); treat the session fixtures as read-only.
"""

from __future__ import annotations

from pathlib import Path

import pytest

SEED = 20260329
SCALE = 0.01


def build_snapshot_dir(data_dir: Path, seed: int = SEED, scale: float = SCALE, sky=None) -> Path:
    """Publish the synthetic sky ``(seed, scale)`` (or ``sky``) into ``data_dir``; returns the snapshot path."""
    from dashboard_app.sky import generate
    from dashboard_app.snapshot.publish import publish

    sky = sky if sky is not None else generate(seed, scale)
    data_dir.mkdir(parents=True, exist_ok=True)
    return publish(data_dir, sky.build, max_row_drop=None).path


@pytest.fixture(scope="session")
def synthetic_sky():
    """The small synthetic sky behind the shared snapshot fixtures."""
    from dashboard_app.sky import generate

    return generate(SEED, SCALE)


@pytest.fixture(scope="session")
def snapshot_data_dir(tmp_path_factory, synthetic_sky) -> Path:
    """A data directory with the small synthetic snapshot published in it (read-only by convention)."""
    data_dir = tmp_path_factory.mktemp("snapshot-data")
    build_snapshot_dir(data_dir, sky=synthetic_sky)
    return data_dir


@pytest.fixture(scope="session")
def snapshot_file(snapshot_data_dir) -> Path:
    """The published snapshot file of ``snapshot_data_dir``."""
    from dashboard_app.snapshot.publish import current_snapshot_path

    path = current_snapshot_path(snapshot_data_dir)
    assert path is not None
    return path
