"""Long axis titles and station names are broken onto lines that fit a phone (issue 18); the browser sweep
(tests/accessibility) checks that no chart text reaches outside its chart at 360 and 1280 px."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashboard_app.figures.comparison import station_detail_figure
from dashboard_app.figures.labels import LABEL_CHARS, axis_title, category_label


def test_a_long_axis_title_is_set_on_two_lines_before_its_parenthesis_or_between_words():
    assert axis_title("Size class (H; diameter at albedo 0.14)") == {
        "text": "Size class<br>(H; diameter at albedo 0.14)"
    }
    assert axis_title("Moon's illuminated fraction at discovery") == {
        "text": "Moon's illuminated<br>fraction at discovery"
    }
    assert axis_title("Discoveries") == {"text": "Discoveries"}


def test_station_names_wrap_to_two_short_lines_and_the_hover_keeps_them_whole():
    names = [
        "University of Arizona Mt. Lemmon Survey",
        "Pan-STARRS 1, Haleakala",
        "Observatorio Astronomico de la Universidad Nacional, Bogota",
    ]
    detail = pd.DataFrame(
        {
            "stn": ["G96", "F51", "X99"],
            "name": names,
            "project": ["Catalina Survey", "Pan-STARRS", "Other Surveys"],
            "value": [300, 200, 1],
            "neos": [300, 200, 1],
            "tracklets": [1, 1, 1],
            "observations": [1, 1, 1],
            "discovered": [1, 1, 1],
        }
    )
    bars = go.Figure(station_detail_figure(detail, "neos", "light")).data[0]
    assert bars.y[0] == "G96 University of Arizona<br>Mt. Lemmon Survey"
    for label in bars.y:
        lines = label.split("<br>")
        assert len(lines) <= 2 and all(len(line) <= LABEL_CHARS for line in lines), label
    assert bars.y[2].endswith("…")
    assert list(bars.text) == [f"{s} {n}" for s, n in zip(detail["stn"], names, strict=True)]
    assert bars.hovertemplate.startswith("<b>%{text}</b>") and bars.textposition == "none"
    assert category_label("C51 WISE") == "C51 WISE"
