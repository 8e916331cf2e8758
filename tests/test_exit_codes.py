"""One table of exit codes for every command, documented once; in-process runs of the CLI end with its codes.

These call ``dashboard_app.cli.main`` / ``dashboard_app.startup.main`` in this process (fast); the subprocess
tests beside them (tests/test_cli.py, tests/snapshot/test_status_command.py, tests/exporter/test_faults.py, the
container tests) prove the same through the real entry points.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

import pytest

from dashboard_app import cli, exit_codes, startup
from dashboard_app.exporter import errors
from dashboard_app.snapshot.publish import LOCK_FILE

REPO = Path(__file__).resolve().parents[1]


def test_deployment_doc_holds_the_generated_table():
    text = (REPO / "DEPLOYMENT.md").read_text(encoding="utf-8")
    block = text.split("<!-- exit-codes:begin -->\n", 1)[1].split("\n<!-- exit-codes:end -->", 1)[0]
    assert block == exit_codes.markdown_table(), "regenerate: python -m dashboard_app.exit_codes"


def test_codes_are_unique_and_the_exporters_are_the_tables():
    codes = [e.code for e in exit_codes.EXIT_CODES]
    assert len(codes) == len(set(codes))
    assert set(errors.EXIT_CODES) <= set(codes)
    assert errors.EXIT_LOCKED == exit_codes.LOCKED and errors.EXIT_SETTINGS == exit_codes.USAGE


def test_status_of_an_empty_directory_is_failed_and_of_a_missing_one_usage(tmp_path, capsys):
    assert cli.main(["status", str(tmp_path)]) == exit_codes.FAILED
    assert cli.main(["status", str(tmp_path / "nowhere")]) == exit_codes.USAGE
    assert "nowhere" in capsys.readouterr().err


def test_a_bad_argument_is_usage_for_every_command(tmp_path, capsys):
    for argv in (["frobnicate"], ["status"], ["demo", str(tmp_path), "--scale", "-1"], ["export", "--keep", "x"]):
        with pytest.raises(SystemExit) as exited:
            cli.main(argv)
        assert exited.value.code == exit_codes.USAGE, argv
    capsys.readouterr()


def test_a_bad_setting_at_container_start_up_is_usage_as_for_the_commands(tmp_path):
    assert startup.main({"DATA_DIR": str(tmp_path), "WORKERS": "lots"}) == exit_codes.USAGE


def test_demo_into_a_directory_another_publisher_holds_is_locked_like_export(tmp_path, capsys, monkeypatch):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    fd = os.open(data_dir / LOCK_FILE, os.O_RDONLY | os.O_CREAT, 0o664)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        assert cli.main(["demo", str(data_dir), "--scale", "0.002"]) == exit_codes.LOCKED
    finally:
        os.close(fd)
    assert "another publisher is running" in capsys.readouterr().err


def test_an_unexpected_file_system_refusal_is_io_error(tmp_path, capsys, monkeypatch):
    from dashboard_app.snapshot import status

    def refuse(args):
        raise PermissionError(13, "Permission denied", str(tmp_path / "x"))

    monkeypatch.setattr(status, "run", refuse)
    assert cli.main(["status", str(tmp_path)]) == exit_codes.IO_ERROR
    assert "Permission denied" in capsys.readouterr().err
