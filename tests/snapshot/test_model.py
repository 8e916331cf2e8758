"""Loading a snapshot: both readers give the same frames with the deliberate dtypes."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pandas.testing as pdt
import pytest

from dashboard_app.definitions import OTHER_FOLLOWUP_PROJECT
from dashboard_app.snapshot.model import SnapshotError, load_snapshot, project_of
from dashboard_app.snapshot.publish import publish
from tests.snapshot.rows import tiny_build

REPO = Path(__file__).resolve().parents[2]


def _null_heavy(con):
    # 1,500 extra NEOs whose nullable columns are NULL: more than one reader batch of NULLs
    con.execute("UPDATE discoveries SET h = NULL, trk_rate = NULL, trk_pa = NULL, permid = NULL")


def test_the_arrow_and_sqlite3_readers_give_equal_frames_even_for_mostly_null_columns(data_dir):
    result = publish(data_dir, tiny_build(1500, tamper=_null_heavy))
    fast = load_snapshot(result.path)
    plain = load_snapshot(result.path, reader="sqlite3")
    for name in ("discoveries", "apparitions", "stations", "missing"):
        pdt.assert_frame_equal(getattr(fast, name), getattr(plain, name))
    assert fast.meta == plain.meta
    assert fast.discoveries["h"].dtype == "float64"
    assert fast.discoveries["h"].isna().all()
    assert fast.missing["h"].dtype == "float64"  # NULL throughout in the table


def test_frames_use_compact_dtypes(publish_tiny):
    snapshot = load_snapshot(publish_tiny(n_neos=6).path)
    app = snapshot.apparitions
    counts = [c for c in app.columns if c.startswith("n_")]
    assert len(counts) == 28
    assert {str(app[c].dtype) for c in counts} == {"int16"}
    assert isinstance(app["stn"].dtype, pd.CategoricalDtype)
    assert isinstance(app["project"].dtype, pd.CategoricalDtype)
    assert str(snapshot.discoveries["neo_id"].dtype) == "int32"
    assert str(snapshot.discoveries["disc_time"].dtype).startswith("datetime64")
    assert snapshot.discoveries.loc[2, "size_class"] == 6  # neo 3 has unknown H


def test_counts_too_large_for_int16_load_as_int32(data_dir):
    def big(con):
        con.execute("UPDATE apparitions SET n_obs_post_200 = 40000, n_obs_any_200 = 40000")
        con.execute("UPDATE lifetime SET n_obs = 40001")

    snapshot = load_snapshot(publish(data_dir, tiny_build(2, tamper=big)).path)
    assert str(snapshot.apparitions["n_obs_post_200"].dtype) == "int32"
    assert snapshot.apparitions["n_obs_post_200"].max() == 40000
    assert str(snapshot.lifetime["n_obs"].dtype) == "int32" and str(snapshot.lifetime["n_trk"].dtype) == "int16"


@pytest.mark.parametrize("reader", ["adbc", "sqlite3"])
def test_an_unreadable_file_raises_snapshot_error(tmp_path, reader):
    path = tmp_path / "junk.sqlite"
    path.write_bytes(b"not a database" * 500)
    with pytest.raises(SnapshotError, match="cannot"):
        load_snapshot(path, reader=reader)
    with pytest.raises(SnapshotError, match="cannot"):
        load_snapshot(tmp_path / "missing.sqlite", reader=reader)


def test_every_project_column_is_the_one_project_of_station_rule(publish_tiny):
    snapshot = load_snapshot(publish_tiny(n_neos=6).path)
    assert project_of("G96") == "Catalina Survey"  # mapped in reference/station_projects.csv
    assert project_of("X99") == OTHER_FOLLOWUP_PROJECT  # a code the mapping does not hold
    for frame, code in (
        (snapshot.discoveries, "disc_stn"),
        (snapshot.apparitions, "stn"),
        (snapshot.stations, "stn"),
    ):
        assert frame[code].astype(str).map(project_of).tolist() == frame["project"].astype(str).tolist()


def test_only_project_of_reads_the_station_to_project_mapping():
    """The rule has one home: no other module re-derives a project from ``station_projects()``."""
    readers = [
        str(path.relative_to(REPO))
        for top in ("dashboard_app", "tests", "bench", "scripts")
        for path in sorted((REPO / top).rglob("*.py"))
        if "station_projects()" in path.read_text(encoding="utf-8") and path != Path(__file__).resolve()
    ]
    assert readers == ["dashboard_app/reference/__init__.py", "dashboard_app/snapshot/model.py"]
