"""Fixtures of the exporter tests: run ``neo-explorer export`` as a subprocess and read its output."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests import faults

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
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PG", "DATABASE_", "NEO_TEST_"))}
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


@dataclass
class BackgroundExport:
    """A running ``neo-explorer export`` whose output goes to files the test can poll."""

    proc: subprocess.Popen
    out: Path
    err: Path

    def stderr(self) -> str:
        return self.err.read_text(encoding="utf-8", errors="replace")

    def wait_for(self, text: str, timeout: float = 60.0) -> None:
        """Block until ``text`` appears on the exporter's stderr (fails on exit or timeout)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.stderr():
                return
            if self.proc.poll() is not None:
                raise AssertionError(f"the exporter exited ({self.proc.returncode}) before {text!r}:\n{self.stderr()}")
            time.sleep(0.05)
        raise AssertionError(f"{text!r} did not appear within {timeout} s:\n{self.stderr()}")

    def finish(self, timeout: float = EXPORT_TIMEOUT_S) -> ExportRun:
        """Wait for the exit (bounded) and return what it printed."""
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
            raise
        return ExportRun(self.proc.returncode, self.out.read_text(encoding="utf-8"), self.stderr())


def start_export(data_dir: Path, env: dict[str, str], logs: Path, *args: str) -> BackgroundExport:
    """Start the exporter in the background, stdout/stderr into files under ``logs``."""
    logs.mkdir(parents=True, exist_ok=True)
    out, err = logs / "stdout.txt", logs / "stderr.txt"
    with open(out, "wb") as o, open(err, "wb") as e:
        proc = subprocess.Popen(
            export_command("--data-dir", str(data_dir), *args), env=env, stdout=o, stderr=e, cwd=REPO
        )
    return BackgroundExport(proc, out, err)


def pause_env(stage: str, resume_file: Path, **extra: str) -> dict[str, str]:
    """Variables that make the exporter wait at checkpoint ``stage`` until ``resume_file`` exists
    (fault injection: :mod:`tests.faults`)."""
    return {**faults.pause_env(stage, resume_file, seconds=90), **extra}


def snapshot_state(data_dir: Path) -> tuple[str | None, list[str]]:
    """(the CURRENT pointer's text, sorted file names) of a data directory."""
    pointer = data_dir / "CURRENT"
    current = pointer.read_text(encoding="utf-8").strip() if pointer.exists() else None
    return current, sorted(p.name for p in data_dir.iterdir())


@pytest.fixture(scope="session")
def published_once(mpc_sbn, tmp_path_factory) -> Path:
    """A data directory holding one snapshot exported from the default ``mpc_sbn`` database."""
    data_dir = tmp_path_factory.mktemp("published") / "data"
    run = run_export(data_dir, clean_env(**mpc_sbn.reader_env()))
    assert run.returncode == 0, run.stderr
    return data_dir


@pytest.fixture
def previous(published_once: Path, tmp_path: Path) -> Path:
    """A private copy of :func:`published_once`: a data directory with a current snapshot."""
    target = tmp_path / "data"
    shutil.copytree(published_once, target)
    return target


@pytest.fixture(scope="session")
def hand_source(postgres_server) -> tuple:
    """(server, database name) of a database holding the hand-written rows of ``hand_rows.py``."""
    from tests.exporter.hand_rows import load_hand_rows

    load_hand_rows(postgres_server, "mpc_sbn_hand")
    return postgres_server, "mpc_sbn_hand"
