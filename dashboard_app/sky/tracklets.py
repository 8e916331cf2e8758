"""Tracklet plans: who observes each object when, decided before any observation exists.

A tracklet row says: object, station, anchor time and the anchor's position in
the tracklet, number of observations and spacing, whether it has a ``trkid``,
which designation its observations are filed under, and its role (the
discovery tracklet, an extra member of it, or anything else). For the
discovery tracklet the anchor observation *is* the discovery observation.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dashboard_app.definitions import APPARITION_HALF_WINDOW_DAYS
from dashboard_app.sky.population import DAY_US, HOUR_US, MS_US, night_time
from dashboard_app.sky.roster import YEARS, Roster

ROLE_OTHER, ROLE_DISCOVERY, ROLE_DISCOVERY_MEMBER = 0, 1, 2
FILED_NONE, FILED_PRIMARY, FILED_SECONDARY = 0, 1, 2

COLUMNS: dict[str, tuple[str, object]] = {
    "obj": ("int64", None),
    "stn": ("int64", None),
    "t_anchor": ("int64", None),
    "k_anchor": ("int64", 0),
    "n": ("int64", 1),
    "step": ("int64", 0),
    "has_trkid": ("bool", True),
    "trk_share": ("int64", -1),  # ≥ 0: use the trkid of that tracklet row (planted ±12 h cases)
    "permid_filed": ("bool", False),
    "provid_kind": ("int64", FILED_PRIMARY),
    "sec": ("int64", -1),
    "role": ("int64", ROLE_OTHER),
    "disc_pos": ("int64", -1),
    "deprecated": ("bool", False),
    "mag_missing": ("bool", False),
    "itf": ("bool", False),
    # Traps of the real table (planted; a few also at random in the bulk):
    "file_as": ("int64", -1),  # ≥ 0: filed under that object's designation (owner stays "obj", by its number)
    "padded": ("bool", False),  # provid filed with a trailing space: matches no designation, counts nowhere
    "empty_permid": ("bool", False),  # permid '' instead of NULL
    "empty_trkid": ("bool", False),  # trkid '' instead of NULL (the tracklet has no trkid)
    "empty_band": ("bool", False),  # band '' instead of NULL (no band reported)
    "duplicate_of": ("int64", -1),  # ≥ 0: a second copy of that tracklet's rows (same obs80_bit and station)
    "dup_start": ("int64", 0),  # the copy's first row is the source tracklet's row dup_start (n rows copied)
    "extra_delay": ("int64", 0),  # µs added to the reporting delay (orders ids of rows at the same time)
}

DISCOVERY_SIZES = ((1, 0.015), (2, 0.03), (3, 0.24), (4, 0.43), (5, 0.18), (6, 0.105))
FOLLOWUP_SIZES = ((1, 0.05), (2, 0.17), (3, 0.3), (4, 0.3), (5, 0.11), (6, 0.07))
NEVER_FOLLOWED_UP = 0.04
PRECOVERY_FRACTION = 0.12
EXTRA_DISC_FLAG_FRACTION = 0.01
EMPTY_TRKID_FRACTION = 0.25  # of tracklets without trkid: '' instead of NULL
EMPTY_PERMID_FRACTION = 0.05  # of tracklets filed without a number: permid '' instead of NULL
EMPTY_BAND_FRACTION = 0.01  # of ordinary tracklets: band '' (no band reported)
DUPLICATE_TRACKLET_FRACTION = 0.002  # tracklets published twice (same obs80_bit and station)
DUPLICATE_DELAY_US = 60 * DAY_US  # far beyond any random reporting delay, so the copy's id is larger
NO_TRKID_BEFORE_2000 = 0.08
NO_TRKID_AFTER_2000 = 0.004
FOLLOWUP_SCALE = 1.5  # tunes observations per NEO (about 110 at scale 1)
SAME_STATION_FRACTION = 0.4
OTHER_APPARITION_TRACKLETS = 30.0


def frame(rows: int, /, **columns) -> pd.DataFrame:
    """A tracklet frame of ``rows`` rows: given columns (arrays or scalars), defaults for the rest."""
    data = {}
    for name, (dtype, default) in COLUMNS.items():
        value = columns.pop(name, default)
        if value is None:
            raise ValueError(f"tracklet column {name!r} is required")
        data[name] = np.broadcast_to(np.asarray(value, dtype=dtype), (rows,)).copy()
    if columns:
        raise ValueError(f"unknown tracklet columns: {sorted(columns)}")
    return pd.DataFrame(data)


def _sizes(rng: np.random.Generator, table, n: int) -> np.ndarray:
    values, p = zip(*table, strict=True)
    return rng.choice(np.array(values), size=n, p=np.array(p) / sum(p))


def _steps(rng: np.random.Generator, sizes: np.ndarray) -> np.ndarray:
    span_min = rng.uniform(25, 95, len(sizes))
    step = span_min / np.maximum(sizes - 1, 1) * 60e6
    return (np.round(step / MS_US) * MS_US).astype("int64")


def _stations_by_year(rng: np.random.Generator, roster: Roster, weight: np.ndarray, t_us: np.ndarray) -> np.ndarray:
    """A station for each time, drawn with ``weight`` × the station's activity in that year."""
    year = t_us.astype("datetime64[us]").astype("datetime64[Y]").astype("int64") + 1970
    yi = np.clip(year - YEARS[0], 0, len(YEARS) - 1)
    out = np.empty(len(t_us), dtype="int64")
    for y in np.unique(yi):
        rows = np.flatnonzero(yi == y)
        w = weight * (roster.activity[:, y] > 0)
        if w.sum() == 0:
            w = weight
        out[rows] = rng.choice(len(w), size=len(rows), p=w / w.sum())
    return out


def _ms(t_us: np.ndarray) -> np.ndarray:
    return (t_us // MS_US) * MS_US


def _at_night(rng: np.random.Generator, roster: Roster, stn: np.ndarray, t_target: np.ndarray):
    """(anchor time, size, step) of ordinary tracklets observed from ``stn`` in the night nearest ``t_target``."""
    size = _sizes(rng, FOLLOWUP_SIZES, len(stn))
    return night_time(rng, roster, stn, t_target, 1.8), size, _steps(rng, size)


def _discovery_tracklets(rng: np.random.Generator, objs: pd.DataFrame) -> pd.DataFrame:
    n = len(objs)
    size = _sizes(rng, DISCOVERY_SIZES, n)
    k_anchor = np.where(rng.random(n) < 0.85, 0, rng.integers(0, size))
    no_trk_p = np.where(objs["year"].to_numpy() < 2000, NO_TRKID_BEFORE_2000, NO_TRKID_AFTER_2000)
    has_disc = objs["has_discovery"].to_numpy()
    return frame(
        n,
        obj=objs["obj"].to_numpy(),
        stn=objs["disc_stn"].to_numpy(),
        t_anchor=objs["t_disc"].to_numpy(),
        k_anchor=k_anchor,
        n=size,
        step=_steps(rng, size),
        has_trkid=rng.random(n) >= no_trk_p,
        role=np.where(has_disc, ROLE_DISCOVERY, ROLE_OTHER),
        disc_pos=np.where(has_disc, k_anchor, -1),
    )


def _followup(rng: np.random.Generator, roster: Roster, objs: pd.DataFrame, disc_end: np.ndarray) -> pd.DataFrame:
    """Confirmation and follow-up after discovery: more for larger objects; some NEOs never followed up."""
    n = len(objs)
    h, neo = objs["h_true"].to_numpy(), objs["neo"].to_numpy()
    lam = np.where(neo, FOLLOWUP_SCALE * np.clip(16.0 * np.exp(0.25 * (22.0 - h)), 2.0, 90.0), 2.5)
    k = np.where(rng.random(n) < NEVER_FOLLOWED_UP, 0, 1 + rng.poisson(lam))
    owner = np.repeat(np.arange(n), k)
    first = np.exp(rng.normal(np.log(0.6), 1.0, n))
    arc = np.exp(rng.normal(np.log(25.0), 0.8, n)) * np.exp(np.clip(0.25 * (22.0 - h), -1, 2))
    is_first = np.zeros(len(owner), dtype=bool)
    is_first[(np.cumsum(k) - k)[k > 0]] = True
    dt = np.where(is_first, first[owner], first[owner] + rng.random(len(owner)) * arc[owner])
    t_target = objs["t_disc"].to_numpy()[owner] + (dt * DAY_US).astype("int64")
    stn = _stations_by_year(rng, roster, roster.followup_weight, t_target)
    same_station = rng.random(len(owner)) < SAME_STATION_FRACTION
    stn = np.where(same_station, objs["disc_stn"].to_numpy()[owner], stn)
    t, size, step = _at_night(rng, roster, stn, t_target)
    late = np.maximum(disc_end[owner] + 20 * 60 * 1_000_000 - t, 0)
    t = t + -(-late // DAY_US) * DAY_US  # whole days later, same local time
    extra_flag = is_first & (rng.random(len(owner)) < EXTRA_DISC_FLAG_FRACTION)
    extra_flag &= neo[owner] & objs["has_discovery"].to_numpy()[owner]
    obj = objs["obj"].to_numpy()[owner]
    return frame(len(owner), obj=obj, stn=stn, t_anchor=_ms(t), n=size, step=step, disc_pos=np.where(extra_flag, 0, -1))


def _precovery(rng: np.random.Generator, roster: Roster, objs: pd.DataFrame) -> pd.DataFrame:
    """Archival detections before discovery by surveys of the time (some beyond the apparition window)."""
    pre = np.flatnonzero((rng.random(len(objs)) < PRECOVERY_FRACTION) & objs["neo"].to_numpy())
    owner = np.repeat(pre, 1 + rng.poisson(1.0, len(pre)))
    t0 = objs["t_disc"].to_numpy()[owner]
    t_target = t0 - (rng.uniform(0.3, APPARITION_HALF_WINDOW_DAYS * 1.3, len(owner)) * DAY_US).astype("int64")
    stn = _stations_by_year(rng, roster, roster.discovery_weight + 0.1, t_target)
    t, size, step = _at_night(rng, roster, stn, t_target)
    over = np.maximum(t + (size - 1) * step - (t0 - HOUR_US), 0)
    t = t - -(-over // DAY_US) * DAY_US  # whole days earlier: ends before the discovery
    return frame(len(owner), obj=objs["obj"].to_numpy()[owner], stn=stn, t_anchor=_ms(t), n=size, step=step)


def _other_apparitions(
    rng: np.random.Generator, roster: Roster, objs: pd.DataFrame, now_us: int, first_us: int
) -> pd.DataFrame:
    """Earlier and later apparitions (outside the window), many for larger and numbered objects."""
    n = len(objs)
    many = objs["numbered"].to_numpy() | (objs["h_true"].to_numpy() < 20.5)
    owner = np.repeat(np.arange(n), np.where(many, rng.poisson(OTHER_APPARITION_TRACKLETS, n), rng.poisson(0.3, n)))
    sign = np.where(rng.random(len(owner)) < 0.7, 1, -1)
    dt = sign * rng.uniform(APPARITION_HALF_WINDOW_DAYS + 60, 12 * 365.25, len(owner))
    t_target = objs["t_disc"].to_numpy()[owner] + (dt * DAY_US).astype("int64")
    keep = (t_target > first_us + 30 * DAY_US) & (t_target < now_us - 2 * DAY_US)
    owner, t_target = owner[keep], t_target[keep]
    stn = _stations_by_year(rng, roster, roster.followup_weight + 0.2 * np.sqrt(roster.discovery_weight), t_target)
    t, size, step = _at_night(rng, roster, stn, t_target)
    return frame(len(owner), obj=objs["obj"].to_numpy()[owner], stn=stn, t_anchor=_ms(t), n=size, step=step)


def bulk(rng: np.random.Generator, roster: Roster, objs: pd.DataFrame, now_us: int, first_us: int) -> pd.DataFrame:
    """Tracklets of ordinary objects: discovery tracklet, confirmations, follow-up, precovery, other apparitions.

    ``objs`` needs ``obj`` (global index), ``t_disc``, ``year``, ``disc_stn``, ``h_true``, ``numbered``, ``neo``
    and ``has_discovery``. Filing under designations is set by :func:`file_under`.
    """
    disc = _discovery_tracklets(rng, objs)
    disc_end = (disc["t_anchor"] + (disc["n"] - 1 - disc["k_anchor"]) * disc["step"]).to_numpy()
    parts = [
        disc,
        _followup(rng, roster, objs, disc_end),
        _precovery(rng, roster, objs),
        _other_apparitions(rng, roster, objs, now_us, first_us),
    ]
    out = pd.concat(parts, ignore_index=True)
    last = out["t_anchor"] + (out["n"] - 1 - out["k_anchor"]) * out["step"]
    keep = (out["role"] != ROLE_OTHER) | (last <= now_us - HOUR_US) & (out["t_anchor"] > first_us)
    out = out[keep.to_numpy()].reset_index(drop=True)
    old = _years(out["t_anchor"].to_numpy()) < 2000
    no_trk = rng.random(len(out)) < np.where(old, NO_TRKID_BEFORE_2000, NO_TRKID_AFTER_2000)
    out.loc[(out["role"] == ROLE_OTHER).to_numpy() & no_trk, "has_trkid"] = False
    out["empty_trkid"] = ~out["has_trkid"].to_numpy() & (rng.random(len(out)) < EMPTY_TRKID_FRACTION)
    return pd.concat([out, duplicates(rng, out)], ignore_index=True)


def duplicates(rng: np.random.Generator, trk: pd.DataFrame) -> pd.DataFrame:
    """Second copies of a few ordinary tracklets (published twice), reported a month later."""
    src = np.flatnonzero((trk["role"].to_numpy() == ROLE_OTHER) & (rng.random(len(trk)) < DUPLICATE_TRACKLET_FRACTION))
    copy = trk.iloc[src].copy()
    copy["duplicate_of"] = src
    copy["trk_share"] = src  # the same trkid as the first copy (when it has one)
    copy["extra_delay"] = DUPLICATE_DELAY_US
    return copy.reset_index(drop=True)


def unlinked(rng: np.random.Generator, objs: pd.DataFrame) -> pd.DataFrame:
    """One isolated (ITF) tracklet per unlinked object, at its "discovery" time, filed under no designation."""
    size = _sizes(rng, FOLLOWUP_SIZES, len(objs))
    return frame(
        len(objs),
        obj=objs["obj"].to_numpy(),
        stn=objs["disc_stn"].to_numpy(),
        t_anchor=objs["t_disc"].to_numpy(),
        n=size,
        step=_steps(rng, size),
        provid_kind=FILED_NONE,
        itf=True,
    )


def _years(t_us: np.ndarray) -> np.ndarray:
    return t_us.astype("datetime64[us]").astype("datetime64[Y]").astype("int64") + 1970


def file_under(
    rng: np.random.Generator,
    trk: pd.DataFrame,
    numbered: np.ndarray,
    t_disc: np.ndarray,
    objs_with_secondary_a: np.ndarray,
    objs_with_secondary_b: np.ndarray,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Decide the designation each bulk tracklet is filed under; returns (tracklets, secondaries).

    Numbered objects: under number and designation, number only, or (as before numbering) the
    designation only — the discovery tracklet often the latter. Objects in ``objs_with_secondary_a``
    had an earlier apparition designated separately (its tracklets filed under that secondary
    designation); those in ``objs_with_secondary_b`` had a follow-up tracklet designated separately
    a few days after discovery (filed under the secondary, inside the apparition window).
    Secondaries are returned as rows (obj, t_designated).
    """
    trk = trk.copy()
    obj = trk["obj"].to_numpy()
    r = rng.random(len(trk))
    is_disc = trk["role"].to_numpy() == ROLE_DISCOVERY
    num = numbered[obj]
    pre_numbering = np.where(is_disc, r < 0.5, r >= 0.75)
    number_only = ~pre_numbering & (r < 0.15) & ~is_disc
    trk["permid_filed"] = num & ~pre_numbering
    trk["provid_kind"] = np.where(num & number_only, FILED_NONE, FILED_PRIMARY)
    dt = (trk["t_anchor"].to_numpy() - t_disc[obj]) / DAY_US
    a = np.isin(obj, objs_with_secondary_a) & (dt < -(APPARITION_HALF_WINDOW_DAYS + 1))
    b = np.isin(obj, objs_with_secondary_b) & (dt > 1.0) & (dt <= 20.0) & (trk["role"].to_numpy() == ROLE_OTHER)
    sec_parts = []
    offset = 0
    for mask in (a, b):
        rows = np.flatnonzero(mask)
        if not len(rows):
            continue
        first_t = pd.Series(trk["t_anchor"].to_numpy()[rows]).groupby(obj[rows]).min()
        uniq = first_t.index.to_numpy()
        sec_parts.append(pd.DataFrame({"obj": uniq, "t": first_t.to_numpy()}))
        trk.loc[rows, "provid_kind"] = FILED_SECONDARY
        trk.loc[rows, "permid_filed"] = False
        trk.loc[rows, "sec"] = offset + np.searchsorted(uniq, obj[rows])
        offset += len(uniq)
    empty = pd.DataFrame({"obj": np.zeros(0, "int64"), "t": np.zeros(0, "int64")})
    secondaries = pd.concat(sec_parts, ignore_index=True) if sec_parts else empty
    return trk, secondaries.astype("int64")
