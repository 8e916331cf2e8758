"""Schema v2's tables read from all of a NEO's observations: ``lifetime`` and ``site_depth``.

Pure functions shared by the exporter and the synthetic sky's truth (one implementation of each
rule); ``tests/sky/test_truth_definitions.py`` recounts both naively from the source tables and
``tests/exporter/test_v2_tables.py`` checks them on hand-made observations.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dashboard_app.definitions import (
    SITE_DEPTH_MAD_SCALE,
    SITE_DEPTH_MIN_OBS,
    SITE_DEPTH_RECENT_MIN_OBS,
    SITE_DEPTH_RECENT_YEARS,
    SITE_DEPTH_V_RANGE,
)
from dashboard_app.exporter.tables import US_PER_DAY, _columns, _run_starts


def lifetime_counts(
    neo_id: np.ndarray, stn: pd.Series | np.ndarray, trk: np.ndarray, dt_us: np.ndarray
) -> pd.DataFrame:
    """The ``lifetime`` rows of counted observations (all time): one per (neo_id, stn), sorted by both.

    Per observation as ``tables.window_counts`` takes it (neo_id, station, tracklet code ≥ 0 or
    negative for none, Δt in µs). Gives first and last Δt (days), observations and distinct tracklets.
    """
    stn_code, stn_names = pd.factorize(pd.Series(np.asarray(stn, dtype=object)), sort=True)
    dt = np.asarray(dt_us, "int64")
    width = max(len(stn_names), 1)
    keys, gcode = np.unique(np.asarray(neo_id, "int64") * width + stn_code, return_inverse=True)
    by_group = np.argsort(gcode, kind="stable")
    starts = _run_starts(gcode[by_group])
    trk = np.asarray(trk, "int64")
    trk = np.where(trk >= 0, trk, -1 - np.arange(len(dt)))  # no trkid: a tracklet of its own
    by_trk = np.lexsort((trk, gcode))
    trk_starts = _run_starts(np.stack([gcode[by_trk], trk[by_trk]]))
    empty = len(keys) == 0
    out = pd.DataFrame(
        {
            "neo_id": keys // width,
            "stn": np.asarray(stn_names, dtype=object)[keys % width],
            "first_dt": (dt[:0] if empty else np.minimum.reduceat(dt[by_group], starts)) / US_PER_DAY,
            "last_dt": (dt[:0] if empty else np.maximum.reduceat(dt[by_group], starts)) / US_PER_DAY,
            "n_obs": np.bincount(gcode, minlength=len(keys)),
            "n_trk": np.bincount(gcode[by_trk][trk_starts], minlength=len(keys)),
        }
    )
    return out[_columns("lifetime")]


def lifetime_table(obs: pd.DataFrame, ids: pd.Series) -> pd.DataFrame:
    """``lifetime`` rows of one batch: ``obs`` as :func:`apparitions_table` takes it, but all time."""
    known, neo_key = ids.index.to_numpy("int64"), obs["neo_key"].to_numpy("int64")
    lut = np.zeros(max(known.max(initial=0), neo_key.max(initial=0)) + 1, dtype="int64")
    lut[known] = ids.to_numpy("int64")
    trk_code, _ = pd.factorize(obs["trkid"], use_na_sentinel=True)
    return lifetime_counts(lut[neo_key], obs["stn"], trk_code, obs["dt_us"].to_numpy("int64"))


class DepthSample:
    """The observations ``site_depth`` needs, kept compactly across batches (usable V only).

    Kept per station as it arrives (one dictionary of station codes for the whole export): per
    observation its time and V (16 bytes), and :meth:`table` computes one station at a time, freeing
    its arrays as it goes, so the export never holds a second copy of every observation.
    """

    def __init__(self) -> None:
        self.names: dict[str, int] = {}
        self.parts: list[list[tuple[np.ndarray, np.ndarray]]] = []  # per station code: (t_us, v) arrays

    def add(self, stn: pd.Series, t_us: np.ndarray, v: np.ndarray) -> None:
        """Keep the rows whose V is inside the depth range."""
        lo, hi = SITE_DEPTH_V_RANGE
        v = np.asarray(v, "float64")
        ok = np.isfinite(v) & (v >= lo) & (v <= hi)
        local, uniques = pd.factorize(pd.Series(stn)[ok], use_na_sentinel=True)
        t, v = np.asarray(t_us, "int64")[ok], v[ok]
        by_station = np.argsort(local, kind="stable")
        starts = _run_starts(local[by_station])
        ends = np.append(starts[1:], len(by_station))
        for start, end in zip(starts, ends, strict=True):
            if local[by_station[start]] < 0:
                continue  # no station
            code = self.names.setdefault(str(uniques[local[by_station[start]]]), len(self.names))
            if code == len(self.parts):
                self.parts.append([])
            rows = by_station[start:end]
            self.parts[code].append((t[rows], v[rows]))

    def table(self, newest_us: int) -> pd.DataFrame:
        """The ``site_depth`` table over everything added, with ``newest_us`` as the data time."""
        rows = []
        for name, code in self.names.items():
            parts, self.parts[code] = self.parts[code], []  # freed station by station
            t = np.concatenate([p[0] for p in parts])
            v = np.concatenate([p[1] for p in parts])
            del parts
            recent = t >= newest_us - _RECENT_US
            use_recent = int(np.count_nonzero(recent)) >= SITE_DEPTH_RECENT_MIN_OBS
            row = _station_row(name, np.sort(v[recent] if use_recent else v), use_recent)
            if row is not None:
                rows.append(row)
        return _depth_frame(rows)


_RECENT_US = round(SITE_DEPTH_RECENT_YEARS * 365.25 * US_PER_DAY)


def site_depth_stats(stn: pd.Series | np.ndarray, t_us: np.ndarray, v: np.ndarray, newest_us: int) -> pd.DataFrame:
    """``site_depth``: per station, depth statistics of band-corrected V (``definitions.SITE_DEPTH_*``).

    ``stn``, ``t_us`` (observation time, µs since 1970) and ``v`` describe every counted observation of
    the NEOs in ``discoveries``; ``newest_us`` is the data time. Magnitudes outside the V range (and
    missing ones) are ignored; a station uses its last 5 years when it has ≥ 1,000 observations there,
    else all time; stations with < 50 observations are left out. Shared with the synthetic sky's truth.
    """
    code, names = pd.factorize(pd.Series(np.asarray(stn, dtype=object)), use_na_sentinel=True)
    return _depth_by_code(code, np.asarray(names, dtype=object), np.asarray(t_us, "int64"), v, newest_us)


def _depth_by_code(code: np.ndarray, names: np.ndarray, t: np.ndarray, v: np.ndarray, newest_us: int) -> pd.DataFrame:
    """:func:`site_depth_stats` over integer station codes (``names[code]``), rows in station order."""
    v = np.asarray(v, "float64")
    lo, hi = SITE_DEPTH_V_RANGE
    ok = np.isfinite(v) & (v >= lo) & (v <= hi) & (code >= 0)
    code, v, t = code[ok], v[ok], t[ok]
    recent = t >= newest_us - _RECENT_US
    n_recent = np.bincount(code[recent], minlength=len(names))
    use_recent = n_recent >= SITE_DEPTH_RECENT_MIN_OBS
    used = np.where(use_recent[code], recent, True)
    code, v = code[used], v[used]
    del t, recent, used
    order = np.lexsort((v, code))
    code, v = code[order], v[order]
    del order
    starts = _run_starts(code)
    rows = []
    ends = np.append(starts[1:], len(code)) if len(starts) else starts
    for start, end in zip(starts, ends, strict=True):  # one slice per station
        row = _station_row(str(names[code[start]]), v[start:end], bool(use_recent[code[start]]))
        if row is not None:
            rows.append(row)
    return _depth_frame(rows)


def _station_row(stn: str, values: np.ndarray, recent: bool) -> tuple | None:
    """One ``site_depth`` row from a station's usable V values sorted ascending (None: too few)."""
    if len(values) < SITE_DEPTH_MIN_OBS:
        return None
    median = float(np.median(values))
    mad = float(np.median(np.abs(values - median)))
    return (
        stn,
        "last_5_years" if recent else "all_time",
        len(values),
        median,
        median + SITE_DEPTH_MAD_SCALE * mad,
        float(values.mean() + values.std()),
        float(np.percentile(values, 95)),
    )


def _depth_frame(rows: list[tuple]) -> pd.DataFrame:
    out = pd.DataFrame(rows, columns=_columns("site_depth")).astype({"n": "int64"})
    return out.sort_values("stn", kind="stable", ignore_index=True)
