"""The synthetic sky's snapshots go through the same contract: valid, reproducible, loadable both ways."""

from __future__ import annotations

import sqlite3

import pandas.testing as pdt

from dashboard_app.snapshot.model import load_snapshot
from dashboard_app.snapshot.publish import content_digest, publish
from dashboard_app.snapshot.validate import validate_snapshot
from tests.snapshot.rows import table_contents

SEED, SCALE = 7, 0.005


def test_the_same_seed_and_scale_publish_identical_snapshot_contents(tmp_path):
    from dashboard_app.sky import generate

    first = publish(tmp_path / "a", generate(SEED, SCALE).build)
    second = publish(tmp_path / "b", generate(SEED, SCALE).build)
    other = publish(tmp_path / "c", generate(SEED + 1, SCALE).build)
    assert table_contents(first.path) == table_contents(second.path)
    assert first.snapshot_id[-10:] == second.snapshot_id[-10:]  # content hash part of the id
    assert table_contents(first.path) != table_contents(other.path)
    assert first.snapshot_id[-10:] != other.snapshot_id[-10:]


def test_the_shared_synthetic_snapshot_is_valid_and_both_readers_agree(snapshot_file):
    meta = validate_snapshot(snapshot_file, immutable=True)
    assert meta["synthetic"] == "1"
    fast = load_snapshot(snapshot_file)
    plain = load_snapshot(snapshot_file, reader="sqlite3")
    for name in ("discoveries", "apparitions", "stations", "missing"):
        pdt.assert_frame_equal(getattr(fast, name), getattr(plain, name))
    assert len(fast.discoveries) == fast.row_counts["discoveries"] > 0
    con = sqlite3.connect(f"file:{snapshot_file}?mode=ro", uri=True)
    try:
        assert meta["snapshot_id"].endswith(content_digest(con)[:10])
    finally:
        con.close()
