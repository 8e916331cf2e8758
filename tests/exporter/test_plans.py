"""PostgreSQL answers every export query with index probes on obs_sbn, never a scan of the whole table."""

from __future__ import annotations

import subprocess

import pytest

from dashboard_app.exporter import plans, queries
from dashboard_app.exporter.setup_sql import index_names
from tests.exporter.conftest import clean_env, export_command

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def stage_plans(mpc_sbn):
    with mpc_sbn.server.connect(mpc_sbn.dbname, autocommit=False) as con:
        return {stage: plans.explain(con, query) for stage, query in queries.stage_queries().items()}


@pytest.mark.parametrize("stage", [s for s in queries.stage_queries() if s != "stations"])
def test_the_stage_query_probes_obs_sbn_only_through_the_setup_indexes(stage_plans, stage):
    scans = plans.scans_of(stage_plans[stage], "obs_sbn")
    assert scans, "the query reads obs_sbn"
    assert {node for node, _ in scans} <= {"Index Scan", "Index Only Scan"}
    assert {index for _, index in scans} <= set(index_names())


def test_the_observation_probes_are_answered_from_the_index_alone(stage_plans):
    scans = set(plans.scans_of(stage_plans["apparitions"], "obs_sbn"))
    assert ("Index Only Scan", "neo_export_obs_provid_obstime") in scans
    assert ("Index Only Scan", "neo_export_obs_permid_obstime") in scans


def test_explain_prints_a_plan_per_stage_and_publishes_nothing(mpc_sbn, tmp_path):
    data_dir = tmp_path / "data"
    result = subprocess.run(
        export_command("--data-dir", str(data_dir), "--explain"),
        env=clean_env(**mpc_sbn.reader_env()),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    for stage in queries.stage_queries():
        assert f"-- stage {stage}\n" in result.stdout
    assert "neo_export_obs_provid_obstime" in result.stdout
    assert not data_dir.exists()
