"""The generator: deterministic, shaped like the source schema and the snapshot schema."""

import hashlib

import pandas as pd
import pytest

from dashboard_app.sky import generate
from dashboard_app.sky.source_schema import SOURCE_TABLES
from dashboard_app.snapshot.schema import TABLES_BY_NAME


def _digest(frames: dict[str, pd.DataFrame]) -> str:
    h = hashlib.sha256()
    for name in sorted(frames):
        h.update(name.encode())
        h.update(frames[name].to_csv(index=False, date_format="%Y-%m-%dT%H:%M:%S.%f").encode())
    return h.hexdigest()


@pytest.fixture(scope="module")
def sky(synthetic_sky):
    return synthetic_sky


def test_source_frames_have_exactly_the_source_schema_columns(sky):
    for table in SOURCE_TABLES:
        assert tuple(sky.source[table.name].columns) == table.column_names
        for col in table.columns:
            if not col.nullable:
                assert sky.source[table.name][col.name].notna().all(), (table.name, col.name)


def test_truth_frames_have_exactly_the_snapshot_schema_columns(sky):
    for name, frame in sky.truth.items():
        table = TABLES_BY_NAME[name]
        assert tuple(frame.columns) == table.column_names
        for col in table.columns:
            if not col.nullable:
                assert frame[col.name].notna().all(), (name, col.name)


def test_same_seed_and_scale_give_byte_identical_tables_and_different_seeds_differ():
    a, b, c = generate(5, 0.004), generate(5, 0.004), generate(6, 0.004)
    assert _digest(a.source) == _digest(b.source)
    assert _digest(a.truth) == _digest(b.truth)
    assert _digest(a.source) != _digest(c.source)
    assert _digest(a.truth) != _digest(c.truth)


def test_every_obs_sbn_id_and_obsid_is_unique(sky):
    obs = sky.source["obs_sbn"]
    assert obs["id"].is_unique
    assert obs["obsid"].is_unique
    assert obs["id"].is_monotonic_increasing
