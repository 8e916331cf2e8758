"""``neo-explorer demo`` end to end, and the published snapshot equals the sky's truth."""

import sqlite3
import subprocess
import sys

import pandas as pd

from dashboard_app.sky import truth
from dashboard_app.snapshot.model import load_snapshot
from dashboard_app.snapshot.publish import current_snapshot_path


def _read_tables(path) -> dict[str, pd.DataFrame]:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as con:
        return {name: pd.read_sql(f"SELECT * FROM {name}", con) for name in truth.TRUTH_TABLES}


def test_demo_publishes_a_synthetic_snapshot_and_writes_the_source_for_inspection(tmp_path):
    data, src = tmp_path / "data", tmp_path / "src"
    cmd = [sys.executable, "-m", "dashboard_app", "demo", str(data), "--seed", "3", "--scale", "0.003"]
    done = subprocess.run([*cmd, "--write-source", str(src)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "published synthetic snapshot" in done.stdout
    snap = load_snapshot(current_snapshot_path(data))
    assert snap.synthetic
    assert snap.meta["source"] == "synthetic sky seed=3 scale=0.003"
    with sqlite3.connect(next(src.glob("synthetic-sky-3-0.003.sqlite"))) as con:
        names = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"source_obs_sbn", "source_mpc_orbits", "truth_discoveries", "planted_cases"} <= names


def test_demo_rejects_a_nonpositive_scale(tmp_path):
    cmd = [sys.executable, "-m", "dashboard_app", "demo", str(tmp_path), "--scale", "0"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2  # argparse's usage error (tests/test_cli_junk_arguments.py covers more)
    assert "argument --scale: 0 is not a number above 0" in done.stderr


def test_the_published_snapshot_holds_exactly_the_truth(synthetic_sky, snapshot_file):
    assert truth.differences(_read_tables(snapshot_file), synthetic_sky.truth) == []


def test_differences_reports_a_changed_count_and_a_missing_row(synthetic_sky, snapshot_file):
    tables = _read_tables(snapshot_file)
    tables["apparitions"].loc[0, "n_obs_any_7"] += 1
    tables["discoveries"] = tables["discoveries"].iloc[1:]
    found = truth.differences(tables, synthetic_sky.truth)
    assert any(line.startswith("apparitions.n_obs_any_7: 1 rows differ") for line in found)
    assert any(line.startswith("discoveries: 1 rows missing from export") for line in found)


def test_the_same_seed_and_scale_publish_identical_snapshot_contents(tmp_path):
    from dashboard_app.snapshot.publish import content_digest
    from tests.harness.snapshots import build_snapshot_dir

    digests = []
    for name, seed in (("a", 8), ("b", 8), ("c", 9)):
        path = build_snapshot_dir(tmp_path / name, seed=seed, scale=0.003)
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as con:
            digests.append(content_digest(con))
    assert digests[0] == digests[1] != digests[2]


def test_demo_into_an_unwritable_place_fails_with_a_clear_message(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    cmd = [sys.executable, "-m", "dashboard_app", "demo", str(blocker / "data"), "--scale", "0.002"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "cannot publish into" in done.stderr
    assert "Traceback" not in done.stderr
