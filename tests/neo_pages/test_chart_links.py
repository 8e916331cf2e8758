"""Charts whose points are single NEOs (sky map, rate vs H) link each point to the NEO's page.

The figure opts in with ``layout.meta`` and each point's text starts with the NEO's designation;
``assets/neo.js`` takes the text up to ": " (a leading "(number)" alone for numbered NEOs) and opens
``/neo/<that>``. Here the same rule, in Python, must find every plotted NEO.
"""

from __future__ import annotations

import re

import pytest

from dashboard_app import objects
from dashboard_app.analysis import circumstances as c
from dashboard_app.figures.common import NEO_POINTS_META
from dashboard_app.figures.sky_map import rate_figure, sky_figure

JS = (__import__("pathlib").Path(__file__).resolve().parents[2] / "assets" / "neo.js").read_text(encoding="utf-8")


def designation_of_point(text: str) -> str:
    """What assets/neo.js opens for a clicked point's text (kept in step with the script, checked below)."""
    head = text.split(": ")[0]
    numbered = re.match(r"^\((\d+)\)", head)
    return numbered.group(1) if numbered else head


def test_the_script_applies_the_same_rule():
    assert 'point.text.split(": ")[0]' in JS and r"/^\((\d+)\)/" in JS and 'meta.neo_points !== "text"' in JS


@pytest.fixture(scope="module")
def selected(sky_snapshot):
    cols = c.circumstance_columns(sky_snapshot.discoveries)
    return cols, c.select(cols, c.Selection((1990, 2030)))


@pytest.mark.parametrize("which", ["sky", "rate"])
def test_every_point_of_the_neo_charts_opens_its_neos_page(which, selected, sky_snapshot):
    cols, sel = selected
    figure = (
        sky_figure(c.sky_points(cols, sel), "light") if which == "sky" else rate_figure(c.rate_vs_h(cols, sel), "light")
    )
    assert figure["layout"]["meta"] == NEO_POINTS_META
    points = [t for trace in figure["data"] if trace.get("mode") == "markers" for t in trace["text"]]
    assert len(points) > 100
    found = {objects.find(sky_snapshot, designation_of_point(t)) for t in points}
    assert None not in found
    assert len(found) == len(points)  # one NEO per point, each its own
