"""Every chart's API answer equals its CSV download, for the page's own query parameters.

The endpoints are built from the tabs' declarations, so this walks every tab that registered charts
(a tab added later is covered with no change here), for the default view and for views where every
control takes another accepted value.
"""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import parse_qsl

import pandas as pd
import pytest

from dashboard_app import views
from dashboard_app.api import charts
from dashboard_app.app import tab_modules

TABS = charts.data_tabs(tab_modules())
CHARTS = [(t.slug, c.index) for t in TABS for c in t.charts]


def test_every_tab_with_charts_has_endpoints_and_the_about_tab_none():
    slugs = {t.slug for t in TABS}
    assert {"discoveries", "sizes", "comparison", "followup"} <= slugs and "about" not in slugs
    assert len(CHARTS) == sum(len(t.charts) for t in TABS) >= 15


def other_values(view: views.View, snapshot, pick: int) -> dict[str, Any]:
    """Values where each control with listed choices takes its ``pick``-th choice, integers their bounds,
    and ranges a narrower part of their bounds."""
    values = view.defaults(snapshot)
    for control in view.controls:
        accepted = views.accepted_values(control, snapshot)
        if "values" in accepted:
            values[control.name] = accepted["values"][pick % len(accepted["values"])]
        elif accepted.get("form") in ("lo-hi", "first-last") and "min" in accepted:
            lo, hi = accepted["min"], accepted["max"]
            third = (hi - lo) / 3
            raw = f"{lo + third * (pick % 2):g}-{hi - third * ((pick + 1) % 2):g}"
            values[control.name] = control.parse(raw, snapshot)
        elif "min" in accepted:
            values[control.name] = accepted["min"] if pick % 2 else accepted["max"]
    return values


def query_of(view, values, snapshot) -> str:
    return view.query_string(values, snapshot)


def download(tab: charts.DataTab, index: str, values: dict[str, Any], api_app) -> dict[str, Any]:
    """The chart's CSV download, through the tab's own download callback."""
    with api_app.server.test_request_context("/_dash-update-component", method="POST"):
        return tab.callbacks.download(1, tab.view.csv_button_id(index), tab.view.jsonable(values))


@pytest.mark.parametrize(("slug", "index"), CHARTS)
@pytest.mark.parametrize("pick", [None, 1, 2])
def test_the_api_csv_is_the_charts_csv_download_and_the_json_holds_the_same_rows(
    slug, index, pick, client, api_app, api_snapshot
):
    tab = next(t for t in TABS if t.slug == slug)
    values = tab.view.defaults(api_snapshot) if pick is None else other_values(tab.view, api_snapshot, pick)
    values = tab.view.parse(tab.view.jsonable(values), api_snapshot)  # as the page would draw them
    query = query_of(tab.view, values, api_snapshot)
    assert (pick is None) == (query == ""), "the other views differ from the default view"

    expected = download(tab, index, values, api_app)
    csv = client.get(f"/api/v1/{slug}/{index}.csv{query}")
    assert csv.status_code == 200, csv.get_data(as_text=True)
    assert csv.get_data(as_text=True) == expected["content"]
    assert csv.headers["Content-Type"].startswith("text/csv")
    assert f'filename="{expected["filename"]}"' in csv.headers["Content-Disposition"]
    assert dict(parse_qsl(csv.headers["X-Filters"], keep_blank_values=True)) == {
        c.name: c.encode(values[c.name]) for c in tab.view.controls
    }

    answer = client.get(f"/api/v1/{slug}/{index}.json{query}")
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["filters"] == tab.view.jsonable(values)
    assert body["query"] == query
    assert body["links"]["csv"].endswith(f"/api/v1/{slug}/{index}.csv{query}")
    # Only the leading comment lines: a value may hold "#" (a station named "... Clamshell #2").
    table = "".join(line for line in expected["content"].splitlines(keepends=True) if not line.startswith("#"))
    from_csv = pd.read_csv(io.StringIO(table), keep_default_na=False, na_values=[""])
    from_json = pd.DataFrame(body["rows"], columns=[c["name"] for c in body["columns"]])
    assert list(from_json.columns) == list(from_csv.columns)
    assert len(from_json) == len(from_csv)
    if len(from_csv):
        pd.testing.assert_frame_equal(
            from_json.astype(from_csv.dtypes.to_dict()), from_csv, check_dtype=False, check_exact=False, rtol=1e-12
        )


def test_a_copied_page_url_gives_that_views_numbers(client, api_snapshot):
    tab = next(t for t in TABS if t.slug == "discoveries")
    page_query = "?years=2005-2012&size=split&mode=cumulative"
    values = tab.view.parse(dict(parse_qsl(page_query[1:])), api_snapshot)
    listing = client.get(f"/api/v1/discoveries{page_query}").get_json()
    assert listing["filters"] == tab.view.jsonable(values) and listing["query"] == page_query
    for index, links in listing["charts"].items():
        assert links["page"].endswith(f"/discoveries{page_query}")
        assert client.get(links["csv"]).status_code == 200, index
