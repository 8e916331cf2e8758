"""plotly.js: the app's partial bundle, fingerprinted and cached for a year, preloaded, CSP-clean in Chromium."""

from __future__ import annotations

import gzip
import hashlib
import json
import re

import pytest
from playwright.sync_api import expect

from dashboard_app.app import SOURCE_ASSETS_DIR, tab_modules
from dashboard_app.figures.sites import TOPOJSON_DIR
from dashboard_app.web.plotly_bundle import IMMUTABLE, PlotlyBundle, bundle_path

TRACES_FILE = SOURCE_ASSETS_DIR.parent / "scripts" / "plotly-bundle" / "traces.json"


def page_config(client, path: str = "/about") -> tuple[str, dict]:
    html = client.get(path).get_data(as_text=True)
    config = re.search(r'<script id="_dash-config" type="application/json">(.*?)</script>', html).group(1)
    return html, json.loads(config)


@pytest.fixture(scope="module")
def client(snapshot_dir):
    from dashboard_app.app import create_app
    from dashboard_app.settings import load_settings

    app = create_app(load_settings({"DATA_DIR": str(snapshot_dir), "LOG_FORMAT": "text"}, env_file=None))
    yield app.server.test_client()
    app.server.extensions["neo_store"].stop()


def test_the_committed_bundle_matches_its_manifest_the_trace_list_and_the_plotly_package():
    from plotly.offline import get_plotlyjs_version

    bundle = PlotlyBundle.read(SOURCE_ASSETS_DIR)
    wanted = json.loads(TRACES_FILE.read_text(encoding="utf-8"))
    assert bundle.sha256 == hashlib.sha256(bundle_path(SOURCE_ASSETS_DIR).read_bytes()).hexdigest()
    assert list(bundle.traces) == wanted["traces"]
    assert bundle.plotly_js == get_plotlyjs_version()  # figures are built by the Python package of that version
    assert b"new Function" not in bundle.code  # the strict WebGL modules: no eval under the CSP


def test_the_page_preloads_the_fingerprinted_bundle_and_the_renderer_loads_it_from_there(client):
    html, config = page_config(client)
    url = config["plotlyjs_url"]
    assert re.fullmatch(r"/_plotly/plotly-[0-9a-f]{16}\.min\.js", url)
    assert f'<link rel="preload" href="{url}" as="script">' in html
    assert config["serve_locally"] is False  # read by the renderer only to choose plotlyjs_url
    scripts = re.findall(r'<script[^>]* src="([^"]+)"', html)
    assert scripts and all(s.startswith(("/_dash-component-suites/", "/assets/")) for s in scripts)
    assert not any("vendor" in s for s in scripts)  # the bundle is not also run as a plain asset


def test_the_bundle_is_immutable_compressed_and_revalidates_by_its_etag(client):
    _html, config = page_config(client)
    url = config["plotlyjs_url"]
    plain = client.get(url, headers={"Accept-Encoding": "identity"})
    zipped = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert plain.status_code == 200 and plain.mimetype == "text/javascript"
    assert plain.headers["Cache-Control"] == IMMUTABLE
    assert plain.data == bundle_path(SOURCE_ASSETS_DIR).read_bytes()
    assert gzip.decompress(zipped.data) == plain.data and len(zipped.data) < len(plain.data) / 2
    again = client.get(url, headers={"If-None-Match": plain.headers["ETag"], "Accept-Encoding": "identity"})
    assert again.status_code == 304


def test_an_old_fingerprint_still_gets_the_bundle_but_never_for_a_year(client):
    stale = client.get("/_plotly/plotly-0000000000000000.min.js")
    assert stale.status_code == 200 and stale.headers["Cache-Control"] == "no-cache"
    assert client.get("/_plotly/anything.js").status_code == 404


@pytest.mark.browser
@pytest.mark.slow
def test_every_tab_draws_its_traces_from_the_bundle_with_no_csp_violation(
    snapshot_data_dir, start_server, watched_page
):
    server = start_server(snapshot_data_dir)  # the synthetic sky: every chart has data
    watched = watched_page()
    page = watched.page
    fetched: list[str] = []
    page.on("request", lambda r: fetched.append(r.url) if "plotly" in r.url and r.url.endswith(".js") else None)
    drawn: set[str] = set()
    registered: set[str] = set()
    for module in tab_modules():
        page.goto(f"{server.url}{module.PATH}")
        page.wait_for_load_state("networkidle")
        graphs = page.locator(".js-plotly-plot")
        for i in range(graphs.count()):
            expect(graphs.nth(i).locator(".main-svg").first).to_be_attached()
        if graphs.count():
            drawn |= set(page.evaluate(TRACE_TYPES_DRAWN))
            registered = set(page.evaluate("() => Object.keys(window.Plotly.PlotSchema.get().traces)"))
    assert drawn and drawn <= registered, f"not in the bundle: {drawn - registered}"
    assert fetched and all(re.search(r"/_plotly/plotly-[0-9a-f]{16}\.min\.js$", url) for url in fetched), fetched
    assert watched.problems() == []


TRACE_TYPES_DRAWN = """() => Array.from(document.querySelectorAll('.js-plotly-plot'))
    .flatMap(g => (g.data || []).map(t => t.type || 'scatter'))"""

# Every bundled trace type drawn under the app's CSP (scattergeo needs its topojson: issue #16 serves it).
DRAW_EVERY_TYPE = """async () => {
  const div = window.newChartDiv();
  const xy = {x: [1, 2, 3], y: [2, 1, 3]};
  const traces = [
    {type: 'scatter', ...xy}, {type: 'bar', ...xy}, {type: 'box', y: [1, 2, 3, 4]},
    {type: 'heatmap', z: [[1, 2], [3, 4]]}, {type: 'scattergl', mode: 'markers', ...xy},
  ];
  for (const t of traces) { await window.Plotly.newPlot(div, [t]); }
  await window.Plotly.newPlot(div, [{type: 'barpolar', r: [1, 2, 3], theta: [0, 90, 180]}]);
  return div.querySelectorAll('.main-svg').length;
}"""


def load_the_bundle(server, page) -> int:
    """Open the About page (no chart: plotly.js not loaded yet) and load the app's bundle into it, with
    ``window.newChartDiv()`` for the test's charts; the ``String.prototype.normalize`` calls its loading made
    (:data:`LOAD_BUNDLE_COUNTING_NORMALIZE`)."""
    page.goto(f"{server.url}/about")
    expect(page.locator("#about-definition-list")).to_be_visible()
    page.wait_for_load_state("networkidle")
    return page.evaluate(LOAD_BUNDLE_COUNTING_NORMALIZE)


@pytest.mark.browser
@pytest.mark.slow
def test_webgl_and_polar_traces_draw_under_the_csp_without_eval(snapshot_dir, start_server, watched_page):
    watched = watched_page()
    page = watched.page
    load_the_bundle(start_server(snapshot_dir), page)
    assert page.evaluate(DRAW_EVERY_TYPE) >= 1
    assert watched.problems() == []


# The bundle loaded into a page that counts String.prototype.normalize calls (plotly.js's country-name lookups
# normalise ~1,500 names and aliases when they are built: scripts/plotly-bundle/build.mjs builds them lazily).
LOAD_BUNDLE_COUNTING_NORMALIZE = """() => new Promise((resolve, reject) => {
  window.__normalized = 0;
  const normalize = String.prototype.normalize;
  String.prototype.normalize = function () { window.__normalized++; return normalize.apply(this, arguments); };
  const s = document.createElement('script');
  s.src = JSON.parse(document.getElementById('_dash-config').textContent).plotlyjs_url;
  window.newChartDiv = () => {  // a 400 × 300 px div at the end of the page, for a test's chart
    const div = document.createElement('div');
    div.style.width = '400px'; div.style.height = '300px';
    return document.body.appendChild(div);
  };
  s.onload = () => resolve(window.__normalized); s.onerror = reject;
  document.body.appendChild(s);
})"""
COUNTRY_NAMES_PLACED = """async (topojsonURL) => {
  const div = window.newChartDiv();
  await window.Plotly.newPlot(div, [{type: 'scattergeo', mode: 'markers', locationmode: 'country names',
                                      locations: ['France', 'republic of zambia']}], {}, {topojsonURL});
  return {lonlat: div.calcdata[0].map((d) => d.lonlat), normalized: window.__normalized};
}"""


@pytest.mark.browser
@pytest.mark.slow
def test_loading_the_bundle_builds_no_country_lookup_yet_country_names_still_place_points(
    snapshot_dir, start_server, watched_page
):
    watched = watched_page()
    page = watched.page
    assert load_the_bundle(start_server(snapshot_dir), page) == 0
    placed = page.evaluate(COUNTRY_NAMES_PLACED, f"/assets/{TOPOJSON_DIR}")
    (france_lon, france_lat), (zambia_lon, zambia_lat) = placed["lonlat"]
    assert -5 < france_lon < 10 and 41 < france_lat < 52
    assert 21 < zambia_lon < 34 and -19 < zambia_lat < -8
    assert placed["normalized"] > 1000  # the lookup was built at its first use
    assert watched.problems() == []


# WebGL contexts a scattergl chart creates: one to draw it; the focus layer's (scripts/plotly-bundle/build.mjs) only
# once a selection needs it, which still draws.
WEBGL_CONTEXTS = """async () => {
  let contexts = 0;
  const getContext = HTMLCanvasElement.prototype.getContext;
  HTMLCanvasElement.prototype.getContext = function (kind) {
    if (String(kind).startsWith('webgl')) contexts++;
    return getContext.apply(this, arguments);
  };
  const div = window.newChartDiv();
  await window.Plotly.newPlot(div, [{type: 'scattergl', mode: 'markers', x: [1, 2, 3], y: [2, 1, 3]}]);
  const drawn = contexts;
  await window.Plotly.restyle(div, {selectedpoints: [[0, 2]]});
  const focus = div.querySelector('.gl-canvas-focus');
  return {drawn, selected: contexts, focusDrawn: !!(focus && focus.getContext('webgl'))};
}"""


@pytest.mark.browser
@pytest.mark.slow
def test_a_webgl_chart_creates_its_focus_layers_context_only_for_a_selection(snapshot_dir, start_server, watched_page):
    watched = watched_page()
    page = watched.page
    load_the_bundle(start_server(snapshot_dir), page)
    contexts = page.evaluate(WEBGL_CONTEXTS)
    assert contexts["drawn"] == 1
    assert contexts["selected"] == 2 and contexts["focusDrawn"]
    assert watched.problems() == []


# A selection when the focus layer's WebGL context cannot be created (the browser refuses a second context).
SELECTION_WITHOUT_A_SECOND_CONTEXT = """async () => {
  const div = window.newChartDiv();
  await window.Plotly.newPlot(div, [{type: 'scattergl', mode: 'markers', x: [1, 2, 3], y: [2, 1, 3]}]);
  HTMLCanvasElement.prototype.getContext = function (kind) {
    if (String(kind).startsWith('webgl')) return null;
    throw new Error('unexpected context ' + kind);
  };
  let error = null;
  try { await window.Plotly.restyle(div, {selectedpoints: [[0, 2]]}); } catch (e) { error = String(e); }
  return {error, message: !!div.querySelector('.no-webgl'), points: div._fullData[0]._length};
}"""


@pytest.mark.browser
@pytest.mark.slow
def test_a_selection_without_a_focus_context_says_webgl_is_missing_and_keeps_the_chart(
    snapshot_dir, start_server, watched_page
):
    watched = watched_page()
    page = watched.page
    load_the_bundle(start_server(snapshot_dir), page)
    assert page.evaluate(SELECTION_WITHOUT_A_SECOND_CONTEXT) == {"error": None, "message": True, "points": 3}
    assert watched.problems() == []
