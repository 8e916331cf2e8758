"""Discovery circumstances: a vectorised low-precision Sun and Moon almanac.

Shared by the exporter and the synthetic sky so both compute circumstances the
same way. All functions take numpy arrays (or scalars) and broadcast.

Formulae and accuracy:
- Sun: Meeus, *Astronomical Algorithms* (2nd ed.), chapter 25 "low accuracy"
  (geometric longitude good to 0.01°), with nutation in longitude and
  aberration; J2000 positions by Meeus eq. 25.9 (−0.01397° per year).
- Moon: the Astronomical Almanac's low-precision series (section D), good to
  about 0.3° in longitude and 0.2° in latitude; geocentric (no topocentric
  parallax, which can reach 1°); referred to J2000 by removing general
  precession in longitude (1.3970° per century).
- Time: UTC is used as TT (ΔT ≈ 70 s moves the Sun 0.001° and the Moon 0.01°).
- Sun altitude: geometric (no refraction), from Greenwich mean sidereal time
  (Meeus eq. 12.4), the station's east longitude and its geocentric latitude
  atan2(ρ sin φ′, ρ cos φ′) (differs from geodetic latitude by ≤ 0.19°).
Object positions are astrometric J2000 right ascension and declination.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from dashboard_app.definitions import TWILIGHT_CLASSES, TWILIGHT_SPACE, TWILIGHT_UNKNOWN

J2000_JD = 2451545.0
UNIX_EPOCH_JD = 2440587.5
OBLIQUITY_J2000_DEG = 23.4392911
AU_KM = 149_597_870.7
EARTH_RADIUS_KM = 6378.14
PRECESSION_DEG_PER_CENTURY = 1.396971

_D = np.pi / 180.0


def julian_date(times) -> np.ndarray:
    """Julian date (UTC taken as TT) of a datetime64 array, a Series/Index or datetimes (aware: any zone)."""
    if not isinstance(times, np.ndarray):
        times = pd.DatetimeIndex(pd.to_datetime(times, utc=True)).tz_convert(None).to_numpy()
    us = np.asarray(times).astype("datetime64[us]").astype("int64")
    return UNIX_EPOCH_JD + us / 86_400e6


def _centuries(jd) -> np.ndarray:
    return (np.asarray(jd, dtype="float64") - J2000_JD) / 36525.0


def _ecliptic_to_equatorial(lon_deg, lat_deg, obliquity_deg) -> tuple[np.ndarray, np.ndarray]:
    lon, lat, eps = lon_deg * _D, lat_deg * _D, obliquity_deg * _D
    ra = np.arctan2(np.sin(lon) * np.cos(eps) - np.tan(lat) * np.sin(eps), np.cos(lon))
    dec = np.arcsin(np.sin(lat) * np.cos(eps) + np.cos(lat) * np.sin(eps) * np.sin(lon))
    return np.mod(ra / _D, 360.0), dec / _D


def _equatorial_to_ecliptic_lon(ra_deg, dec_deg, obliquity_deg=OBLIQUITY_J2000_DEG) -> np.ndarray:
    ra, dec, eps = np.asarray(ra_deg) * _D, np.asarray(dec_deg) * _D, obliquity_deg * _D
    lon = np.arctan2(np.sin(ra) * np.cos(eps) + np.tan(dec) * np.sin(eps), np.cos(ra))
    return np.mod(lon / _D, 360.0)


def equatorial_from_ecliptic(lon_deg, lat_deg) -> tuple[np.ndarray, np.ndarray]:
    """J2000 right ascension and declination (deg) of J2000 ecliptic longitude and latitude (deg)."""
    return _ecliptic_to_equatorial(np.asarray(lon_deg, "float64"), np.asarray(lat_deg, "float64"), OBLIQUITY_J2000_DEG)


def _mean_obliquity(t) -> np.ndarray:
    return 23.0 + 26.0 / 60 + (21.448 - 46.8150 * t - 0.00059 * t**2 + 0.001813 * t**3) / 3600.0


@dataclass(frozen=True)
class SunPosition:
    """Geocentric Sun: J2000 RA/Dec and ecliptic longitude, apparent RA/Dec of date, distance (au)."""

    ra: np.ndarray
    dec: np.ndarray
    lon: np.ndarray
    ra_of_date: np.ndarray
    dec_of_date: np.ndarray
    lon_of_date: np.ndarray
    distance_au: np.ndarray


def sun_position(jd) -> SunPosition:
    """The Sun at Julian date(s) ``jd`` (Meeus ch. 25, low accuracy)."""
    t = _centuries(jd)
    l0 = 280.46646 + 36000.76983 * t + 0.0003032 * t**2
    m = (357.52911 + 35999.05029 * t - 0.0001537 * t**2) * _D
    ecc = 0.016708634 - 0.000042037 * t - 0.0000001267 * t**2
    c = (
        (1.914602 - 0.004817 * t - 0.000014 * t**2) * np.sin(m)
        + (0.019993 - 0.000101 * t) * np.sin(2 * m)
        + 0.000289 * np.sin(3 * m)
    )
    true_lon = l0 + c
    nu = m + c * _D
    r = 1.000001018 * (1 - ecc**2) / (1 + ecc * np.cos(nu))
    omega = (125.04 - 1934.136 * t) * _D
    apparent = true_lon - 0.00569 - 0.00478 * np.sin(omega)
    eps = _mean_obliquity(t) + 0.00256 * np.cos(omega)
    ra_d, dec_d = _ecliptic_to_equatorial(apparent, np.zeros_like(apparent), eps)
    lon_2000 = np.mod(true_lon - 0.01397 * (100.0 * t) - 0.00569, 360.0)
    ra, dec = _ecliptic_to_equatorial(lon_2000, np.zeros_like(lon_2000), OBLIQUITY_J2000_DEG)
    return SunPosition(ra, dec, lon_2000, ra_d, dec_d, np.mod(apparent, 360.0), r)


@dataclass(frozen=True)
class MoonPosition:
    """Geocentric Moon: J2000 RA/Dec, ecliptic longitude/latitude of date, distance (km)."""

    ra: np.ndarray
    dec: np.ndarray
    lon_of_date: np.ndarray
    lat_of_date: np.ndarray
    distance_km: np.ndarray


def moon_position(jd) -> MoonPosition:
    """The Moon at Julian date(s) ``jd`` (Astronomical Almanac low-precision formulae)."""
    t = _centuries(jd)

    def s(a, b):
        return np.sin((a + b * t) * _D)

    def c(a, b):
        return np.cos((a + b * t) * _D)

    lon = (
        218.32
        + 481267.881 * t
        + 6.29 * s(135.0, 477198.87)
        - 1.27 * s(259.3, -413335.36)
        + 0.66 * s(235.7, 890534.22)
        + 0.21 * s(269.9, 954397.74)
        - 0.19 * s(357.5, 35999.05)
        - 0.11 * s(186.5, 966404.03)
    )
    lat = (
        5.13 * s(93.3, 483202.02) + 0.28 * s(228.2, 960400.89) - 0.28 * s(318.3, 6003.15) - 0.17 * s(217.6, -407332.21)
    )
    parallax = (
        0.9508
        + 0.0518 * c(135.0, 477198.87)
        + 0.0095 * c(259.3, -413335.38)
        + 0.0078 * c(235.7, 890534.22)
        + 0.0028 * c(269.9, 954397.70)
    )
    lon = np.mod(lon, 360.0)
    distance = EARTH_RADIUS_KM / np.sin(parallax * _D)
    ra, dec = _ecliptic_to_equatorial(lon - PRECESSION_DEG_PER_CENTURY * t, lat, OBLIQUITY_J2000_DEG)
    return MoonPosition(ra, dec, lon, lat, distance)


def angular_separation(ra1, dec1, ra2, dec2) -> np.ndarray:
    """Great-circle angle (deg) between two positions given in degrees (haversine-stable)."""
    ra1, dec1, ra2, dec2 = (np.asarray(x, "float64") * _D for x in (ra1, dec1, ra2, dec2))
    sdd = np.sin((dec2 - dec1) / 2)
    sda = np.sin((ra2 - ra1) / 2)
    h = sdd**2 + np.cos(dec1) * np.cos(dec2) * sda**2
    return 2 * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0))) / _D


def position_angle(ra1, dec1, ra2, dec2) -> np.ndarray:
    """Bearing (deg, 0 = north, 90 = east, in [0, 360)) from position 1 towards position 2."""
    ra1, dec1, ra2, dec2 = (np.asarray(x, "float64") * _D for x in (ra1, dec1, ra2, dec2))
    y = np.sin(ra2 - ra1) * np.cos(dec2)
    x = np.cos(dec1) * np.sin(dec2) - np.sin(dec1) * np.cos(dec2) * np.cos(ra2 - ra1)
    return np.mod(np.arctan2(y, x) / _D, 360.0)


def offset_position(ra, dec, pa, distance) -> tuple[np.ndarray, np.ndarray]:
    """Position reached from (ra, dec) by moving ``distance`` degrees along a great circle at bearing ``pa``."""
    ra, dec, pa, d = (np.asarray(x, "float64") * _D for x in (ra, dec, pa, distance))
    dec2 = np.arcsin(np.clip(np.sin(dec) * np.cos(d) + np.cos(dec) * np.sin(d) * np.cos(pa), -1.0, 1.0))
    ra2 = ra + np.arctan2(np.sin(pa) * np.sin(d) * np.cos(dec), np.cos(d) - np.sin(dec) * np.sin(dec2))
    return np.mod(ra2 / _D, 360.0), dec2 / _D


def signed_solar_elongation(jd, ra, dec) -> np.ndarray:
    """Solar elongation (deg) of J2000 positions, + east of the Sun (evening sky), − west (morning)."""
    sun = sun_position(jd)
    elong = angular_separation(sun.ra, sun.dec, ra, dec)
    east = np.mod(_equatorial_to_ecliptic_lon(ra, dec) - sun.lon, 360.0) <= 180.0
    return np.where(east, elong, -elong)


def greenwich_mean_sidereal_time(jd) -> np.ndarray:
    """Greenwich mean sidereal time (deg) at UT Julian date(s) (Meeus eq. 12.4)."""
    jd = np.asarray(jd, "float64")
    t = (jd - J2000_JD) / 36525.0
    return np.mod(280.46061837 + 360.98564736629 * (jd - J2000_JD) + 0.000387933 * t**2 - t**3 / 38_710_000.0, 360.0)


def has_ground_site(longitude, rhocosphi, rhosinphi) -> np.ndarray:
    """True where a station has usable ground coordinates (all three present, parallax not all zero)."""
    lon, rc, rs = (np.asarray(x, "float64") for x in (longitude, rhocosphi, rhosinphi))
    return ~np.isnan(lon) & ~np.isnan(rc) & ~np.isnan(rs) & ((rc != 0) | (rs != 0))


def sun_altitude(jd, longitude, rhocosphi, rhosinphi) -> np.ndarray:
    """Geometric altitude (deg) of the Sun at a station; NaN where the station has no ground site."""
    sun = sun_position(jd)
    lon = np.asarray(longitude, "float64")
    lat = np.arctan2(np.asarray(rhosinphi, "float64"), np.asarray(rhocosphi, "float64"))
    hour_angle = (greenwich_mean_sidereal_time(jd) + lon - sun.ra_of_date) * _D
    dec = sun.dec_of_date * _D
    alt = np.arcsin(np.clip(np.sin(lat) * np.sin(dec) + np.cos(lat) * np.cos(dec) * np.cos(hour_angle), -1.0, 1.0))
    return np.where(has_ground_site(longitude, rhocosphi, rhosinphi), alt / _D, np.nan)


def moon_illuminated_fraction(jd) -> np.ndarray:
    """Illuminated fraction (0..1) of the Moon's disc (Meeus eq. 48.2–48.3 with the positions above)."""
    sun, moon = sun_position(jd), moon_position(jd)
    lat = moon.lat_of_date * _D
    cos_psi = np.cos(lat) * np.cos((moon.lon_of_date - sun.lon_of_date) * _D)
    psi = np.arccos(np.clip(cos_psi, -1.0, 1.0))
    r = sun.distance_au * AU_KM
    phase = np.arctan2(r * np.sin(psi), moon.distance_km - r * np.cos(psi))
    return (1.0 + np.cos(phase)) / 2.0


def moon_elongation(jd, ra, dec) -> np.ndarray:
    """Angular distance (deg) between the geocentric Moon and J2000 positions."""
    moon = moon_position(jd)
    return angular_separation(moon.ra, moon.dec, ra, dec)


def twilight_classes(sun_alt, ground, in_obscodes) -> np.ndarray:
    """Twilight class per discovery (definitions.TWILIGHT_CLASSES; space / unknown for other sites)."""
    alt = np.asarray(sun_alt, "float64")
    conditions, labels = [], []
    for label, upper in TWILIGHT_CLASSES:
        conditions.append(alt < upper)
        labels.append(label)
    by_alt = np.select(conditions, labels, default=TWILIGHT_CLASSES[-1][0]).astype(object)
    known = np.asarray(in_obscodes, bool)
    ground = np.asarray(ground, bool)
    return np.where(~known, TWILIGHT_UNKNOWN, np.where(~ground, TWILIGHT_SPACE, by_alt)).astype(object)


def discovery_circumstances(jd, ra, dec, longitude, rhocosphi, rhosinphi, in_obscodes) -> pd.DataFrame:
    """The snapshot's circumstance columns for discoveries at ``jd`` seen at (ra, dec) from the given stations.

    Returns ``sun_elong``, ``sun_alt`` (NaN off the ground), ``twilight``, ``moon_elong``, ``moon_illum``.
    Station arguments are NaN where the station is not in ``obscodes`` (``in_obscodes`` False).
    """
    jd = np.asarray(jd, "float64")
    ground = has_ground_site(longitude, rhocosphi, rhosinphi) & np.asarray(in_obscodes, bool)
    alt = np.where(ground, sun_altitude(jd, longitude, rhocosphi, rhosinphi), np.nan)
    return pd.DataFrame(
        {
            "sun_elong": signed_solar_elongation(jd, ra, dec),
            "sun_alt": alt,
            "twilight": twilight_classes(alt, ground, in_obscodes),
            "moon_elong": moon_elongation(jd, ra, dec),
            "moon_illum": moon_illuminated_fraction(jd),
        }
    )
