"""Fixtures of the exporter tests: run ``neo-explorer export`` as a subprocess and read its output."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
EXPORT_TIMEOUT_S = 180


@dataclass
class ExportRun:
    """One finished ``neo-explorer export`` process."""

    returncode: int
    stdout: str
    stderr: str

    @property
    def summary(self) -> dict:
        """The JSON summary line (the last line of stdout)."""
        lines = [line for line in self.stdout.splitlines() if line.strip()]
        assert lines, f"no summary on stdout; stderr:\n{self.stderr}"
        return json.loads(lines[-1])


def export_command(*args: str) -> list[str]:
    """The exporter's command line (``python -m dashboard_app export …``)."""
    return [sys.executable, "-m", "dashboard_app", "export", *args]


def clean_env(**extra: str) -> dict[str, str]:
    """The test process's environment without any PG*/DATABASE_* variables, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PG", "DATABASE_", "NEO_EXPORT_", "NEO_PUBLISH_"))}
    env["PYTHONPATH"] = str(REPO)
    env.update(extra)
    return env


def run_export(data_dir: Path, env: dict[str, str], *args: str, timeout: float = EXPORT_TIMEOUT_S) -> ExportRun:
    """Run the exporter to completion (bounded in time)."""
    proc = subprocess.run(
        export_command("--data-dir", str(data_dir), *args),
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO,
    )
    return ExportRun(proc.returncode, proc.stdout, proc.stderr)


def read_table(path: Path, table: str) -> list[tuple]:
    """All rows of a snapshot table, in primary-key order."""
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return con.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()
    finally:
        con.close()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """An empty snapshot directory."""
    path = tmp_path / "data"
    path.mkdir()
    return path
