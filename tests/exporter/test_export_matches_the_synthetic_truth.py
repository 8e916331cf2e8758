"""An export of a synthetic sky loaded into a real PostgreSQL equals the generator's known answers.

Every table and every column is compared. Rows are matched on natural keys
(``provid``; ``provid`` + ``stn`` for apparitions; ``stn``), and ``neo_id`` itself
must match too (both sides number discovered NEOs 1..N in binary provid order).
REAL columns agree within :data:`FLOAT_TOLERANCE` (degrees, days, magnitudes,
au): the source stores RA/Dec as ``numeric`` and the export recomputes means,
medians and almanac values in float64; integers and text must be equal.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dashboard_app.snapshot.schema import TABLES_BY_NAME
from tests.exporter.conftest import clean_env, run_export

pytestmark = pytest.mark.postgres

FLOAT_TOLERANCE = 1e-6
SEEDS = (1, 2)
SCALE = 0.01
KEYS = {
    "discoveries": ["provid"],
    "apparitions": ["provid", "stn"],
    "stations": ["stn"],
    "missing_discoveries": ["provid"],
}


def _read(path: Path) -> dict[str, pd.DataFrame]:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return {name: pd.read_sql(f"SELECT * FROM {name}", con) for name in KEYS}
    finally:
        con.close()


def _with_provid(apparitions: pd.DataFrame, discoveries: pd.DataFrame) -> pd.DataFrame:
    return apparitions.merge(discoveries[["neo_id", "provid"]], on="neo_id", how="left")


def table_differences(name: str, exported: pd.DataFrame, expected: pd.DataFrame) -> list[str]:
    """Every column of ``name`` compared row by row on its natural key; a list of readable differences."""
    columns = list(TABLES_BY_NAME[name].column_names)
    assert list(exported.columns[: len(columns)]) == columns
    keys = KEYS[name]
    merged = expected.merge(exported, on=keys, how="outer", suffixes=("_want", "_got"), indicator=True)
    problems = []
    for side, label in (("left_only", "missing from the export"), ("right_only", "not in the truth")):
        extra = merged[merged["_merge"] == side]
        if len(extra):
            problems.append(f"{name}: {len(extra)} rows {label}, e.g. {extra[keys].head(3).to_dict('records')}")
    both = merged[merged["_merge"] == "both"]
    for col in TABLES_BY_NAME[name].columns:
        if col.name in keys:
            continue
        want, got = both[f"{col.name}_want"], both[f"{col.name}_got"]
        if col.sql_type == "REAL":
            w, g = want.to_numpy("float64", na_value=np.nan), got.to_numpy("float64", na_value=np.nan)
            bad = (np.isnan(w) != np.isnan(g)) | (np.abs(np.nan_to_num(w) - np.nan_to_num(g)) > FLOAT_TOLERANCE)
        else:
            w, g = want.astype(object), got.astype(object)
            bad = ~((w.isna() & g.isna()) | (w == g).fillna(False)).to_numpy(bool)
        if bad.any():
            sample = both.loc[bad, [*keys, f"{col.name}_want", f"{col.name}_got"]].head(3).to_dict("records")
            problems.append(f"{name}.{col.name}: {int(bad.sum())} of {len(both)} rows differ, e.g. {sample}")
    return problems


@pytest.fixture(scope="module", params=SEEDS, ids=lambda s: f"seed{s}")
def exported(request, mpc_sbn_factory, tmp_path_factory):
    source = mpc_sbn_factory(request.param, SCALE)
    data_dir = tmp_path_factory.mktemp(f"truth{request.param}") / "data"
    run = run_export(data_dir, clean_env(**source.reader_env()))
    assert run.returncode == 0, run.stderr
    return source.sky.truth, _read(Path(run.summary["path"])), run


@pytest.mark.parametrize("table", list(KEYS))
def test_every_column_of_the_exported_table_equals_the_truth(exported, table):
    truth, snapshot, _run = exported
    want, got = truth[table], snapshot[table]
    if table == "apparitions":
        want, got = _with_provid(want, truth["discoveries"]), _with_provid(got, snapshot["discoveries"])
    assert len(got) == len(want), f"{table}: {len(got)} rows exported, {len(want)} in the truth"
    assert len(want) > 0
    assert table_differences(table, got, want) == []


def test_neo_ids_number_discovered_neos_in_binary_provid_order(exported):
    truth, snapshot, _run = exported
    got = snapshot["discoveries"].sort_values("neo_id")
    assert got["neo_id"].tolist() == list(range(1, len(got) + 1))
    assert got["provid"].tolist() == sorted(got["provid"].tolist())
    pairs = truth["discoveries"].merge(got, on="provid", suffixes=("_want", "_got"))
    assert (pairs["neo_id_want"] == pairs["neo_id_got"]).all()


def test_the_summary_reports_the_row_counts_it_published(exported):
    truth, _snapshot, run = exported
    summary = run.summary
    assert summary["status"] == "ok" and summary["exit_code"] == 0
    assert summary["row_counts"] == {name: len(truth[name]) for name in KEYS}
    stages = [s["name"] for s in summary["stages"]]
    assert stages[:2] == ["connect", "neos"] and stages[-1] == "publish"
    assert "apparitions:" in run.stderr and "rows in" in run.stderr
