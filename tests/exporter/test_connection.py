"""The exporter's database session: where the password comes from, read-only, timeouts, redaction, setup SQL."""

from __future__ import annotations

import os
import subprocess

import psycopg
import pytest

from dashboard_app.exporter.connection import ConnectionSettings, read_only_session, redact
from dashboard_app.exporter.errors import DatabaseUnreachableError, ExportSettingsError
from dashboard_app.exporter.setup_sql import index_names, setup_script
from dashboard_app.sky.source_schema import ddl
from tests.exporter.conftest import export_command
from tests.harness.postgres import READER_PASSWORD, READER_ROLE


def test_redact_hides_passwords_in_urls_and_key_value_strings():
    text = "postgresql://reader:s3cr%21t@db:5432/mpc_sbn and host=db password='a b' user=x password=plain"
    out = redact(text, ("extra-secret",))
    assert "s3cr" not in out and "a b" not in out and "plain" not in out
    assert "postgresql://reader:***@db:5432/mpc_sbn" in out
    assert redact("token extra-secret here", ("extra-secret",)) == "token *** here"


def test_describe_names_the_target_without_the_password():
    settings = ConnectionSettings(database_url="postgresql://reader:pw123@db.example:6432/mpc_sbn")
    assert settings.describe() == "reader@db.example:6432/mpc_sbn"
    assert "pw123" in settings.secrets()


def test_the_public_source_names_only_the_database(monkeypatch):
    for name in ("PGDATABASE", "PGUSER", "PGHOST", "PGPORT"):
        monkeypatch.delenv(name, raising=False)
    for url in (
        "postgresql://reader:pw@db.example:6432/mpc_sbn",
        "host=db.example port=6432 user=reader dbname=mpc_sbn",
    ):
        source = ConnectionSettings(database_url=url).public_source()
        assert source == "PostgreSQL database mpc_sbn"
    monkeypatch.setenv("PGUSER", "reader")
    monkeypatch.setenv("PGHOST", "db.example")
    monkeypatch.setenv("PGDATABASE", "replica")
    assert ConnectionSettings().public_source() == "PostgreSQL database replica"
    monkeypatch.delenv("PGDATABASE")  # libpq would use the role's name as the database's: not said
    assert ConnectionSettings(database_url="postgresql://reader@db.example/").public_source().endswith(" mpc_sbn")


def test_an_unparsable_database_url_is_a_settings_error_without_the_value():
    with pytest.raises(ExportSettingsError, match="DATABASE_URL is not a valid") as info:
        ConnectionSettings(database_url="host=db password=topsecret bogus").conninfo()
    assert "topsecret" not in str(info.value)


def _libpq_env(monkeypatch, **values: str) -> None:
    for name in [k for k in os.environ if k.startswith("PG")]:
        monkeypatch.delenv(name)
    for name, value in values.items():
        monkeypatch.setenv(name, value)


@pytest.mark.postgres
def test_the_password_can_come_from_a_pgpass_file(mpc_sbn, tmp_path, monkeypatch):
    server = mpc_sbn.server
    passfile = tmp_path / "pgpass"
    passfile.write_text(f"{server.host}:{server.port}:{mpc_sbn.dbname}:{READER_ROLE}:{READER_PASSWORD}\n")
    passfile.chmod(0o600)
    env = {k: v for k, v in mpc_sbn.reader_env().items() if k != "PGPASSWORD"}
    _libpq_env(monkeypatch, PGPASSFILE=str(passfile), **env)
    with read_only_session(ConnectionSettings()) as conn:
        assert conn.execute("SELECT current_user").fetchone() == (READER_ROLE,)


@pytest.mark.postgres
def test_the_password_can_come_from_a_password_file(mpc_sbn, tmp_path, monkeypatch):
    secret = tmp_path / "db-password"
    secret.write_text(READER_PASSWORD + "\n")
    _libpq_env(monkeypatch)
    settings = ConnectionSettings(database_url=mpc_sbn.reader_url(with_password=False), password_file=secret)
    with read_only_session(settings) as conn:
        assert conn.execute("SELECT count(*) > 0 FROM mpc_orbits").fetchone() == (True,)


@pytest.mark.postgres
def test_a_wrong_password_is_reported_without_revealing_it(mpc_sbn, monkeypatch):
    _libpq_env(monkeypatch)
    url = mpc_sbn.reader_url(with_password=False).replace(f"{READER_ROLE}@", f"{READER_ROLE}:Wr0ngPassw0rd@")
    with pytest.raises(DatabaseUnreachableError, match="password authentication failed") as info:
        read_only_session(ConnectionSettings(database_url=url)).__enter__()
    assert "Wr0ngPassw0rd" not in str(info.value)


@pytest.mark.postgres
def test_the_session_is_a_read_only_repeatable_read_transaction_with_the_timeout(mpc_sbn, monkeypatch):
    _libpq_env(monkeypatch)
    settings = ConnectionSettings(database_url=mpc_sbn.reader_url(), statement_timeout_s=42.5)
    with read_only_session(settings) as conn:
        assert conn.execute("SHOW transaction_isolation").fetchone() == ("repeatable read",)
        assert conn.execute("SHOW statement_timeout").fetchone() == ("42500ms",)
        assert conn.execute("SHOW application_name").fetchone() == ("neo-explorer-export",)
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            conn.execute("CREATE TEMP TABLE t (x int)")


@pytest.mark.parametrize("tier", ["default", "optional"])
def test_print_setup_sql_prints_the_tier_s_script_and_exits_0(tier):
    args = ["--print-setup-sql"] + (["--tier", tier] if tier != "default" else [])
    result = subprocess.run(export_command(*args), capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout == setup_script(tier)
    for name in index_names(tier):
        assert name in result.stdout
    assert ("neo_export_obs_provid" in result.stdout) == (tier == "optional")


@pytest.mark.postgres
@pytest.mark.parametrize("tier", ["default", "optional"])
def test_the_setup_script_runs_with_psql_and_creates_every_index(postgres_server, tmp_path, tier):
    postgres_server.create_database(f"setup_check_{tier}")
    with postgres_server.connect(f"setup_check_{tier}") as con:
        for statement in ddl():
            con.execute(statement)
    script = tmp_path / "setup.sql"
    script.write_text(setup_script(tier), encoding="utf-8")
    psql = postgres_server.bin_dir / "psql"
    result = subprocess.run(
        [str(psql), "-v", "ON_ERROR_STOP=1", "-X", "-q", "-d", postgres_server.admin_conninfo(f"setup_check_{tier}"),
         "-f", str(script)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    with postgres_server.connect(f"setup_check_{tier}") as con:
        present = {r[0] for r in con.execute("SELECT indexname FROM pg_indexes WHERE schemaname = 'public'")}
    assert set(index_names(tier)) <= present
