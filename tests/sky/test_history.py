"""The full-scale demo sky matches NEO discovery history within stated tolerances.

Figures from ``../shared/reference/validation_figures.md`` (tables D-3, E, F) and CNEOS's
cumulative discovery statistics (``dashboard_app.sky.history``). The demo is generated at
scale 1.0 with the ``neo-explorer demo`` default seed, i.e. exactly what a newcomer sees
when they build the full demo.
"""

from __future__ import annotations

import numpy as np
import pytest

from dashboard_app.sky import generate, history
from dashboard_app.sky.demo import DEFAULT_SEED
from dashboard_app.snapshot.model import project_of

MODEL_N_LT_17_75 = 936
"""NEOMOD2 N(H < 17.75) (``reference/neo_population_model.csv``)."""
FULL_MOON_HOURS_ILLUMINATION = 0.9887
"""Illuminated fraction 24 h from full Moon ((1 + cos 12.2°) / 2): above it, within ±24 h."""

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def discoveries():
    return generate(DEFAULT_SEED, 1.0).truth["discoveries"]


def test_the_full_demo_has_the_database_s_number_of_neos(discoveries):
    assert len(discoveries) == pytest.approx(history.DATABASE_TOTAL, rel=0.01)  # 41,516 (table A, D1)


def test_one_km_completeness_is_near_90_percent_in_2022_and_higher_by_2026(discoveries):
    """Table E: NEOMOD2 91 ± 4 % and Deienno et al. 88 (+3/−2) % for H < 17.75 (2022); CNEOS 858 / 936."""
    h, year = discoveries["h"], discoveries["disc_year"]
    by_2022 = ((h < 17.75) & (year <= 2022)).sum() / MODEL_N_LT_17_75
    by_2026 = (h < 17.75).sum() / MODEL_N_LT_17_75
    assert 0.87 <= by_2022 <= 0.95
    assert by_2022 <= by_2026 <= 0.99


def test_140_m_discoveries_follow_the_catalogue_counts(discoveries):
    """CNEOS: 10,357 NEAs with H ≤ 22 at the end of 2022; YearlyBreakdown: 11,611 with H < 22 on 2026-03-29."""
    h, year = discoveries["h"], discoveries["disc_year"]
    assert ((h < 22) & (year <= 2022)).sum() == pytest.approx(history.CNEOS_2022["m140"], rel=0.10)
    assert (h < 22).sum() == pytest.approx(history.YEARLY_BREAKDOWN_2026["h_lt_22"], rel=0.10)


def test_completeness_falls_steadily_with_h(discoveries):
    """Fainter bins are ever less complete (the old sky rose and fell with H)."""
    lo, hi, n = history.h_bins()
    h = discoveries["h"].dropna().to_numpy()
    found = np.histogram(h, bins=np.concatenate([lo, hi[-1:]]))[0]
    completeness = found / n
    assert np.all(np.diff(completeness[1:]) <= 0.02), completeness.round(3)
    assert completeness[-1] < 0.001 < completeness[10]


@pytest.mark.parametrize(
    ("year", "cneos"),
    [(2005, 538), (2010, 1617), (2015, 1478), (2020, 2895), (2022, 3334)],
)
def test_discoveries_per_year_follow_cneos(discoveries, year, cneos):
    """CNEOS yearly NEA discoveries (differences of its year-end totals), database definition (+1.3 %)."""
    assert (discoveries["disc_year"] == year).sum() == pytest.approx(cneos * history.DATABASE_FACTOR, rel=0.08)


def test_shares_by_survey_project_follow_table_d3(discoveries):
    """Table D-3 (2026-03-29 station counts under the app's mapping): every project with ≥ 400 NEOs within 10 %."""
    d3 = {
        "Catalina Survey": 17498, "Pan-STARRS": 13185, "LINEAR": 2738, "ATLAS": 1373, "Bok NEO Survey": 1257,
        "Other-US": 1122, "Independent Surveys": 1052, "Spacewatch": 952, "Other Surveys": 833, "NEOWISE": 481,
        "NEAT": 439,
    }  # fmt: skip
    share = discoveries["disc_stn"].map(project_of).value_counts(normalize=True)
    for project, count in d3.items():
        assert share[project] == pytest.approx(count / 41516, rel=0.10), project


def test_twilight_classes_follow_table_f(discoveries):
    """Table F: 97.1 % night, 1.4 % astronomical twilight, 1.5 % space-based, almost none brighter."""
    share = discoveries["twilight"].value_counts(normalize=True)
    assert share.get("night", 0) >= 0.96
    assert 0.005 <= share.get("astronomical", 0) <= 0.025
    assert 0.008 <= share.get("space", 0) <= 0.02  # D1 counts fewer NEOWISE discoveries than table F's D3
    assert sum(share.get(c, 0) for c in ("nautical", "civil", "day")) <= 0.001


def test_discoveries_near_full_moon_are_suppressed_as_in_table_f(discoveries):
    """Table F: 0.30 % within ±24 h of full Moon against 6.8 % if uniform (23×); 10 % within ±24 h of new Moon."""
    illum = discoveries["moon_illum"]
    near_full = (illum >= FULL_MOON_HOURS_ILLUMINATION).mean()
    near_new = (illum <= 1 - FULL_MOON_HOURS_ILLUMINATION).mean()
    assert near_full <= 0.068 / 10  # at least tenfold suppression
    assert near_new >= 0.068
