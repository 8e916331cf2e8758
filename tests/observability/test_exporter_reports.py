"""The exporter against a real PostgreSQL: JSON log lines, its outcome in status.json (and so in /metrics),
progress on a terminal, Sentry on failure; the database password never appears anywhere."""

from __future__ import annotations

import json
import os
import pty
import subprocess
from pathlib import Path

import pytest

from dashboard_app.observability.collectors import ExporterStatusCollector
from tests.exporter.conftest import REPO, clean_env, export_command, run_export
from tests.harness.postgres import READER_PASSWORD, READER_ROLE
from tests.observability.sentry_sink import sentry_sink

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
WRONG_PASSWORD = "not-the-password-7c1d"


def _log_lines(stdout: str) -> list[dict]:
    """The JSON log lines before the summary (the last line)."""
    lines = [line for line in stdout.splitlines() if line.strip()]
    return [json.loads(line) for line in lines[:-1]]


def _metrics(data_dir: Path) -> dict:
    collected = ExporterStatusCollector(data_dir).collect()
    return {(s.name, tuple(sorted(s.labels.items()))): s.value for m in collected for s in m.samples}


def _wrong_url(mpc_sbn) -> str:
    return f"postgresql://{READER_ROLE}:{WRONG_PASSWORD}@{mpc_sbn.server.host}:{mpc_sbn.server.port}/{mpc_sbn.dbname}"


@pytest.fixture
def exported(mpc_sbn, tmp_path):
    """(data dir, run) of one successful export, the password in DATABASE_URL."""
    data_dir = tmp_path / "data"
    run = run_export(data_dir, clean_env(DATABASE_URL=mpc_sbn.reader_url()))
    assert run.returncode == 0, run.stderr
    return data_dir, run


def test_an_export_logs_json_lines_per_stage_and_records_its_outcome_for_the_metrics(exported):
    data_dir, run = exported
    summary = run.summary
    lines = _log_lines(run.stdout)
    assert all(line["logger"].startswith("dashboard_app.") and "time" in line for line in lines)
    stage_lines = {line["stage"]: line for line in lines if "stage" in line}
    assert set(stage_lines) == {s["name"] for s in summary["stages"]} - {"publish"}
    for stage in summary["stages"]:
        if stage["name"] in stage_lines:
            assert stage_lines[stage["name"]]["rows"] == stage["rows"]
            assert stage_lines[stage["name"]]["seconds"] == pytest.approx(stage["seconds"], abs=0.002)
    finished = [line for line in lines if line.get("snapshot_id") == summary["snapshot_id"]]
    assert finished and finished[-1]["exit_code"] == 0
    assert "export [" not in run.stderr, "no terminal: progress is in the log lines only"

    status = json.loads((data_dir / "status.json").read_text())
    assert status["state"] == "succeeded" and status["exit_code"] == 0
    assert [s["name"] for s in status["stages"]] == [s["name"] for s in summary["stages"]]
    assert status["row_counts"] == summary["row_counts"]
    assert (status["last_success_utc"], status["last_success_snapshot_id"]) == (
        status["finished_utc"],
        summary["snapshot_id"],
    )
    metrics = _metrics(data_dir)
    assert metrics[("neo_export_state", (("state", "succeeded"),))] == 1
    assert metrics[("neo_export_last_exit_code", ())] == 0
    assert metrics[("neo_export_rows", (("table", "discoveries"),))] == summary["row_counts"]["discoveries"]
    assert metrics[("neo_export_stage_rows", (("stage", "apparitions"),))] == stage_lines["apparitions"]["rows"]
    for text in (run.stdout, run.stderr, (data_dir / "status.json").read_text()):
        assert READER_PASSWORD not in text


def test_a_failed_export_is_recorded_with_its_exit_code_and_keeps_the_last_success(exported, mpc_sbn):
    data_dir, first = exported
    before = json.loads((data_dir / "status.json").read_text())
    run = run_export(data_dir, clean_env(DATABASE_URL=_wrong_url(mpc_sbn)))
    assert run.returncode == 3, run.stderr

    status = json.loads((data_dir / "status.json").read_text())
    assert (status["state"], status["exit_code"], status["stage"]) == ("failed", 3, "connect")
    assert status["last_success_utc"] == before["last_success_utc"]
    assert status["last_success_snapshot_id"] == first.summary["snapshot_id"]
    (failure,) = [line for line in _log_lines(run.stdout) if line["level"] == "error"]
    assert failure["exit_code"] == 3 and failure["stage"] == "connect"
    metrics = _metrics(data_dir)
    assert metrics[("neo_export_state", (("state", "failed"),))] == 1
    assert metrics[("neo_export_last_exit_code", ())] == 3
    assert metrics[("neo_export_last_success_timestamp_seconds", ())] > 0
    for text in (run.stdout, run.stderr, (data_dir / "status.json").read_text()):
        assert WRONG_PASSWORD not in text


def test_progress_lines_appear_when_stderr_is_a_terminal(mpc_sbn, tmp_path):
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        export_command("--data-dir", str(tmp_path / "data")),
        env=clean_env(**mpc_sbn.reader_env()),
        stdout=subprocess.PIPE,
        stderr=follower,
        cwd=REPO,
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the terminal closed: the exporter exited
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    assert proc.wait(120) == 0
    terminal = b"".join(chunks).decode()
    assert "export [" in terminal and "apparitions:" in terminal and "rows in" in terminal
    assert READER_PASSWORD not in terminal


def test_a_failed_export_reaches_sentry_without_the_password(mpc_sbn, tmp_path):
    with sentry_sink() as sink:
        env = clean_env(DATABASE_URL=_wrong_url(mpc_sbn), SENTRY_DSN=sink.dsn, SENTRY_ENVIRONMENT="nightly")
        run = run_export(tmp_path / "data", env)
        assert run.returncode == 3, run.stderr
        events = sink.wait_for_events(1)
        raw = b"".join(sink.bodies).decode()
    assert len(events) == 1
    event = events[0]
    assert event["tags"]["component"] == "exporter" and event["environment"] == "nightly"
    assert event["exception"]["values"][-1]["type"] == "DatabaseUnreachableError"
    assert WRONG_PASSWORD not in raw


def test_without_a_dsn_a_failed_export_sends_nothing(mpc_sbn, tmp_path):
    with sentry_sink() as sink:
        run = run_export(tmp_path / "data", clean_env(DATABASE_URL=_wrong_url(mpc_sbn), SENTRY_DSN=""))
        assert run.returncode == 3
    assert sink.bodies == []
