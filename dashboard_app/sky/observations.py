"""Observations expanded from tracklet plans: times, positions, magnitudes, bands, flags.

Each object moves uniformly along a great circle from its discovery position,
slowing logarithmically over days (so months-long arcs stay on the sky); a
tracklet's observations are its anchor time ± whole steps. Positions are
rounded to 1e-6 deg, magnitudes to 0.1 (before 2010) or 0.01 mag, times to the
millisecond, so the truth is computed from exactly the stored values.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from dashboard_app import reference
from dashboard_app.circumstances import offset_position
from dashboard_app.sky.population import DAY_US
from dashboard_app.sky.roster import BANDS, CSS_G_BAND_FROM_YEAR, PHOTOGRAPHIC_BEFORE_YEAR, Roster

SLOWDOWN_DAYS = 6.0
ASTROMETRIC_NOISE_DEG = 0.15 / 3600
PHOTOMETRIC_NOISE_MAG = 0.12
FADING_MAG_PER_DAY = 0.035
RANDOM_DEPRECATION = 0.003


@dataclass
class Observations:
    """Per-observation arrays (index = observation row before ``obs_sbn.id`` is assigned)."""

    trk: np.ndarray
    obj: np.ndarray
    stn: np.ndarray
    k: np.ndarray
    t: np.ndarray  # µs since 1970, UTC
    ra: np.ndarray
    dec: np.ndarray
    mag: np.ndarray  # NaN = no magnitude
    band: np.ndarray  # index into band_codes() (a code or None)
    disc: np.ndarray  # bool, disc = '*'
    deprecated: np.ndarray  # bool, deprecated = 'X'
    duplicate: np.ndarray  # bool: a second copy of an earlier row (never counted)

    def __len__(self) -> int:
        return len(self.t)


def band_codes() -> list[str | None]:
    """Every band code the generator uses (index → code)."""
    codes: list[str | None] = []
    for scheme in BANDS.values():
        for band, _p in scheme:
            if band not in codes:
                codes.append(band)
    return codes


def _bands(rng: np.random.Generator, roster: Roster, stn: np.ndarray, year: np.ndarray) -> np.ndarray:
    names = list(BANDS)
    station_scheme = np.array([names.index("css_old") if s == "css" else names.index(s) for s in roster.band_scheme])
    scheme = station_scheme[stn]
    scheme = np.where(
        (scheme == names.index("css_old")) & (year >= CSS_G_BAND_FROM_YEAR), names.index("css_new"), scheme
    )
    space = names.index("space")
    scheme = np.where((year < PHOTOGRAPHIC_BEFORE_YEAR) & (scheme != space), names.index("old"), scheme)
    codes = band_codes()
    out = np.zeros(len(stn), dtype="int8")
    for i, table in enumerate(BANDS.values()):
        rows = np.flatnonzero(scheme == i)
        if not len(rows):
            continue
        bands, p = zip(*table, strict=True)
        pick = rng.choice(len(bands), size=len(rows), p=np.array(p) / sum(p))
        out[rows] = np.array([codes.index(b) for b in bands])[pick]
    return out


def expand(
    rng: np.random.Generator, roster: Roster, objs: pd.DataFrame, trk: pd.DataFrame, bulk_obj: np.ndarray
) -> Observations:
    """Expand tracklet rows into observations (``bulk_obj[obj]`` allows random deprecation)."""
    n = trk["n"].to_numpy()
    rows = np.repeat(np.arange(len(trk), dtype="int32"), n)
    k = (np.arange(len(rows), dtype="int64") - np.repeat(np.cumsum(n) - n, n)).astype("int16")
    t = trk["t_anchor"].to_numpy()[rows] + (k - trk["k_anchor"].to_numpy()[rows]) * trk["step"].to_numpy()[rows]
    obj = trk["obj"].to_numpy().astype("int32")[rows]
    stn = trk["stn"].to_numpy().astype("int16")[rows]
    t_disc = objs["t_disc"].to_numpy()[obj]
    dt = (t - t_disc) / DAY_US
    rate = objs["rate"].to_numpy()[obj]
    travelled = np.sign(dt) * rate * SLOWDOWN_DAYS * np.log1p(np.abs(dt) / SLOWDOWN_DAYS)
    ra, dec = offset_position(
        objs["ra0"].to_numpy()[obj], objs["dec0"].to_numpy()[obj], objs["pa"].to_numpy()[obj], travelled
    )
    dec = np.clip(dec + rng.normal(0, ASTROMETRIC_NOISE_DEG, len(t)), -89.9, 89.9)
    ra = ra + rng.normal(0, ASTROMETRIC_NOISE_DEG, len(t)) / np.cos(np.radians(dec))
    ra = np.mod(np.round(np.mod(ra, 360.0), 6), 360.0)
    dec = np.round(dec, 6)

    year = t.astype("datetime64[us]").astype("datetime64[Y]").astype("int64") + 1970
    band_idx = _bands(rng, roster, stn, year)
    codes = band_codes()
    offsets = np.array([reference.v_offset(c) for c in codes])
    v = objs["v0"].to_numpy()[obj] + np.minimum(FADING_MAG_PER_DAY * np.abs(dt), 6.0)
    mag = v - offsets[band_idx] + rng.normal(0, PHOTOMETRIC_NOISE_MAG, len(t))
    mag = np.where(year < 2010, np.round(mag, 1), np.round(mag, 2))
    no_mag = trk["mag_missing"].to_numpy()[rows] | (roster.band_scheme == "space")[stn]
    mag = np.where(no_mag, np.nan, mag)

    disc = k == trk["disc_pos"].to_numpy()[rows]
    deprecated = trk["deprecated"].to_numpy()[rows].copy()
    random_dep = (rng.random(len(t)) < RANDOM_DEPRECATION) & bulk_obj[obj] & ~disc
    random_dep &= trk["role"].to_numpy()[rows] == 0
    deprecated |= random_dep
    band_idx[trk["empty_band"].to_numpy()[rows]] = codes.index(None)  # written as '' instead of NULL
    obs = Observations(
        trk=rows,
        obj=obj,
        stn=stn,
        k=k,
        t=t,
        ra=ra,
        dec=dec,
        mag=mag,
        band=band_idx,
        disc=disc,
        deprecated=deprecated,
        duplicate=np.zeros(len(t), dtype=bool),
    )
    _copy_duplicates(obs, trk)
    return obs


def _copy_duplicates(obs: Observations, trk: pd.DataFrame) -> None:
    """Make the rows of duplicate tracklets exact copies of their source rows (time, position, flags)."""
    source = trk["duplicate_of"].to_numpy()
    copies = np.flatnonzero(source >= 0)
    if not len(copies):
        return
    n = trk["n"].to_numpy()
    start = np.cumsum(n) - n
    dst = np.concatenate([start[j] + np.arange(n[j]) for j in copies])
    src = np.concatenate([start[source[j]] + trk["dup_start"].to_numpy()[j] + np.arange(n[j]) for j in copies])
    for name in ("t", "ra", "dec", "mag", "band", "disc", "deprecated", "stn", "obj"):
        values = getattr(obs, name)
        values[dst] = values[src]
    obs.duplicate[dst] = True
