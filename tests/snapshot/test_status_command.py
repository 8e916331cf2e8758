"""`neo-explorer status DATA_DIR` through the real entry point: text, JSON and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from dashboard_app.snapshot.publish import SnapshotRefusedError


def _status(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "dashboard_app", "status", *args], capture_output=True, text=True, timeout=60
    )


def test_status_of_an_empty_directory_says_nothing_is_published_and_exits_1(data_dir):
    out = _status(str(data_dir))
    assert out.returncode == 1
    assert "Current snapshot: none (no snapshot has been published in this directory)" in out.stdout
    assert "Refresh: none recorded" in out.stdout


def test_status_prints_the_current_snapshot_its_meta_and_the_refresh(data_dir, publish_tiny):
    result = publish_tiny()
    out = _status(str(data_dir))
    assert out.returncode == 0, out.stderr
    assert f"Current snapshot: {result.snapshot_id}" in out.stdout
    assert "synthetic:   yes" in out.stdout
    assert "source = hand-made test rows tag=0" in out.stdout
    assert "Refresh: succeeded (stage finished" in out.stdout


def test_status_json_is_machine_readable(data_dir, publish_tiny):
    result = publish_tiny()
    out = _status(str(data_dir), "--json", "--validate")
    assert out.returncode == 0, out.stderr
    facts = json.loads(out.stdout)
    assert facts["current"]["meta"]["snapshot_id"] == result.snapshot_id
    assert facts["current"]["valid"] is True
    assert facts["refresh"]["state"] == "succeeded"
    assert facts["snapshots"] == [result.path.name]


def test_status_exits_3_when_the_last_refresh_failed_but_a_snapshot_is_served(data_dir, publish_tiny):
    publish_tiny(n_neos=10)
    with pytest.raises(SnapshotRefusedError):
        publish_tiny(n_neos=2, tag=1)
    out = _status(str(data_dir))
    assert out.returncode == 9  # exit_codes.REFRESH_FAILED
    assert "Refresh: failed" in out.stdout
    assert "would drop from 10 to 2 rows" in out.stdout


def test_status_exits_1_when_the_pointer_names_a_missing_file(data_dir, publish_tiny):
    result = publish_tiny()
    result.path.unlink()
    out = _status(str(data_dir), "--json")
    assert out.returncode == 1
    assert "cannot be read" in json.loads(out.stdout)["current_error"]


def test_status_of_a_missing_directory_is_a_usage_error(tmp_path):
    out = _status(str(tmp_path / "nowhere"))
    assert out.returncode == 2
    assert "is not a directory" in out.stderr


def test_status_names_the_companion_and_validate_refuses_a_damaged_one(data_dir, publish_tiny):
    result = publish_tiny()
    companion = result.path.with_suffix(".frames")
    out = _status(str(data_dir), "--validate")
    assert out.returncode == 0, out.stderr
    assert f"frames:      {companion.name} (" in out.stdout
    target = companion / "apparitions.arrow"
    target.chmod(0o644)
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0xFF
    target.write_bytes(bytes(data))
    out = _status(str(data_dir), "--validate")
    assert out.returncode == 1
    assert "valid:       NO: " in out.stdout and "does not match its SHA-256" in out.stdout
