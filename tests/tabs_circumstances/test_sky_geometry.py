"""The sky map's geometry: the Hammer projection, reference curves and their breaks at 0h/24h."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from dashboard_app.analysis import sky_map as sm


def test_hammer_puts_12h_in_the_middle_and_ra_increasing_to_the_left():
    x, y = sm.hammer(np.array([180.0, 90.0, 270.0, 0.001, 359.999]), np.zeros(5))
    assert x[0] == pytest.approx(0.0) and y[0] == pytest.approx(0.0)
    assert x[1] > 0 > x[2]  # 6h right of centre, 18h left of it
    assert x[3] == pytest.approx(sm.HAMMER_X_MAX, abs=1e-4)  # 0h at the right edge …
    assert x[4] == pytest.approx(-sm.HAMMER_X_MAX, abs=1e-4)  # … and 24h at the left edge
    _, pole = sm.hammer(np.array([123.0]), np.array([90.0]))
    assert pole[0] == pytest.approx(sm.HAMMER_Y_MAX)


def test_hammer_inverts_exactly():
    rng = np.random.default_rng(1)
    ra, dec = rng.uniform(0, 360, 500), np.degrees(np.arcsin(rng.uniform(-0.999, 0.999, 500)))
    back_ra, back_dec = sm.inverse_hammer(*sm.hammer(ra, dec))
    assert np.allclose(back_dec, dec, atol=1e-9)
    assert np.allclose(np.mod(back_ra - ra + 180, 360) - 180, 0, atol=1e-9)


def test_hammer_is_equal_area():
    """Map area per unit of sky area (Jacobian w.r.t. RA in radians and sin Dec) is 1 everywhere."""
    rng = np.random.default_rng(2)
    ra, sin_dec = rng.uniform(5, 355, 300), rng.uniform(-0.98, 0.98, 300)
    h = 1e-6

    def xy(r, s):
        return np.array(sm.hammer(r, np.degrees(np.arcsin(s))))

    d_ra = (xy(ra + np.degrees(h), sin_dec) - xy(ra - np.degrees(h), sin_dec)) / (2 * h)
    d_s = (xy(ra, sin_dec + h) - xy(ra, sin_dec - h)) / (2 * h)
    jacobian = np.abs(d_ra[0] * d_s[1] - d_ra[1] * d_s[0])
    assert np.allclose(jacobian, 1.0, atol=1e-5)


def test_galactic_reference_points():
    ra, dec = sm.galactic_to_equatorial(np.array([0.0, 0.0]), np.array([0.0, 90.0]))
    assert ra[0] == pytest.approx(266.405, abs=0.001) and dec[0] == pytest.approx(-28.936, abs=0.001)  # Galactic centre
    assert ra[1] == pytest.approx(sm.NGP_RA) and dec[1] == pytest.approx(sm.NGP_DEC)


def test_ecliptic_reaches_the_obliquity_at_6h():
    ra, dec = sm.ecliptic_curve(step=90.0)
    assert ra[1] == pytest.approx(90.0) and dec[1] == pytest.approx(23.4393, abs=1e-4)
    assert np.allclose(dec[[0, 2, 4]], 0.0, atol=1e-9)


@pytest.mark.parametrize("projection", sm.PROJECTIONS)
@pytest.mark.parametrize(
    ("curve", "breaks"),
    [(sm.ecliptic_curve, 0), (sm.galactic_plane_curve, 1)],  # the ecliptic runs 0h → 24h; the plane crosses 0h
)
def test_reference_curves_break_where_they_wrap_and_never_cross_the_map(projection, curve, breaks):
    xs, ys = sm.broken_line(*curve(), projection)
    assert xs.count(None) == ys.count(None) == breaks
    assert [i for i, v in enumerate(xs) if v is None] == [i for i, v in enumerate(ys) if v is None]
    width = 360.0 if projection == sm.RA_DEC else 2 * sm.HAMMER_X_MAX
    steps = [abs(b - a) for a, b in itertools.pairwise(xs) if a is not None and b is not None]
    assert max(steps) < 0.05 * width
