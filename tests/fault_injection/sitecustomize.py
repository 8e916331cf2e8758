"""Fault injection for the tests' child processes: pause a publisher or an exporter at a checkpoint.

Python imports this module at start-up when its directory is first on ``PYTHONPATH``
(:func:`tests.faults.pause_env` puts it there). With ``NEO_TEST_PAUSE_AT=<stage>`` it replaces
:func:`dashboard_app.checkpoints.reached` so that, at that stage, the process prints
``neo-<command> paused at <stage> pid=<pid>`` on stderr and waits until the file named by
``NEO_TEST_RESUME_FILE`` exists (or ``NEO_TEST_PAUSE_S`` seconds, default 60, have passed).
A test can then kill the process or stop its database at a known point. Nothing here is
imported by the application itself.
"""

from __future__ import annotations

import os

if os.environ.get("NEO_TEST_PAUSE_AT"):
    import sys
    import time
    from pathlib import Path

    from dashboard_app import checkpoints

    _STAGE = os.environ["NEO_TEST_PAUSE_AT"]
    _RESUME = os.environ.get("NEO_TEST_RESUME_FILE")
    _SECONDS = float(os.environ.get("NEO_TEST_PAUSE_S", "60"))

    def _pause(command: str, stage: str) -> None:
        if stage != _STAGE:
            return
        print(f"neo-{command} paused at {stage} pid={os.getpid()}", file=sys.stderr, flush=True)
        deadline = time.monotonic() + _SECONDS
        while time.monotonic() < deadline:
            if _RESUME and Path(_RESUME).exists():
                return
            time.sleep(0.05)

    checkpoints.reached = _pause
