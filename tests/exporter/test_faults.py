"""Every failure leaves the previous snapshot current, the status file truthful and a clear message + exit code."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
from pathlib import Path

import pytest

from dashboard_app.exporter import errors
from dashboard_app.snapshot.publish import read_status
from tests.exporter.conftest import (
    clean_env,
    pause_env,
    run_export,
    snapshot_state,
    start_export,
)
from tests.harness.postgres import load_sky

pytestmark = pytest.mark.postgres


def _assert_previous_kept(data_dir: Path, before: tuple[str | None, list[str]]) -> None:
    current, files = snapshot_state(data_dir)
    assert current == before[0], "the pointer must still name the previous snapshot"
    assert (data_dir / current).is_file()
    snapshots = [f for f in files if f.startswith("snapshot-")]
    assert snapshots == [f for f in before[1] if f.startswith("snapshot-")]


def _assert_failure_recorded(data_dir: Path, *fragments: str) -> dict:
    status = read_status(data_dir)
    assert status is not None and status["state"] == "failed"
    for fragment in fragments:
        assert fragment in status["error"]
    return status


def test_database_stopped_mid_export_exits_3_and_keeps_the_previous_snapshot(
    private_postgres, sky_factory, previous, tmp_path
):
    load_sky(private_postgres, "mpc_sbn", sky_factory(1, 0.01))
    before = snapshot_state(previous)
    resume = tmp_path / "resume"
    env = clean_env(**private_postgres.reader_env("mpc_sbn"), **pause_env("apparitions", resume))
    export = start_export(previous, env, tmp_path / "logs")
    export.wait_for("neo-export paused at apparitions")
    private_postgres.stop("immediate")
    resume.touch()
    run = export.finish()

    assert run.returncode == errors.EXIT_DB_UNREACHABLE, run.stderr
    assert "lost the connection" in run.stderr or "cannot connect" in run.stderr
    assert run.summary["status"] == "error" and run.summary["exit_code"] == errors.EXIT_DB_UNREACHABLE
    _assert_previous_kept(previous, before)
    _assert_failure_recorded(previous, "apparitions")
    assert not [f for f in os.listdir(previous) if f.startswith(".build-")]


def test_a_statement_timeout_exits_4_with_the_setting_named(postgres_server, mpc_sbn, previous):
    before = snapshot_state(previous)
    holder = postgres_server.connect(mpc_sbn.dbname, autocommit=False)
    try:
        holder.execute("LOCK TABLE obs_sbn IN ACCESS EXCLUSIVE MODE")  # every export query now waits
        env = clean_env(**mpc_sbn.reader_env(), EXPORT_STATEMENT_TIMEOUT_S="1")
        run = run_export(previous, env, timeout=60)
    finally:
        holder.rollback()
        holder.close()
    assert run.returncode == errors.EXIT_QUERY_FAILED, run.stderr
    assert "statement timeout of 1 s (EXPORT_STATEMENT_TIMEOUT_S)" in run.stderr
    _assert_previous_kept(previous, before)
    _assert_failure_recorded(previous, "statement timeout")


@contextlib.contextmanager
def small_filesystem(path: Path, size: str):
    """A size-limited tmpfs mounted at ``path`` (root only); skips the test where mounting is not allowed."""
    path.mkdir()
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True)
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({result.stderr.decode().strip()}); needs root")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False, capture_output=True)


def test_a_full_disk_while_writing_exits_7_and_keeps_the_previous_snapshot(mpc_sbn, tmp_path):
    with small_filesystem(tmp_path / "mnt", "16m") as mount:
        data_dir = mount / "data"
        env = clean_env(**mpc_sbn.reader_env())
        first = run_export(data_dir, env)
        assert first.returncode == 0, first.stderr
        before = snapshot_state(data_dir)
        free = os.statvfs(mount).f_bavail * os.statvfs(mount).f_frsize
        (mount / "filler").write_bytes(b"\0" * (free - 64 * 1024))  # leave 64 KiB: less than a snapshot

        run = run_export(data_dir, env)

        assert run.returncode == errors.EXIT_WRITE_FAILED, run.stderr
        assert "full" in run.stderr.lower() or "no space" in run.stderr.lower()
        assert "previous snapshot stays current" in run.stderr
        _assert_previous_kept(data_dir, before)
        _assert_failure_recorded(data_dir)
        assert not [f for f in os.listdir(data_dir) if f.startswith(".build-")]
        (mount / "filler").unlink()
        again = run_export(data_dir, env)
        assert again.returncode == 0, again.stderr


def test_an_exporter_killed_mid_write_leaves_the_previous_snapshot_and_the_next_run_cleans_up(
    mpc_sbn, previous, tmp_path
):
    before = snapshot_state(previous)
    env = clean_env(**mpc_sbn.reader_env(), **pause_env("write:apparitions", tmp_path / "never"))
    export = start_export(previous, env, tmp_path / "logs")
    export.wait_for("neo-export paused at write:apparitions")
    os.kill(export.proc.pid, signal.SIGKILL)
    export.proc.wait(timeout=30)

    _assert_previous_kept(previous, before)
    status = read_status(previous)
    assert status["state"] == "interrupted" and "killed" in status["error"]
    assert [f for f in os.listdir(previous) if f.startswith(".build-")], "the partial build is still there"

    run = run_export(previous, clean_env(**mpc_sbn.reader_env()))
    assert run.returncode == 0, run.stderr
    assert not [f for f in os.listdir(previous) if f.startswith(".build-")]
    assert snapshot_state(previous)[0] != before[0]
    assert read_status(previous)["state"] == "succeeded"


def test_a_second_export_while_one_runs_exits_6_and_the_first_finishes(mpc_sbn, previous, tmp_path):
    resume = tmp_path / "resume"
    env = clean_env(**mpc_sbn.reader_env())
    first = start_export(previous, dict(env, **pause_env("neos", resume)), tmp_path / "first")
    first.wait_for("neo-export paused at neos")
    status = read_status(previous)
    assert status["state"] == "running" and status["pid"] == first.proc.pid

    second = run_export(previous, env, timeout=60)
    assert second.returncode == errors.EXIT_LOCKED, second.stderr
    assert "another publisher is running" in second.stderr
    assert second.summary["exit_code"] == errors.EXIT_LOCKED

    resume.touch()
    done = first.finish()
    assert done.returncode == 0, done.stderr
    assert read_status(previous)["state"] == "succeeded"


def test_a_snapshot_losing_most_rows_is_refused_with_exit_5(hand_source, previous):
    before = snapshot_state(previous)
    server, name = hand_source
    run = run_export(previous, clean_env(**server.reader_env(name)))
    assert run.returncode == errors.EXIT_REFUSED, run.stderr
    assert "refusing to publish" in run.stderr and "discoveries would drop" in run.stderr
    _assert_previous_kept(previous, before)
    _assert_failure_recorded(previous, "refusing to publish")


def test_an_unreachable_database_exits_3_without_showing_the_password(previous, tmp_path):
    before = snapshot_state(previous)
    url = "postgresql://neo_reader:Sup3rSecretPw@127.0.0.1:9/mpc_sbn"  # port 9 (discard): nothing listens
    run = run_export(previous, clean_env(DATABASE_URL=url, EXPORT_CONNECT_TIMEOUT_S="2"), timeout=60)
    assert run.returncode == errors.EXIT_DB_UNREACHABLE, run.stderr
    assert "cannot connect to neo_reader@127.0.0.1:9/mpc_sbn" in run.stderr
    status_text = (previous / "status.json").read_text(encoding="utf-8")
    for text in (run.stderr, run.stdout, status_text):
        assert "Sup3rSecretPw" not in text
    _assert_previous_kept(previous, before)
    _assert_failure_recorded(previous, "cannot connect")


def test_a_bad_setting_exits_2_naming_the_variable(previous):
    run = run_export(previous, clean_env(EXPORT_STATEMENT_TIMEOUT_S="soon"), timeout=60)
    assert run.returncode == errors.EXIT_SETTINGS
    assert "EXPORT_STATEMENT_TIMEOUT_S='soon' is not accepted" in run.stderr
    assert json.loads(run.stdout.strip().splitlines()[-1])["exit_code"] == errors.EXIT_SETTINGS


def test_the_session_is_visible_under_its_application_name_while_exporting(
    postgres_server, mpc_sbn, previous, tmp_path
):
    resume = tmp_path / "resume"
    env = clean_env(**mpc_sbn.reader_env(), **pause_env("tracklets", resume))
    export = start_export(previous, env, tmp_path / "logs")
    try:
        export.wait_for("neo-export paused at tracklets")
        with postgres_server.connect() as con:
            rows = con.execute(
                "SELECT usename, state FROM pg_stat_activity WHERE application_name = 'neo-explorer-export'"
            ).fetchall()
    finally:
        resume.touch()
    assert rows == [("neo_reader", "idle in transaction")]
    assert export.finish().returncode == 0
