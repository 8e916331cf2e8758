"""The truth satisfies the definitions, checked naively from the source tables alone.

Nothing here uses the generator's own knowledge: designations are resolved
from mpc_orbits / numbered_identifications / current_identifications, the
discovery is searched among obs_sbn rows, and counts are redone in plain
Python loops, so a slip in the generator's bookkeeping shows up as a mismatch.
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import timedelta

import numpy as np
import pandas as pd
import pytest

from dashboard_app import reference
from dashboard_app.definitions import (
    APPARITION_HALF_WINDOW_DAYS,
    APPARITION_WINDOWS_DAYS,
    NEO_Q_MAX_AU,
    TRACKLET_HALF_WINDOW_HOURS,
)
from dashboard_app.sky import generate
from dashboard_app.snapshot.schema import count_column
from tests.oracles import naive_site_depth

SEED, SCALE = 424242, 0.005


@pytest.fixture(scope="module")
def sky():
    """A small sky of its own (another seed than the shared fixture): the naive loops are slow."""
    return generate(SEED, SCALE)


def _text(value) -> str | None:
    """A designation or number as the definitions read it: trimmed in the small tables, '' = NULL."""
    return value.strip() or None if isinstance(value, str) else None


@pytest.fixture(scope="module")
def owned(sky) -> pd.DataFrame:
    """obs_sbn rows with the primary designation of the object they belong to (naive lookup).

    An observation with a number belongs to the numbered object, whatever designation it also
    carries; one without, to the object of its designation (matched exactly: obs_sbn is not
    trimmed). Empty strings are NULL.
    """
    src = sky.source
    ni = src["numbered_identifications"]
    by_permid = {
        _text(n): _text(p) for n, p in zip(ni["permid"], ni["unpacked_primary_provisional_designation"], strict=True)
    }
    ci = src["current_identifications"]
    by_desig = {
        _text(s): _text(p)
        for s, p in zip(
            ci["unpacked_secondary_provisional_designation"],
            ci["unpacked_primary_provisional_designation"],
            strict=True,
        )
    }
    for p in src["mpc_orbits"]["unpacked_primary_provisional_designation"]:
        by_desig.setdefault(_text(p), _text(p))
    owners = []
    for permid, provid in zip(src["obs_sbn"]["permid"], src["obs_sbn"]["provid"], strict=True):
        number = permid if isinstance(permid, str) and permid != "" else None
        designation = provid if isinstance(provid, str) and provid != "" else None
        owners.append(by_permid.get(number) if number else by_desig.get(designation))
    obs = src["obs_sbn"].assign(owner=owners)
    return obs[obs["owner"].notna()].copy()


def _live(owned: pd.DataFrame) -> pd.DataFrame:
    """Non-deprecated rows, each observation once: of rows with the same owner, station and obs80_bit the lowest id."""
    live = owned[owned["deprecated"].isna()].sort_values("id")
    return live[~live.duplicated(["owner", "stn", "obs80_bit"], keep="first")]


def _trkid(value) -> str | None:
    return value if isinstance(value, str) and value != "" else None


@pytest.fixture(scope="module")
def neos(sky) -> pd.DataFrame:
    orbits = sky.source["mpc_orbits"]
    orbits = orbits.assign(provid=orbits["unpacked_primary_provisional_designation"].str.strip())
    return orbits[orbits["q"] <= NEO_Q_MAX_AU].set_index("provid")


@pytest.fixture(scope="module")
def naive_discoveries(owned, neos) -> dict[str, pd.Series]:
    """provid → discovery observation (earliest non-deprecated disc='*'), for NEOs that have one."""
    out = {}
    flagged = owned[(owned["disc"] == "*") & owned["deprecated"].isna()]
    for provid, rows in flagged.groupby("owner"):
        if provid in neos.index:
            out[provid] = rows.sort_values(["obstime", "id"]).iloc[0]
    return out


def test_every_discovery_is_the_earliest_non_deprecated_flagged_observation(sky, naive_discoveries):
    disc = sky.truth["discoveries"].set_index("provid")
    assert set(disc.index) == set(naive_discoveries)
    for provid, row in naive_discoveries.items():
        assert disc.at[provid, "disc_obs_id"] == row["id"]
        assert disc.at[provid, "disc_stn"] == row["stn"]
        assert disc.at[provid, "disc_time"] == row["obstime"].strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        assert disc.at[provid, "disc_year"] == row["obstime"].year


def test_neos_without_a_discovery_are_listed_as_missing_with_their_observation_count(
    sky, owned, neos, naive_discoveries
):
    missing = sky.truth["missing_discoveries"].set_index("provid")
    expected = set(neos.index) - set(naive_discoveries)
    assert set(missing.index) == expected
    assert len(expected) >= 4
    live = _live(owned)
    for provid in expected:
        assert missing.at[provid, "n_obs"] == (live["owner"] == provid).sum()
    assert (missing["n_obs"] == 0).any()


def test_neo_ids_number_the_discovered_neos_in_ascending_designation_order(sky):
    disc = sky.truth["discoveries"]
    assert disc["neo_id"].tolist() == list(range(1, len(disc) + 1))
    assert disc["provid"].tolist() == sorted(disc["provid"].tolist())


def _sep_and_pa(ra1, dec1, ra2, dec2):
    a1, d1, a2, d2 = map(math.radians, (ra1, dec1, ra2, dec2))
    v1 = (math.cos(d1) * math.cos(a1), math.cos(d1) * math.sin(a1), math.sin(d1))
    v2 = (math.cos(d2) * math.cos(a2), math.cos(d2) * math.sin(a2), math.sin(d2))
    cross = math.dist((0, 0, 0), np.cross(v1, v2))
    sep = math.degrees(math.atan2(cross, sum(x * y for x, y in zip(v1, v2, strict=True))))
    pa = math.degrees(
        math.atan2(
            math.sin(a2 - a1) * math.cos(d2),
            math.cos(d1) * math.sin(d2) - math.sin(d1) * math.cos(d2) * math.cos(a2 - a1),
        )
    )
    return sep, pa % 360.0


def test_discovery_tracklet_statistics_follow_the_tracklet_rule(sky, owned, naive_discoveries):
    disc = sky.truth["discoveries"].set_index("provid")
    half = timedelta(hours=TRACKLET_HALF_WINDOW_HOURS)
    live = _live(owned)
    by_owner = dict(tuple(live.groupby("owner")))
    for provid, d in naive_discoveries.items():
        if _trkid(d["trkid"]):
            rows = by_owner[provid]
            trk = rows[(rows["trkid"] == d["trkid"]) & ((rows["obstime"] - d["obstime"]).abs() <= half)]
        else:
            trk = d.to_frame().T
        trk = trk.sort_values(["obstime", "id"])
        t = disc.loc[provid]
        assert t["trk_nobs"] == len(trk), provid
        dra = [((ra - d["ra"] + 180.0) % 360.0) - 180.0 for ra in trk["ra"]]
        assert t["trk_ra"] == pytest.approx((d["ra"] + sum(dra) / len(dra)) % 360.0, abs=1e-9)
        assert t["trk_dec"] == pytest.approx(trk["dec"].astype(float).mean(), abs=1e-9)
        v = [
            m + reference.v_offset(b if isinstance(b, str) else None)
            for m, b in zip(trk["mag"], trk["band"], strict=True)
        ]
        v = [x for x in v if not math.isnan(x)]
        if v:
            assert t["trk_v_mag"] == pytest.approx(float(np.median(v)), abs=1e-9)
        else:
            assert math.isnan(t["trk_v_mag"])
        first, last = trk.iloc[0], trk.iloc[-1]
        span = (last["obstime"] - first["obstime"]).total_seconds() / 86400.0
        if span == 0:
            assert math.isnan(t["trk_rate"]) and math.isnan(t["trk_pa"])
        else:
            sep, pa = _sep_and_pa(first["ra"], first["dec"], last["ra"], last["dec"])
            assert t["trk_rate"] == pytest.approx(sep / span, rel=1e-7)
            assert min(abs(t["trk_pa"] - pa), 360 - abs(t["trk_pa"] - pa)) < 1e-6


def test_apparition_counts_equal_a_naive_recount_of_obs_sbn(sky, owned, naive_discoveries):
    neo_id = dict(zip(sky.truth["discoveries"]["provid"], sky.truth["discoveries"]["neo_id"], strict=True))
    live = _live(owned)
    rows: dict[tuple[int, str], dict] = {}
    tracklets: dict[tuple[int, str], list[tuple[float, object]]] = defaultdict(list)
    day = 86400.0
    for provid, obs in live.groupby("owner"):
        if provid not in naive_discoveries:
            continue
        t0 = naive_discoveries[provid]["obstime"]
        for r in obs.itertuples():
            dt = (r.obstime - t0).total_seconds() / day
            if abs(dt) > APPARITION_HALF_WINDOW_DAYS:
                continue
            key = (neo_id[provid], r.stn)
            tracklets[key].append((dt, _trkid(r.trkid) or ("obs", r.id)))
    for key, items in tracklets.items():
        dts = [dt for dt, _ in items]
        row = {"first_dt": min(dts), "first_post_dt": min((x for x in dts if x >= 0), default=math.nan)}
        for w in APPARITION_WINDOWS_DAYS:
            row[count_column("trk", "post", w)] = len({k for dt, k in items if 0 <= dt <= w})
            row[count_column("obs", "post", w)] = sum(1 for dt, _ in items if 0 <= dt <= w)
            row[count_column("trk", "any", w)] = len({k for dt, k in items if abs(dt) <= w})
            row[count_column("obs", "any", w)] = sum(1 for dt, _ in items if abs(dt) <= w)
        rows[key] = row
    truth = sky.truth["apparitions"].set_index(["neo_id", "stn"])
    assert set(truth.index) == set(rows)
    expected = pd.DataFrame.from_dict(rows, orient="index").loc[truth.index]
    for col in expected.columns:
        if col.endswith("_dt"):
            np.testing.assert_allclose(truth[col].to_numpy(), expected[col].to_numpy(), atol=1e-9, equal_nan=True)
        else:
            assert (truth[col].to_numpy() == expected[col].to_numpy()).all(), col


def _planted(sky, case: str) -> pd.DataFrame:
    rows = sky.planted[sky.planted["case"] == case]
    assert len(rows), case
    return rows


def _obs(sky, obs_id) -> pd.Series:
    obs = sky.source["obs_sbn"]
    return obs[obs["id"] == obs_id].iloc[0]


def test_observations_exactly_at_a_window_edge_count_and_one_second_beyond_do_not(sky):
    app = sky.truth["apparitions"]
    disc = sky.truth["discoveries"].set_index("provid")
    windows = list(APPARITION_WINDOWS_DAYS)
    for i, w in enumerate(windows):
        for side in ("post", "pre"):
            recs = _planted(sky, f"window_{side}_{w}")
            nid = disc.at[recs["provid"].iloc[0], "neo_id"]
            for rec in recs.itertuples():
                stn = _obs(sky, rec.obs_id)["stn"]
                row = app[(app["neo_id"] == nid) & (app["stn"] == stn)]
                exact = rec.note.startswith("exactly")
                if w == APPARITION_HALF_WINDOW_DAYS and not exact:
                    assert row.empty, rec.note  # outside the apparition altogether
                    continue
                row = row.iloc[0]
                mode = "post" if side == "post" else "any"
                assert row[count_column("obs", mode, w)] == (1 if exact else 0), rec.note
                if i + 1 < len(windows):
                    assert row[count_column("obs", mode, windows[i + 1])] == 1, rec.note
                if i > 0:
                    assert row[count_column("obs", mode, windows[i - 1])] == 0, rec.note
                if side == "pre":
                    assert row[count_column("obs", "post", windows[-1])] == 0
                    assert math.isnan(row["first_post_dt"])
                    if exact and w == APPARITION_HALF_WINDOW_DAYS:
                        assert row["first_dt"] == -APPARITION_HALF_WINDOW_DAYS


def test_same_trkid_observations_at_exactly_12_hours_are_in_the_tracklet_and_beyond_are_not(sky):
    recs = _planted(sky, "tracklet_12h_boundary")
    provid = recs["provid"].iloc[0]
    disc = sky.truth["discoveries"].set_index("provid").loc[provid]
    inside = recs[recs["note"].str.contains(": in the")]
    outside = recs[recs["note"].str.contains("out of")]
    assert len(inside) == 2 and len(outside) == 2
    for rec in (*inside.itertuples(), *outside.itertuples()):
        assert _obs(sky, rec.obs_id)["trkid"] == disc["disc_trkid"]
    assert disc["trk_nobs"] == 3 + 2  # the 3-observation discovery tracklet and the two at ±12 h


def test_planted_designation_cases_resolve_to_their_object(sky):
    disc = sky.truth["discoveries"].set_index("provid")
    for case in ("numbered_disc_under_provisional", "disc_under_secondary", "several_disc_flags"):
        for rec in _planted(sky, case).query("level == 'observation'").itertuples():
            if "discovery" in rec.note:
                assert disc.at[rec.provid, "disc_obs_id"] == rec.obs_id, case
    for rec in _planted(sky, "numbered_disc_under_provisional").query("level == 'observation'").itertuples():
        obs = _obs(sky, rec.obs_id)
        assert pd.isna(obs["permid"]) and obs["provid"] == rec.provid
        assert isinstance(disc.at[rec.provid, "permid"], str)
    rec = _planted(sky, "disc_under_secondary").query("level == 'observation'").iloc[0]
    assert _obs(sky, rec["obs_id"])["provid"] != rec["provid"]
    for rec in _planted(sky, "followup_under_secondary").query("level == 'observation'").itertuples():
        obs = _obs(sky, rec.obs_id)
        assert obs["provid"] != rec.provid
        app = sky.truth["apparitions"]
        row = app[(app["neo_id"] == disc.at[rec.provid, "neo_id"]) & (app["stn"] == obs["stn"])]
        assert row["n_trk_post_29"].iloc[0] == 2


def test_deprecated_observations_never_count(sky):
    disc = sky.truth["discoveries"].set_index("provid")
    recs = _planted(sky, "deprecated_earlier_disc").query("level == 'observation'")
    earlier, real = recs.iloc[0], recs.iloc[1]
    assert _obs(sky, earlier["obs_id"])["disc"] == "*" and _obs(sky, earlier["obs_id"])["deprecated"] == "X"
    assert disc.at[real["provid"], "disc_obs_id"] == real["obs_id"]
    only = _planted(sky, "deprecated_only_station").iloc[0]
    stn = _obs(sky, only["obs_id"])["stn"]
    app = sky.truth["apparitions"]
    assert app[(app["neo_id"] == disc.at[only["provid"], "neo_id"]) & (app["stn"] == stn)].empty
    assert "missing_only_deprecated_flag" in set(sky.planted["case"])
    missing = sky.truth["missing_discoveries"]["provid"].tolist()
    assert _planted(sky, "missing_only_deprecated_flag")["provid"].iloc[0] in missing


def test_predicate_edges_and_h_sentinels(sky):
    disc = sky.truth["discoveries"].set_index("provid")
    assert _planted(sky, "q_exactly_1_30")["provid"].iloc[0] in disc.index
    assert disc.at[_planted(sky, "q_exactly_1_30")["provid"].iloc[0], "q"] == 1.30
    for case in ("q_just_above_1_30", "observed_without_orbit"):
        assert _planted(sky, case)["provid"].iloc[0] not in disc.index
    orbits = sky.source["mpc_orbits"].set_index("unpacked_primary_provisional_designation")
    for case, source_h in (("h_sentinel_zero", 0.0), ("h_sentinel_negative", -9.99), ("h_null", None)):
        provid = _planted(sky, case)["provid"].iloc[0]
        assert math.isnan(disc.at[provid, "h"])
        assert pd.isna(orbits.at[provid, "h"]) if source_h is None else orbits.at[provid, "h"] == source_h


def test_tracklets_without_trkid_or_span_have_no_rate(sky):
    disc = sky.truth["discoveries"].set_index("provid")
    for case, nobs in (("disc_without_trkid", 1), ("single_obs_tracklet", 1), ("zero_span_tracklet", 2)):
        t = disc.loc[_planted(sky, case)["provid"].iloc[0]]
        assert t["trk_nobs"] == nobs
        assert math.isnan(t["trk_rate"]) and math.isnan(t["trk_pa"])
    assert pd.isna(disc.loc[_planted(sky, "disc_without_trkid")["provid"].iloc[0], "disc_trkid"])


def test_stations_missing_from_obscodes_are_listed_and_unknown_sites_named(sky):
    st = sky.truth["stations"].set_index("stn")
    codes = set(sky.source["obscodes"]["obscode"])
    referenced = set(sky.truth["discoveries"]["disc_stn"]) | set(sky.truth["apparitions"]["stn"])
    assert set(st.index) == codes | referenced
    for stn in referenced - codes:
        assert st.at[stn, "in_obscodes"] == 0 and st.at[stn, "ground"] == 0 and st.at[stn, "name"] == stn
    assert {"E30", "E31"} <= referenced - codes
    disc = sky.truth["discoveries"].set_index("provid")
    assert disc.loc[_planted(sky, "disc_station_not_in_obscodes")["provid"].iloc[0], "twilight"] == "unknown"
    for case in ("space_based_discovery", "geocentric_discovery"):
        row = disc.loc[_planted(sky, case)["provid"].iloc[0]]
        assert row["twilight"] == "space" and math.isnan(row["sun_alt"])


def test_a_discovery_tracklet_across_ra_zero_has_its_mean_near_zero(sky):
    t = sky.truth["discoveries"].set_index("provid").loc[_planted(sky, "tracklet_across_ra_zero")["provid"].iloc[0]]
    assert t["trk_ra"] < 0.1 or t["trk_ra"] > 359.9


def test_empty_strings_mean_null(sky):
    disc = sky.truth["discoveries"].set_index("provid")
    provid = _planted(sky, "empty_permid")["provid"].iloc[0]
    assert _obs(sky, disc.at[provid, "disc_obs_id"])["permid"] == ""
    pair = _planted(sky, "empty_trkid_pair").query("level == 'observation'")
    assert len(pair) == 2
    for rec in pair.itertuples():
        assert _obs(sky, rec.obs_id)["trkid"] == ""
        assert disc.at[rec.provid, "disc_obs_id"] == rec.obs_id
        assert disc.at[rec.provid, "trk_nobs"] == 1 and pd.isna(disc.at[rec.provid, "disc_trkid"])
    times = [_obs(sky, rec.obs_id)["obstime"] for rec in pair.itertuples()]
    assert abs(times[1] - times[0]) <= timedelta(hours=TRACKLET_HALF_WINDOW_HOURS)


def test_duplicates_count_once_and_ties_go_to_the_lower_id(sky):
    disc = sky.truth["discoveries"].set_index("provid")
    first, second = _planted(sky, "duplicate_discovery").query("level == 'observation'").itertuples()
    a, b = _obs(sky, first.obs_id), _obs(sky, second.obs_id)
    assert (a["obs80_bit"], a["stn"], a["disc"], a["obstime"]) == (b["obs80_bit"], b["stn"], b["disc"], b["obstime"])
    assert first.obs_id < second.obs_id and disc.at[first.provid, "disc_obs_id"] == first.obs_id
    assert disc.at[first.provid, "trk_nobs"] == 4
    winner, rival = _planted(sky, "simultaneous_disc_flags").query("level == 'observation'").itertuples()
    w, r = _obs(sky, winner.obs_id), _obs(sky, rival.obs_id)
    assert w["obstime"] == r["obstime"] and w["stn"] != r["stn"] and r["disc"] == "*"
    assert disc.at[winner.provid, "disc_obs_id"] == winner.obs_id < rival.obs_id


def test_a_number_decides_the_owner_and_padded_or_resembling_names_do_not_match(sky):
    disc = sky.truth["discoveries"].set_index("provid")
    lent, own = _planted(sky, "another_objects_number").query("level == 'observation'").itertuples()
    lent_obs = _obs(sky, lent.obs_id)
    assert lent_obs["provid"] == lent.provid and lent_obs["disc"] == "*"
    assert lent_obs["obstime"] < pd.Timestamp(disc.at[lent.provid, "disc_time"].rstrip("Z"))
    assert disc.at[lent.provid, "disc_obs_id"] != lent.obs_id
    own_obs = _obs(sky, own.obs_id)
    assert own_obs["permid"] == disc.at[own.provid, "permid"] and own_obs["provid"] != own.provid
    app = sky.truth["apparitions"]
    assert len(app[(app["neo_id"] == disc.at[own.provid, "neo_id"]) & (app["stn"] == own_obs["stn"])]) == 1
    pad = _planted(sky, "padded_observation").query("level == 'observation'").iloc[0]
    assert _obs(sky, pad["obs_id"])["provid"] == pad["provid"] + " "
    assert disc.at[pad["provid"], "disc_obs_id"] != pad["obs_id"]
    orbits = sky.source["mpc_orbits"]["unpacked_primary_provisional_designation"]
    padded = _planted(sky, "padded_designations")["provid"].iloc[0]
    assert padded in disc.index and padded not in set(orbits) and f" {padded}" in set(orbits)
    neo, look = _planted(sky, "resembling_designation").query("level == 'object'")["provid"]
    assert look.startswith(neo) and look != neo and look not in disc.index


def _observations_of_discovered_neos(sky, owned, naive_discoveries):
    """(neo_id, provid, row, Δt days) of every counted observation of a discovered NEO, all time."""
    neo_id = dict(zip(sky.truth["discoveries"]["provid"], sky.truth["discoveries"]["neo_id"], strict=True))
    for provid, obs in _live(owned).groupby("owner"):
        if provid not in naive_discoveries:
            continue
        t0 = naive_discoveries[provid]["obstime"]
        for r in obs.itertuples():
            yield neo_id[provid], provid, r, (r.obstime - t0).total_seconds() / 86400.0


def test_lifetime_counts_equal_a_naive_recount_of_obs_sbn(sky, owned, naive_discoveries):
    items: dict[tuple[int, str], list[tuple[float, object]]] = defaultdict(list)
    for neo, _, r, dt in _observations_of_discovered_neos(sky, owned, naive_discoveries):
        items[(neo, r.stn)].append((dt, _trkid(r.trkid) or ("obs", r.id)))
    rows = {
        key: {
            "first_dt": min(dt for dt, _ in seen),
            "last_dt": max(dt for dt, _ in seen),
            "n_obs": len(seen),
            "n_trk": len({k for _, k in seen}),
        }
        for key, seen in items.items()
    }
    truth = sky.truth["lifetime"].set_index(["neo_id", "stn"])
    assert set(truth.index) == set(rows)
    expected = pd.DataFrame.from_dict(rows, orient="index").loc[truth.index]
    np.testing.assert_allclose(truth[["first_dt", "last_dt"]], expected[["first_dt", "last_dt"]], atol=1e-9)
    assert (truth[["n_obs", "n_trk"]].to_numpy() == expected[["n_obs", "n_trk"]].to_numpy()).all()
    # All time reaches beyond the apparition: some station saw some NEO again later.
    assert (truth["last_dt"] > APPARITION_HALF_WINDOW_DAYS).any()
    apparitions = sky.truth["apparitions"].set_index(["neo_id", "stn"])
    assert set(apparitions.index) <= set(truth.index)


def test_site_depth_equals_a_naive_computation_from_obs_sbn(sky, owned, naive_discoveries):
    newest = sky.source["obs_sbn"]["obstime"].max()
    rows = []
    for _, _, r, _ in _observations_of_discovered_neos(sky, owned, naive_discoveries):
        if r.mag is None or (isinstance(r.mag, float) and math.isnan(r.mag)):
            continue
        v = float(r.mag) + reference.v_offset(r.band if isinstance(r.band, str) and r.band != "" else None)
        rows.append((r.stn, pd.Timestamp(r.obstime).value // 1000, v))
    expected = naive_site_depth(rows, pd.Timestamp(newest).value // 1000)
    truth = sky.truth["site_depth"].set_index("stn")
    assert set(truth.index) == set(expected)
    want = pd.DataFrame.from_dict(expected, orient="index").loc[truth.index]
    assert truth["period"].tolist() == want["period"].tolist() and truth["n"].tolist() == want["n"].tolist()
    for col in ("v_median", "v_robust", "v_mean_1sd", "v_p95"):
        np.testing.assert_allclose(truth[col].to_numpy(), want[col].to_numpy(), atol=1e-9, err_msg=col)
    assert (
        len(truth) >= 3
    )  # the last-5-years branch needs ≥ 1,000 recent observations: see tests/exporter/test_v2_tables.py


def test_stations_carry_the_obscodes_type_and_the_latitude_of_their_parallax_constants(sky):
    obscodes = sky.source["obscodes"].set_index("obscode")
    stations = sky.truth["stations"].set_index("stn")
    listed = stations[stations["in_obscodes"] == 1]
    assert (listed["obs_type"] == obscodes.loc[listed.index, "observations_type"]).all()
    assert stations.loc[stations["in_obscodes"] == 0, "obs_type"].isna().all()
    ground = stations[stations["ground"] == 1]
    want = [math.degrees(math.atan2(s, c)) for c, s in zip(ground["rhocosphi"], ground["rhosinphi"], strict=True)]
    np.testing.assert_allclose(ground["latitude"].to_numpy(), want, atol=1e-9)
    assert stations.loc[stations["ground"] == 0, "latitude"].isna().all()
    assert {"optical", "satellite"} <= set(stations["obs_type"].dropna())


def test_missing_discoveries_carry_the_orbit_s_e_and_i(sky, neos):
    missing = sky.truth["missing_discoveries"].set_index("provid")
    assert len(missing)
    np.testing.assert_allclose(missing["e"].to_numpy(), neos.loc[missing.index, "e"].to_numpy(dtype=float))
    np.testing.assert_allclose(missing["i"].to_numpy(), neos.loc[missing.index, "i"].to_numpy(dtype=float))
