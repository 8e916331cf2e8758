"""The container's start-up check prints only JSON log lines on stdout (the demo's own output included)."""

from __future__ import annotations

import json
import logging

import pytest

from dashboard_app import startup


@pytest.fixture(autouse=True)
def _restore_app_logger():
    logger = logging.getLogger("dashboard_app")
    handlers, level, propagate = logger.handlers[:], logger.level, logger.propagate
    yield
    logger.handlers[:], logger.level, logger.propagate = handlers, level, propagate


def json_lines(text: str) -> list[dict]:
    """Every non-empty line parsed as JSON (fails on the first line that is not)."""
    out = []
    for line in text.splitlines():
        if line.strip():
            try:
                out.append(json.loads(line))
            except ValueError:
                pytest.fail(f"not a JSON line on stdout: {line!r}")
    return out


def test_an_empty_directory_gets_the_demo_snapshot_and_every_stdout_line_is_json(tmp_path, capfd, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert startup.main({"DATA_DIR": str(tmp_path / "data")}) == startup.EXIT_OK
    out, err = capfd.readouterr()
    messages = [line["message"] for line in json_lines(out)]
    assert messages[0].startswith("entrypoint: no snapshot in")
    assert any(m.startswith("published synthetic snapshot ") for m in messages), messages
    assert err == ""
    assert (tmp_path / "data" / "CURRENT").is_file()


def test_a_bad_setting_is_one_json_line_and_exit_78(tmp_path, capfd, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert startup.main({"DATA_DIR": str(tmp_path), "WORKERS": "lots"}) == startup.EXIT_BAD_SETTINGS
    (line,) = json_lines(capfd.readouterr().out)
    assert line["level"] == "error"
    assert line["message"] == "entrypoint: invalid setting: WORKERS='lots' is not accepted: expected an integer 1-64"


def test_log_format_text_is_plain_text(tmp_path, capfd, monkeypatch):
    monkeypatch.chdir(tmp_path)
    env = {"DATA_DIR": str(tmp_path / "data"), "DEMO_IF_EMPTY": "false", "LOG_FORMAT": "text"}
    assert startup.main(env) == startup.EXIT_OK
    out = capfd.readouterr().out
    assert "WARNING dashboard_app.entrypoint: entrypoint: no snapshot in" in out
    assert not out.lstrip().startswith("{")


def test_a_read_only_empty_directory_starts_empty_instead_of_failing_to_build_the_demo(tmp_path, capfd, monkeypatch):
    monkeypatch.chdir(tmp_path)
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    real_access = startup.os.access
    monkeypatch.setattr(startup.os, "access", lambda path, mode: mode != startup.os.W_OK and real_access(path, mode))
    assert startup.main({"DATA_DIR": str(data_dir)}) == startup.EXIT_OK
    (line,) = json_lines(capfd.readouterr().out)
    assert "read-only" in line["message"] and line["level"] == "warning"
    assert list(data_dir.iterdir()) == []
