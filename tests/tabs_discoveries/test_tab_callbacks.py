"""Both tabs through their callbacks on the real app: charts equal CSVs, URL round-trips, Reset, bad input."""

from __future__ import annotations

import io
from urllib.parse import parse_qsl

import pandas as pd
import plotly.graph_objects as go
import pytest

from dashboard_app.analysis.sizes import DISCOVERED_PREFIX
from dashboard_app.figures.sizes import COMPLETENESS, UNDISCOVERED
from dashboard_app.tabs import discoveries, sizes
from tests.tabs_discoveries.layout_tree import control_values

pytestmark = pytest.mark.usefixtures("in_request")

D_DEFAULTS = {"years": [2000, 2004], "size": "all", "group": "project", "top": 10, "mode": "per_year"}
S_DEFAULTS = {
    "years": [2000, 2004],
    "hrange": [15.25, 27.75],
    "mode": "cumulative",
    "group": "combined",
    "top": 10,
    "scale": "log",
}


def draw(tab, index: str, values: dict, theme) -> tuple:
    """(figure or rows, note) of chart ``index`` from the tab's one update callback."""
    return tab.TAB.update(values, theme)["charts"][index]


def csv_of(tab, index: str, values: dict) -> dict:
    """The CSV download of chart ``index`` for a view drawn with ``values``."""
    return tab.TAB.download(1, tab.VIEW.csv_button_id(index), values)


def read_csv(payload: dict) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(payload["content"]), comment="#")


def figure(fig) -> go.Figure:
    """The callback's figure as a validated ``go.Figure`` (raises on any invalid property)."""
    return go.Figure(fig)


def bar_traces(fig) -> dict[str, tuple[list, list]]:
    return {t.name: (list(t.x), list(t.y)) for t in figure(fig).data if t.type == "bar"}


def test_default_discoveries_chart_shows_the_hand_counted_numbers():
    fig, note = draw(discoveries, "main", D_DEFAULTS, "light")
    bars = bar_traces(fig)
    assert list(bars) == ["LINEAR", "Catalina Survey", "Pan-STARRS", "ATLAS"]
    assert bars["LINEAR"] == ([2000, 2001, 2002, 2003, 2004], [2, 0, 0, 0, 1])
    assert bars["Catalina Survey"][1] == [1, 2, 0, 1, 0]
    assert note.startswith("10 NEOs discovered")


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"mode": "cumulative"},
        {"size": "split", "years": [2000, 2003]},
        {"group": "station", "top": 2},
        {"group": "combined", "size": "4"},
        {"size": "unknown", "mode": "cumulative"},
    ],
)
def test_discoveries_csv_holds_exactly_what_the_chart_shows(changes):
    values = {**D_DEFAULTS, **changes}
    fig, _ = draw(discoveries, "main", values, "dark")
    payload = csv_of(discoveries, "main", values)
    csv = read_csv(payload)
    value_column = "cumulative_discoveries" if values["mode"] == "cumulative" else "discoveries"
    assert list(csv.columns) == ["year", "series", value_column]
    from_csv = {
        name: (part["year"].tolist(), part[value_column].tolist()) for name, part in csv.groupby("series", sort=False)
    }
    assert from_csv == bar_traces(fig)
    assert payload["filename"].startswith("discoveries-by-year_years-")


def test_csv_file_name_states_the_filters_that_change_the_chart_and_no_others():
    payload = csv_of(discoveries, "main", {**D_DEFAULTS, "size": "split", "mode": "cumulative"})
    # Split by size: Group by and Top N do not apply, so the name leaves them out.
    assert payload["filename"] == "discoveries-by-year_years-2000-2004_size-split_mode-cumulative.csv"
    assert payload["content"].startswith("# Discoveries by year, years 2000–2004, Split by size")
    stations = csv_of(discoveries, "main", {**D_DEFAULTS, "group": "station", "top": 5})
    assert stations["filename"] == "discoveries-by-year_years-2000-2004_size-all_group-station_top-5_mode-per-year.csv"
    projects = csv_of(discoveries, "main", {**D_DEFAULTS, "group": "project", "top": 5})
    assert projects["filename"] == "discoveries-by-year_years-2000-2004_size-all_group-project_mode-per-year.csv"
    sizes_chart = csv_of(discoveries, "sizes", {**D_DEFAULTS, "group": "station", "mode": "cumulative"})
    assert sizes_chart["filename"] == "discoveries-size-classes_years-2000-2004_size-all.csv"


def test_split_totals_equal_all_sizes_totals_in_the_chart():
    split, _ = draw(discoveries, "main", {**D_DEFAULTS, "size": "split"}, "light")
    combined, _ = draw(discoveries, "main", {**D_DEFAULTS, "group": "combined"}, "light")
    split_totals = pd.DataFrame({n: y for n, (_, y) in bar_traces(split).items()}).sum(axis=1).tolist()
    assert split_totals == bar_traces(combined)["All NEOs"][1] == [3, 3, 0, 3, 1]
    assert "Unknown H" in bar_traces(split)


def test_size_mix_and_sites_csvs_match_their_chart_and_table():
    values = {**D_DEFAULTS, "years": [2001, 2003]}
    fig = figure(draw(discoveries, "sizes", values, "light")[0])
    mix = read_csv(csv_of(discoveries, "sizes", values))
    assert list(fig.data[0].x) == mix["size_class"].tolist()
    assert list(fig.data[0].y) == mix["discoveries"].tolist() == [0, 1, 2, 2, 1, 0]
    rows, _ = draw(discoveries, "sites", values, "light")
    sites = read_csv(csv_of(discoveries, "sites", values))
    assert [r["code"] for r in rows] == sites["code"].astype(str).tolist() == ["F51", "G96", "703", "T05"]
    assert [r["discoveries"] for r in rows] == sites["discoveries"].tolist() == [2, 2, 1, 1]
    assert rows[2]["name"] == "Catalina Sky Survey"


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"mode": "differential", "scale": "linear"},
        {"group": "project", "hrange": [17.25, 23.25]},
        {"group": "station", "top": 1, "years": [2001, 2003]},
    ],
)
def test_size_csv_holds_exactly_what_the_chart_shows(changes):
    values = {**S_DEFAULTS, **changes}
    fig, _ = draw(sizes, "main", values, "light")
    csv = read_csv(csv_of(sizes, "main", values))
    bars = bar_traces(fig)
    assert bars.pop(UNDISCOVERED)[1] == pytest.approx(csv["undiscovered"].tolist())
    stacks = [c[len(DISCOVERED_PREFIX) :] for c in csv.columns if c.startswith(DISCOVERED_PREFIX)]
    assert list(bars) == stacks
    for name, (x, y) in bars.items():
        assert x == csv["h_center"].tolist()
        assert y == csv[DISCOVERED_PREFIX + name].tolist()
    line = next(t for t in figure(fig).data if t.meta == COMPLETENESS)
    x_col = "h_high" if values["mode"] == "cumulative" else "h_center"
    assert list(line.x) == csv[x_col].tolist()
    assert list(line.y) == pytest.approx(csv["completeness"].tolist())
    assert csv["h_low"].min() >= values["hrange"][0] and csv["h_high"].max() <= values["hrange"][1]


def test_size_chart_calls_out_completeness_at_140_m_in_cumulative_mode_only():
    fig, note = draw(sizes, "main", S_DEFAULTS, "light")
    assert any(t.name == "Completeness at 140 m at albedo 0.14" for t in figure(fig).data)
    assert "Completeness at 140 m at albedo 0.14 (H < 22): 0.0%" in note
    assert "1 discovery with unknown H cannot be placed" in note
    diff_fig, diff_note = draw(sizes, "main", {**S_DEFAULTS, "mode": "differential"}, "light")
    assert not any(t.name.startswith("Completeness at") for t in figure(diff_fig).data)
    assert "no band is drawn" in diff_note


def test_model_table_and_its_csv_list_all_bins_with_discovered_counts():
    rows, note = draw(sizes, "model", S_DEFAULTS, "light")
    csv = read_csv(csv_of(sizes, "model", S_DEFAULTS))
    assert len(rows) == len(csv) == 25
    assert [r["discovered_cumulative"] for r in rows] == csv["discovered_cumulative"].tolist()
    assert csv["discovered_cumulative"].iloc[-1] == 8
    assert "All 25 model bins" in note


@pytest.mark.parametrize(("tab", "defaults"), [(discoveries, D_DEFAULTS), (sizes, S_DEFAULTS)])
def test_reset_restores_every_control_to_the_data_defaults(tab, defaults):
    from tests.tabs_discoveries.layout_tree import find

    config = find(tab.layout(years="2001-2002", top="3"), tab.VIEW.config_id).data  # what Reset puts back
    assert [config["defaults"][name] for name in config["names"]] == list(defaults.values())
    assert config["names"] == list(tab.VIEW.names)


@pytest.mark.parametrize(
    ("tab", "query"),
    [
        (discoveries, {"years": "2001-2003", "size": "split", "group": "station", "top": "3", "mode": "cumulative"}),
        (sizes, {"years": "2000-2002", "hrange": "17.25-24.25", "mode": "differential", "scale": "linear"}),
    ],
)
def test_a_copied_url_reopens_the_same_view(tab, query):
    shown = control_values(tab.layout(**query), tab.VIEW)
    url = tab.TAB.update(shown, "light")["url"]
    reopened = control_values(tab.layout(**dict(parse_qsl(url.lstrip("?")))), tab.VIEW)
    assert reopened == shown
    assert tab.VIEW.parse(shown, None) != tab.VIEW.parse({}, None)


@pytest.mark.parametrize("tab", [discoveries, sizes])
def test_bad_or_stale_url_values_open_the_default_view(tab):
    junk = {name: "../../etc/passwd" for name in tab.VIEW.names} | {"years": "1066-1070", "unknown": "x"}
    assert control_values(tab.layout(**junk), tab.VIEW) == control_values(tab.layout(), tab.VIEW)


def test_tampered_callback_values_draw_the_default_chart_without_an_error():
    junk = {"years": {"a": 1}, "size": ["split"], "group": 3.5, "top": "DROP TABLE", "mode": None}
    fig, _ = draw(discoveries, "main", junk, {"theme": "x"})
    default, _ = draw(discoveries, "main", D_DEFAULTS, "light")
    assert bar_traces(fig) == bar_traces(default)
    fig, _ = draw(sizes, "main", {"hrange": "nan-nan", "scale": 1e9}, 42)
    assert bar_traces(fig) == bar_traces(draw(sizes, "main", S_DEFAULTS, "light")[0])


def test_an_empty_selection_shows_a_sentence_not_empty_axes():
    fig = figure(draw(discoveries, "main", {**D_DEFAULTS, "size": "5", "years": [2000, 2001]}, "light")[0])
    assert fig.data == ()
    assert fig.layout.xaxis.visible is False
    assert "No NEOs were discovered in 2000–2001" in fig.layout.annotations[0].text
    fig = figure(draw(sizes, "main", {**S_DEFAULTS, "years": [2002, 2002]}, "light")[0])
    assert fig.data == () and "No NEOs with a known H" in fig.layout.annotations[0].text


@pytest.mark.parametrize(("tab", "charts"), [(discoveries, ("main", "sizes")), (sizes, ("main",))])
def test_every_chart_has_png_export_a_csv_button_a_download_and_a_loading_state(tab, charts):
    from dash import dcc

    from tests.tabs_discoveries.layout_tree import find, walk

    page = tab.layout()
    for index in charts:
        graph = find(page, tab.VIEW.graph_id(index))
        assert isinstance(graph, dcc.Graph)
        assert graph.config["toImageButtonOptions"]["format"] == "png"
        assert graph.config["toImageButtonOptions"]["filename"]
        assert find(page, tab.VIEW.csv_button_id(index)) is not None
        assert isinstance(find(page, tab.VIEW.download_id(index)), dcc.Download)
        loading = [c for c in walk(page) if isinstance(c, dcc.Loading) and graph in c.children]
        assert len(loading) == 1
        store = find(page, tab.VIEW.packed_id(index))  # the answer's store, drawn when it comes near (DRAW_NEAR)
        assert isinstance(store, dcc.Store) and store in loading[0].children
