"""The Sun/Moon almanac against published values (Meeus, Astronomical Algorithms, 2nd ed.)."""

import numpy as np
import pytest

from dashboard_app import circumstances as c
from dashboard_app.definitions import ALMANAC_ACCURACY_DEG


def jd(*iso: str) -> np.ndarray:
    return c.julian_date(np.array(iso, dtype="datetime64[us]"))


def test_julian_date_of_the_j2000_epoch_and_meeus_example_7a():
    assert jd("2000-01-01T12:00")[0] == pytest.approx(2451545.0)
    assert jd("1957-10-04T19:26:24")[0] == pytest.approx(2436116.31, abs=1e-6)


def test_sun_matches_meeus_example_25a_1992_october_13():
    sun = c.sun_position(2448908.5)
    assert sun.lon_of_date == pytest.approx(199.90895, abs=0.001)
    assert sun.ra_of_date == pytest.approx(198.38083, abs=0.001)
    assert sun.dec_of_date == pytest.approx(-7.78507, abs=0.001)
    assert sun.distance_au == pytest.approx(0.99766, abs=1e-5)


def test_sun_declination_at_the_2024_june_solstice_and_march_equinox():
    sun = c.sun_position(jd("2024-06-20T20:51", "2024-03-20T03:06"))
    assert sun.dec_of_date[0] == pytest.approx(23.4386, abs=0.01)
    assert sun.dec_of_date[1] == pytest.approx(0.0, abs=0.01)


def test_moon_matches_meeus_example_47a_within_the_low_precision_accuracy():
    moon = c.moon_position(2448724.5)
    assert moon.lon_of_date == pytest.approx(133.162655, abs=0.3)
    assert moon.lat_of_date == pytest.approx(-3.229126, abs=0.2)
    assert moon.distance_km == pytest.approx(368409.7, rel=0.005)


def test_moon_illuminated_fraction_matches_example_48a_and_known_full_and_new_moons():
    assert c.moon_illuminated_fraction(2448724.5) == pytest.approx(0.6786, abs=0.005)
    full, new = c.moon_illuminated_fraction(jd("2024-09-18T02:34", "2024-10-02T18:49"))
    assert full > 0.995
    assert new < 0.005


def test_sidereal_time_matches_meeus_example_12a():
    assert c.greenwich_mean_sidereal_time(2446895.5) == pytest.approx(197.693195, abs=1e-5)


def test_sun_altitude_at_local_noon_on_the_equinox_is_ninety_minus_latitude():
    # Greenwich, latitude 51.48° (geocentric ≈ 51.29°): noon altitude ≈ 38.7°.
    rc, rs = 0.62411, 0.77873  # MPC parallax constants of code 000
    alt = c.sun_altitude(jd("2024-03-20T12:07"), 0.0, rc, rs)
    lat = np.degrees(np.arctan2(rs, rc))
    assert alt[0] == pytest.approx(90.0 - lat, abs=0.3)
    midnight = c.sun_altitude(jd("2024-03-20T00:07"), 0.0, rc, rs)
    assert midnight[0] == pytest.approx(-(90.0 - lat), abs=0.3)


def test_signed_elongation_is_positive_east_of_the_sun_and_180_at_opposition():
    t = jd("2024-03-20T03:06")
    sun = c.sun_position(t)
    east = c.equatorial_from_ecliptic(sun.lon + 60.0, 0.0)
    west = c.equatorial_from_ecliptic(sun.lon - 60.0, 0.0)
    opposite = c.equatorial_from_ecliptic(sun.lon + 180.0, 0.0)
    assert c.signed_solar_elongation(t, *east)[0] == pytest.approx(60.0, abs=ALMANAC_ACCURACY_DEG)
    assert c.signed_solar_elongation(t, *west)[0] == pytest.approx(-60.0, abs=ALMANAC_ACCURACY_DEG)
    assert abs(c.signed_solar_elongation(t, *opposite)[0]) == pytest.approx(180.0, abs=ALMANAC_ACCURACY_DEG)


def test_twilight_classes_follow_the_definitions_and_name_space_and_unknown_sites():
    alt = np.array([-30.0, -18.0, -12.5, -6.0, -0.1, 0.0, np.nan, np.nan])
    ground = np.array([True] * 6 + [False, False])
    known = np.array([True] * 7 + [False])
    assert c.twilight_classes(alt, ground, known).tolist() == [
        "night", "astronomical", "astronomical", "civil", "civil", "day", "space", "unknown",
    ]  # fmt: skip


def test_ground_site_needs_all_three_coordinates_and_a_nonzero_parallax():
    got = c.has_ground_site([10.0, np.nan, 0.0, 0.0], [0.8, 0.8, 0.0, 0.9], [0.5, 0.5, 0.0, np.nan])
    assert got.tolist() == [True, False, False, False]


def test_great_circle_helpers_agree_with_each_other():
    ra, dec = c.offset_position(10.0, 20.0, 45.0, 3.0)
    assert c.angular_separation(10.0, 20.0, ra, dec) == pytest.approx(3.0, abs=1e-9)
    assert c.position_angle(10.0, 20.0, ra, dec) == pytest.approx(45.0, abs=1e-9)


def test_julian_date_accepts_aware_and_naive_timestamps_alike():
    import pandas as pd

    naive = pd.Series(pd.to_datetime(["2024-03-20T03:06:00"]))
    aware = pd.Series(pd.to_datetime(["2024-03-20T05:06:00+02:00"]))
    assert c.julian_date(naive)[0] == c.julian_date(aware)[0] == jd("2024-03-20T03:06")[0]
