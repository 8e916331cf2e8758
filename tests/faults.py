"""Fault injection for child processes: the environment that pauses a publisher or exporter at a stage.

See ``tests/fault_injection/sitecustomize.py``: the child imports it at start-up and pauses at the
named checkpoint (``dashboard_app.checkpoints.reached``); the application has no test branches.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FAULT_INJECTION_DIR = REPO / "tests" / "fault_injection"


def pause_env(stage: str, resume_file: Path | None = None, seconds: float = 60, pythonpath: str = str(REPO)) -> dict:
    """Variables that make a child process wait at checkpoint ``stage`` (until ``resume_file`` exists, or
    ``seconds``); ``pythonpath`` is what the child's ``PYTHONPATH`` holds besides the fault injection."""
    env = {
        "PYTHONPATH": os.pathsep.join([str(FAULT_INJECTION_DIR), *filter(None, [pythonpath])]),
        "NEO_TEST_PAUSE_AT": stage,
        "NEO_TEST_PAUSE_S": str(seconds),
    }
    if resume_file is not None:
        env["NEO_TEST_RESUME_FILE"] = str(resume_file)
    return env
