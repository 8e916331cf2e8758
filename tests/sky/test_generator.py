"""The generator: deterministic, shaped like the source schema and the snapshot schema."""

import hashlib

import pandas as pd
import pytest

from dashboard_app.sky import generate
from dashboard_app.sky.source_schema import SOURCE_TABLES
from dashboard_app.snapshot.model import project_of
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


def test_planted_objects_name_their_discovery_observation_and_every_case_is_present(sky):
    disc = sky.truth["discoveries"].set_index("provid")
    objects = sky.planted[sky.planted["level"] == "object"]
    for rec in objects.itertuples():
        if rec.provid in disc.index:
            assert disc.at[rec.provid, "disc_obs_id"] == rec.obs_id, rec.case
    expected = {
        "numbered_disc_under_provisional", "disc_under_secondary", "followup_under_secondary", "several_disc_flags",
        "missing_no_disc_flag", "missing_no_observations", "missing_only_deprecated_flag", "missing_numbered",
        "deprecated_earlier_disc", "q_exactly_1_30", "q_just_above_1_30", "h_sentinel_zero", "h_sentinel_negative",
        "h_null", "disc_without_trkid", "single_obs_tracklet", "zero_span_tracklet", "tracklet_12h_boundary",
        "window_boundaries", "disc_station_not_in_obscodes", "followup_station_not_in_obscodes",
        "observed_without_orbit", "space_based_discovery", "geocentric_discovery", "tracklet_across_ra_zero",
    }  # fmt: skip
    assert expected <= set(objects["case"])


def test_knowledge_agrees_with_the_truth_tables(sky):
    k = sky.knowledge
    disc = sky.truth["discoveries"]
    assert sorted(k.loc[k["is_discovery"] & k["owner_is_neo"], "id"]) == sorted(disc["disc_obs_id"])
    assert k["counted"].sum() == sky.truth["apparitions"]["n_obs_any_200"].sum()
    per_neo = k[k["in_discovery_tracklet"]].groupby("owner").size()
    assert per_neo.reindex(disc["provid"]).fillna(0).astype(int).tolist() == disc["trk_nobs"].tolist()
    assert (k["id"].to_numpy() == sky.source["obs_sbn"]["id"].to_numpy()).all()


def test_the_sky_is_shaped_like_the_published_history():
    """Shares of discoveries per survey project and per size class, and circumstances, as in the references."""

    d = generate(11, 0.05).truth["discoveries"]
    share = d["disc_stn"].map(project_of).value_counts(normalize=True)
    for project, ref in (("Catalina Survey", 0.421), ("Pan-STARRS", 0.318), ("LINEAR", 0.066), ("ATLAS", 0.033)):
        assert abs(share[project] - ref) < 0.03, project
    h = d["h"].dropna()
    assert 0.005 < (h < 17.75).mean() < 0.04  # about 2 % of known NEOs are 1 km or larger
    assert 0.15 < ((h >= 17.75) & (h < 22)).mean() < 0.35
    assert (d["twilight"] == "night").mean() > 0.95
    years = d["disc_year"].value_counts().sort_index()
    assert years.loc[2015:2025].sum() > 2 * years.loc[2000:2010].sum()  # discoveries grew with the surveys
    assert (d["moon_illum"] > 0.97).mean() < 0.02  # surveys pause around full Moon
    assert (d["sun_elong"].abs() > 90).mean() > 0.7  # mostly near opposition
    assert d["trk_nobs"].between(3, 6).mean() > 0.9


def test_every_planted_case_is_documented(sky):
    from pathlib import Path

    doc = (Path(__file__).parents[2] / "docs" / "synthetic-sky.md").read_text(encoding="utf-8")
    for case in set(sky.planted["case"]):
        documented = f"`{case}`" in doc or (case.startswith("window_") and "`window_post_W`" in doc)
        assert documented, case
