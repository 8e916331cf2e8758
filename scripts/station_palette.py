"""Generate ``dashboard_app/reference/station_palette.csv``: 30 station colours anyone can tell apart.

The Top N stations (N ≤ 30) and "Others" (#a9a9a9) share one chart, so every pair must differ, also
for people with a colour-vision deficiency. Candidates are a grid of OKLCh colours inside sRGB;
starting from "Others", the colour farthest from those already chosen is added until there are 30
(greedy farthest point), where the distance of two colours is the smaller of their CIEDE2000
difference and three times the smallest difference under full protanopia, deuteranopia or
tritanopia (Machado et al. 2009, as coloraide simulates them). The first colours are the most
distinct, and the top stations get them. Deterministic: rerun to reproduce the file.

Usage: ``.venv/bin/python scripts/station_palette.py`` (needs the dev extra's coloraide).
"""

from __future__ import annotations

import csv
from pathlib import Path

from coloraide import Color

OUT = Path(__file__).resolve().parents[1] / "dashboard_app" / "reference" / "station_palette.csv"
OTHERS = "#a9a9a9"
COUNT = 30
DEFICIENCIES = ("protan", "deutan", "tritan")
LIGHTNESS = (0.45, 0.55, 0.65, 0.75, 0.85)
CHROMA = (0.08, 0.13, 0.18)
HUE_STEP = 15


def _views(hex_colour: str) -> list[Color]:
    colour = Color(hex_colour)
    return [colour, *(colour.filter(d) for d in DEFICIENCIES)]


def _distance(a: list[Color], b: list[Color]) -> float:
    normal = a[0].delta_e(b[0], method="2000")
    deficient = min(x.delta_e(y, method="2000") for x, y in zip(a[1:], b[1:], strict=True))
    return min(normal, 3 * deficient)


def candidates() -> list[str]:
    """The OKLCh grid's colours that sRGB can show, as hex."""
    out = set()
    for lightness in LIGHTNESS:
        for chroma in CHROMA:
            for hue in range(0, 360, HUE_STEP):
                colour = Color("oklch", [lightness, chroma, hue]).convert("srgb")
                if colour.in_gamut():
                    out.add(colour.to_string(hex=True))
    return sorted(out)


def palette() -> list[str]:
    """The 30 colours, most distinct first."""
    views = {c: _views(c) for c in [*candidates(), OTHERS]}
    chosen = [OTHERS]
    nearest = {c: _distance(views[c], views[OTHERS]) for c in views if c != OTHERS}
    while len(chosen) < COUNT + 1:
        best = max(nearest, key=lambda c: (nearest[c], c))
        chosen.append(best)
        del nearest[best]
        for c in nearest:
            nearest[c] = min(nearest[c], _distance(views[c], views[best]))
    return chosen[1:]


def main() -> None:
    with OUT.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["order", "colour_hex"])
        writer.writerows(enumerate(palette(), start=1))
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
