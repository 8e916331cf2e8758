"""Other objects' observations (99 % of the real replica) change nothing in the export.

The same synthetic sky is loaded twice: alone, and with a background of main-belt objects,
Mars crossers, comet-like orbits, ITF and pending rows (``dashboard_app.sky.background``)
interleaved with its observations. Both exports must be identical row for row and equal
the truth; the background is there (checked) and full of the real table's traps.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from dashboard_app.sky import background
from dashboard_app.sky.truth import TRUTH_TABLES, differences
from tests.exporter.conftest import clean_env, run_export

pytestmark = pytest.mark.postgres

BACKGROUND = 0.05
"""A small factor of the real proportions keeps the test quick (the benchmark uses 1.0)."""
TABLES = TRUTH_TABLES  # every data table of the schema


def _rows(path: Path) -> dict[str, list[tuple]]:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return {name: con.execute(f"SELECT * FROM {name} ORDER BY 1, 2").fetchall() for name in TABLES}
    finally:
        con.close()


@pytest.fixture(scope="module")
def with_background(mpc_sbn_factory):
    return mpc_sbn_factory(1, 0.01, background=BACKGROUND)


@pytest.fixture(scope="module")
def exported_with_background(with_background, tmp_path_factory) -> Path:
    data_dir = tmp_path_factory.mktemp("background") / "data"
    run = run_export(data_dir, clean_env(**with_background.reader_env()))
    assert run.returncode == 0, run.stderr
    return Path(run.summary["path"])


def test_the_background_holds_other_objects_at_the_stated_proportions(with_background):
    sky = with_background.sky
    plan = background.plan(BACKGROUND, sky)
    with with_background.server.connect(with_background.dbname) as con:
        orbits, others = con.execute("SELECT count(*), count(*) FILTER (WHERE q > 1.3) FROM mpc_orbits").fetchone()
        obs, itf, pending, empty = con.execute(
            "SELECT count(*), count(*) FILTER (WHERE status = 'I'), count(*) FILTER (WHERE status = 'p'), "
            "count(*) FILTER (WHERE trkid = '' OR permid = '' OR band = '') FROM obs_sbn"
        ).fetchone()
    assert orbits == len(sky.source["mpc_orbits"]) + plan.objects
    assert plan.objects == round(
        BACKGROUND * background.OBJECTS_PER_NEO * sum(len(sky.truth[t]) for t in ("discoveries", "missing_discoveries"))
    )
    assert obs - len(sky.source["obs_sbn"]) == pytest.approx(plan.observations, rel=0.05)
    assert others > 0.9 * plan.objects and itf > 0 and pending > 0 and empty > 0


def test_the_background_is_interleaved_with_the_neo_observations(with_background):
    with with_background.server.connect(with_background.dbname) as con:
        pages = con.execute(
            "SELECT count(DISTINCT (ctid::text::point)[0]) FILTER (WHERE id <= %s), "
            "count(DISTINCT (ctid::text::point)[0]) FROM obs_sbn",
            (int(with_background.sky.source["obs_sbn"]["id"].max()),),
        ).fetchone()
    assert pages[0] > 0.5 * pages[1], "the sky's rows should be spread over most pages, not packed at one end"


def test_the_export_with_background_equals_the_export_without_row_for_row(exported_with_background, published_once):
    from dashboard_app.snapshot.publish import current_snapshot_path

    assert _rows(exported_with_background) == _rows(current_snapshot_path(published_once))


def test_the_export_with_background_equals_the_truth(exported_with_background, with_background):
    import pandas as pd

    con = sqlite3.connect(f"file:{exported_with_background}?mode=ro", uri=True)
    try:
        got = {name: pd.read_sql(f"SELECT * FROM {name}", con) for name in TABLES}
    finally:
        con.close()
    assert differences(got, with_background.sky.truth) == []
