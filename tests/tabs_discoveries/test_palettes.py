"""Every palette can be told apart, also with a colour-vision deficiency (issue 18).

Colours are compared by CIEDE2000 (ΔE00; about 2 is a just-noticeable difference side by side) as
seen with normal vision and with full protanopia, deuteranopia and tritanopia (coloraide's
simulation, Machado et al. 2009 for protan/deutan, Brettel for tritan). Rules:

- normal vision: every pair of colours that share a chart differs by at least 10;
- a deficiency: palettes of up to 8 colours keep every pair at least 6 apart; the long palettes
  (17 survey projects, 30 stations + "Others") cannot, so no two of their colours may look the same
  (at least 2 apart) and stations, whose colours are chosen for it, keep at least 3.5;
- every colour stands out from the light and the dark theme's background (at least 12).
"""

from __future__ import annotations

import itertools
from functools import cache

import pytest
from coloraide import Color

from dashboard_app import reference
from dashboard_app.analysis.filters import TOP_N_MAX
from dashboard_app.figures.circumstances import TWILIGHT_COLOURS
from dashboard_app.figures.colours import COMBINED_COLOUR, OTHERS_COLOUR, STATION_PALETTE
from dashboard_app.figures.followup import RANK_COLOURS
from dashboard_app.theme import THEMES, figure_template

DEFICIENCIES = ("protan", "deutan", "tritan")


@cache
def seen(colour: str, deficiency: str | None = None) -> Color:
    c = Color(colour)
    return c.filter(deficiency) if deficiency else c


def delta(a: str, b: str, deficiency: str | None = None) -> float:
    return seen(a, deficiency).delta_e(seen(b, deficiency), method="2000")


def palettes() -> dict[str, tuple[dict[str, str], float]]:
    """name → (label → colour, the smallest difference allowed under a deficiency)."""
    stations = {f"station {i + 1}": c for i, c in enumerate(STATION_PALETTE[:TOP_N_MAX])}
    return {
        "survey projects": ({p.name: p.colour for p in reference.projects()}, 2.0),
        "size classes": ({c.label: c.colour for c in reference.size_classes()}, 6.0),
        "stations": (stations | {"Others": OTHERS_COLOUR}, 3.5),
        "follow-up ranks": ({f"rank {k}": v for k, v in RANK_COLOURS.items()}, 6.0),
        "twilight": (dict(TWILIGHT_COLOURS), 6.0),
    }


def closest(colours: dict[str, str], deficiency: str | None) -> tuple[float, str, str]:
    return min((delta(a, b, deficiency), x, y) for (x, a), (y, b) in itertools.combinations(colours.items(), 2))


@pytest.mark.parametrize("name", list(palettes()))
def test_every_pair_of_a_palette_differs_with_normal_vision(name):
    colours, _ = palettes()[name]
    d, x, y = closest(colours, None)
    assert d >= 10, f"{name}: {x} and {y} differ by only ΔE00 {d:.1f}"


@pytest.mark.parametrize("deficiency", DEFICIENCIES)
@pytest.mark.parametrize("name", list(palettes()))
def test_no_two_colours_of_a_palette_look_the_same_with_a_colour_vision_deficiency(name, deficiency):
    colours, least = palettes()[name]
    if len(colours) <= 8:
        assert least >= 6
    d, x, y = closest(colours, deficiency)
    assert d >= least, f"{name} ({deficiency}): {x} and {y} differ by only ΔE00 {d:.1f}"


@pytest.mark.parametrize("theme", THEMES)
def test_every_colour_stands_out_from_the_background(theme):
    background = figure_template(theme)["layout"]["paper_bgcolor"]
    for name, (colours, _) in palettes().items():
        for label, colour in [*colours.items(), ("combined", COMBINED_COLOUR)]:
            assert delta(colour, background) >= 12, f"{name}: {label} {colour} on the {theme} background"


def test_the_station_palette_has_a_colour_for_every_top_n_station():
    assert len(STATION_PALETTE) >= TOP_N_MAX
    assert len(set(STATION_PALETTE)) == len(STATION_PALETTE)
