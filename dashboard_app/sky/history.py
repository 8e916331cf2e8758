"""NEO discovery history the synthetic sky follows: cumulative discoveries through time.

The generator draws each NEO's discovery year and absolute magnitude from a
completeness model ``C(H, t)`` (fraction of the model population of
``reference.population_model()`` discovered by time ``t``): a logistic in H with a
bright-end ceiling, whose 50 % point ``H50(t)`` is solved so that the model
population times ``C`` equals the known number of discoveries at each date below.
So the yearly totals, the 1 km and 140 m completeness and their growth follow
the published history by construction, within the model's own shape.

Sources of :data:`CUMULATIVE_DISCOVERIES`:

- 1950–2022: CNEOS *Discovery Statistics*, cumulative near-Earth asteroids at year
  end (cneos.jpl.nasa.gov/stats/totals.html, as republished in Our World in Data's
  dataset "Near-Earth asteroids discovered over time"), e.g. 880 at the end of
  2000, 7,493 (2010), 24,475 (2020), 31,013 (2022); of them ≥ 1 km: 858 and
  140 m–1 km: 9,499 at the end of 2022 (:data:`CNEOS_2022`).
- 2023–2025: the MPC YearlyBreakdown of 2026-03-29 (40,988 in total, 801 of them in
  2026; ``../shared/reference/validation_figures.md`` table D-2 and the reference
  repository's ``YB_26Mar29.md``), the 9,174 discoveries of 2023–2025 spread evenly.
- 2026-03-29: 40,988 (YearlyBreakdown). The sky uses the database's q ≤ 1.30 count
  (41,516, table A), so :func:`cumulative` scales every figure by 41,516 / 40,988.
"""

from __future__ import annotations

from functools import cache

import numpy as np
from scipy.optimize import brentq

from dashboard_app import reference

CUMULATIVE_DISCOVERIES: tuple[tuple[float, float], ...] = (
    (1950.0, 12), (1951.0, 13), (1961.0, 20), (1971.0, 27), (1981.0, 51), (1991.0, 134),
    (2001.0, 880), (2002.0, 1243), (2003.0, 1684), (2004.0, 2172), (2005.0, 2613), (2006.0, 3151),
    (2007.0, 3782), (2008.0, 4422), (2009.0, 5072), (2010.0, 5876), (2011.0, 7493), (2012.0, 8419),
    (2013.0, 9381), (2014.0, 10421), (2015.0, 11880), (2016.0, 13358), (2017.0, 15326), (2018.0, 17294),
    (2019.0, 19184), (2020.0, 21580), (2021.0, 24475), (2022.0, 27679), (2023.0, 31013),
    (2024.0, 34071), (2025.0, 37129), (2026.0, 40187), (2026.24, 40988),
)  # fmt: skip
"""(time as a decimal year, NEAs discovered before it): e.g. (2011.0, 7493) = by the end of 2010."""

DATABASE_TOTAL = 41516
"""NEOs by the database's q ≤ 1.30 definition on 2026-03-29 (table A): the sky's total at scale 1."""
DATABASE_FACTOR = DATABASE_TOTAL / 40988
"""The database definition runs ~1.3 % over the YearlyBreakdown's: :func:`cumulative` scales by it."""

CNEOS_2022 = {"total": 31013, "km": 858, "m140": 10357}
"""CNEOS cumulative counts at the end of 2022: all NEAs, ≥ 1 km (H ≤ 17.75), ≥ 140 m (H ≤ 22)."""
YEARLY_BREAKDOWN_2026 = {"total": 40988, "h_lt_22": 11611, "km": 922}
"""MPC YearlyBreakdown, 2026-03-29: all NEOs, H < 22, and its "1km+" column."""

COMPLETENESS_WIDTH = 0.9
"""Width (mag) of the logistic completeness in H."""
COMPLETENESS_CEILING = 0.95
"""Completeness of the brightest objects: some large NEOs stay on orbits surveys rarely see."""


def decimal_year(us: np.ndarray | int) -> np.ndarray:
    """Decimal years (2024.5 = mid-2024) from microseconds since 1970, UTC."""
    t = np.asarray(us, "int64").astype("datetime64[us]")
    year = t.astype("datetime64[Y]")
    start = year.astype("datetime64[us]").astype("int64")
    end = (year + 1).astype("datetime64[us]").astype("int64")
    return year.astype("int64") + 1970 + (np.asarray(us, "int64") - start) / (end - start)


def cumulative(years: np.ndarray) -> np.ndarray:
    """NEOs (database definition) discovered before each decimal year (linear between the tabulated dates)."""
    xs, ys = zip(*CUMULATIVE_DISCOVERIES, strict=True)
    return np.interp(years, xs, ys) * DATABASE_FACTOR


_SUB_BINS = 10
"""Each half-magnitude bin is integrated over this many sub-bins."""


@cache
def h_bins() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(low edges, high edges, model counts) of the H bins, with N(H < 15.25) ≈ 69 as one bin from 13."""
    model = reference.population_model()
    lo = np.concatenate([[13.0], model["h_low"].to_numpy("float64")])
    hi = np.concatenate([[model["h_low"].iloc[0]], model["h_high"].to_numpy("float64")])
    n = np.concatenate([[69.0], model["n_model_in_bin"].to_numpy("float64")])
    return lo, hi, n


@cache
def _grid() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(H, model count, bin index) of every sub-bin."""
    lo, hi, n = h_bins()
    frac = (np.arange(_SUB_BINS) + 0.5) / _SUB_BINS
    h = (lo[:, None] + (hi - lo)[:, None] * frac[None, :]).ravel()
    return h, np.repeat(n / _SUB_BINS, _SUB_BINS), np.repeat(np.arange(len(n)), _SUB_BINS)


def _logistic(h: np.ndarray, h50: np.ndarray) -> np.ndarray:
    return COMPLETENESS_CEILING / (
        1.0 + np.exp((np.asarray(h)[None, :] - np.asarray(h50)[:, None]) / COMPLETENESS_WIDTH)
    )


@cache
def _h50_knots() -> tuple[np.ndarray, np.ndarray]:
    """H50 at every tabulated date, solved so that the model population × C equals the discoveries then."""
    h, n, _ = _grid()
    times = np.array([t for t, _ in CUMULATIVE_DISCOVERIES])
    found = cumulative(times)
    h50 = [brentq(lambda x, k=k: float((n * _logistic(h, np.array([x]))[0]).sum()) - k, 0.0, 40.0) for k in found]
    return times, np.array(h50)


def h50(years: np.ndarray) -> np.ndarray:
    """H at which the catalogue is half its ceiling complete, at decimal ``years`` (linear between dates)."""
    return np.interp(years, *_h50_knots())


def completeness(h: np.ndarray, years: np.ndarray) -> np.ndarray:
    """Model catalogue completeness (0..ceiling) at absolute magnitudes ``h`` (columns) at decimal ``years`` (rows)."""
    return _logistic(h, h50(np.asarray(years, "float64")))


def expected_discoveries(edges: np.ndarray) -> np.ndarray:
    """Expected discoveries per (period, H bin) at scale 1 between consecutive decimal-year ``edges``.

    The first period also takes everything discovered before it (the sky starts there).
    """
    h, n, b = _grid()
    c = completeness(h, edges) * n[None, :]
    gained = np.diff(c, axis=0)
    gained[0] += c[0]
    out = np.zeros((len(edges) - 1, len(h_bins()[2])))
    for period in range(len(edges) - 1):
        out[period] = np.bincount(b, weights=np.maximum(gained[period], 0.0), minlength=out.shape[1])
    return out
