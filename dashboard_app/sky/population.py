"""The synthetic objects: NEOs, other minor planets and unlinked tracklets' objects.

Every object gets an orbit, an absolute magnitude, a discovery station and
time, and a uniform great-circle motion on the sky (position, rate, position
angle and brightness at discovery) from which all its observations follow.
Shapes follow the published history: a NEO's discovery year and H come from the
completeness model of :mod:`~dashboard_app.sky.history` (the model population
times the completeness gained that year, fitted to the yearly discovery counts),
its station from the stations active that year in proportion to their
2026-03-29 discovery counts (:func:`station_year_weights`); discovery positions
near opposition and the ecliptic (some in the twilight "sweet spots"), few
discoveries near full Moon.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd

from dashboard_app.circumstances import equatorial_from_ecliptic, julian_date, moon_illuminated_fraction, sun_position
from dashboard_app.sky import history
from dashboard_app.sky.roster import FIRST_YEAR, YEARS, Roster
from dashboard_app.sky.roster import roster as roster_of

DAY_US = 86_400_000_000
HOUR_US = 3_600_000_000
MS_US = 1_000

# Year → typical limiting V of a discovery survey; offsets per station.
LIMITING_V = ((1950, 16.0), (1990, 19.0), (2000, 19.8), (2010, 21.0), (2020, 21.7), (2026, 22.0))
LIMIT_OFFSET = {"F51": 0.7, "F52": 0.7, "W84": 1.6, "X05": 2.5, "I41": 0.3, "T05": -2.2, "T08": -2.2, "W68": -2.2}
LIMIT_OFFSET.update({"M22": -2.2, "R17": -2.2, "704": -0.5})
SWEET_SPOT_FRACTION = 0.18
FULL_MOON_AVOIDANCE = 0.9  # chance that a discovery night with the Moon > 90 % lit is moved (each of 3 rounds)


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


def _year_edges(now_us: int) -> np.ndarray:
    """Decimal-year edges of the roster's years, the last one ending at ``now_us``."""
    edges = np.concatenate([YEARS, [YEARS[-1] + 1]]).astype("float64")
    edges[-1] = min(edges[-1], float(history.decimal_year(now_us)))
    return edges


@cache
def station_year_weights(now_us: int) -> np.ndarray:
    """Expected NEO discoveries per (station, year): each station's 2026-03-29 total spread over its era.

    Iterative proportional fitting of the roster's activity profiles so that the rows sum to
    each station's discovery count and the columns to the model's discoveries per year: a
    station keeps its era's shape, scaled by how busy the whole field was that year.
    """
    r = roster_of()
    years = history.expected_discoveries(_year_edges(now_us)).sum(axis=1)
    weights = r.discovery_weight[:, None] * r.activity
    active = weights.sum(axis=1) > 0
    weights *= years.sum() / weights.sum()
    for _ in range(200):
        col = weights.sum(axis=0)
        weights *= np.divide(years, col, out=np.ones_like(col), where=col > 0)[None, :]
        row = weights.sum(axis=1)
        target = r.discovery_weight * years.sum() / r.discovery_weight.sum()
        weights[active] *= (target[active] / row[active])[:, None]
    return weights


def _allocate(rng: np.random.Generator, weights: np.ndarray, n: int) -> np.ndarray:
    """Integer counts summing to ``n`` in proportion to ``weights``: each its share rounded down, the
    remainder to entries drawn (without replacement) by their fractional parts."""
    share = weights / weights.sum() * n
    counts = np.floor(share).astype("int64")
    rest = n - int(counts.sum())
    if rest:
        frac = share - counts
        counts[rng.choice(len(share), size=rest, replace=False, p=frac / frac.sum())] += 1
    return counts


def sample_neo_years_and_h(rng: np.random.Generator, n: int, now_us: int) -> tuple[np.ndarray, np.ndarray]:
    """(discovery year, H with 2 decimals) of ``n`` NEOs, H uniform within its bin.

    Stratified: every H bin gets its expected share of ``n`` and each bin's count is spread over
    the years by the completeness gained in each, so even the few large objects follow the model,
    not a random draw's luck.
    """
    expected = history.expected_discoveries(_year_edges(now_us))  # (year, bin)
    per_bin = _allocate(rng, expected.sum(axis=0), n)
    years, bins = [np.zeros(0, "int64")], [np.zeros(0, "int64")]
    for bin_index, count in enumerate(per_bin):
        if count:
            per_year = _allocate(rng, expected[:, bin_index], int(count))
            years.append(np.repeat(np.arange(len(per_year)), per_year))
            bins.append(np.full(count, bin_index))
    order = rng.permutation(n)
    year_idx, b = np.concatenate(years)[order], np.concatenate(bins)[order]
    lo, hi, _ = history.h_bins()
    h = np.minimum(np.round(lo[b] + rng.random(n) * (hi[b] - lo[b]), 2), np.round(hi[b] - 0.01, 2))
    return YEARS[year_idx], h


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


def _stations_for_years(rng: np.random.Generator, weights: np.ndarray, years: np.ndarray) -> np.ndarray:
    """A station per discovery year, drawn with that year's column of ``weights`` (station × year)."""
    stn = np.zeros(len(years), dtype="int64")
    for y in np.unique(years):
        rows = np.flatnonzero(years == y)
        column = weights[:, y - YEARS[0]]
        stn[rows] = rng.choice(len(column), size=len(rows), p=column / column.sum())
    return stn


def discovery_objects(rng: np.random.Generator, roster: Roster, n: int, now_us: int, neo: bool = True) -> pd.DataFrame:
    """``n`` discovered objects: station, time, orbit, H, number-to-be and motion at discovery.

    NEOs follow the discovery history (year and H from the completeness model, then a station
    active that year); other objects take a station by its discovery count and a year of its era.
    """
    if neo:
        year, h_catalogue = sample_neo_years_and_h(rng, n, now_us)
        stn = _stations_for_years(rng, station_year_weights(now_us), year)
    else:
        stn = rng.choice(len(roster.codes), size=n, p=roster.discovery_weight / roster.discovery_weight.sum())
        year = YEARS[_sample_rows(rng, roster.activity * _year_coverage(now_us)[None, :], stn)]
        h_catalogue = np.round(rng.uniform(14.0, 19.5, n), 2)
    start = _year_start_us(year)
    end = np.minimum(_year_start_us(year + 1), now_us - 3 * DAY_US)
    day = start + (rng.random(n) * (end - start)).astype("int64")
    for _ in range(3):  # surveys pause around full Moon
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
    dusk_dawn = np.where(evening, -1, 1) * rng.uniform(2.2, 3.5, n) * HOUR_US
    t = np.where(sweet & ~space, night_time(rng, roster, stn, day, 0.01) + dusk_dawn.astype("int64"), t)
    t = np.minimum(t, now_us - 2 * DAY_US)
    t = (t // MS_US) * MS_US
    year = t.astype("datetime64[us]").astype("datetime64[Y]").astype("int64") + 1970
    sun_lon = sun_position(julian_date(t.astype("datetime64[us]"))).lon
    lat = rng.normal(0, 11, n)
    lat = np.clip(np.where(rng.random(n) < 0.1, rng.normal(0, 35, n), lat), -80, 80)
    ra, dec = equatorial_from_ecliptic(np.mod(sun_lon + dlon, 360.0), lat)
    h = h_catalogue
    log_rate = -0.15 + 0.13 * (h - 22.0) + rng.normal(0, 0.3, n)
    rate = np.clip(10**log_rate, 0.05, 40.0) if neo else rng.uniform(0.15, 0.35, n)
    limit_years, limit_v = zip(*LIMITING_V, strict=True)
    limit = np.interp(year, limit_years, limit_v)
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
