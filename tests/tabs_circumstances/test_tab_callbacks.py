"""The Discovery Circumstances tab through its one update callback on the real app over the synthetic sky:
each chart equals its CSV for several filter combinations, URL round-trip, Reset, notes, bad input."""

from __future__ import annotations

import io
from urllib.parse import parse_qsl

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from dashboard_app.analysis.sky_map import hammer
from dashboard_app.figures import neo_points
from dashboard_app.tabs import circumstances as tab
from tests.tabs_discoveries.layout_tree import control_values, find

pytestmark = pytest.mark.usefixtures("in_request")

CHARTS = ("sky", "vmag", "elong", "rate", "pa", "light", "moonillum", "moonelong")
VIEWS = [
    {},
    {"colour": "station", "top": 3, "sky": "radec"},
    {"colour": "size", "light": "night"},
    {"colour": "year", "size": "2", "years": [2010, 2020]},
    {"size": "unknown"},
    {"light": "space", "colour": "station", "top": 1},
]


@pytest.fixture
def defaults(in_request) -> dict:
    """The control values of the tab opened without a query (the snapshot's years, colour by project, …)."""
    return control_values(tab.layout(), tab.VIEW)


def drawn(values: dict, theme: str = "light") -> dict:
    return tab.TAB.update(values, theme)


@pytest.fixture
def browser_figure(circumstances_app):
    """What the browser draws from an answer: packed per-NEO traces filled from the points file the answer
    names, fetched from the app (as ``assets/neo_points.js`` does)."""
    client = circumstances_app.server.test_client()

    def expand(figure: dict) -> dict:
        spec = figure["layout"].get("meta", {}).get("neo_data")
        if spec is None:
            return figure
        answer = client.get(spec["src"])
        assert answer.status_code == 200
        return neo_points.expand(figure, answer.get_json()["columns"])

    return expand


def csv_frame(index: str, values: dict) -> tuple[pd.DataFrame, str, str]:
    payload = tab.TAB.download(1, tab.VIEW.csv_button_id(index), values)
    comment = "".join(line for line in payload["content"].splitlines(keepends=True) if line.startswith("#"))
    return (
        pd.read_csv(io.StringIO(payload["content"]), comment="#", keep_default_na=False),
        comment,
        payload["filename"],
    )


def traces(fig: dict, kind: str) -> list:
    return [t for t in go.Figure(fig).data if t.type == kind]


def point_traces(fig: dict) -> list:
    """The WebGL marker traces: one per colour group (the reference curves are WebGL lines)."""
    return [t for t in go.Figure(fig).data if t.type == "scattergl" and t.mode == "markers"]


def groups_of(frame: pd.DataFrame) -> list[str]:
    bin_columns = {
        "v_low",
        "v_high",
        "side",
        "elong_low",
        "elong_high",
        "offset_low",
        "offset_high",
        "pa_low",
        "pa_high",
        "illum_low",
        "illum_high",
        "moon_elong_low",
        "moon_elong_high",
        "total",
        "expected_if_no_moon_effect",
    }
    return [c for c in frame.columns if c not in bin_columns]


@pytest.fixture(params=VIEWS, ids=lambda v: "-".join(f"{k}={v[k]}" for k in v) or "defaults")
def view(request, defaults) -> dict:
    return {**defaults, **request.param}


def test_every_chart_draws_and_validates(view):
    out = drawn(view)
    assert set(out["charts"]) == set(CHARTS)
    for index in CHARTS:
        figure, note = out["charts"][index]
        go.Figure(figure)  # raises on any invalid property
        assert isinstance(note, str)


def test_sky_map_draws_every_selected_neo_and_equals_its_csv(view, browser_figure):
    packed, note = drawn(view)["charts"]["sky"]
    figure = browser_figure(packed)
    frame, comment, name = csv_frame("sky", view)
    points = point_traces(figure)
    assert [t.name for t in points] == list(dict.fromkeys(frame["group"]))
    assert sum(len(t.x) for t in points) == len(frame) > 0
    assert f"All {len(frame):,} " in note
    x = np.concatenate([np.asarray(t.x, float) for t in points])
    y = np.concatenate([np.asarray(t.y, float) for t in points])
    if view["sky"] == "radec":
        assert x.tolist() == frame["trk_ra"].tolist() and y.tolist() == frame["trk_dec"].tolist()
    else:
        hx, hy = hammer(frame["trk_ra"].to_numpy(), frame["trk_dec"].to_numpy())
        assert np.allclose(x, hx, atol=1e-4) and np.allclose(y, hy, atol=1e-4)
    text = [s for t in points for s in t.text]
    assert all(s.startswith(d + ": ") for s, d in zip(text, frame["designation"], strict=True))
    assert all(f", {stn}, V " in s for s, stn in zip(text, frame["disc_stn"].astype(str), strict=True))
    lines = {t.name: t for t in go.Figure(figure).data if t.mode == "lines"}
    assert {"Ecliptic", "Galactic plane"} <= set(lines)
    assert name.startswith("discovery-sky-map") and name.endswith(".csv")
    assert "trk_ra" in comment


@pytest.mark.parametrize("index", ["vmag", "elong", "moonillum", "moonelong"])
def test_stacked_histograms_equal_their_csv(view, index):
    figure, _ = drawn(view)["charts"][index]
    frame, comment, _ = csv_frame(index, view)
    bars = traces(figure, "bar")
    groups = groups_of(frame)
    assert [b.name for b in bars] == groups
    for b in bars:
        assert list(b.y) == frame[b.name].tolist()
    low, high = frame.columns[0:2] if index != "elong" else ("offset_low", "offset_high")
    assert list(bars[0].x) == pytest.approx(((frame[low] + frame[high]) / 2).tolist())
    assert frame["total"].tolist() == frame[groups].sum(axis=1).tolist()
    assert "Selected NEOs:" in comment
    if index == "moonillum":
        expected = next(t for t in traces(figure, "scatter") if t.name.startswith("Expected"))
        assert list(expected.y) == frame["expected_if_no_moon_effect"].tolist()


def test_position_angle_rose_equals_its_csv_and_states_tracklets_without_a_direction(view):
    figure, note = drawn(view)["charts"]["pa"]
    frame, comment, _ = csv_frame("pa", view)
    rose = traces(figure, "barpolar")
    assert [r.name for r in rose] == groups_of(frame)
    for r in rose:
        assert list(r.r) == frame[r.name].tolist()
        assert list(r.theta) == (frame["pa_low"] + 7.5).tolist()
    missing = int(comment.split("without a value (in no bin): ")[1].split(".")[0])
    assert f"{missing:,} tracklet" in note and "single observation" in note
    layout = go.Figure(figure).layout.polar.angularaxis
    assert layout.rotation == 90 and layout.direction == "clockwise"


def test_rate_chart_equals_its_csv_and_states_single_observation_tracklets(view, browser_figure):
    packed, note = drawn(view)["charts"]["rate"]
    figure = browser_figure(packed)
    frame, comment, _ = csv_frame("rate", view)
    single = int(comment.split("Not drawn: ")[1].split(" single-observation")[0])
    assert f"{single:,} single-observation tracklet" in note
    points = point_traces(figure)
    assert [p.name for p in points] == list(dict.fromkeys(frame["group"]))
    if frame.empty:  # e.g. Unknown H only: nothing can be placed, and the chart says so
        assert figure["layout"]["annotations"][0]["text"].endswith("has both a rate and a known H.")
        return
    assert np.concatenate([np.asarray(p.x, float) for p in points]).tolist() == frame["h"].tolist()
    assert np.concatenate([np.asarray(p.y, float) for p in points]).tolist() == frame["rate_deg_per_day"].tolist()
    assert [s for p in points for s in p.text] == frame["designation"].tolist()  # hover: the designation
    assert go.Figure(figure).layout.yaxis.type == "log"


def test_twilight_chart_equals_its_csv_with_a_reading(view):
    figure, note = drawn(view)["charts"]["light"]
    frame, _, _ = csv_frame("light", view)
    bars = traces(figure, "bar")
    assert len(bars) == frame["twilight"].nunique() == 7
    for b in bars:
        rows = frame.loc[frame["twilight"] == frame["twilight"].unique()[bars.index(b)]]
        assert list(b.y) == rows["group"].tolist()
        assert list(b.x) == pytest.approx((rows["share"] * 100).tolist(), abs=1e-3)
        assert list(b.customdata) == rows["discoveries"].tolist()
    assert frame["group"].iloc[0] == "All selected"
    assert note.startswith("Of ") and "full night" in note


def test_moon_charts_carry_one_line_readings():
    out = drawn({})
    illum_note = out["charts"]["moonillum"][1]
    elong_note = out["charts"]["moonelong"][1]
    assert "of discoveries were made with the Moon at least 90% lit" in illum_note
    assert "if the Moon made no difference" in illum_note
    assert "within 30° of the Moon" in elong_note


def test_elongation_chart_is_centred_on_opposition_with_labelled_sides():
    figure, _ = drawn({})["charts"]["elong"]
    layout = go.Figure(figure).layout
    ticks = dict(zip(layout.xaxis.tickvals, layout.xaxis.ticktext, strict=True))
    assert ticks[0] == "180°" and ticks[-180] == "0°" and ticks[180] == "0°" and ticks[-90] == ticks[90] == "90°"
    texts = [a.text for a in layout.annotations]
    assert any(t.startswith("← Morning sky") for t in texts) and "Opposition" in texts
    assert any(t.startswith("Evening sky") for t in texts)


def test_csv_file_names_state_the_filters(defaults):
    _, _, name = csv_frame("vmag", {**defaults, "colour": "station", "top": 3, "light": "night"})
    assert name.startswith("discovery-v-magnitude") and name.endswith(".csv")


def test_reset_restores_every_control_to_the_data_defaults(defaults):
    config = find(tab.layout(years="2001-2002", colour="year", sky="radec"), tab.VIEW.config_id).data
    assert dict(zip(config["names"], [config["defaults"][n] for n in config["names"]], strict=True)) == defaults
    assert defaults["colour"] == "project" and defaults["light"] == "all" and defaults["sky"] == "hammer"


@pytest.mark.parametrize(
    "query",
    [
        {"years": "2005-2015", "size": "3", "colour": "station", "top": "4", "light": "night", "sky": "radec"},
        {"colour": "year", "light": "space"},
        {"size": "unknown", "colour": "size"},
    ],
)
def test_a_copied_url_reopens_the_same_view(query):
    shown = control_values(tab.layout(**query), tab.VIEW)
    url = drawn(shown)["url"]
    reopened = control_values(tab.layout(**dict(parse_qsl(url.lstrip("?")))), tab.VIEW)
    assert reopened == shown
    assert tab.VIEW.parse(shown, None) != tab.VIEW.parse({}, None)


def test_bad_or_stale_url_values_open_the_default_view(defaults):
    junk = {name: "../../etc/passwd" for name in tab.VIEW.names} | {"years": "1066-1070", "unknown": "x"}
    assert control_values(tab.layout(**junk), tab.VIEW) == defaults


def test_tampered_callback_values_draw_the_default_view(defaults):
    junk = {"years": {"a": 1}, "size": ["2"], "colour": 3.5, "top": "DROP TABLE", "light": None, "sky": "mercator"}
    out, default = drawn(junk, {"theme": "x"}), drawn(defaults)
    for index in CHARTS:
        assert out["charts"][index][1] == default["charts"][index][1]


def test_an_empty_selection_shows_a_sentence_on_every_chart(defaults):
    out = drawn({**defaults, "size": "unknown", "light": "day"})
    for index in CHARTS:
        figure, _ = out["charts"][index]
        texts = [a["text"] for a in figure["layout"].get("annotations", [])]
        assert figure["data"] == [] and any("No NEOs match" in t for t in texts), index


def test_the_tab_is_listed_and_every_chart_has_a_csv_button_and_a_graph():
    from dashboard_app.tabs import TAB_MODULES

    assert "dashboard_app.tabs.circumstances" in TAB_MODULES
    page = tab.layout()
    for index in CHARTS:
        assert find(page, tab.VIEW.graph_id(index)) is not None
        assert find(page, tab.VIEW.csv_button_id(index)) is not None
