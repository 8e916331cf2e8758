"""The synthetic objects: NEOs, other minor planets and unlinked tracklets' objects.

Every object gets an orbit, an absolute magnitude, a discovery station and
time, and a uniform great-circle motion on the sky (position, rate, position
angle and brightness at discovery) from which all its observations follow.
Shapes follow the published history: discoveries per station and survey era
(``roster``), H from the model population times a completeness whose 50 % point
grows fainter with the years, discovery positions near opposition and the
ecliptic (some in the twilight "sweet spots"), few discoveries near full Moon.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dashboard_app import reference
from dashboard_app.circumstances import equatorial_from_ecliptic, julian_date, moon_illuminated_fraction, sun_position
from dashboard_app.sky.roster import FIRST_YEAR, YEARS, Roster

DAY_US = 86_400_000_000
HOUR_US = 3_600_000_000
MS_US = 1_000

# Year → H at which the catalogue is half complete; discoveries in a year are the model population times
# the completeness gained that year (plus a small share of chance close approaches of smaller objects).
COMPLETENESS_H50 = ((1950, 14.5), (1990, 17.0), (1998, 18.5), (2005, 19.8), (2012, 21.0), (2018, 22.0), (2026, 22.8))
COMPLETENESS_WIDTH = 0.7
CHANCE_SHARE = 0.02
# Year → typical limiting V of a discovery survey; offsets per station.
LIMITING_V = ((1950, 16.0), (1990, 19.0), (2000, 19.8), (2010, 21.0), (2020, 21.7), (2026, 22.0))
LIMIT_OFFSET = {"F51": 0.7, "F52": 0.7, "W84": 1.6, "X05": 2.5, "I41": 0.3, "T05": -2.2, "T08": -2.2, "W68": -2.2}
LIMIT_OFFSET.update({"M22": -2.2, "R17": -2.2, "704": -0.5})
SWEET_SPOT_FRACTION = 0.18
FULL_MOON_AVOIDANCE = 0.85  # chance that a discovery night with the Moon > 90 % lit is moved


def _year_start_us(years: np.ndarray) -> np.ndarray:
    return (np.asarray(years, "int64") - 1970).astype("datetime64[Y]").astype("datetime64[us]").astype("int64")


def _year_coverage(now_us: int) -> np.ndarray:
    """Fraction of each roster year before ``now_us`` (the last year is partial)."""
    start = _year_start_us(YEARS)
    end = _year_start_us(YEARS + 1)
    return np.clip((now_us - start) / (end - start), 0.0, 1.0)


def _sample_rows(rng: np.random.Generator, weights: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """For each entry of ``rows``, a column index drawn with the probabilities ``weights[row]``."""
    cdf = np.cumsum(weights, axis=1)
    cdf /= cdf[:, -1:]
    u = rng.random(len(rows))
    return np.minimum((u[:, None] > cdf[rows]).sum(axis=1), weights.shape[1] - 1)


def h_bins() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(low edges, high edges, model counts) of the H bins, with N(H < 15.25) ≈ 69 as one bin from 13."""
    model = reference.population_model()
    lo = np.concatenate([[13.0], model["h_low"].to_numpy("float64")])
    hi = np.concatenate([[model["h_low"].iloc[0]], model["h_high"].to_numpy("float64")])
    n = np.concatenate([[69.0], model["n_model_in_bin"].to_numpy("float64")])
    return lo, hi, n


def completeness(h: np.ndarray, years: np.ndarray) -> np.ndarray:
    """Model catalogue completeness (0..1) at absolute magnitudes ``h`` (columns) by the end of ``years`` (rows)."""
    h50 = np.interp(years, *zip(*COMPLETENESS_H50, strict=True))
    return 1.0 / (1.0 + np.exp((np.asarray(h)[None, :] - h50[:, None]) / COMPLETENESS_WIDTH))


def sample_h(rng: np.random.Generator, years: np.ndarray) -> np.ndarray:
    """Absolute magnitudes (2 decimals): model population × completeness gained in the discovery year."""
    lo, hi, n = h_bins()
    centre = (lo + hi) / 2
    now, before = completeness(centre, years), completeness(centre, years - 1)
    weights = n[None, :] * (np.maximum(now - before, 0.0) + CHANCE_SHARE * now)
    b = _sample_rows(rng, weights, np.arange(len(years)))
    return np.round(lo[b] + rng.random(len(years)) * (hi[b] - lo[b]), 2)


def sample_orbits(rng: np.random.Generator, n: int, neo: bool) -> pd.DataFrame:
    """Orbital elements q, e, i, node, argperi (NEO-like or main-belt-like)."""
    if neo:
        q = np.round(0.08 + 1.2199 * rng.beta(2.2, 1.2, n), 6)
        a = np.exp(rng.normal(np.log(1.85), 0.35, n))
        a = np.where(a <= q * 1.02, q / (1 - rng.uniform(0.02, 0.3, n)), a)
    else:
        mars_crosser = rng.random(n) < 0.15
        q = np.where(mars_crosser, rng.uniform(1.3001, 1.666, n), rng.uniform(1.7, 3.2, n))
        a = q / (1 - rng.uniform(0.02, 0.3, n))
        q = np.round(q, 6)
    e = np.round(np.clip(1 - q / a, 0.0, 0.97), 6)
    inc = np.abs(rng.normal(0, 11, n))
    inc = np.round(np.where(rng.random(n) < 0.08, np.abs(rng.normal(0, 35, n)), inc) % 170, 4)
    return pd.DataFrame(
        {
            "q": q,
            "e": e,
            "i": inc,
            "node": np.round(rng.uniform(0, 360, n), 4),
            "argperi": np.round(rng.uniform(0, 360, n), 4),
        }
    )


def night_time(
    rng: np.random.Generator, roster: Roster, stn: np.ndarray, t_us: np.ndarray, spread_h: float
) -> np.ndarray:
    """Move times to the local night of their station (midnight ± a normal spread); space stations as given."""
    lon = roster.longitude[stn]
    day0 = np.floor_divide(t_us, DAY_US) * DAY_US
    midnight = day0 + (np.mod(-np.nan_to_num(lon) / 15.0, 24.0) * HOUR_US).astype("int64")
    midnight = np.where(midnight - t_us > DAY_US // 2, midnight - DAY_US, midnight)
    midnight = np.where(t_us - midnight > DAY_US // 2, midnight + DAY_US, midnight)
    offset = np.clip(rng.normal(0.0, spread_h, len(t_us)), -4.5, 4.5) * HOUR_US
    snapped = midnight + offset.astype("int64")
    return np.where(roster.ground[stn], snapped, t_us)


def discovery_objects(rng: np.random.Generator, roster: Roster, n: int, now_us: int, neo: bool = True) -> pd.DataFrame:
    """``n`` discovered objects: station, time, orbit, H, number-to-be and motion at discovery."""
    stn = rng.choice(len(roster.codes), size=n, p=roster.discovery_weight / roster.discovery_weight.sum())
    year = YEARS[_sample_rows(rng, roster.activity * _year_coverage(now_us)[None, :], stn)]
    start = _year_start_us(year)
    end = np.minimum(_year_start_us(year + 1), now_us - 3 * DAY_US)
    day = start + (rng.random(n) * (end - start)).astype("int64")
    for _ in range(2):  # surveys pause around full Moon
        lit = moon_illuminated_fraction(julian_date(day.astype("datetime64[us]"))) > 0.9
        move = lit & (rng.random(n) < FULL_MOON_AVOIDANCE)
        day = np.where(move, start + (rng.random(n) * (end - start)).astype("int64"), day)
    sweet = rng.random(n) < SWEET_SPOT_FRACTION
    evening = rng.random(n) < 0.5
    space = ~roster.ground[stn]
    # Solar elongation and local time: opposition near midnight, sweet spots at dusk/dawn.
    opp_offset = np.clip(rng.normal(0, 28, n), -85, 85)
    sweet_elong = rng.uniform(50, 100, n)
    dlon = np.where(sweet, np.where(evening, sweet_elong, -sweet_elong), 180.0 + opp_offset)
    dlon = np.where(space, np.where(evening, 1, -1) * rng.normal(90, 4, n), dlon)  # NEOWISE-like quadrature
    t = night_time(rng, roster, stn, day, 1.3)
    dusk_dawn = np.where(evening, -1, 1) * rng.uniform(2.2, 3.8, n) * HOUR_US
    t = np.where(sweet & ~space, night_time(rng, roster, stn, day, 0.01) + dusk_dawn.astype("int64"), t)
    t = np.minimum(t, now_us - 2 * DAY_US)
    t = (t // MS_US) * MS_US
    year = t.astype("datetime64[us]").astype("datetime64[Y]").astype("int64") + 1970
    sun_lon = sun_position(julian_date(t.astype("datetime64[us]"))).lon
    lat = rng.normal(0, 11, n)
    lat = np.clip(np.where(rng.random(n) < 0.1, rng.normal(0, 35, n), lat), -80, 80)
    ra, dec = equatorial_from_ecliptic(np.mod(sun_lon + dlon, 360.0), lat)
    h = sample_h(rng, year) if neo else np.round(rng.uniform(14.0, 19.5, n), 2)
    log_rate = -0.15 + 0.13 * (h - 22.0) + rng.normal(0, 0.3, n)
    rate = np.clip(10**log_rate, 0.05, 40.0) if neo else rng.uniform(0.15, 0.35, n)
    limit = np.interp(year, *zip(*LIMITING_V, strict=True))
    limit = limit + np.array([LIMIT_OFFSET.get(c, 0.0) for c in roster.codes[stn]])
    v0 = limit - rng.exponential(0.6, n)
    orbits = sample_orbits(rng, n, neo)
    numbered_p = np.clip(0.95 - 0.045 * (year - 2000), 0.02, 0.95) * np.where(h < 22, 1.0, 0.45)
    numbered_p = numbered_p if neo else np.clip(numbered_p + 0.3, 0, 0.98)
    return pd.DataFrame(
        {
            **{c: orbits[c].to_numpy() for c in orbits.columns},
            "h": h,
            "h_true": h,  # the physical H behind brightness and follow-up; "h" is what the catalogue says
            "t_disc": t,
            "year": year,
            "disc_stn": stn.astype("int32"),
            "ra0": ra,
            "dec0": dec,
            "rate": rate,
            "pa": rng.uniform(0, 360, n),
            "v0": v0,
            "numbered": rng.random(n) < numbered_p,
        }
    )


def first_year_us() -> int:
    """Microseconds since 1970 at the start of the first year the sky covers."""
    return int(_year_start_us(np.array([FIRST_YEAR]))[0])
