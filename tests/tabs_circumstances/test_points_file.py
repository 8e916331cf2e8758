"""The per-NEO charts send their numbers and hover text once per snapshot (the points file), not per answer.

What a user depends on: the sky map and rate chart the browser draws are exactly the figures the server
used to send whole (same coordinates, same hover text, same order); the points file is the served
snapshot's and is cached by the browser (a year, ETag; a stale snapshot id is refused); and an answer
carries no per-NEO text, so its size no longer grows by tens of bytes per NEO.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from plotly.io.json import to_json_plotly

from dashboard_app.figures import neo_points
from dashboard_app.figures.sky_map import rate_figure, sky_figure
from dashboard_app.tabs import circumstances as tab
from dashboard_app.views import request_snapshot
from tests.tabs_discoveries.layout_tree import control_values

pytestmark = pytest.mark.usefixtures("in_request")


def base64_length(n_rows: int) -> int:
    """Characters of the base64 text of one bit per row (``ceil(n/8)`` bytes)."""
    return 4 * math.ceil(math.ceil(n_rows / 8) / 3)


VIEWS = [
    {},
    {"colour": "station", "top": 20, "sky": "radec"},
    {"colour": "year", "size": "2"},
    {"colour": "size", "light": "night"},
]


@pytest.fixture
def client(circumstances_app):
    return circumstances_app.server.test_client()


@pytest.fixture
def columns(client) -> dict:
    snap = request_snapshot()
    answer = client.get(neo_points.points_path(snap.id, tab.POINTS_FILE))
    assert answer.status_code == 200
    return answer.get_json()["columns"]


@pytest.mark.parametrize("n", [1, 7, 8, 9, 1000, 4097])
def test_row_masks_round_trip(n):
    rng = np.random.default_rng(n)
    for rows in (np.arange(n), np.array([], dtype=int), np.sort(rng.choice(n, size=max(1, n // 3), replace=False))):
        assert neo_points.unpack_rows(neo_points.pack_rows(rows, n), n).tolist() == rows.tolist()
    assert len(neo_points.pack_rows(np.arange(n), n)) == base64_length(n)


@pytest.mark.parametrize("query", VIEWS, ids=lambda v: "-".join(f"{k}={v[k]}" for k in v) or "defaults")
def test_the_drawn_figures_are_the_ones_the_server_used_to_send_whole(query, columns):
    snap = request_snapshot()
    values = tab.VIEW.parse(query, snap)
    sky_packed, _ = tab.draw_sky(values, snap, "light")
    rate_packed, _ = tab.draw_rate(values, snap, "light")
    whole_sky = sky_figure(tab._result("sky", tab.analysis.sky_points, values, snap, values["sky"]), "light")
    whole_rate = rate_figure(tab._result("rate", tab.analysis.rate_vs_h, values, snap), "light")
    assert to_json_plotly(neo_points.expand(sky_packed, columns)) == to_json_plotly(whole_sky)
    assert to_json_plotly(neo_points.expand(rate_packed, columns)) == to_json_plotly(whole_rate)
    hover = [t for trace in whole_sky["data"] if trace.get("mode") == "markers" for t in trace["text"]]
    assert len(hover) > 50 and all(": " in t and ", V " in t for t in hover)


def test_the_points_file_holds_every_neo_of_the_served_snapshot(client, columns):
    snap = request_snapshot()
    body = client.get(neo_points.points_path(snap.id, tab.POINTS_FILE)).get_json()
    assert body["snapshot"] == snap.id and body["n"] == len(snap.discoveries)
    assert {len(v) for v in columns.values()} == {len(snap.discoveries)}
    assert set(columns) == {"hover", "hammer_x", "hammer_y", "ra", "dec", "h", "rate"}
    d = snap.discoveries
    first = d.iloc[0]
    name = f"({first['permid']}) {first['provid']}" if first["permid"] else str(first["provid"])
    assert columns["hover"][0].startswith(f"{name}: {str(first['disc_time'])[:10]}, {first['disc_stn']}, V ")
    assert columns["ra"][0] == round(float(first["trk_ra"]), 3) % 360
    no_rate = np.flatnonzero(d["trk_rate"].isna().to_numpy())
    assert len(no_rate) and all(columns["rate"][i] is None for i in no_rate)  # NaN → null, never drawn


def test_the_points_file_is_cached_a_year_and_refused_for_another_snapshot(client):
    snap = request_snapshot()
    path = neo_points.points_path(snap.id, tab.POINTS_FILE)
    first = client.get(path, headers={"Accept-Encoding": "gzip"})
    assert first.status_code == 200 and first.headers["Content-Encoding"] == "gzip"
    assert "immutable" in first.headers["Cache-Control"] and "max-age=31536000" in first.headers["Cache-Control"]
    again = client.get(path, headers={"Accept-Encoding": "gzip", "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    assert client.head(path).status_code == 200
    for stale in (neo_points.points_path("20200101T000000.000000Z-0000000000", tab.POINTS_FILE), path[:-5] + "x.json"):
        refused = client.get(stale)
        assert refused.status_code == 404 and refused.headers["Cache-Control"] == "no-store"


def test_an_answer_carries_no_per_neo_text_and_one_bit_per_neo_and_trace():
    """The default view's answer holds no designation or hover line, and the point traces of the two per-NEO
    charts hold one bit per snapshot row each (base64) plus their style: before, ≈80 bytes per NEO drawn
    (3.3 MB at 41,537 NEOs)."""
    snap = request_snapshot()
    out = tab.TAB.update(control_values(tab.layout(), tab.VIEW), "light")
    answer = to_json_plotly(out)
    sky = tab._columns(snap).sky
    for i in np.linspace(0, len(sky.designation) - 1, 12).astype(int):
        assert sky.designation[i] not in answer and sky.hover[i] not in answer
    per_trace = base64_length(len(snap.discoveries))
    for index in ("sky", "rate"):
        figure = out["charts"][index][0]
        points = [t for t in figure["data"] if "rows" in t.get("meta", {})]
        assert len(points) >= 3
        rest = {**figure, "data": [t for t in figure["data"] if "rows" not in t.get("meta", {})]}
        points_bytes = len(to_json_plotly(figure)) - len(to_json_plotly(rest))
        assert points_bytes <= len(points) * (per_trace + 400), index  # 400: name, colour, marker, hovertemplate


def test_the_tab_page_asks_for_its_points_file_with_the_page_and_other_pages_do_not(client):
    """The browser fetches the points file beside the page's scripts (``<link rel=preload>``), not after the layout
    and the first answer; the link names the served snapshot's file, which the page's fetch then uses."""
    snap = request_snapshot()
    link = (
        f'<link rel="preload" href="{neo_points.points_path(snap.id, tab.POINTS_FILE)}" as="fetch" '
        'crossorigin="anonymous">'
    )
    for path in (tab.PATH, tab.PATH + "/"):
        page = client.get(path)
        assert page.status_code == 200 and page.get_data(as_text=True).count(link) == 1, path
    for other in ("/discoveries", "/sizes", "/objects/1950%20GA"):
        assert neo_points.ROUTE not in client.get(other).get_data(as_text=True), other
