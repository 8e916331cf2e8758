"""Pure functions from the fetched source rows to the snapshot's tables (no database, no files).

Inputs are the frames the stage queries return (see ``queries.py``); outputs
have exactly the snapshot schema's columns, in order. Times arrive as integer
microseconds since 1970 (UTC).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from dashboard_app import circumstances
from dashboard_app.definitions import (
    APPARITION_HALF_WINDOW_DAYS,
    APPARITION_WINDOWS_DAYS,
    H_UNKNOWN_AT_OR_BELOW,
)
from dashboard_app.reference import v_offset as reference_v_offset
from dashboard_app.snapshot.schema import TABLES_BY_NAME, count_column

US_PER_DAY = 86_400_000_000
APPARITION_HALF_WINDOW_US = APPARITION_HALF_WINDOW_DAYS * US_PER_DAY


def _columns(table: str) -> list[str]:
    return list(TABLES_BY_NAME[table].column_names)


def iso_utc(times_us: pd.Series) -> pd.Series:
    """ISO 8601 UTC text with microseconds and ``Z`` (the snapshot's time encoding)."""
    times = pd.to_datetime(np.asarray(times_us, dtype="int64"), unit="us")
    return pd.Series(times.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), index=times_us.index, dtype=object)


def known_h(h: pd.Series) -> pd.Series:
    """Absolute magnitude with sentinels (≤ 0) and missing values as NaN."""
    values = pd.to_numeric(h, errors="coerce").astype("float64")
    return values.where(values > H_UNKNOWN_AT_OR_BELOW)


def v_magnitudes(mag: pd.Series, band: pd.Series) -> pd.Series:
    """Band-corrected V magnitudes (``reference.v_offset`` per band; unknown codes as V).

    The offset is looked up once per distinct band code, not per row.
    """
    codes, uniques = pd.factorize(pd.Series(band, dtype=object), use_na_sentinel=True)
    offsets = np.array([reference_v_offset(c) for c in uniques] + [reference_v_offset(None)], dtype="float64")
    return pd.to_numeric(mag, errors="coerce").astype("float64") + offsets[codes]  # code −1: no band (the last)


def tracklet_summary(obs: pd.DataFrame) -> pd.DataFrame:
    """Per ``neo_key``: observation count, mean RA/Dec, median V, rate (deg/day) and position angle.

    ``obs`` has ``neo_key, id, t_us, ra, dec, mag, band, disc_ra`` (each NEO's
    discovery tracklet). RA is averaged as offsets from the discovery observation's
    RA (so a tracklet across 0h does not average to 12h). First and last are by
    time, then ``id``; rate and angle are NaN for a zero time span.
    """
    obs = obs.sort_values(["neo_key", "t_us", "id"], kind="stable").reset_index(drop=True)
    ra = obs["ra"].astype("float64")
    obs = obs.assign(
        v=v_magnitudes(obs["mag"], obs["band"]),
        ra=ra,
        dec=obs["dec"].astype("float64"),
        dra=np.mod(ra - obs["disc_ra"].astype("float64") + 180.0, 360.0) - 180.0,
    )
    grouped = obs.groupby("neo_key", sort=True)
    first = grouped.head(1).set_index("neo_key")
    last = grouped.tail(1).set_index("neo_key")
    out = pd.DataFrame(
        {
            "trk_nobs": grouped.size(),
            "trk_ra": np.mod(first["disc_ra"] + grouped["dra"].mean(), 360.0),
            "trk_dec": grouped["dec"].mean(),
            "trk_v_mag": grouped["v"].median(),
        }
    )
    span_days = (last["t_us"] - first["t_us"]).astype("float64") / US_PER_DAY
    moved = (span_days > 0).to_numpy()
    dist = circumstances.angular_separation(first["ra"], first["dec"], last["ra"], last["dec"])
    pa = circumstances.position_angle(first["ra"], first["dec"], last["ra"], last["dec"])
    out["trk_rate"] = np.where(moved, dist / np.where(moved, span_days, 1.0), np.nan)
    out["trk_pa"] = np.where(moved, pa, np.nan)
    return out


def stations_table(obscodes: pd.DataFrame, referenced: Iterable[str]) -> pd.DataFrame:
    """``stations``: every obscodes row plus each referenced code missing from it (in_obscodes = 0)."""
    known = obscodes.drop_duplicates("stn", keep="first").copy()
    for col in ("longitude", "rhocosphi", "rhosinphi"):
        known[col] = pd.to_numeric(known[col], errors="coerce").astype("float64")
    known["name"] = known["name"].astype(object).where(known["name"].notna() & (known["name"] != ""), known["stn"])
    known["in_obscodes"] = 1
    extra = sorted(set(referenced) - set(known["stn"]))
    unknown = pd.DataFrame(
        {
            "stn": extra,
            "name": extra,
            "longitude": np.nan,
            "rhocosphi": np.nan,
            "rhosinphi": np.nan,
            "obs_type": None,
            "in_obscodes": 0,
        }
    )
    out = pd.concat([known, unknown], ignore_index=True) if len(unknown) else known
    out["ground"] = (
        circumstances.has_ground_site(out["longitude"], out["rhocosphi"], out["rhosinphi"]) & (out["in_obscodes"] == 1)
    ).astype("int64")
    out["in_obscodes"] = out["in_obscodes"].astype("int64")
    kind = out["obs_type"].astype(object)
    out["obs_type"] = kind.where(kind.notna() & (kind != ""), None)
    out["latitude"] = geocentric_latitude(out["rhocosphi"], out["rhosinphi"], out["ground"])
    return out.sort_values("stn", kind="stable").reset_index(drop=True)[_columns("stations")]


def neo_ids(neos: pd.DataFrame) -> pd.Series:
    """``neo_key`` → ``neo_id``: NEOs with a discovery numbered 1..N in binary ``provid`` order."""
    found = neos.loc[neos["disc_obs_id"].notna(), ["neo_key", "provid"]]
    order = sorted(zip(found["provid"].astype(str).tolist(), found["neo_key"].tolist(), strict=True))
    return pd.Series(np.arange(1, len(order) + 1, dtype="int64"), index=[key for _, key in order], name="neo_id")


def discoveries_table(
    neos: pd.DataFrame, tracklets: pd.DataFrame, stations: pd.DataFrame, ids: pd.Series
) -> pd.DataFrame:
    """``discoveries``: NEOs that have a discovery observation, with tracklet and circumstances.

    ``neos`` is the ``neos`` stage frame, ``tracklets`` the output of
    :func:`tracklet_summary`, ``stations`` of :func:`stations_table`, ``ids`` of :func:`neo_ids`.
    """
    found = neos[neos["disc_obs_id"].notna()].join(tracklets, on="neo_key", how="left")
    found = found.assign(neo_id=ids.reindex(found["neo_key"]).to_numpy()).sort_values("neo_id")
    site = stations.set_index("stn").reindex(found["disc_stn"])
    jd = circumstances.UNIX_EPOCH_JD + found["disc_us"].astype("int64").to_numpy() / US_PER_DAY
    circ = circumstances.discovery_circumstances(
        jd,
        found["trk_ra"].to_numpy(dtype=float),
        found["trk_dec"].to_numpy(dtype=float),
        site["longitude"].to_numpy(dtype=float),
        site["rhocosphi"].to_numpy(dtype=float),
        site["rhosinphi"].to_numpy(dtype=float),
        site["in_obscodes"].fillna(0).to_numpy(dtype=bool),
    )
    disc_time = iso_utc(found["disc_us"])
    out = pd.DataFrame(
        {
            "neo_id": found["neo_id"].astype("int64").to_numpy(),
            "provid": found["provid"].to_numpy(object),
            "packed_provid": found["packed_provid"].to_numpy(object),
            "permid": _nullable_text(found["permid"]),
            "q": found["q"].astype(float).to_numpy(),
            "e": found["e"].astype(float).to_numpy(),
            "i": found["i"].astype(float).to_numpy(),
            "h": known_h(found["h"]).to_numpy(),
            "disc_obs_id": found["disc_obs_id"].astype("int64").to_numpy(),
            "disc_time": disc_time.to_numpy(object),
            "disc_year": disc_time.str.slice(0, 4).astype("int64").to_numpy(),
            "disc_stn": found["disc_stn"].to_numpy(object),
            "disc_trkid": _nullable_text(found["disc_trkid"]),
            "trk_nobs": found["trk_nobs"].astype("int64").to_numpy(),
            "trk_ra": found["trk_ra"].to_numpy(float),
            "trk_dec": found["trk_dec"].to_numpy(float),
            "trk_v_mag": found["trk_v_mag"].to_numpy(float),
            "trk_rate": found["trk_rate"].to_numpy(float),
            "trk_pa": found["trk_pa"].to_numpy(float),
        }
    )
    for col in ("sun_elong", "sun_alt", "twilight", "moon_elong", "moon_illum"):
        out[col] = circ[col].to_numpy()
    return out[_columns("discoveries")]


def _nullable_text(values: pd.Series) -> np.ndarray:
    return values.astype(object).where(values.notna(), None).to_numpy(object)


def missing_table(neos: pd.DataFrame, counts: pd.DataFrame) -> pd.DataFrame:
    """``missing_discoveries``: NEOs with no discovery observation, with their observation counts."""
    missing = neos[neos["disc_obs_id"].isna()].sort_values("provid")
    n_obs = counts.set_index("neo_key")["n_obs"].reindex(missing["neo_key"]).fillna(0).astype("int64")
    out = pd.DataFrame(
        {
            "provid": missing["provid"].to_numpy(object),
            "packed_provid": missing["packed_provid"].to_numpy(object),
            "permid": _nullable_text(missing["permid"]),
            "q": missing["q"].astype(float).to_numpy(),
            "h": known_h(missing["h"]).to_numpy(),
            "n_obs": n_obs.to_numpy(),
            "e": missing["e"].astype(float).to_numpy(),
            "i": missing["i"].astype(float).to_numpy(),
        }
    )
    return out[_columns("missing_discoveries")]


def drop_duplicates(obs: pd.DataFrame, keys: tuple[str, ...] = ("neo_key", "stn", "obs80_bit")) -> pd.DataFrame:
    """``obs`` without the duplicate rows of :data:`~dashboard_app.definitions.DUPLICATE_RULE`.

    Rows equal in ``keys`` (object, station, ``obs80_bit``) are one observation: the lowest
    ``id`` stays. A row without ``obs80_bit`` is never anyone's duplicate.
    """
    ranked = obs.sort_values("id", kind="stable")
    dup = ranked.duplicated(list(keys), keep="first") & ranked[list(keys)].notna().all(axis=1)
    return ranked[~dup.to_numpy()].sort_index()


def possible_duplicates(neo_key: np.ndarray, stn: pd.Series, t_us: np.ndarray, tolerance_us: int) -> np.ndarray:
    """Rows that may be duplicates: another row of the same object and station within ``tolerance_us``.

    Only these need their ``obs80_bit`` looked up (duplicates share the observation's time).
    """
    n = len(t_us)
    if n < 2:
        return np.zeros(n, dtype=bool)
    stn_code, _ = pd.factorize(stn, use_na_sentinel=True)
    order = np.lexsort((t_us, stn_code, neo_key))
    same = (neo_key[order][1:] == neo_key[order][:-1]) & (stn_code[order][1:] == stn_code[order][:-1])
    close = same & (np.abs(t_us[order][1:] - t_us[order][:-1]) <= tolerance_us)
    flag = np.zeros(n, dtype=bool)
    flag[order[1:][close]] = True
    flag[order[:-1][close]] = True
    return flag


def apparitions_table(obs: pd.DataFrame, ids: pd.Series) -> pd.DataFrame:
    """``apparitions``: per NEO × station, first Δt, first Δt ≥ 0 and the window counts.

    ``obs`` has ``neo_key, stn, trkid, id, dt_us`` (every counted observation within
    the apparition, duplicates already dropped); ``ids`` maps ``neo_key`` → ``neo_id``
    (:func:`neo_ids`).
    """
    known, neo_key = ids.index.to_numpy("int64"), obs["neo_key"].to_numpy("int64")
    lut = np.zeros(max(known.max(initial=0), neo_key.max(initial=0)) + 1, dtype="int64")
    lut[known] = ids.to_numpy("int64")
    trk_code, _ = pd.factorize(obs["trkid"], use_na_sentinel=True)
    return window_counts(lut[neo_key], obs["stn"], trk_code, obs["dt_us"].to_numpy("int64"))


def window_counts(neo_id: np.ndarray, stn: pd.Series | np.ndarray, trk: np.ndarray, dt_us: np.ndarray) -> pd.DataFrame:
    """The ``apparitions`` rows of counted observations: one per (neo_id, stn), sorted by both.

    Per observation: ``neo_id``, station code, tracklet code ``trk`` (≥ 0; negative = no
    tracklet: the observation is a tracklet of its own) and Δt from the discovery in µs.
    A tracklet counts in a window when one of its observations does (0 ≤ Δt ≤ W after
    discovery, |Δt| ≤ W either side); windows are compared in integer microseconds, so
    the bounds are exact. The synthetic sky's truth uses this function too; its tests
    check it against a naive recount of ``obs_sbn`` (``tests/sky/test_truth_definitions.py``).
    """
    stn_code, stn_names = pd.factorize(pd.Series(np.asarray(stn, dtype=object)), sort=True)
    dt = np.asarray(dt_us, "int64")
    keys, gcode = np.unique(np.asarray(neo_id, "int64") * len(stn_names) + stn_code, return_inverse=True)
    n_groups = len(keys)
    post = dt >= 0
    absdt = np.abs(dt)
    never = np.iinfo("int64").max
    post_dt = np.where(post, dt, never)
    by_group = np.argsort(gcode, kind="stable")
    starts = _run_starts(gcode[by_group])
    first = np.minimum.reduceat(dt[by_group], starts) if n_groups else dt[:0]
    first_post = np.minimum.reduceat(post_dt[by_group], starts) if n_groups else dt[:0]
    trk = np.asarray(trk, "int64")
    trk = np.where(trk >= 0, trk, -1 - np.arange(len(dt)))  # no trkid: a tracklet of its own
    by_trk = np.lexsort((trk, gcode))
    trk_starts = _run_starts(np.stack([gcode[by_trk], trk[by_trk]]))
    tg = gcode[by_trk][trk_starts]
    trk_abs = np.minimum.reduceat(absdt[by_trk], trk_starts) if n_groups else dt[:0]
    trk_post = np.minimum.reduceat(post_dt[by_trk], trk_starts) if n_groups else dt[:0]
    width = max(len(stn_names), 1)
    out = pd.DataFrame(
        {
            "neo_id": keys // width,
            "stn": np.asarray(stn_names, dtype=object)[keys % width],
            "first_dt": first / US_PER_DAY,
            "first_post_dt": np.where(first_post == never, np.nan, first_post / US_PER_DAY),
        }
    )
    for w in APPARITION_WINDOWS_DAYS:
        limit = w * US_PER_DAY
        out[count_column("trk", "post", w)] = np.bincount(tg[trk_post <= limit], minlength=n_groups)
        out[count_column("obs", "post", w)] = np.bincount(gcode[post & (dt <= limit)], minlength=n_groups)
        out[count_column("trk", "any", w)] = np.bincount(tg[trk_abs <= limit], minlength=n_groups)
        out[count_column("obs", "any", w)] = np.bincount(gcode[absdt <= limit], minlength=n_groups)
    return out[_columns("apparitions")]


def _run_starts(sorted_keys: np.ndarray) -> np.ndarray:
    """Start index of each run of equal keys (1-D, or 2-D with one key per row) in sorted order."""
    keys = np.atleast_2d(sorted_keys)
    n = keys.shape[1]
    if n == 0:
        return np.zeros(0, dtype="int64")
    change = np.ones(n, dtype=bool)
    change[1:] = (keys[:, 1:] != keys[:, :-1]).any(axis=0)
    return np.flatnonzero(change)


def geocentric_latitude(rhocosphi: pd.Series, rhosinphi: pd.Series, ground: pd.Series) -> np.ndarray:
    """Geocentric latitude φ′ (deg) from the parallax constants; NaN for sites without ground coordinates."""
    lat = np.degrees(np.arctan2(np.asarray(rhosinphi, "float64"), np.asarray(rhocosphi, "float64")))
    return np.where(np.asarray(ground, bool), lat, np.nan)
