"""Sky-map geometry: RA/Dec and Hammer equal-area coordinates, reference curves, per-NEO hover text.

Both maps put right ascension increasing to the left (east left, as on the sky) with 0h/24h at
the edges and 12h in the middle. The Hammer projection is equal-area: equal sky areas get equal
map areas, so the density of points can be compared anywhere on the map (the plain RA/Dec plot
stretches the sky near the poles).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from dashboard_app.circumstances import equatorial_from_ecliptic

HAMMER = "hammer"
RA_DEC = "radec"
PROJECTIONS: tuple[str, ...] = (HAMMER, RA_DEC)
PROJECTION_LABELS: dict[str, str] = {HAMMER: "Equal-area (Hammer)", RA_DEC: "RA / Dec"}

COORD_DECIMALS = 3
"""RA/Dec shown and downloaded to 0.001° (3.6″): finer than the tracklet means mean, and a third of the bytes."""
MAP_DECIMALS = 4
HAMMER_X_MAX = 2.0 * np.sqrt(2.0)
HAMMER_Y_MAX = np.sqrt(2.0)
CENTRE_RA = 180.0

# The north galactic pole and the galactic longitude of the north celestial pole, J2000
# (Hipparcos catalogue, ESA 1997, vol. 1 §1.5.3).
NGP_RA = 192.85948
NGP_DEC = 27.12825
L_NCP = 122.93192

_D = np.pi / 180.0


def hammer(ra: np.ndarray, dec: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Hammer equal-area map coordinates of RA/Dec (deg): x in ±2√2 (RA increasing to the left), y in ±√2.

    RA 0 is the right edge and RA 360 the left edge (curves drawn 0h → 24h end on the left).
    """
    ra = np.asarray(ra, "float64")
    wrapped = np.mod(ra, 360.0)
    ra = np.where((wrapped == 0.0) & (ra > 0.0), 360.0, wrapped)
    lam = (ra - CENTRE_RA) * _D
    phi = np.asarray(dec, "float64") * _D
    z = np.sqrt(1.0 + np.cos(phi) * np.cos(lam / 2.0))
    x = 2.0 * np.sqrt(2.0) * np.cos(phi) * np.sin(lam / 2.0) / z
    y = np.sqrt(2.0) * np.sin(phi) / z
    return -x, y


def inverse_hammer(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """RA/Dec (deg) of Hammer map coordinates (the inverse of :func:`hammer`; tests use it)."""
    x = -np.asarray(x, "float64")
    y = np.asarray(y, "float64")
    z = np.sqrt(1.0 - (x / 4.0) ** 2 - (y / 2.0) ** 2)
    lam = 2.0 * np.arctan2(z * x, 2.0 * (2.0 * z**2 - 1.0))
    dec = np.arcsin(np.clip(z * y, -1.0, 1.0)) / _D
    return np.mod(lam / _D + CENTRE_RA, 360.0), dec


def galactic_to_equatorial(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """J2000 RA/Dec (deg) of galactic longitude and latitude (deg)."""
    dl = L_NCP * _D - np.asarray(lon, "float64") * _D
    b = np.asarray(lat, "float64") * _D
    dp, ap = NGP_DEC * _D, NGP_RA * _D
    sin_dec = np.sin(dp) * np.sin(b) + np.cos(dp) * np.cos(b) * np.cos(dl)
    y = np.cos(b) * np.sin(dl)
    x = np.cos(dp) * np.sin(b) - np.sin(dp) * np.cos(b) * np.cos(dl)
    ra = np.mod((ap + np.arctan2(y, x)) / _D, 360.0)
    return ra, np.arcsin(np.clip(sin_dec, -1.0, 1.0)) / _D


def ecliptic_curve(step: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """RA/Dec (deg) along the J2000 ecliptic, every ``step`` degrees of longitude."""
    return equatorial_from_ecliptic(np.arange(0.0, 360.0 + step / 2, step), 0.0)


def galactic_plane_curve(step: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """RA/Dec (deg) along the galactic equator (b = 0), every ``step`` degrees of longitude."""
    return galactic_to_equatorial(np.arange(0.0, 360.0 + step / 2, step), 0.0)


def map_xy(ra: np.ndarray, dec: np.ndarray, projection: str) -> tuple[np.ndarray, np.ndarray]:
    """Chart coordinates of RA/Dec for a projection (RA/Dec: x is RA itself, on a reversed axis)."""
    if projection == HAMMER:
        return hammer(ra, dec)
    if projection == RA_DEC:
        return np.asarray(ra, "float64"), np.asarray(dec, "float64")
    raise ValueError(f"unknown projection {projection!r}")


def broken_line(ra: np.ndarray, dec: np.ndarray, projection: str) -> tuple[list, list]:
    """A curve as chart x/y lists with ``None`` where it wraps across 0h/24h, so no line crosses the map."""
    ra = np.asarray(ra, "float64")
    x, y = map_xy(ra, dec, projection)
    wraps = np.flatnonzero(np.abs(np.diff(ra)) > 180.0) + 1
    gap = np.array(None, dtype=object)  # None as an array: numpy's ArrayLike type has no None
    xs = np.insert(np.round(x, MAP_DECIMALS).astype(object), wraps, gap)
    ys = np.insert(np.round(y, MAP_DECIMALS).astype(object), wraps, gap)
    return xs.tolist(), ys.tolist()


def graticule(projection: str, ra_step: float = 30.0, dec_step: float = 30.0) -> tuple[list, list]:
    """Hammer grid: meridians every ``ra_step`` (the 0h meridian at both edges) and parallels, ``None``-separated."""
    xs: list = []
    ys: list = []
    dec = np.linspace(-90.0, 90.0, 61)
    for ra in [*np.arange(ra_step, 360.0, ra_step), 1e-9, 360.0 - 1e-9]:
        x, y = map_xy(np.full_like(dec, ra), dec, projection)
        xs += [*np.round(x, MAP_DECIMALS).tolist(), None]
        ys += [*np.round(y, MAP_DECIMALS).tolist(), None]
    ra_line = np.linspace(1e-9, 360.0 - 1e-9, 121)
    for d in np.arange(-90.0 + dec_step, 90.0, dec_step):
        x, y = map_xy(ra_line, np.full_like(ra_line, d), projection)
        xs += [*np.round(x, MAP_DECIMALS).tolist(), None]
        ys += [*np.round(y, MAP_DECIMALS).tolist(), None]
    return xs, ys


@dataclass(frozen=True)
class SkyColumns:
    """Per-NEO sky-map arrays, computed once per snapshot: designation, date, station, V, position, hover text.

    ``ra``/``dec`` rounded to :data:`COORD_DECIMALS` (RA in [0, 360): 359.9996 becomes 0.0);
    ``hammer_x``/``hammer_y`` from those rounded values.
    """

    designation: np.ndarray
    disc_date: np.ndarray
    station: np.ndarray
    v: np.ndarray
    ra: np.ndarray
    dec: np.ndarray
    hammer_x: np.ndarray
    hammer_y: np.ndarray
    hover: np.ndarray


def designations(discoveries: pd.DataFrame) -> np.ndarray:
    """Display designation per NEO: ``(number) provisional`` when numbered, else the provisional designation."""
    provid = discoveries["provid"].astype(str).to_numpy(dtype=object)
    permid = discoveries["permid"].astype(object).where(discoveries["permid"].notna(), None).to_numpy()
    numbered = np.array([p is not None and str(p) != "" for p in permid], dtype=bool)
    out = provid.copy()
    if numbered.any():
        out[numbered] = [f"({p}) {d}" for p, d in zip(permid[numbered], provid[numbered], strict=True)]
    return out


def sky_columns(discoveries: pd.DataFrame) -> SkyColumns:
    """Extract :class:`SkyColumns` from a ``discoveries`` frame (string or categorical text columns)."""
    times = pd.to_datetime(discoveries["disc_time"], utc=True, format="ISO8601")
    date = np.datetime_as_string(times.dt.tz_convert(None).to_numpy().astype("datetime64[D]"), unit="D")
    station = discoveries["disc_stn"].astype(str).to_numpy(dtype=object)
    v = np.round(discoveries["trk_v_mag"].to_numpy(dtype="float64", na_value=np.nan), 2)
    ra = np.mod(np.round(discoveries["trk_ra"].to_numpy(dtype="float64", na_value=np.nan), COORD_DECIMALS), 360.0)
    dec = np.round(discoveries["trk_dec"].to_numpy(dtype="float64", na_value=np.nan), COORD_DECIMALS)
    hx, hy = hammer(ra, dec)
    name = designations(discoveries)
    v_text = np.where(np.isfinite(v), np.char.mod("V %.1f", np.nan_to_num(v)), "V unknown")
    # One line, ASCII only, no "<br>": the JSON encoders escape "<" (and stdlib json any non-ASCII) into six bytes
    hover = (
        pd.Series(name, dtype=object)
        + ": "
        + pd.Series(date.astype(object))
        + ", "
        + pd.Series(station)
        + ", "
        + pd.Series(v_text.astype(object))
    )
    return SkyColumns(
        designation=name,
        disc_date=date.astype(object),
        station=station,
        v=v,
        ra=ra,
        dec=dec,
        hammer_x=np.round(hx, MAP_DECIMALS),
        hammer_y=np.round(hy, MAP_DECIMALS),
        hover=hover.to_numpy(dtype=object),
    )
