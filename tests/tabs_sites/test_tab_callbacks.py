"""The Follow-up Comparison tab's callbacks: CSV = chart, URL round trip, Reset's defaults, pasted codes,
the version-1 empty state, and About listing the station rule the tab implements."""

from __future__ import annotations

import io
from urllib.parse import parse_qsl

import pandas as pd
import plotly.graph_objects as go
import pytest

from dashboard_app import definitions
from dashboard_app.tabs import sites

OTHER = {
    "scope": "apparition",
    "window": "29",
    "side": "any",
    "metric": "tracklets",
    "scale": "linear",
    "proj": "orthographic",
    "grid": "off",
    "type": "optical",
    "shown": "all",
    "depth": "v_p95",
    "vrange": [18.0, 27.5],
    "top": 7,
    "sites": ["F51", "G96"],
    "paste": "703 ZZ9",
    "bars": "chosen",
}


def csv_frame(payload: dict) -> pd.DataFrame:
    text = "".join(line for line in payload["content"].splitlines(keepends=True) if not line.startswith("#"))
    return pd.read_csv(io.StringIO(text), keep_default_na=False, na_values=[""], dtype={"stn": str})


def map_points(figure: dict) -> dict[str, float]:
    """{station code: colour value or 0} of every point on the map."""
    points = {}
    for trace in go.Figure(figure).to_dict()["data"]:
        colours = trace["marker"].get("color")
        for i, row in enumerate(trace["customdata"]):
            points[row[0]] = colours[i] if isinstance(colours, list | tuple) else 0
    return points


@pytest.mark.parametrize("values", [{}, OTHER, {"scope": "recovery", "metric": "observations"}])
def test_each_csv_holds_what_its_chart_shows(serving, values):
    out = sites.TAB.update(values, "light")
    figure, note = out["charts"]["map"]
    frame = csv_frame(sites.TAB.download(1, sites.VIEW.csv_button_id("map"), out["drawn"]))
    points = map_points(figure)
    placed = frame.loc[frame["latitude"].notna()]
    assert set(points) == set(placed["stn"]) and len(points) == len(placed)
    scale = out["drawn"]["scale"]
    for stn, value in zip(placed["stn"], placed["value"], strict=True):
        shown = points[stn]
        expected = 0 if value == 0 else (pd.Series([value]).apply("log10")[0] if scale == "log" else value)
        assert shown == pytest.approx(expected), stn
    assert f"{len(frame):,} site" in note

    bars, _ = out["charts"]["bars"]
    bar_frame = csv_frame(sites.TAB.download(1, sites.VIEW.csv_button_id("bars"), out["drawn"]))
    trace = go.Figure(bars).to_dict()["data"][0]
    assert list(trace["x"]) == bar_frame["value"].tolist()
    assert [row[0] for row in trace["customdata"]] == bar_frame["stn"].tolist()

    rows, _ = out["charts"]["summary"]
    summary = csv_frame(sites.TAB.download(1, sites.VIEW.csv_button_id("summary"), out["drawn"]))
    assert [r["measure"] for r in rows] == summary["measure"].tolist()
    assert [float(r["value"]) for r in rows] == summary["value"].astype(float).tolist()
    assert int(summary.set_index("measure").loc["Sites shown", "value"]) == len(frame)


def test_a_view_round_trips_through_its_url(serving):
    out = sites.TAB.update(OTHER, "light")
    query = out["url"]
    assert query.startswith("?") and "scope" not in query  # the default scope is left out
    reopened = sites.VIEW.parse(dict(parse_qsl(query[1:])), serving)
    assert sites.VIEW.jsonable(reopened) == out["drawn"]
    again = sites.TAB.update(sites.VIEW.jsonable(reopened), "light")
    assert again["url"] == query
    assert again["charts"]["bars"][1] == out["charts"]["bars"][1]
    # The page itself opens with the controls of the URL.
    layout = str(sites.layout(**dict(parse_qsl(query[1:]))))
    assert "orthographic" in layout and "'F51', 'G96'" in layout


def test_the_default_view_has_an_empty_query_and_reset_restores_it(serving):
    defaults = sites.VIEW.defaults(serving)
    assert sites.TAB.update({}, "light")["url"] == ""
    assert sites.VIEW.browser_config(serving)["defaults"] == sites.VIEW.jsonable(defaults)
    # Reset in the browser sends the config's defaults; they draw the default view.
    out = sites.TAB.update(sites.VIEW.browser_config(serving)["defaults"], "light")
    assert out["url"] == "" and out["drawn"] == sites.VIEW.jsonable(defaults)
    assert defaults["scope"] == "apparition" and defaults["window"] == "200" and defaults["side"] == "post"


def test_junk_in_the_url_or_a_tampered_payload_gives_the_defaults(serving):
    junk = {
        "scope": "nowhere",
        "window": "13",
        "sites": "F51,<script>",
        "paste": "x" * 5000,
        "top": "0",
        "vrange": "99-120",
        "proj": "mercator",
    }
    parsed = sites.VIEW.parse(junk, serving)
    assert parsed == sites.VIEW.defaults(serving)
    assert sites.VIEW.parse({"sites": ["f51", " g96 ", "F51"]}, serving)["sites"] == ("F51", "G96")


def test_pasted_codes_it_does_not_know_are_reported_and_mark_the_box(serving):
    out = sites.TAB.update({"bars": "chosen", "paste": "f51, ZZ9 qq1"}, "light")
    _, note = out["charts"]["bars"]
    assert "Codes not known in this snapshot: ZZ9, QQ1." in note
    assert out["props"]["paste.invalid"] is True
    figure, _ = out["charts"]["bars"]
    assert [row[0] for row in figure["data"][0]["customdata"]] == ["F51"]
    assert sites.TAB.update({"bars": "chosen", "paste": "F51"}, "light")["props"]["paste.invalid"] is False


def test_window_and_precovery_do_not_change_other_scopes(serving):
    a = sites.TAB.update({"scope": "alltime"}, "light")
    b = sites.TAB.update({"scope": "alltime", "window": "7", "side": "any"}, "light")
    assert a["charts"]["map"][1] == b["charts"]["map"][1]
    file_a = sites.TAB.download(1, sites.VIEW.csv_button_id("map"), b["drawn"])["filename"]
    assert "window" not in file_a and "side" not in file_a and "scope-alltime" in file_a


def test_the_tab_states_its_station_rule_and_about_lists_it(serving):
    assert definitions.FOLLOWUP_BY_STATION.summary in sites.RULE
    assert "not by survey project" in sites.RULE
    terms = {d.term for d in definitions.DEFINITIONS}
    assert {"Follow-up (station)", "Follow-up (survey project)", "Site depth"} <= terms
    from dashboard_app.tabs import about

    page = str(about.layout())
    assert "By station (Follow-up Comparison)" in page and definitions.FOLLOWUP_BY_STATION.summary in page


def test_the_map_geometry_comes_from_the_apps_own_assets():
    import hashlib
    import json
    from pathlib import Path

    config = sites.map_config()
    assert config["topojsonURL"].endswith("/assets/vendor/topojson/") and "://" not in config["topojsonURL"]
    folder = Path(__file__).resolve().parents[2] / "assets" / "vendor" / "topojson"
    manifest = json.loads((folder / "topojson.json").read_text())
    for name, facts in manifest["files"].items():
        data = (folder / name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == facts["sha256"] and len(data) == facts["bytes"]
        assert {"land", "coastlines", "countries", "ocean"} <= set(json.loads(data)["objects"])
    assert "world_110m.json" in manifest["files"] and manifest["version"] == "4.0.0"
