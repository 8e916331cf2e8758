"""PostgreSQL answers every export query with index probes on obs_sbn, never a scan of the whole table.

Checked at each setup tier (replica indexes only, default, optional): the tier decides which
indexes the probes use and whether they are index-only, never whether obs_sbn is scanned.
"""

from __future__ import annotations

import subprocess

import pytest

from dashboard_app.exporter import plans
from dashboard_app.exporter.setup_sql import index_names
from tests.exporter.conftest import clean_env, export_command

pytestmark = pytest.mark.postgres

PROBED = ("discovery", "missing", "tracklets", "apparitions", "duplicates", "newest")


def _plans(db, *, bitmaps: bool = True, hide: tuple[str, ...] = ()) -> dict[str, dict]:
    """Plans of every stage; ``hide`` drops replica indexes inside the transaction (rolled back)."""
    with db.server.connect(db.dbname, autocommit=False) as con:
        if not bitmaps:  # on a tiny table the planner may prefer bitmaps; without them, coverage shows
            con.execute("SET enable_bitmapscan = off")
        for name in hide:
            con.execute(f"DROP INDEX {name}")
        try:
            return {stage: plans.explain(con, query) for stage, query in plans.stage_queries(con).items()}
        finally:
            con.rollback()


@pytest.fixture(scope="module")
def tier_plans(mpc_sbn, mpc_sbn_factory) -> dict[str, dict[str, dict]]:
    return {
        "none": _plans(mpc_sbn_factory(1, 0.01, tier="none")),
        "default": _plans(mpc_sbn),
        "optional": _plans(mpc_sbn_factory(1, 0.01, tier="optional")),
    }


@pytest.mark.parametrize("tier", ["none", "default", "optional"])
@pytest.mark.parametrize("stage", PROBED)
def test_no_stage_scans_obs_sbn_at_any_tier(tier_plans, tier, stage):
    scans = plans.scans_of(tier_plans[tier][stage], "obs_sbn")
    assert scans, "the query reads obs_sbn"
    assert {node for node, _ in scans} <= {"Index Scan", "Index Only Scan", "Bitmap Heap Scan"}, scans


def test_the_small_table_stages_never_touch_obs_sbn(tier_plans):
    for stage in ("neos", "designations", "stations"):
        assert plans.scans_of(tier_plans["default"][stage], "obs_sbn") == []


def test_the_default_tier_answers_the_discovery_step_from_its_two_small_indexes(tier_plans, mpc_sbn):
    assert plans.indexes_used(tier_plans["default"]["discovery"], "obs_sbn") == set(index_names("default"))
    covered = _plans(mpc_sbn, bitmaps=False)["discovery"]
    assert set(plans.scans_of(covered, "obs_sbn")) == {("Index Only Scan", name) for name in index_names("default")}


def test_the_optional_tier_answers_the_apparition_probes_from_the_index_alone(tier_plans, mpc_sbn_factory):
    """The optional indexes cover the probes (index-only scans).

    Which index the planner picks on this 1 % table is a cost call: since schema v2 widened the covering
    indexes (mag, band), it picks the replica's narrow ``provid`` index for the few unnumbered rows here.
    So the plan is checked twice: the numbered probe uses its optional index as planned, and with the
    replica's two designation indexes hidden both probes are index-only scans of the optional indexes.
    """
    optional = {"neo_export_obs_provid", "neo_export_obs_permid"}
    assert "neo_export_obs_permid" in plans.indexes_used(tier_plans["optional"]["apparitions"], "obs_sbn")
    db = mpc_sbn_factory(1, 0.01, tier="optional")
    covered = _plans(db, bitmaps=False, hide=("obs_sbn_provid_idx", "obs_sbn_permid_idx"))["apparitions"]
    assert set(plans.scans_of(covered, "obs_sbn")) == {("Index Only Scan", name) for name in optional}


def test_without_setup_indexes_the_probes_use_the_replica_indexes(tier_plans):
    used = set().union(*(plans.indexes_used(tier_plans["none"][stage], "obs_sbn") for stage in PROBED))
    assert used and not any(name.startswith("neo_export") for name in used)


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
    for stage in ("neos", "designations", *PROBED, "stations"):
        assert f"-- stage {stage}\n" in result.stdout
    assert "neo_export_disc_provid" in result.stdout
    assert not data_dir.exists()


@pytest.mark.parametrize("tier", ["none", "default", "optional"])
def test_no_probe_reads_the_obstime_index_for_its_window(tier_plans, tier):
    """A ±200-day obstime range covers every object's observations: only ``newest`` may use that index."""
    for stage in ("discovery", "missing", "tracklets", "apparitions", "duplicates"):
        assert "obs_sbn_obstime_idx" not in plans.indexes_used(tier_plans[tier][stage], "obs_sbn"), stage
