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
from dashboard_app.definitions import H_UNKNOWN_AT_OR_BELOW
from dashboard_app.reference import v_offset as reference_v_offset
from dashboard_app.snapshot.schema import TABLES_BY_NAME

US_PER_DAY = 86_400_000_000


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
    """Band-corrected V magnitudes (``reference.v_offset`` per band; unknown codes as V)."""
    codes = [None if pd.isna(c) else c for c in band.astype(object).tolist()]
    table = {code: reference_v_offset(code) for code in set(codes)}
    offsets = np.array([table[c] for c in codes], dtype="float64")
    return pd.to_numeric(mag, errors="coerce").astype("float64") + offsets


def tracklet_summary(obs: pd.DataFrame) -> pd.DataFrame:
    """Per ``neo_id``: observation count, mean RA/Dec, median V, rate (deg/day) and position angle.

    ``obs`` has ``neo_id, id, t_us, ra, dec, mag, band`` (one NEO's discovery
    tracklet per ``neo_id``). First and last are by time, then by ``id``; rate and
    angle are NaN for a zero time span.
    """
    obs = obs.sort_values(["neo_id", "t_us", "id"], kind="stable").reset_index(drop=True)
    obs = obs.assign(v=v_magnitudes(obs["mag"], obs["band"]), ra=obs["ra"].astype(float), dec=obs["dec"].astype(float))
    grouped = obs.groupby("neo_id", sort=True)
    first = grouped.head(1).set_index("neo_id")
    last = grouped.tail(1).set_index("neo_id")
    out = pd.DataFrame(
        {
            "trk_nobs": grouped.size(),
            "trk_ra": grouped["ra"].mean(),
            "trk_dec": grouped["dec"].mean(),
            "trk_v_mag": grouped["v"].median(),
        }
    )
    span_days = (last["t_us"] - first["t_us"]).astype("float64") / US_PER_DAY
    moved = span_days > 0
    dist = circumstances.angular_separation(first["ra"], first["dec"], last["ra"], last["dec"])
    pa = circumstances.position_angle(first["ra"], first["dec"], last["ra"], last["dec"])
    out["trk_rate"] = pd.Series(np.where(moved, dist / span_days.where(moved, 1.0), np.nan), index=first.index)
    out["trk_pa"] = pd.Series(np.where(moved, pa, np.nan), index=first.index)
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
            "in_obscodes": 0,
        }
    )
    out = pd.concat([known, unknown], ignore_index=True) if len(unknown) else known
    out["ground"] = (
        circumstances.has_ground_site(out["longitude"], out["rhocosphi"], out["rhosinphi"]) & (out["in_obscodes"] == 1)
    ).astype("int64")
    out["in_obscodes"] = out["in_obscodes"].astype("int64")
    return out.sort_values("stn", kind="stable").reset_index(drop=True)[_columns("stations")]


def discoveries_table(neos: pd.DataFrame, tracklets: pd.DataFrame, stations: pd.DataFrame) -> pd.DataFrame:
    """``discoveries``: NEOs that have a discovery observation, with tracklet and circumstances.

    ``neos`` is the ``neos`` stage frame (rows with a NULL ``disc_obs_id`` are skipped),
    ``tracklets`` the output of :func:`tracklet_summary`, ``stations`` of :func:`stations_table`.
    """
    found = neos[neos["disc_obs_id"].notna()].copy()
    found = found.join(tracklets, on="neo_id", how="left")
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
            "permid": found["permid"].astype(object).where(found["permid"].notna(), None).to_numpy(object),
            "q": found["q"].astype(float).to_numpy(),
            "e": found["e"].astype(float).to_numpy(),
            "i": found["i"].astype(float).to_numpy(),
            "h": known_h(found["h"]).to_numpy(),
            "disc_obs_id": found["disc_obs_id"].astype("int64").to_numpy(),
            "disc_time": disc_time.to_numpy(object),
            "disc_year": disc_time.str.slice(0, 4).astype("int64").to_numpy(),
            "disc_stn": found["disc_stn"].to_numpy(object),
            "disc_trkid": found["disc_trkid"].astype(object).where(found["disc_trkid"].notna(), None).to_numpy(object),
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


def missing_table(neos: pd.DataFrame, counts: pd.DataFrame) -> pd.DataFrame:
    """``missing_discoveries``: NEOs with no discovery observation, with their observation counts."""
    missing = neos[neos["disc_obs_id"].isna()].copy()
    n_obs = counts.set_index("neo_id")["n_obs"].reindex(missing["neo_id"]).fillna(0).astype("int64")
    out = pd.DataFrame(
        {
            "provid": missing["provid"].to_numpy(object),
            "packed_provid": missing["packed_provid"].to_numpy(object),
            "permid": missing["permid"].astype(object).where(missing["permid"].notna(), None).to_numpy(object),
            "q": missing["q"].astype(float).to_numpy(),
            "h": known_h(missing["h"]).to_numpy(),
            "n_obs": n_obs.to_numpy(),
        }
    )
    return out[_columns("missing_discoveries")]


def apparitions_table(rows: pd.DataFrame) -> pd.DataFrame:
    """``apparitions`` from the apparition stage's per NEO × station rows (µs → days)."""
    out = rows.copy()
    out["first_dt"] = out["first_us"].astype("float64") / US_PER_DAY
    out["first_post_dt"] = pd.to_numeric(out["first_post_us"], errors="coerce").astype("float64") / US_PER_DAY
    out = out.sort_values(["neo_id", "stn"], kind="stable").reset_index(drop=True)
    return out[_columns("apparitions")]
