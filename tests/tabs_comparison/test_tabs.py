"""The two tabs as a user meets them: charts equal their CSVs, URL state, Reset, junk input, empty states."""

from __future__ import annotations

import re
from io import StringIO
from urllib.parse import parse_qsl, urlsplit

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from dashboard_app.tabs import comparison, followup
from tests.tabs_discoveries.layout_tree import find

COMPARISON_VIEWS = [
    {"years": [2020, 2021]},
    {"years": [2020, 2021], "window": "7", "side": "any", "metric": "tracklets", "labels": "counts"},
    {
        "years": [2019, 2021],
        "group": "station",
        "venn1": "J95",
        "venn2": "Z99",
        "metric": "observations",
        "annual": "pct",
    },
    {"years": [2020, 2020], "size": "2", "venn2": "Catalina Survey", "labels": "counts"},
]


def as_figure(out):
    """A callback's figure as a validated ``go.Figure`` (figures travel as plain dicts); tables stay lists."""
    return go.Figure(out) if isinstance(out, (dict, go.Figure)) else out


def draw(tab, values, theme="light") -> dict:
    """Chart index → (figure or rows, note): the tab's one update callback."""
    return tab.TAB.update(values, theme)["charts"]


def download(tab, index: str, values) -> dict:
    """The CSV download of chart ``index`` for a view drawn with ``values``."""
    return tab.TAB.download(1, tab.VIEW.csv_button_id(index), values)


def every_chart(values, theme="light"):
    """(tab, index, (figure or rows, note)) for every chart of both tabs."""
    for tab in (comparison, followup):
        for index, out in draw(tab, values, theme).items():
            yield tab, index, out


def csv_frame(tab, index: str, values) -> pd.DataFrame:
    payload = download(tab, index, values)
    assert payload["filename"].endswith(".csv")
    return pd.read_csv(StringIO(payload["content"]), comment="#", keep_default_na=False, na_values=[""])


@pytest.mark.parametrize("values", COMPARISON_VIEWS)
def test_comparison_charts_show_exactly_the_numbers_of_their_csv(serving, values):
    figs = {k: as_figure(out[0]) for k, out in draw(comparison, values).items() if k != "summary"}
    reach = csv_frame(comparison, "reach", values)
    assert list(figs["reach"].data[0].x) == reach["value"].tolist()
    assert len(figs["reach"].data[0].y) == len(reach)

    stations = csv_frame(comparison, "stations", values)
    assert list(figs["stations"].data[0].x) == stations["value"].tolist()

    codetect = csv_frame(comparison, "codetect", values)
    k = int(np.sqrt(len(codetect)))
    heat = figs["codetect"].data[0]
    pct = codetect["pct_of_row"].to_numpy().reshape(k, k)
    off = ~np.eye(k, dtype=bool)
    np.testing.assert_allclose(np.asarray(heat.z, dtype=float)[off], pct[off])
    assert [heat.text[i][i] for i in range(k)] == [
        str(n) for n in codetect["n_both"].to_numpy().reshape(k, k).diagonal()
    ]

    annual = csv_frame(comparison, "annual", values)
    column = "pct_of_eligible" if values.get("annual") == "pct" else "neos"
    assert len(figs["annual"].data) == annual["group"].nunique()
    for trace, group in zip(figs["annual"].data, annual["group"].astype(str).unique(), strict=True):
        assert trace.name.startswith(group)
        np.testing.assert_allclose(list(trace.y), annual.loc[annual["group"].astype(str) == group, column])

    venn = csv_frame(comparison, "venn", values)
    region_texts = [a.text for a in figs["venn"].layout.annotations[: len(venn)]]
    if values.get("labels") == "counts":
        assert region_texts[:-1] == [f"{n:,}" for n in venn["neos"][:-1]]
        assert region_texts[-1] == f"None of them: {venn['neos'].iloc[-1]:,}"

    summary_rows, _ = draw(comparison, values)["summary"]
    summary = csv_frame(comparison, "summary", values)
    assert [r["measure"] for r in summary_rows] == summary["measure"].tolist()
    shown = [float(str(r["value"]).replace(",", "")) for r in summary_rows]  # thousands separators on screen
    assert shown == summary["value"].astype(float).tolist()


def test_the_venn_of_unmapped_stations_counts_their_neos(serving):
    values = {"years": [2019, 2021], "group": "station", "venn1": "J95", "venn3": "Z99"}
    venn = csv_frame(comparison, "venn", values).set_index("region")["neos"].to_dict()
    assert venn == {"J95 only": 1, "Z99 only": 0, "J95 ∩ Z99": 1, "None of them": 3}


FOLLOWUP_VIEWS = [{"years": [2019, 2021]}, {"years": [2020, 2021], "days": 200}, {"years": [2020, 2020], "size": "3"}]


@pytest.mark.parametrize("values", FOLLOWUP_VIEWS)
def test_followup_charts_show_exactly_the_numbers_of_their_csv(serving_fresh, values, monkeypatch):
    # The tiny sky is too small for the 10-value boxes and 5-NEO years: lower both (fresh memo cache).
    monkeypatch.setattr(followup.analysis.project_response_boxes, "__defaults__", (1,))
    monkeypatch.setattr(followup.analysis.annual_first_followup, "__defaults__", (1,))
    figs = {k: as_figure(out[0]) for k, out in draw(followup, values).items()}

    curves = csv_frame(followup, "curves", values)
    traces = {group: [t for t in figs["curves"].data if t.legendgroup == group] for group in ("plain", "km", "band")}
    assert [len(traces[g]) for g in ("plain", "km", "band")] == [3, 3, 2]
    for rank, plain, km in zip((1, 2, 3), traces["plain"], traces["km"], strict=True):
        rows = curves.loc[curves["rank"] == rank]
        np.testing.assert_allclose(list(plain.x), rows["days"])
        np.testing.assert_allclose(list(plain.y), rows["pct_of_eligible"])
        np.testing.assert_allclose(list(km.x), rows["days"])
        np.testing.assert_allclose(list(km.y), rows["km_pct"])
    first = curves.loc[curves["rank"] == 1]
    np.testing.assert_allclose(list(traces["band"][0].y), first["km_high95"])
    np.testing.assert_allclose(list(traces["band"][1].y), first["km_low95"])
    assert curves["days"].max() == values.get("days", 30)

    boxes = csv_frame(followup, "boxes", values)
    assert [t.name for t in figs["boxes"].data] == boxes["project"].tolist()
    assert [t.median[0] for t in figs["boxes"].data] == boxes["median"].tolist()
    assert [t.q1[0] for t in figs["boxes"].data] == boxes["q1"].tolist()

    matrix = csv_frame(followup, "matrix", values)
    heat = figs["matrix"].data[0]
    shown = {
        (y, x): int(text)
        for y, row in zip(heat.y, heat.text, strict=True)
        for x, text in zip(heat.x, row, strict=True)
        if text
    }
    assert shown == {(d, f): n for d, f, n in matrix[["disc_project", "followup_project", "neos"]].values}
    # The colour is log10 of the count (one big cell does not wash out the rest); the bar reads in counts.
    for y, zs, texts in zip(heat.y, heat.z, heat.text, strict=True):
        for z, text in zip(zs, texts, strict=True):
            assert (z is None and not text) or abs(z - np.log10(int(text))) < 1e-9, (y, z, text)
    assert heat.colorbar.ticktext[:2] == ("1", "10") and heat.colorbar.tickvals[:2] == (0, 1)

    annual = csv_frame(followup, "annual", values)
    median_trace = figs["annual"].data[2]
    assert list(median_trace.x) == annual["disc_year"].tolist()
    np.testing.assert_allclose(list(median_trace.y), annual["median"])


def test_csv_file_names_state_the_filters(serving):
    payload = download(comparison, "reach", {"years": [2020, 2021], "window": "7", "side": "any"})
    name = payload["filename"]
    assert name.startswith("comparison-reach_") and "years-2020-2021" in name and "window-7" in name
    assert "side-any" in name


def test_a_comparison_view_round_trips_through_its_url(serving):
    values = {
        "years": [2020, 2021],
        "size": "unknown",
        "group": "station",
        "venn1": "703",
        "venn2": "J95",
        "side": "any",
        "window": "29",
        "metric": "observations",
        "labels": "percent",
        "annual": "pct",
    }
    query = comparison.VIEW.query_string(values, serving)
    reopened = comparison.VIEW.parse(dict(parse_qsl(urlsplit(query).query)), serving)
    assert reopened == comparison.VIEW.parse(values, serving)
    assert (reopened["venn1"], reopened["venn2"], reopened["venn3"]) == ("703", "J95", "largest")
    assert reopened["window"] == "29"


def test_a_followup_view_round_trips_through_its_url(serving):
    values = {"years": [2020, 2020], "size": "2", "days": 120}
    query = followup.VIEW.query_string(values, serving)
    assert dict(parse_qsl(urlsplit(query).query)) == {"years": "2020-2020", "size": "2", "days": "120"}
    assert followup.VIEW.parse(dict(parse_qsl(urlsplit(query).query)), serving)["days"] == 120


def reset_values(tab) -> list:
    """What the Reset button puts back, in control order (from the config store a changed view's page holds)."""
    config = find(tab.layout(years="2020-2020", size="2"), tab.VIEW.config_id).data
    assert config["names"] == list(tab.VIEW.names)
    return [config["defaults"][name] for name in config["names"]]


def test_reset_restores_every_control_with_the_data_year_range(serving):
    assert reset_values(comparison) == [
        [2019, 2021],
        "all",
        "project",
        "largest",
        "largest",
        "largest",
        "post",
        "200",
        "neos",
        "both",
        "count",
    ]
    assert reset_values(followup) == [[2019, 2021], "all", 30]


JUNK = {
    "years": {"$gt": 1},
    "size": "split",
    "group": ["project"],
    "venn1": [1, {"a": 2}],
    "venn2": "<script>",
    "venn3": "Catalina Survey,ATLAS",
    "side": None,
    "window": "13",
    "metric": "<script>",
    "labels": 7,
    "annual": "",
    "days": "1e309",
}


def test_junk_in_the_url_gives_the_default_view(serving):
    page = comparison.layout(**{k: str(v) for k, v in JUNK.items()})
    assert page is not None
    assert comparison.VIEW.parse({k: str(v) for k, v in JUNK.items()}, serving) == comparison.VIEW.defaults(serving)
    assert followup.VIEW.parse({k: str(v) for k, v in JUNK.items()}, serving) == followup.VIEW.defaults(serving)
    assert followup.layout(days="-5", years="1800-1700") is not None


def test_tampered_callback_payloads_draw_the_default_view(serving):
    defaults = {(tab, index): out for tab, index, (out, _note) in every_chart({}, "light")}
    for tab, index, (out, _note) in every_chart(JUNK, {"theme": "evil"}):
        out, default = as_figure(out), as_figure(defaults[tab, index])
        if isinstance(out, go.Figure):
            assert out.to_json() == default.to_json()
        else:
            assert out == default


def test_venn_slots_accept_projects_station_codes_or_blank():
    assert comparison._parse_group("ATLAS", None) == "ATLAS"
    assert comparison._parse_group(" J95 ", None) == "J95"
    # The "(largest)" option has its own value (a select shows its placeholder, not the option, for "");
    # an empty slot from an older link still means the same.
    assert comparison._parse_group("largest", None) == comparison.AUTO == "largest"
    assert comparison._parse_group("", None) == "largest"
    for junk in ("<script>", "Catalina Survey,ATLAS", "j95x", 703):
        with pytest.raises(ValueError):
            comparison._parse_group(junk, None)


def test_blank_or_repeated_venn_slots_fall_back_to_what_is_chosen_or_the_largest(serving):
    parse = comparison.VIEW.parse
    assert comparison.venn_groups(parse({"venn2": "ATLAS", "venn3": "ATLAS"}, serving), serving) == ["ATLAS"]
    assert comparison.venn_groups(parse({"venn1": "703"}, serving), serving) == [
        "Catalina Survey",
        "Pan-STARRS",
        "ATLAS",
    ]
    assert comparison.venn_groups(parse({"group": "station", "venn1": "703"}, serving), serving) == ["703"]


def test_an_empty_selection_says_why_instead_of_drawing_axes(serving):
    values = {"years": [2020, 2021], "size": "5"}  # no NEO with H ≥ 27.75
    for _tab, _index, (out, note) in every_chart(values):
        out = as_figure(out)
        if isinstance(out, go.Figure):
            texts = [a.text.replace("<br>", " ") for a in out.layout.annotations]
            assert texts and "No NEOs were discovered in 2020–2021" in texts[0]
            assert out.layout.xaxis.visible is False
        else:
            assert out == [] and "No NEOs were discovered" in note


def test_followup_charts_too_thin_for_boxes_or_yearly_medians_say_so(serving):
    charts = draw(followup, {"years": [2019, 2021]})
    boxes, annual = as_figure(charts["boxes"][0]), as_figure(charts["annual"][0])
    assert "at least 10 response times" in boxes.layout.annotations[0].text.replace("<br>", " ")
    assert "at least 5 followed-up NEOs" in annual.layout.annotations[0].text.replace("<br>", " ")


def test_without_a_snapshot_every_chart_says_so(serving_nothing):
    for tab, _index, (out, note) in every_chart({}, "dark"):
        assert tab.TAB.update({}, "dark")["drawn"] is None  # nothing drawn: no CSV to offer
        out = as_figure(out)
        text = out.layout.annotations[0].text.replace("<br>", " ") if isinstance(out, go.Figure) else note
        assert "No data snapshot" in text
    assert comparison.layout() is not None and followup.layout() is not None


def test_memoised_results_are_reused_for_an_equal_view(serving):
    first = comparison._summary(comparison.VIEW.parse({"years": [2020, 2021]}, serving), serving)
    again = comparison._summary(comparison.VIEW.parse({"years": ["2020", 2021.0]}, serving), serving)
    assert first is again


def _counting_builds(monkeypatch, module, name: str) -> list:
    """Record the selection (third argument) of every call of ``module.name`` (still called)."""
    built: list = []
    real = getattr(module, name)
    monkeypatch.setattr(module, name, lambda *args: built.append(args[2]) or real(*args))
    return built


def _answer(tab, values: dict, theme: str = "light") -> None:
    """The tab's callback in a request of its own, as under gunicorn."""
    import flask

    app = flask.current_app._get_current_object()
    with app.app_context(), app.test_request_context():
        tab.TAB.update(values, theme)


def test_sightings_are_built_once_per_answer_and_not_kept(serving_fresh, monkeypatch):
    """The 13-18 MB sightings serve one request's charts; the memo keeps only the small results."""
    built = _counting_builds(monkeypatch, comparison.analysis, "sightings")
    _answer(comparison, {"years": [2020, 2021]})
    assert len(built) == 1  # every chart of the answer from one build
    _answer(comparison, {"years": [2020, 2021], "labels": "counts"})
    _answer(comparison, {"years": [2020, 2021], "labels": "percent"})
    assert len(built) == 1  # the same selection again: every result from the memo, no build
    _answer(comparison, {"years": [2020, 2021], "metric": "tracklets"})
    assert len(built) == 2  # reach and station detail are new: built once more, for this request only
    _answer(comparison, {"years": [2019, 2021]})
    assert len(built) == 3 and built[-1].years == (2019, 2021)
    names = {key[1] for key in serving_fresh.memo_cache._entries}
    assert "comparison.summary" in names and not any("sightings" in name for name in names)


def test_followup_selection_is_built_once_per_answer_and_not_kept(serving_fresh, monkeypatch):
    built = _counting_builds(monkeypatch, followup.analysis, "eligible_followups")
    _answer(followup, {"years": [2019, 2021]})
    assert len(built) == 1
    _answer(followup, {"years": [2019, 2021]}, "dark")
    assert len(built) == 1  # every result memoised
    _answer(followup, {"years": [2019, 2021], "days": 45})
    assert len(built) == 2  # the curves for 45 days are new
    assert not any("selected" in key[1] for key in serving_fresh.memo_cache._entries)


def test_a_chart_that_would_look_the_same_is_not_sent_again(serving):
    import dash

    def sent(out) -> set[str]:
        return {index for index, (shown, _note) in out["charts"].items() if shown is not dash.no_update}

    first = comparison.TAB.update({"years": [2020, 2021]}, "light")
    assert sent(first) == {c.index for c in comparison.TAB.charts}  # nothing on screen yet: everything
    labels = comparison.TAB.update({"years": [2020, 2021], "labels": "counts"}, "light", shown=first["shown"])
    assert sent(labels) == {"venn"}  # only the Venn's labels change
    assert all(options is dash.no_update for options in labels["props"].values())
    assert labels["drawn"]["labels"] == "counts" and labels["url"] == "?years=2020-2021&labels=counts"
    dark = comparison.TAB.update({"years": [2020, 2021], "labels": "counts"}, "dark", shown=labels["shown"])
    assert sent(dark) == {c.index for c in comparison.TAB.charts} - {"summary"}  # table rows have no theme
    station = comparison.TAB.update({"years": [2020, 2021], "group": "station"}, "dark", shown=dark["shown"])
    assert all(options is not dash.no_update for options in station["props"].values())  # station choices


@pytest.mark.parametrize(
    ("metric", "wording"), [("neos", "distinct NEOs"), ("tracklets", "sums the tracklets"), ("observations", "sums")]
)
def test_station_reach_note_says_how_others_is_counted(serving, metric, wording):
    _fig, note = draw(comparison, {"years": [2019, 2021], "group": "station", "metric": metric})["reach"]
    assert wording in note and "summed as" not in note
    if metric == "neos":
        assert "counts once" in note


def test_followup_note_rounds_the_median_for_people(serving):
    assert [followup.days_text(x) for x in (1.116, 0.04, 1.0, 9.96, 37.4, 1234.5, None)] == [
        "1.1 days",
        "0.0 days",
        "1.0 day",
        "10.0 days",
        "37 days",
        "1,234 days",
        "– days",
    ]
    _fig, note = draw(followup, {"years": [2019, 2021]})["curves"]
    median = dict(followup._summary(followup.VIEW.parse({"years": [2019, 2021]}, serving), serving).to_numpy())
    assert f"median {followup.days_text(median['Median days to first follow-up'])}." in note
    assert not re.search(r"median \d+\.\d{2,}", note)


@pytest.mark.parametrize("k", [1, 2, 3])
def test_every_venn_label_none_of_them_included_lies_inside_the_plotted_range(k):
    from dashboard_app.figures.venn import venn_figure

    masks = range(2**k)
    regions = pd.DataFrame(
        {
            "mask": list(masks),
            "region": [f"r{m}" for m in masks],
            "neos": [1234] * 2**k,
            "pct_of_eligible": [12.5] * 2**k,
        }
    )
    names = [f"Group {i}" for i in range(k)]
    fig = go.Figure(venn_figure(regions, names, ["#000000"] * k, "both", "light"))
    low, high = fig.layout.yaxis.range
    ys = [a.y for a in fig.layout.annotations]
    assert any(a.text.startswith("None of them") for a in fig.layout.annotations)
    # A label is about 0.15 units high (a line of 13 px text at 440 px for ~4.6 units): centres keep clear.
    assert all(low + 0.2 <= y <= high - 0.2 for y in ys), (low, high, sorted(ys))
