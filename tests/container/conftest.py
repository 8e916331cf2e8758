"""Container tests: build the image once per session and run it with a real engine (Docker or podman).

Without an engine the tests are skipped with the reason, and the run ends with a banner saying so. On CI
(``CI`` set) ``make test`` has run ``scripts/container-engine.sh`` first, so a missing engine fails instead.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from dashboard_app import __version__
from tests.container.engine import IMAGE, REPO, Engine, find_engine

_NO_ENGINE: list[str] = []  # the reason, once a test found no engine (for the closing banner)


@pytest.fixture(scope="session")
def engine() -> Engine:
    found, reason = find_engine()
    if found is None:
        _NO_ENGINE.append(reason)
        if os.environ.get("CI"):  # CI runs `make test`, which sets an engine up: a missing one is a failure there
            pytest.fail(reason)
        pytest.skip(reason)
    return found


@pytest.fixture(scope="session")
def git_commit() -> str:
    proc = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, check=False)
    return proc.stdout.strip() or "unknown"


@pytest.fixture(scope="session")
def image(engine: Engine, git_commit: str) -> str:
    """The project's image, built once per session from the working tree (layers cached between runs)."""
    engine.build(IMAGE, build_args={"VERSION": __version__, "GIT_COMMIT": git_commit})
    return IMAGE


@pytest.fixture
def writable_data_dir(tmp_path: Path) -> Path:
    """An empty snapshot directory on the host that the container's UID 10001 may write into."""
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    data_dir.chmod(0o777)
    return data_dir


def pytest_terminal_summary(terminalreporter) -> None:
    if _NO_ENGINE:
        bar = "!" * 100
        terminalreporter.write_line(bar, red=True, bold=True)
        terminalreporter.write_line(f"CONTAINER TESTS SKIPPED — {_NO_ENGINE[0]}", red=True, bold=True)
        terminalreporter.write_line(bar, red=True, bold=True)
