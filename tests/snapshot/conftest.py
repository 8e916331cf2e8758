"""Fixtures of the snapshot tests: a data directory and a helper that publishes hand-made rows."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from dashboard_app.snapshot.publish import PublishResult, publish
from tests.faults import pause_env
from tests.snapshot.rows import tiny_build

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """An empty snapshot directory."""
    path = tmp_path / "data"
    path.mkdir()
    return path


@pytest.fixture
def publish_tiny(data_dir: Path) -> Callable[..., PublishResult]:
    """Publish hand-made rows into ``data_dir``: ``publish_tiny(n_neos=4, tag=0, **publish_kwargs)``."""

    def _publish(n_neos: int = 4, tag: int = 0, **kwargs) -> PublishResult:
        return publish(data_dir, tiny_build(n_neos, tag), **kwargs)

    return _publish


def publisher_script(data_dir: Path, n_neos: int, tag: int) -> list[str]:
    """Command line of a separate process publishing :func:`tiny_build` rows into ``data_dir``."""
    code = (
        "import sys; from dashboard_app.snapshot.publish import publish; "
        "from tests.snapshot.rows import tiny_build; "
        f"r = publish({str(data_dir)!r}, tiny_build({n_neos}, {tag})); print(r.snapshot_id)"
    )
    return [sys.executable, "-c", code]


@pytest.fixture
def paused_publisher(data_dir: Path) -> Iterator[Callable[[str, int], subprocess.Popen]]:
    """Start a publisher process that pauses at ``stage`` (waits until it says so); killed at teardown."""
    procs: list[subprocess.Popen] = []

    def _start(stage: str, tag: int = 1) -> subprocess.Popen:
        env = os.environ | pause_env(stage)
        proc = subprocess.Popen(
            publisher_script(data_dir, 4, tag), cwd=REPO, env=env, stderr=subprocess.PIPE, text=True
        )
        procs.append(proc)
        deadline = time.monotonic() + 30
        assert proc.stderr is not None
        for line in proc.stderr:  # bounded: the process exits or pauses
            if f"paused at {stage}" in line:
                return proc
            if time.monotonic() > deadline:
                break
        proc.kill()
        pytest.fail(f"the publisher never paused at {stage} (exit {proc.wait(5)})")

    yield _start
    for proc in procs:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
