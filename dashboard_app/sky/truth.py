"""The snapshot contents the source tables must give, assembled from the generator's decisions.

Which observation is each NEO's discovery, which observations form its
discovery tracklet and which object every observation belongs to are known by
construction (never looked up through designations or ``disc`` flags). From
those decisions the tracklet statistics, circumstances and apparition counts
follow by formula, on exactly the stored (rounded) values.

Float columns agree with an independent computation to :data:`FLOAT_TOLERANCE`.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from dashboard_app import reference
from dashboard_app.circumstances import (
    UNIX_EPOCH_JD,
    angular_separation,
    discovery_circumstances,
    position_angle,
)
from dashboard_app.definitions import (
    APPARITION_HALF_WINDOW_DAYS,
    H_UNKNOWN_AT_OR_BELOW,
    NEO_Q_MAX_AU,
)
from dashboard_app.exporter.all_time import lifetime_counts, site_depth_stats
from dashboard_app.exporter.tables import geocentric_latitude, window_counts
from dashboard_app.sky.observations import Observations, band_codes
from dashboard_app.sky.population import DAY_US
from dashboard_app.sky.roster import Roster, observations_type
from dashboard_app.sky.source import STR, str_series, take_or_null
from dashboard_app.snapshot.schema import TABLES_BY_NAME

FLOAT_TOLERANCE = 1e-6
"""Absolute tolerance for REAL columns (degrees, days, magnitudes) when comparing with an export."""
TRUTH_TABLES = ("discoveries", "apparitions", "stations", "missing_discoveries", "lifetime", "site_depth")


@dataclass(frozen=True)
class Decisions:
    """What the generator decided, in observation-row space (before ``obs_sbn.id`` ordering)."""

    objects: pd.DataFrame  # provid, packed, permid, q, e, i, h, in_orbits, has_discovery, ...
    obs: Observations
    ids: np.ndarray  # obs_sbn.id per observation row
    role: np.ndarray  # tracklet role per observation row
    trk_key: np.ndarray  # trkid key per observation row (-1 = no trkid)
    trkid_codes: pa.Array  # trkid text per key
    disc_row: np.ndarray  # per object: observation row of the discovery (-1 = none)
    owner: np.ndarray  # per observation row: the object it belongs to (-1 = no one: filed under a padded name)

    def live(self) -> np.ndarray:
        """Observation rows that count for their owner: owned, not deprecated, not a second copy."""
        return (self.owner >= 0) & ~self.obs.deprecated & ~self.obs.duplicate


def utc_text(us: np.ndarray) -> np.ndarray:
    """ISO 8601 UTC text with microseconds and 'Z' (the snapshot's time encoding)."""
    return np.char.add(np.datetime_as_string(np.asarray(us, "int64").astype("datetime64[us]"), unit="us"), "Z")


def known_h(h: np.ndarray) -> np.ndarray:
    """H with sentinels (≤ 0) and missing values as NaN."""
    h = np.asarray(h, "float64")
    return np.where(h > H_UNKNOWN_AT_OR_BELOW, h, np.nan)


def neo_mask(objects: pd.DataFrame) -> np.ndarray:
    """Objects that are NEOs by the predicate (an orbit with q ≤ 1.30 au)."""
    return objects["in_orbits"].to_numpy(bool) & (objects["q"].to_numpy() <= NEO_Q_MAX_AU)


def _neo_ids(objects: pd.DataFrame, discovered: np.ndarray) -> np.ndarray:
    """neo_id per object (1..N in ascending provid order among discovered NEOs; 0 elsewhere)."""
    idx = np.flatnonzero(discovered)
    provids = objects["provid"].to_numpy(object)[idx]
    order = idx[np.argsort(provids.astype(str), kind="stable")]
    out = np.zeros(len(objects), dtype="int64")
    out[order] = np.arange(1, len(order) + 1)
    return out


def tracklet_members(d: Decisions) -> np.ndarray:
    """Observation rows in their object's discovery tracklet (by construction, counted rows only)."""
    obs = d.obs
    member = np.isin(d.role, (1, 2)) & d.live()
    disc_has_trkid = np.zeros(len(d.objects), dtype=bool)
    has = d.disc_row >= 0
    disc_has_trkid[has] = d.trk_key[d.disc_row[has]] >= 0
    alone = ~disc_has_trkid[np.maximum(d.owner, 0)]
    is_disc = np.zeros(len(obs), dtype=bool)
    is_disc[d.disc_row[has]] = True
    return np.where(alone, is_disc, member) & (d.owner >= 0)


def _tracklet_stats(d: Decisions, disc_objs: np.ndarray) -> pd.DataFrame:
    obs = d.obs
    rows = np.flatnonzero(tracklet_members(d) & np.isin(d.owner, disc_objs))
    rows = rows[np.lexsort((d.ids[rows], obs.t[rows], d.owner[rows]))]
    obj = d.owner[rows]
    disc_ra = obs.ra[d.disc_row[obj]]
    unwrapped = np.mod(obs.ra[rows] - disc_ra + 180.0, 360.0) - 180.0
    offsets = np.array([reference.v_offset(code) for code in band_codes()])[obs.band[rows]]
    f = pd.DataFrame({"obj": obj, "dra": unwrapped, "dec": obs.dec[rows], "v": obs.mag[rows] + offsets})
    g = f.groupby("obj", sort=True)
    stats = pd.DataFrame({"trk_nobs": g.size(), "dra": g["dra"].mean(), "trk_dec": g["dec"].mean()})
    stats["trk_v_mag"] = g["v"].median()
    first = rows[np.r_[True, obj[1:] != obj[:-1]]]
    last = rows[np.r_[obj[1:] != obj[:-1], True]]
    span = (obs.t[last] - obs.t[first]) / DAY_US
    sep = angular_separation(obs.ra[first], obs.dec[first], obs.ra[last], obs.dec[last])
    pa = position_angle(obs.ra[first], obs.dec[first], obs.ra[last], obs.dec[last])
    moving = span > 0
    stats["trk_rate"] = np.where(moving, sep / np.where(moving, span, 1.0), np.nan)
    stats["trk_pa"] = np.where(moving, pa, np.nan)
    stats["trk_ra"] = np.mod(obs.ra[d.disc_row[stats.index.to_numpy()]] + stats["dra"].to_numpy(), 360.0)
    return stats.reindex(disc_objs)


def discoveries(d: Decisions, roster: Roster, neo_id: np.ndarray) -> pd.DataFrame:
    """The ``discoveries`` table."""
    objs = np.flatnonzero(neo_id > 0)
    objs = objs[np.argsort(neo_id[objs])]
    o = d.objects.iloc[objs]
    disc = d.disc_row[objs]
    obs = d.obs
    stats = _tracklet_stats(d, objs)
    stn = obs.stn[disc]
    t = obs.t[disc]
    jd = UNIX_EPOCH_JD + t / DAY_US
    circ = discovery_circumstances(
        jd,
        stats["trk_ra"].to_numpy(),
        stats["trk_dec"].to_numpy(),
        roster.longitude[stn],
        roster.rhocosphi[stn],
        roster.rhosinphi[stn],
        roster.in_obscodes[stn],
    )
    key = d.trk_key[disc]
    trkid = take_or_null(d.trkid_codes, key, key >= 0)
    frame = pd.DataFrame(
        {
            "neo_id": neo_id[objs],
            "provid": str_series(o["provid"].tolist()),
            "packed_provid": str_series(o["packed"].tolist()),
            "permid": str_series(o["permid"].tolist()),
            "q": o["q"].to_numpy(),
            "e": o["e"].to_numpy(),
            "i": o["i"].to_numpy(),
            "h": known_h(o["h"].to_numpy()),
            "disc_obs_id": d.ids[disc],
            "disc_time": str_series(utc_text(t).tolist()),
            "disc_year": t.astype("datetime64[us]").astype("datetime64[Y]").astype("int64") + 1970,
            "disc_stn": str_series(roster.codes[stn].tolist()),
            "disc_trkid": str_series(trkid),
            "trk_nobs": stats["trk_nobs"].to_numpy("int64"),
            "trk_ra": stats["trk_ra"].to_numpy(),
            "trk_dec": stats["trk_dec"].to_numpy(),
            "trk_v_mag": stats["trk_v_mag"].to_numpy(),
            "trk_rate": stats["trk_rate"].to_numpy(),
            "trk_pa": stats["trk_pa"].to_numpy(),
            "sun_elong": circ["sun_elong"].to_numpy(),
            "sun_alt": circ["sun_alt"].to_numpy(),
            "twilight": str_series(circ["twilight"].tolist()),
            "moon_elong": circ["moon_elong"].to_numpy(),
            "moon_illum": circ["moon_illum"].to_numpy(),
        }
    )
    return _conform("discoveries", frame)


def counted_rows(d: Decisions, neo_id: np.ndarray, *, all_time: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Observation rows that count in apparitions (or, ``all_time``, in lifetime), and their Δt in µs."""
    obs = d.obs
    ok = d.live()
    ok[ok] &= neo_id[d.owner[ok]] > 0
    rows = np.flatnonzero(ok)
    dt = obs.t[rows] - obs.t[d.disc_row[d.owner[rows]]]
    if all_time:
        return rows, dt
    inside = np.abs(dt) <= APPARITION_HALF_WINDOW_DAYS * DAY_US
    return rows[inside], dt[inside]


def lifetime(d: Decisions, roster: Roster, neo_id: np.ndarray) -> pd.DataFrame:
    """The ``lifetime`` table: per NEO × station, all time (the exporter's own counting, as apparitions)."""
    rows, dt = counted_rows(d, neo_id, all_time=True)
    codes = roster.codes.astype(str)
    frame = lifetime_counts(neo_id[d.owner[rows]], codes[d.obs.stn[rows]], d.trk_key[rows], dt)
    return _conform("lifetime", frame)


def site_depth(d: Decisions, roster: Roster, neo_id: np.ndarray) -> pd.DataFrame:
    """The ``site_depth`` table over the counted observations of discovered NEOs, all time.

    V is each stored magnitude plus its band's offset; the statistics are the exporter's own
    :func:`~dashboard_app.exporter.tables.site_depth_stats`, recounted naively in the tests.
    """
    rows, _ = counted_rows(d, neo_id, all_time=True)
    offsets = np.array([reference.v_offset(code) for code in band_codes()])
    v = d.obs.mag[rows] + offsets[d.obs.band[rows]]
    codes = roster.codes.astype(str)
    frame = site_depth_stats(codes[d.obs.stn[rows]], d.obs.t[rows], v, int(d.obs.t.max()))
    return _conform("site_depth", frame)


def apparitions(d: Decisions, roster: Roster, neo_id: np.ndarray) -> pd.DataFrame:
    """The ``apparitions`` table: per NEO × station, first times and windowed counts.

    The counting is the exporter's own :func:`~dashboard_app.exporter.tables.window_counts`
    (one implementation); which rows count, their Δt and tracklets are the generator's
    decisions. The truth is therefore no oracle for the counting itself: that is
    ``tests/sky/test_truth_definitions.py`` (a naive recount of ``obs_sbn``) and
    ``tests/exporter/test_counting_oracle.py`` (naive loops on generated inputs), which also
    cover ``lifetime`` and ``site_depth``.
    """
    rows, dt = counted_rows(d, neo_id)
    codes = roster.codes.astype(str)
    frame = window_counts(neo_id[d.owner[rows]], codes[d.obs.stn[rows]], d.trk_key[rows], dt)
    return _conform("apparitions", frame)


def stations(roster: Roster, referenced: set[str]) -> pd.DataFrame:
    """The ``stations`` table: obscodes plus referenced codes missing from it."""
    keep = roster.in_obscodes | np.isin(roster.codes.astype(str), sorted(referenced))
    idx = np.flatnonzero(keep)
    idx = idx[np.argsort(roster.codes[idx].astype(str), kind="stable")]
    known = roster.in_obscodes[idx]
    frame = pd.DataFrame(
        {
            "stn": str_series(roster.codes[idx].tolist()),
            "name": str_series(np.where(known, roster.names[idx], roster.codes[idx]).tolist()),
            "longitude": roster.longitude[idx],
            "rhocosphi": roster.rhocosphi[idx],
            "rhosinphi": roster.rhosinphi[idx],
            "ground": (roster.ground[idx] & known).astype("int64"),
            "in_obscodes": known.astype("int64"),
            "obs_type": str_series(
                [
                    observations_type(c, lon) if k else None
                    for c, lon, k in zip(roster.codes[idx], roster.longitude[idx], known, strict=True)
                ]
            ),
        }
    )
    frame["latitude"] = geocentric_latitude(frame["rhocosphi"], frame["rhosinphi"], frame["ground"])
    return _conform("stations", frame)


def missing_discoveries(d: Decisions, missing: np.ndarray) -> pd.DataFrame:
    """The ``missing_discoveries`` table: NEOs decided to have no discovery observation."""
    idx = np.flatnonzero(missing)
    o = d.objects.iloc[idx]
    valid = d.live()
    n_obs = np.bincount(d.owner[valid], minlength=len(d.objects))[idx]
    frame = pd.DataFrame(
        {
            "provid": str_series(o["provid"].tolist()),
            "packed_provid": str_series(o["packed"].tolist()),
            "permid": str_series(o["permid"].tolist()),
            "q": o["q"].to_numpy(),
            "h": known_h(o["h"].to_numpy()),
            "n_obs": n_obs.astype("int64"),
            "e": o["e"].to_numpy(),
            "i": o["i"].to_numpy(),
        }
    )
    frame = frame.sort_values("provid", kind="stable").reset_index(drop=True)
    return _conform("missing_discoveries", frame)


def _conform(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Columns exactly as the snapshot schema lists them; INTEGER int64, REAL float64, TEXT str."""
    table = TABLES_BY_NAME[name]
    out = {}
    for col in table.columns:
        values = frame[col.name]
        if col.sql_type == "INTEGER":
            out[col.name] = values.to_numpy("int64")
        elif col.sql_type == "REAL":
            out[col.name] = values.to_numpy("float64", na_value=np.nan)
        else:
            out[col.name] = values.astype(STR)
    return pd.DataFrame(out).reset_index(drop=True)


def assemble(d: Decisions, roster: Roster) -> dict[str, pd.DataFrame]:
    """Every truth table, keyed by snapshot table name."""
    neo = neo_mask(d.objects)
    has_disc = d.objects["has_discovery"].to_numpy(bool)
    if np.any(neo & has_disc & (d.disc_row < 0)):
        raise AssertionError("a discovered NEO has no discovery observation row")
    neo_id = _neo_ids(d.objects, neo & has_disc)
    disc = discoveries(d, roster, neo_id)
    app = apparitions(d, roster, neo_id)
    life = lifetime(d, roster, neo_id)
    referenced = set(disc["disc_stn"].tolist()) | set(life["stn"].tolist())
    return {
        "discoveries": disc,
        "apparitions": app,
        "stations": stations(roster, referenced),
        "missing_discoveries": missing_discoveries(d, neo & ~has_disc),
        "lifetime": life,
        "site_depth": site_depth(d, roster, neo_id),
    }


def insert(con: sqlite3.Connection, truth: dict[str, pd.DataFrame]) -> None:
    """Insert the truth tables into a snapshot whose schema already exists."""
    for name in TRUTH_TABLES:
        frame = truth[name]
        cols = list(frame.columns)
        values = [
            [None if (isinstance(v, float) and v != v) else v for v in frame[c].astype(object).tolist()]
            if frame[c].dtype != "int64"
            else frame[c].tolist()
            for c in cols
        ]
        sql = f"INSERT INTO {name} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
        con.executemany(sql, zip(*values, strict=True))


def differences(actual: dict[str, pd.DataFrame], expected: dict[str, pd.DataFrame], limit: int = 20) -> list[str]:
    """Human-readable differences between exported tables and the truth (REAL within FLOAT_TOLERANCE).

    Rows are matched on the natural keys (``provid``; ``provid`` + ``stn`` for apparitions via neo_id,
    which both sides number the same way); an empty list means the export equals the truth.
    """
    keys = {"discoveries": ["provid"], "apparitions": ["neo_id", "stn"], "stations": ["stn"]}
    keys |= {"missing_discoveries": ["provid"], "lifetime": ["neo_id", "stn"], "site_depth": ["stn"]}
    out: list[str] = []
    for name in TRUTH_TABLES:
        if name not in actual:
            out.append(f"{name}: table missing")
            continue
        a, e = actual[name], expected[name]
        table = TABLES_BY_NAME[name]
        if list(a.columns) != list(e.columns):
            out.append(f"{name}: columns {list(a.columns)} != {list(e.columns)}")
            continue
        k = keys[name]
        m = e.merge(a, on=k, how="outer", suffixes=("_e", "_a"), indicator=True)
        for side, label in (("left_only", "missing from export"), ("right_only", "unexpected in export")):
            extra = m[m["_merge"] == side]
            if len(extra):
                out.append(f"{name}: {len(extra)} rows {label}, e.g. {extra[k].head(3).to_dict('records')}")
        m = m[m["_merge"] == "both"]
        for col in table.columns:
            if col.name in k:
                continue
            ev, av = m[f"{col.name}_e"], m[f"{col.name}_a"]
            if col.sql_type == "REAL":
                x, y = ev.to_numpy("float64", na_value=np.nan), av.to_numpy("float64", na_value=np.nan)
                bad = (np.isnan(x) != np.isnan(y)) | (np.abs(np.nan_to_num(x) - np.nan_to_num(y)) > FLOAT_TOLERANCE)
            else:
                bad = ~((ev.isna() & av.isna()) | (ev.astype(object) == av.astype(object)).fillna(False)).to_numpy()
            if bad.any():
                sample = m.loc[bad, [*k, f"{col.name}_e", f"{col.name}_a"]].head(3).to_dict("records")
                out.append(f"{name}.{col.name}: {int(bad.sum())} rows differ, e.g. {sample}")
        if len(out) >= limit:
            break
    return out[:limit]
