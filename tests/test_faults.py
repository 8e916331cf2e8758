"""Fault injection lives in the tests: the application only names its checkpoints, with no test branches."""

from __future__ import annotations

import re
from pathlib import Path

from dashboard_app import checkpoints
from dashboard_app.snapshot.publish import STAGES, publish
from tests.snapshot.rows import tiny_build

REPO = Path(__file__).resolve().parents[1]


def test_a_publish_passes_every_checkpoint_once_in_order(tmp_path, monkeypatch):
    seen: list[tuple[str, str]] = []
    monkeypatch.setattr(checkpoints, "reached", lambda command, stage: seen.append((command, stage)))
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    publish(data_dir, tiny_build(3, 0))
    assert seen == [("publish", stage) for stage in STAGES]


def test_the_application_reads_no_test_only_setting_and_calls_checkpoints_through_the_module():
    package = REPO / "dashboard_app"
    sources = {p: p.read_text(encoding="utf-8") for p in package.rglob("*.py")}
    test_hooks = [str(p) for p, text in sources.items() if re.search(r"PAUSE_AT|NEO_TEST_|RESUME_FILE", text)]
    assert test_hooks == []
    imported_by_name = [
        str(p) for p, text in sources.items() if re.search(r"from dashboard_app\.checkpoints import", text)
    ]
    assert imported_by_name == []  # the fault injection replaces checkpoints.reached: call it through the module
    callers = {p.relative_to(package).as_posix() for p, text in sources.items() if "checkpoints.reached(" in text}
    assert callers >= {"snapshot/publish.py", "exporter/progress.py", "exporter/export.py"}
