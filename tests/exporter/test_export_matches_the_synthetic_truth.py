"""An export of a synthetic sky loaded into a real PostgreSQL equals the generator's known answers.

Every table and every column is compared (``dashboard_app.sky.truth.differences``).
Rows are matched on natural keys (``provid``; ``neo_id`` + ``stn`` for apparitions;
``stn``), and ``neo_id`` must equal the truth's for every ``provid`` (both number
discovered NEOs 1..N in binary provid order), so apparitions match on provid + stn.
REAL columns agree within ``FLOAT_TOLERANCE`` = 1e-6 (degrees, days, magnitudes,
au): the source stores RA/Dec as ``numeric`` and the export recomputes means,
medians and almanac values in float64; integers and text must be equal.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pandas as pd
import pytest

from dashboard_app.sky.truth import FLOAT_TOLERANCE, TRUTH_TABLES, differences
from dashboard_app.snapshot.schema import TABLES_BY_NAME
from tests.exporter.conftest import clean_env, run_export

pytestmark = pytest.mark.postgres

SEEDS = (1, 2)
SCALE = 0.01
TABLES = TRUTH_TABLES  # every data table of the schema


def _read(path: Path) -> dict[str, pd.DataFrame]:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return {name: pd.read_sql(f"SELECT * FROM {name}", con) for name in TABLES}
    finally:
        con.close()


@pytest.fixture(scope="module", params=SEEDS, ids=lambda s: f"seed{s}")
def exported(request, mpc_sbn_factory, tmp_path_factory):
    source = mpc_sbn_factory(request.param, SCALE)
    data_dir = tmp_path_factory.mktemp(f"truth{request.param}") / "data"
    env = source.reader_env()
    run = run_export(data_dir, clean_env(**env))
    assert run.returncode == 0, run.stderr
    return source.sky.truth, _read(Path(run.summary["path"])), run, env


@pytest.mark.parametrize("table", list(TABLES))
def test_the_exported_table_has_the_rows_of_the_truth(exported, table):
    truth, snapshot, _run, _env = exported
    assert len(truth[table]) > 0
    assert len(snapshot[table]) == len(truth[table])
    assert list(snapshot[table].columns) == list(TABLES_BY_NAME[table].column_names)


def test_every_table_and_column_equals_the_truth(exported):
    truth, snapshot, _run, _env = exported
    assert FLOAT_TOLERANCE == 1e-6  # REAL columns: degrees, days, magnitudes, au
    assert differences(snapshot, truth, limit=50) == []


def test_neo_ids_number_discovered_neos_in_binary_provid_order(exported):
    truth, snapshot, _run, _env = exported
    got = snapshot["discoveries"].sort_values("neo_id")
    assert got["neo_id"].tolist() == list(range(1, len(got) + 1))
    assert got["provid"].tolist() == sorted(got["provid"].tolist())
    pairs = truth["discoveries"].merge(got, on="provid", suffixes=("_want", "_got"))
    assert (pairs["neo_id_want"] == pairs["neo_id_got"]).all()


def test_the_summary_reports_the_row_counts_it_published(exported):
    truth, _snapshot, run, _env = exported
    summary = run.summary
    assert summary["status"] == "ok" and summary["exit_code"] == 0
    assert summary["row_counts"] == {name: len(truth[name]) for name in TABLES}
    stages = [s["name"] for s in summary["stages"]]
    assert stages[:2] == ["connect", "neos"] and stages[-1] == "publish"
    stage_lines = [json.loads(line) for line in run.stdout.splitlines()[:-1] if line.startswith("{")]
    assert any(line.get("stage") == "apparitions" and line.get("rows", 0) > 0 for line in stage_lines)
    # its own peak memory (what a container's limit must hold): at least the interpreter with its imports
    finished = [line for line in stage_lines if line.get("message", "").startswith("export finished")]
    assert 50 < summary["peak_rss_mb"] < 4000 and finished[0]["peak_rss_mb"] == summary["peak_rss_mb"]


def test_the_published_snapshot_names_the_database_but_not_its_role_host_or_port(exported):
    # Snapshot files are public downloads: the meta may name the database, never where or as whom to log in.
    _truth, _snapshot, run, env = exported
    with sqlite3.connect(f"file:{run.summary['path']}?mode=ro", uri=True) as con:
        meta = dict(con.execute("SELECT key, value FROM meta"))
    assert meta["source"] == f"PostgreSQL database {env['PGDATABASE']}"
    assert run.summary["source"] == meta["source"]
    for value in meta.values():
        assert env["PGUSER"] not in value and f"{env['PGHOST']}:{env['PGPORT']}" not in value, value
        assert env["PGHOST"] not in value and "@" not in value, value
