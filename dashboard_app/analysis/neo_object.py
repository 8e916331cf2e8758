"""One NEO's facts from the snapshot: orbit, discovery, circumstances, and every station of its apparition.

:func:`object_record` returns a JSON-ready dict; the object page draws it and ``/api/v1/neo/<designation>``
serves it as it is, so page and API cannot disagree. Pure: frames and plain mappings in, no Dash, no I/O.
Columns an older snapshot lacks come out as ``None`` and are listed under ``not_in_snapshot``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from dashboard_app import reference
from dashboard_app.analysis.designation_index import Hit
from dashboard_app.definitions import (
    APPARITION_HALF_WINDOW_DAYS,
    APPARITION_WINDOWS_DAYS,
    FOLLOWUP_RULES,
    is_followup,
)
from dashboard_app.snapshot.model import project_of
from dashboard_app.snapshot.schema import COUNT_SIDES, count_column

StationInfo = Mapping[str, tuple[str, str]]
"""Station code → (name, survey project)."""

ORBIT_COLUMNS = {"q": "q_au", "e": "e", "i": "i_deg", "h": "h_mag"}
TRACKLET_COLUMNS = {
    "trk_nobs": "n_obs",
    "trk_ra": "ra_deg",
    "trk_dec": "dec_deg",
    "trk_v_mag": "v_mag",
    "trk_rate": "rate_deg_per_day",
    "trk_pa": "pa_deg",
}
CIRCUMSTANCE_COLUMNS = {
    "sun_elong": "solar_elongation_deg",
    "sun_alt": "sun_altitude_deg",
    "twilight": "twilight",
    "moon_elong": "moon_elongation_deg",
    "moon_illum": "moon_illuminated_fraction",
}


def _value(row: Mapping[str, Any], column: str, missing: list[str]) -> Any:
    """A JSON value of ``row[column]`` (None for NULL/NaN); a column the snapshot lacks goes into ``missing``."""
    if column not in row:
        missing.append(column)
        return None
    value = row[column]
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, pd.Timestamp):
        return value.tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, float):
        return None if math.isnan(value) else value
    return value if isinstance(value, (int, bool)) else str(value)


def _size_class(h: float | None) -> dict[str, Any]:
    order = reference.size_class_of(h)
    cls = next(c for c in reference.size_classes() if c.order == order)
    return {"order": cls.order, "label": cls.label, "h_min": cls.h_min, "h_max": cls.h_max}


def _station(code: str, stations: StationInfo) -> dict[str, Any]:
    name, project = stations.get(code, (code, project_of(code)))
    return {"code": code, "name": name, "project": project}


def _head(hit: Hit, row: Mapping[str, Any], missing: list[str]) -> dict[str, Any]:
    return {
        "designation": hit.designation,
        "provid": hit.provid,
        "packed_provid": _value(row, "packed_provid", missing),
        "permid": hit.permid,
        "slug": hit.slug,
    }


def _orbit(row: Mapping[str, Any], missing: list[str]) -> dict[str, Any]:
    orbit = {out: _value(row, col, missing) for col, out in ORBIT_COLUMNS.items()}
    orbit["size_class"] = _size_class(orbit["h_mag"])
    return orbit


def missing_reason(n_obs: int | None) -> str:
    """Why a NEO has no discovery data, from what the snapshot records about it."""
    if n_obs == 0:
        return (
            "No observation of it was found in the source: none under its number, its provisional designation "
            "or a secondary designation, so there is no discovery observation to show."
        )
    found = f"{n_obs:,} observation{'s' if n_obs != 1 else ''} of it {'were' if n_obs != 1 else 'was'} found"
    return (
        f"{found}, but none is a non-deprecated observation flagged as the discovery (disc='*'): the MPC has "
        "marked none, or only a deprecated one. Without a discovery observation there is no discovery time, "
        "station, tracklet or apparition, so it is counted apart and left out of the charts."
    )


def _values(series: pd.Series, lo: int, hi: int) -> list[Any]:
    """``series[lo:hi]`` as Python values, touching only those rows: categorical codes and NumPy buffers are
    sliced as views, Arrow-backed text is sliced before conversion (converting a whole column per request
    would cost milliseconds on a full-scale snapshot)."""
    array = series.array
    if isinstance(series.dtype, pd.CategoricalDtype):
        cats = series.cat.categories
        return [None if c < 0 else cats[c] for c in array.codes[lo:hi].tolist()]
    if isinstance(series.dtype, np.dtype):
        return series.to_numpy()[lo:hi].tolist()
    return list(array[lo:hi].to_numpy(dtype=object, na_value=None))


def table_row(frame: pd.DataFrame, i: int) -> dict[str, Any]:
    """Row position ``i`` of ``frame`` as ``{column: value}`` (no row Series is built)."""
    return {c: _values(frame[c], i, i + 1)[0] for c in frame.columns}


def _rows(frame: pd.DataFrame, lo: int, hi: int) -> list[dict[str, Any]]:
    """Rows ``lo:hi`` of ``frame`` as dicts, column by column."""
    columns = {name: _values(frame[name], lo, hi) for name in frame.columns}
    return [dict(zip(columns, values, strict=True)) for values in zip(*columns.values(), strict=True)]


def apparition_stations(
    disc: Mapping[str, Any], rows: list[dict[str, Any]], stations: StationInfo
) -> list[dict[str, Any]]:
    """One entry per station that observed the NEO in its discovery apparition, earliest first.

    ``rows`` are the NEO's ``apparitions`` rows as dicts. Each entry: station, first observation Δt
    (days, negative = precovery), first at or after discovery, observation and tracklet counts per window
    (post-discovery and either side), and whether it is a follow-up under each rule of
    :data:`~dashboard_app.definitions.FOLLOWUP_RULES`.
    """
    discoverer = {"stn": str(disc["disc_stn"]), "project": str(disc["project"])}
    out = []
    for rec in sorted(rows, key=lambda r: (float(r["first_dt"]), str(r["stn"]))):
        stn = str(rec["stn"])
        station = _station(stn, stations)
        post = rec.get("first_post_dt")
        first_post = None if post is None or post != post else float(post)
        observer = {"stn": stn, "project": station["project"]}
        counts = {
            side: {
                str(w): {
                    "obs": int(rec[count_column("obs", side, w)]),
                    "tracklets": int(rec[count_column("trk", side, w)]),
                }
                for w in APPARITION_WINDOWS_DAYS
                if count_column("obs", side, w) in rec
            }
            for side in COUNT_SIDES
        }
        out.append(
            {
                "station": station,
                "discoverer": stn == discoverer["stn"],
                "first_dt_days": float(rec["first_dt"]),
                "first_post_dt_days": first_post,
                "precovery": float(rec["first_dt"]) < 0,
                "counts": counts,
                "followup": {r.key: is_followup(r, discoverer, observer, first_post) for r in FOLLOWUP_RULES},
            }
        )
    return out


def followup_summary(timeline: list[dict[str, Any]]) -> dict[str, Any]:
    """Per rule: the first follow-up (station, project, days after discovery) and how many stations/projects."""
    out: dict[str, Any] = {}
    for rule in FOLLOWUP_RULES:
        hits = [t for t in timeline if t["followup"][rule.key]]
        first = min(hits, key=lambda t: (t["first_post_dt_days"], t["station"]["code"]), default=None)
        out[rule.key] = {
            "rule": rule.summary,
            "stations": len(hits),
            "projects": len({t["station"]["project"] for t in hits}),
            "first": None
            if first is None
            else {**first["station"], "days_after_discovery": first["first_post_dt_days"]},
        }
    return out


def apparition_rows(apparitions: pd.DataFrame, neo_id: int) -> list[dict[str, Any]]:
    """The apparition rows of ``neo_id`` as dicts (the table is sorted by ``neo_id``: a binary search, no scan)."""
    ids = apparitions["neo_id"].to_numpy()
    lo, hi = np.searchsorted(ids, neo_id, side="left"), np.searchsorted(ids, neo_id, side="right")
    return _rows(apparitions, int(lo), int(hi))


def object_record(
    hit: Hit,
    discoveries: pd.DataFrame,
    apparitions: pd.DataFrame,
    missing: pd.DataFrame,
    stations: StationInfo,
) -> dict[str, Any]:
    """Everything the snapshot says about one NEO, JSON-ready (see the module docstring)."""
    lacking: list[str] = []
    if not hit.discovered:
        row = table_row(missing, hit.row)
        record = _head(hit, row, lacking)
        n_obs = _value(row, "n_obs", lacking)
        reason = _value(row, "reason", []) or missing_reason(n_obs)  # a later schema may record the reason
        record |= {
            "status": "no_discovery",
            "orbit": _orbit(row, lacking),
            "no_discovery": {"n_obs": n_obs, "reason": reason},
        }
        record["not_in_snapshot"] = sorted(set(lacking))
        return record
    row = table_row(discoveries, hit.row)
    record = _head(hit, row, lacking)
    station = _station(str(row["disc_stn"]), stations)
    elong = _value(row, "sun_elong", lacking)
    timeline = apparition_stations(row, apparition_rows(apparitions, int(row["neo_id"])), stations)
    record |= {
        "status": "discovered",
        "orbit": _orbit(row, lacking),
        "discovery": {
            "obs_id": _value(row, "disc_obs_id", lacking),
            "time_utc": _value(row, "disc_time", lacking),
            "year": _value(row, "disc_year", lacking),
            "station": station,
            "trkid": _value(row, "disc_trkid", lacking),
            "tracklet": {out: _value(row, col, lacking) for col, out in TRACKLET_COLUMNS.items()},
        },
        "circumstances": {
            **{out: _value(row, col, lacking) for col, out in CIRCUMSTANCE_COLUMNS.items()},
            "sky": None if elong is None else ("evening" if elong >= 0 else "morning"),
        },
        "apparition": {
            "half_window_days": APPARITION_HALF_WINDOW_DAYS,
            "windows_days": list(APPARITION_WINDOWS_DAYS),
            "stations": timeline,
            "followup": followup_summary(timeline),
        },
    }
    record["not_in_snapshot"] = sorted(set(lacking))
    return record
