"""The charts' templates are read as plain JSON (dashboard_app.theme): plotly.io's, with the page's colours."""

from __future__ import annotations

import copy

import plotly.graph_objects as go
import plotly.io as pio
import pytest

from dashboard_app.theme import _PALETTE, THEMES, figure_template, plotly_template


@pytest.mark.parametrize("name", ["plotly_white", "plotly_dark"])
def test_a_packaged_template_read_as_json_equals_plotly_io(name):
    assert plotly_template(name) == pio.templates[name].to_plotly_json()


@pytest.mark.parametrize("theme", THEMES)
def test_the_theme_template_is_plotly_io_with_the_page_colours(theme):
    colours = _PALETTE[theme]
    expected = copy.deepcopy(pio.templates[colours["base"]])
    expected.layout.paper_bgcolor = expected.layout.plot_bgcolor = colours["paper"]
    expected.layout.font.color = colours["font"]
    expected.layout.xaxis.gridcolor = expected.layout.yaxis.gridcolor = colours["grid"]
    assert figure_template(theme) == expected.to_plotly_json()
    go.layout.Template(figure_template(theme))  # every property still valid


def test_junk_gets_the_light_template():
    assert figure_template("<script>") is figure_template("light")
