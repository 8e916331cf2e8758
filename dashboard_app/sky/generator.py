"""``generate(seed, scale) -> Sky``: the deterministic synthetic sky, source and truth together.

Scale 1.0 is the real catalogue's 41,516 NEOs and about 5 million observations; tests use
0.005–0.02. The same seed and scale give byte-identical tables.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from dashboard_app.sky import designations, history, planted, population, source, truth
from dashboard_app.sky import tracklets as tk
from dashboard_app.sky.observations import expand
from dashboard_app.sky.roster import roster as station_roster
from dashboard_app.sky.source_schema import SOURCE_TABLES

NEOS_AT_SCALE_1 = history.DATABASE_TOTAL  # 41,516: the q ≤ 1.30 count of 2026-03-29
OTHER_OBJECTS_PER_NEO = 0.12
UNLINKED_TRACKLETS_PER_NEO = 0.25
SECONDARY_A_FRACTION = 0.05
SECONDARY_B_FRACTION = 0.03
NATURAL_MISSING_FRACTION = 0.0003
UNKNOWN_H_FRACTION = 0.001
NOW = datetime(2026, 3, 29, 12, 0, tzinfo=UTC)
"""The synthetic data time: no observation is later."""


@dataclass(frozen=True)
class Sky:
    """One synthetic sky.

    - ``source``: the ``mpc_sbn`` tables (columns as in ``source_schema``), ready for ``COPY``.
    - ``truth``: ``discoveries``, ``apparitions``, ``stations``, ``missing_discoveries`` exactly in the
      snapshot schema's columns, sorted by their keys.
    - ``meta``: the meta entries a builder returns to ``publish`` (source, synthetic, newest observation).
    - ``knowledge``: per ``obs_sbn`` row (by ``id``): ``owner`` (primary provisional designation of the
      object it belongs to, missing for unlinked tracklets), ``owner_is_neo``, ``is_discovery``,
      ``in_discovery_tracklet``, ``counted`` (non-deprecated, in its NEO's ±200 d apparition) and
      ``dt_days`` (from its object's discovery).
    - ``planted``: the planted cases: ``case``, ``level`` ("object": one row per planted object, ``obs_id``
      its discovery observation or missing; "observation": a particular observation), ``provid``,
      ``obs_id``, ``note``.
    """

    seed: int
    scale: float
    source: dict[str, pd.DataFrame]
    truth: dict[str, pd.DataFrame]
    meta: dict[str, str]
    knowledge: pd.DataFrame = field(repr=False)
    planted: pd.DataFrame = field(repr=False)

    def build(self, con: sqlite3.Connection) -> dict[str, str]:
        """A ``publish`` build step: insert the truth into the new snapshot and return its meta."""
        truth.insert(con, self.truth)
        return dict(self.meta)

    def row_counts(self) -> dict[str, int]:
        """Rows per source and truth table."""
        return {**{k: len(v) for k, v in self.source.items()}, **{k: len(v) for k, v in self.truth.items()}}

    def write_sqlite(self, path: Path) -> None:
        """Write source and truth tables into one SQLite file for a person to inspect."""
        with sqlite3.connect(path) as con:
            for prefix, tables in (("source_", self.source), ("truth_", self.truth)):
                for name, frame in tables.items():
                    out = frame.copy()
                    for col in out.columns:
                        if str(out[col].dtype).startswith("datetime64"):
                            out[col] = out[col].dt.strftime("%Y-%m-%dT%H:%M:%S.%f")
                    out.to_sql(prefix + name, con, if_exists="replace", index=False)
            self.planted.to_sql("planted_cases", con, if_exists="replace", index=False)


def _now_us() -> int:
    return int(NOW.timestamp()) * 1_000_000


def _objects(rng: np.random.Generator, roster, scale: float, now_us: int):
    """Every object: ordinary NEOs and other minor planets, then the planted ones, then unlinked ones."""
    n_neo = max(round(NEOS_AT_SCALE_1 * scale), 1)
    neos = population.discovery_objects(rng, roster, n_neo, now_us, neo=True)
    neos["neo"] = True
    neos["has_discovery"] = rng.random(n_neo) >= NATURAL_MISSING_FRACTION
    unknown_h = rng.random(n_neo) < UNKNOWN_H_FRACTION  # sentinels and NULLs occur in the real table too
    neos.loc[unknown_h, "h"] = rng.choice(np.array([0.0, -9.99, np.nan]), size=int(unknown_h.sum()))
    others = population.discovery_objects(rng, roster, round(n_neo * OTHER_OBJECTS_PER_NEO), now_us, neo=False)
    others["neo"] = False
    others["has_discovery"] = True
    bulk = pd.concat([neos, others], ignore_index=True)
    bulk["in_orbits"] = True
    bulk["designated"] = True
    bulk["planted"] = False
    bulk["desig_t"] = bulk["t_disc"]
    bulk["padded_names"] = False
    bulk["resembles"] = -1
    plant = planted.build(rng, roster, now_us)
    n_itf = round(n_neo * UNLINKED_TRACKLETS_PER_NEO)
    itf = population.discovery_objects(rng, roster, n_itf, now_us, neo=True)
    itf = itf.assign(neo=False, has_discovery=False, in_orbits=False, designated=False, planted=False)
    itf["desig_t"] = itf["t_disc"]
    itf = itf.assign(padded_names=False, resembles=-1)
    cols = list(bulk.columns)
    plant_objects = plant.objects[cols].copy()
    plant_objects.loc[plant_objects["resembles"] >= 0, "resembles"] += len(bulk)
    objects = pd.concat([bulk, plant_objects, itf[cols]], ignore_index=True)
    return objects, len(bulk), plant


def _tracklet_plans(rng, roster, objects: pd.DataFrame, n_bulk: int, plant, now_us: int, first_us: int):
    """All tracklets (bulk, planted with shifted indexes, unlinked) with trkid keys; and the secondaries."""
    bulk_trk = tk.bulk(rng, roster, objects.iloc[:n_bulk], now_us, first_us)
    sec_a = np.flatnonzero(rng.random(n_bulk) < SECONDARY_A_FRACTION)
    sec_b = np.flatnonzero((rng.random(n_bulk) < SECONDARY_B_FRACTION) & objects["neo"].to_numpy()[:n_bulk])
    bulk_trk, bulk_sec = tk.file_under(
        rng, bulk_trk, objects["numbered"].to_numpy(), objects["t_disc"].to_numpy(), sec_a, sec_b
    )
    empty = ~bulk_trk["permid_filed"].to_numpy() & (rng.random(len(bulk_trk)) < tk.EMPTY_PERMID_FRACTION)
    bulk_trk["empty_permid"] = empty
    other = bulk_trk["role"].to_numpy() == tk.ROLE_OTHER
    bulk_trk["empty_band"] = other & (rng.random(len(bulk_trk)) < tk.EMPTY_BAND_FRACTION)
    p_trk = plant.tracklets.copy()
    p_trk["obj"] += n_bulk
    for column in ("trk_share", "duplicate_of"):
        p_trk.loc[p_trk[column] >= 0, column] += len(bulk_trk)
    p_trk.loc[p_trk["file_as"] >= 0, "file_as"] += n_bulk
    p_trk.loc[p_trk["sec"] >= 0, "sec"] += len(bulk_sec)
    unlinked = objects.iloc[n_bulk + len(plant.objects) :]
    trk = pd.concat([bulk_trk, p_trk, tk.unlinked(rng, unlinked)], ignore_index=True)
    share = trk["trk_share"].to_numpy()
    own = np.where(trk["has_trkid"].to_numpy(), np.arange(len(trk)), -1)
    trk["trk_key"] = np.where(share >= 0, own[np.maximum(share, 0)], own)
    planted_sec = plant.secondaries.assign(obj=plant.secondaries["obj"] + n_bulk)
    return trk, pd.concat([bulk_sec, planted_sec], ignore_index=True), len(bulk_trk)


def _obs_ids(rng: np.random.Generator, obs, trk: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(``obs_sbn.id`` per observation row, rows in id order): ids follow time plus a reporting delay."""
    delay = (rng.exponential(2.0, len(obs)) * population.DAY_US).astype("int64")
    delay += trk["extra_delay"].to_numpy()[obs.trk]
    order = np.argsort(obs.t + delay, kind="stable")  # ties keep row order
    ids = np.empty(len(obs), dtype="int64")
    ids[order] = np.arange(1, len(obs) + 1)
    return ids, order


def generate(seed: int, scale: float) -> Sky:
    """Generate the synthetic sky for ``seed`` at ``scale`` (1.0 ≈ 41,500 NEOs, 5 million observations)."""
    if not scale > 0:
        raise ValueError("scale must be positive")
    rng = np.random.default_rng(seed)
    roster = station_roster()
    now_us = _now_us()
    objects, n_bulk, plant = _objects(rng, roster, scale, now_us)
    objects["obj"] = np.arange(len(objects))
    trk, secondaries, n_bulk_trk = _tracklet_plans(
        rng, roster, objects, n_bulk, plant, now_us, population.first_year_us()
    )
    sec_unpacked, sec_packed = designations.name_objects(objects, secondaries["t"].to_numpy(), rng)
    designations.rename_look_alikes(objects, sec_unpacked)
    designations.number_objects(objects, rng)

    bulk_obj = np.arange(len(objects)) < n_bulk  # only ordinary objects get random deprecations
    obs = expand(rng, roster, objects, trk, bulk_obj)
    _separate_accidental_duplicates(obs)
    ids, order = _obs_ids(rng, obs, trk)
    role = trk["role"].to_numpy()[obs.trk]
    disc_row = np.full(len(objects), -1, dtype="int64")  # the discovery, by construction: the anchor
    anchor = (role == tk.ROLE_DISCOVERY) & (obs.k == trk["k_anchor"].to_numpy()[obs.trk])
    disc_row[obs.obj[anchor]] = np.flatnonzero(anchor)
    trkid_codes = source.encode(source.scramble(np.arange(len(trk)), seed * 11 + 1, 62**8), 8)
    trk_key = trk["trk_key"].to_numpy()[obs.trk]
    owner = np.where(trk["padded"].to_numpy()[obs.trk], -1, obs.obj)  # filed under a padded designation: no one's
    decisions = truth.Decisions(objects, obs, ids, role, trk_key, trkid_codes, disc_row, owner)

    nobs = np.bincount(obs.obj[~obs.deprecated & ~obs.duplicate], minlength=len(objects))
    src = {
        "mpc_orbits": source.mpc_orbits(objects[objects["designated"].to_numpy()], nobs, now_us, rng),
        "numbered_identifications": source.numbered_identifications(objects, now_us),
        "current_identifications": source.current_identifications(
            objects, secondaries, sec_unpacked, sec_packed, now_us
        ),
        "obs_sbn": source.obs_sbn(obs, ids, order, trk, trkid_codes, objects, sec_unpacked, now_us, roster, seed),
        "obscodes": source.obscodes(),
    }
    assert tuple(src) == tuple(t.name for t in SOURCE_TABLES)
    meta = {
        "source": f"synthetic sky seed={seed} scale={scale:g}",
        "synthetic": "1",
        "newest_observation_utc": str(truth.utc_text(np.array([int(obs.t.max())]))[0]),
    }
    return Sky(
        seed=seed,
        scale=scale,
        source=src,
        truth=truth.assemble(decisions, roster),
        meta=meta,
        knowledge=_knowledge(decisions, order),
        planted=_planted_records(plant, objects, n_bulk, n_bulk_trk, trk, disc_row, ids),
    )


def _separate_accidental_duplicates(obs) -> None:
    """Move one of two rows that would look published twice (same object, station, obs80_bit) by 0.5".

    Only rows planned as duplicates may share an ``obs80_bit``; observations at the same
    instant from one station (a zero-span tracklet) must stay two observations.
    """
    for _ in range(3):
        bits = np.asarray(source.obs80_bits(obs.t, obs.ra, obs.dec).to_numpy(zero_copy_only=False), dtype=object)
        frame = pd.DataFrame({"obj": obs.obj, "stn": obs.stn, "bits": bits})
        clash = frame.duplicated(["obj", "stn", "bits"], keep="first").to_numpy() & ~obs.duplicate
        if not clash.any():
            return
        obs.dec[clash] = np.round(obs.dec[clash] + np.where(obs.dec[clash] > 0, -1, 1) * 0.5 / 3600, 6)
    raise AssertionError("could not separate accidental duplicate observations")


def _knowledge(d: truth.Decisions, order: np.ndarray) -> pd.DataFrame:
    obs = d.obs
    neo = truth.neo_mask(d.objects) & d.objects["has_discovery"].to_numpy(bool)
    own = np.maximum(d.owner, 0)
    owner = np.where(d.owner >= 0, d.objects["provid"].to_numpy(object)[own], None)
    disc_t = np.where(d.disc_row >= 0, obs.t[np.maximum(d.disc_row, 0)], 0)[own]
    has_disc = (d.disc_row[own] >= 0) & (d.owner >= 0)
    dt_days = np.where(has_disc, (obs.t - disc_t) / population.DAY_US, np.nan)
    counted = np.zeros(len(obs), dtype=bool)
    rows, _dt = truth.counted_rows(d, np.where(neo, 1, 0))
    counted[rows] = True
    is_disc = np.zeros(len(obs), dtype=bool)
    is_disc[d.disc_row[d.disc_row >= 0]] = True
    frame = pd.DataFrame(
        {
            "id": d.ids,
            "owner": source.str_series(list(owner)),
            "owner_is_neo": neo[own] & (d.owner >= 0),
            "is_discovery": is_disc,
            "in_discovery_tracklet": truth.tracklet_members(d) & neo[own],
            "counted": counted,
            "dt_days": dt_days,
        }
    )
    return frame.iloc[order].reset_index(drop=True)


def _planted_records(plant, objects, n_bulk, trk_offset, trk, disc_rows, ids) -> pd.DataFrame:
    rec = plant.records
    obj = rec["obj"].to_numpy() + n_bulk
    g_trk = np.where(rec["trk"].to_numpy() >= 0, rec["trk"].to_numpy() + trk_offset, -1)
    n = trk["n"].to_numpy()
    start = np.cumsum(n) - n
    valid = g_trk >= 0
    rows = start[np.maximum(g_trk, 0)] + rec["pos"].to_numpy()
    # Object-level rows name the object's discovery observation (none for NEOs without one).
    disc_row = disc_rows[obj]
    row = np.where(valid, rows, disc_row)
    obs_id = pd.array(ids[np.maximum(row, 0)], dtype="Int64")
    obs_id[row < 0] = pd.NA
    return pd.DataFrame(
        {
            "case": rec["case"].to_numpy(),
            "level": np.where(valid, "observation", "object"),
            "provid": objects["provid"].to_numpy(object)[obj],
            "obs_id": obs_id,
            "note": rec["note"].to_numpy(),
        }
    )
