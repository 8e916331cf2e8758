"""``neo-explorer export --check`` says, before any export, whether one would work and what it costs.

Each broken database below differs from a working one in one way; the check names the
problem on a FAIL line and exits 8, and never publishes anything.
"""

from __future__ import annotations

import json
import subprocess

import pytest

from dashboard_app.exporter import errors
from tests.exporter.conftest import clean_env, export_command
from tests.exporter.hand_rows import load_hand_rows
from tests.harness.postgres import READER_ROLE

pytestmark = pytest.mark.postgres


def _check(env: dict[str, str], tmp_path) -> tuple[int, str, dict]:
    data_dir = tmp_path / "data"
    result = subprocess.run(
        export_command("--data-dir", str(data_dir), "--check"),
        env=clean_env(**env),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert not data_dir.exists(), "--check must not publish anything"
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["exit_code"] == result.returncode
    return result.returncode, result.stdout, summary


def _line(stdout: str, name: str) -> str:
    lines = [line for line in stdout.splitlines() if line[5:].startswith(name + ":")]
    assert lines, f"no line for {name} in:\n{stdout}"
    return lines[0]


@pytest.fixture
def broken(postgres_server, request):
    """A hand-rows database broken by ``request.param`` (SQL run as the superuser)."""
    name = "check_" + request.param.replace(" ", "_")
    load_hand_rows(postgres_server, name, analyze=request.param != "never analyzed")
    with postgres_server.connect(name) as con:
        for statement in BREAKAGES[request.param]:
            con.execute(statement)
    return postgres_server.reader_env(name)


BREAKAGES = {
    "missing table": ["DROP TABLE obscodes"],
    "missing index": ["DROP INDEX obs_sbn_trkid_idx"],
    "no permission": [f"REVOKE SELECT ON obs_sbn FROM {READER_ROLE}"],
    "wrong schema": ["ALTER TABLE obs_sbn DROP COLUMN obs80_bit"],
    "never analyzed": [],
}
EXPECTED = {
    "missing table": ("table obscodes", "not found in the search path"),
    "missing index": ("index obs_sbn(trkid)", "CREATE INDEX CONCURRENTLY ON obs_sbn (trkid)"),
    "no permission": ("privilege obs_sbn", "GRANT SELECT ON obs_sbn"),
    "wrong schema": ("schema obs_sbn", "has no column obs80_bit"),
    "never analyzed": ("statistics obs_sbn", "run ANALYZE obs_sbn"),
}


def test_a_database_an_export_works_on_passes_with_its_cost_estimated(mpc_sbn, tmp_path):
    code, stdout, summary = _check(mpc_sbn.reader_env(), tmp_path)
    assert code == errors.EXIT_OK, stdout
    assert "verdict: an export would work" in stdout
    assert summary["status"] == "ok" and summary["tier"] == "default"
    assert summary["neos"] == len(mpc_sbn.sky.truth["discoveries"]) + len(mpc_sbn.sky.truth["missing_discoveries"])
    for name in ("server", "privileges", "schema", "statistics", "plans", "cost"):
        assert _line(stdout, name).startswith("OK")
    for index in ("provid", "permid", "trkid", "obstime", "id"):
        assert _line(stdout, f"index obs_sbn({index})").startswith("OK")
    assert "present" in _line(stdout, "setup neo_export_disc_provid")
    assert summary["pages_per_neo"] > 0 and summary["estimated_cold_s_HDD"] > summary["estimated_cold_s_SSD"]


@pytest.mark.parametrize("broken", list(BREAKAGES), indirect=True)
def test_every_problem_fails_the_check_with_a_message_that_names_the_fix(broken, request, tmp_path):
    kind = request.node.callspec.params["broken"]
    code, stdout, summary = _check(broken, tmp_path)
    assert code == errors.EXIT_CHECK_FAILED, stdout
    name, fix = EXPECTED[kind]
    line = _line(stdout, name)
    assert line.startswith("FAIL") and fix in line, line
    assert summary["status"] == "fail"
    assert "an export would NOT work" in stdout


def test_setup_statements_an_existing_index_already_serves_are_named_as_duplicates(postgres_server, tmp_path):
    load_hand_rows(postgres_server, "check_duplicates")
    with postgres_server.connect("check_duplicates") as con:
        con.execute("DROP INDEX neo_export_disc_provid")
        con.execute(  # the same definition under the replica's own name, columns in another order
            "CREATE INDEX replica_disc_by_designation ON obs_sbn (provid) "
            "INCLUDE (id, obstime, permid, stn, trkid, ra, dec, mag, band, deprecated) WHERE disc = '*'"
        )
        con.execute("CREATE INDEX neo_export_obs_obstime ON obs_sbn (obstime)")  # an older setup's duplicate
    code, stdout, summary = _check(postgres_server.reader_env("check_duplicates"), tmp_path)
    assert code == errors.EXIT_OK, stdout
    assert "served by replica_disc_by_designation" in _line(stdout, "setup neo_export_disc_provid")
    assert "skip this statement" in _line(stdout, "setup neo_export_disc_provid")
    redundant = _line(stdout, "redundant neo_export_obs_obstime")
    assert redundant.startswith("WARN") and "obs_sbn_obstime_idx" in redundant
    assert summary["tier"] == "default"


def test_an_unreachable_database_exits_3(tmp_path):
    env = {"PGHOST": "127.0.0.1", "PGPORT": "1", "PGUSER": "nobody", "PGDATABASE": "mpc_sbn"}
    result = subprocess.run(export_command("--check"), env=clean_env(**env), capture_output=True, text=True, timeout=60)
    assert result.returncode == errors.EXIT_DB_UNREACHABLE
    assert "cannot connect" in result.stderr


def test_a_plan_that_would_scan_obs_sbn_fails_the_check(postgres_server, sky_factory, tmp_path):
    from tests.harness.postgres import load_sky

    load_sky(postgres_server, "check_scan", sky_factory(1, 0.01))
    with postgres_server.connect("check_scan") as con:
        con.execute("DROP INDEX obs_sbn_trkid_idx")  # the tracklet probes fall back to obstime …
        con.execute("DROP INDEX obs_sbn_obstime_idx")  # … and without it to reading everything
    code, stdout, _summary = _check(postgres_server.reader_env("check_scan"), tmp_path)
    assert code == errors.EXIT_CHECK_FAILED
    plans = _line(stdout, "plans")
    assert plans.startswith("FAIL") and "tracklets" in plans and "newest" in plans, plans
