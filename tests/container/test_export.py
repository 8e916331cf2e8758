"""`IMAGE export`: the exporter inside the container reads the tests' real PostgreSQL on 127.0.0.1 (host network)
with the read-only role, its password from a mounted secret file, and publishes into a mounted directory."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from dashboard_app.snapshot.publish import current_snapshot_path
from tests.container.engine import Engine
from tests.harness.postgres import READER_PASSWORD

pytestmark = [pytest.mark.container, pytest.mark.postgres, pytest.mark.slow]


def test_export_command_publishes_a_snapshot_from_postgres_into_the_mounted_directory(
    engine: Engine, image: str, mpc_sbn, tmp_path: Path, writable_data_dir: Path
) -> None:
    data_dir = writable_data_dir
    secret = tmp_path / "db-password"
    secret.write_text(READER_PASSWORD, encoding="utf-8")
    secret.chmod(0o644)

    proc = engine.run(
        [
            "--network",
            "host",
            "--read-only",
            "--tmpfs",
            "/tmp",
            "-v",
            f"{data_dir}:/data",
            "-v",
            f"{secret}:/run/secrets/db-password:ro",
            "-e",
            f"DATABASE_URL={mpc_sbn.reader_url(with_password=False)}",
            "-e",
            "DATABASE_PASSWORD_FILE=/run/secrets/db-password",
        ],
        image,
        ["export"],
        timeout=900,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    assert READER_PASSWORD not in output

    snapshot = current_snapshot_path(data_dir)
    assert snapshot is not None and snapshot.is_file()
    with sqlite3.connect(f"file:{snapshot}?mode=ro", uri=True) as con:
        meta = dict(con.execute("select key, value from meta"))
        discoveries = con.execute("select count(*) from discoveries").fetchone()[0]
    assert meta["synthetic"] == "0"
    assert discoveries == len(mpc_sbn.sky.truth["discoveries"]) > 0


def test_export_without_a_reachable_database_exits_3_and_publishes_nothing(
    engine: Engine, image: str, writable_data_dir: Path
) -> None:
    data_dir = writable_data_dir
    proc = engine.run(
        [
            "--network",
            "none",
            "-v",
            f"{data_dir}:/data",
            "-e",
            "DATABASE_URL=postgresql://neo_reader@127.0.0.1:9/mpc_sbn",
            "-e",
            "EXPORT_CONNECT_TIMEOUT_S=2",
        ],
        image,
        ["export"],
        timeout=300,
    )
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert current_snapshot_path(data_dir) is None


def test_a_one_shot_export_container_publishes_into_the_volume_a_running_web_container_serves(
    engine: Engine, image: str, mpc_sbn, tmp_path: Path, writable_data_dir: Path
) -> None:
    """The export outside the public container (DEPLOYMENT.md): the web container has no database settings and
    mounts the volume read-only; a one-shot container of the same image writes into it; the web one switches."""
    from tests.container.test_image import (
        READ_ONLY,
        publish_demo,
        served_snapshot_id,
        snapshot_id,
        start,
        wait_until_every_worker_serves,
    )

    data_dir = writable_data_dir
    first = publish_demo(data_dir, seed=1)
    for path in data_dir.rglob("*"):  # published by root on the host: let the image's user (10001) write too
        path.chmod(0o777 if path.is_dir() else 0o666)
    secret = tmp_path / "db-password"
    secret.write_text(READER_PASSWORD, encoding="utf-8")
    secret.chmod(0o644)
    name = "neo-test-web-beside-export"
    url = start(engine, image, name, *READ_ONLY, "-e", "SNAPSHOT_POLL_SECONDS=1", "-v", f"{data_dir}:/data:ro")
    try:
        engine.wait_healthy(name, timeout=180)
        assert served_snapshot_id(url) == first
        env = engine.command("exec", name, "env").stdout
        assert "DATABASE_" not in env and "PGPASSWORD" not in env
        proc = engine.run(
            ["--network", "host", "--read-only", "--tmpfs", "/tmp", "--memory", "1g",
             "-v", f"{data_dir}:/data", "-v", f"{secret}:/run/secrets/db-password:ro",
             "-e", f"DATABASE_URL={mpc_sbn.reader_url(with_password=False)}",
             "-e", "DATABASE_PASSWORD_FILE=/run/secrets/db-password"],
            image,
            ["export"],
            timeout=900,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stdout + proc.stderr
        exported = snapshot_id(data_dir)
        assert exported != first
        # both workers (WORKERS=2 by default): one answer with the new id proves only the worker that gave it
        wait_until_every_worker_serves(engine, name, url, exported, workers=2, timeout_s=60)
    finally:
        engine.remove(name)
