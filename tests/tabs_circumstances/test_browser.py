"""Discovery Circumstances in real headless Chromium against a real gunicorn serving the FULL-SCALE demo sky.

≈44,000 NEOs: the sky map must draw every one of them (WebGL, strict plotly.js bundle) under the
production CSP. Every control redraws the sky map with every selected NEO and changes the URL;
Reset restores the defaults; the sky map's CSV holds as many rows as the map has points; zero
console errors, failed requests and CSP violations; axe-core finds nothing serious or critical;
screenshots at 1280 px and 360 px (light and dark) go to ``test-artifacts/``.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.harness.browser import scroll_to, serious_axe_violations, view_graph, view_note

pytestmark = [pytest.mark.browser, pytest.mark.slow]

expect.set_options(timeout=60_000)  # full-scale answers are megabytes; the machine may be busy

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 780}
FULL_SCALE = 1.0
DRAW_TIMEOUT_S = 60.0
# Init script: at every plotly_afterplot of the sky map (one frame later) record the points its WebGL marker
# traces hold and a signature of what is drawn (trace names, axes shown, background), so a test can tell a
# redraw of the new view from a repaint of the old one.
HOOK = """
window.__sky = [];
setInterval(() => {
  const el = document.querySelector('div[id*=\\'"index":"sky"\\'] .js-plotly-plot');
  if (!el || el.__skyHooked || !el.on) return;
  el.__skyHooked = true;
  el.on("plotly_afterplot", () => requestAnimationFrame(() => {
    let points = 0;
    const names = [];
    for (const t of el._fullData || []) {
      if (t.type === "scattergl" && t.mode === "markers") { points += t._length || 0; names.push(t.name); }
    }
    const layout = el._fullLayout || {};
    const sig = JSON.stringify([points, names, layout.xaxis && layout.xaxis.visible, layout.paper_bgcolor]);
    window.__sky.push({points: points, sig: sig});
  }));
}, 20);
"""

# The URLs the page's scripts fetch, in the order they ask (assets/neo_points.js reads a preloaded points file at once).
FETCH_ORDER = """
window.__fetchOrder = [];
const neoFetch = window.fetch;
window.fetch = function (url) {
  window.__fetchOrder.push(String(url && url.url ? url.url : url));
  return neoFetch.apply(this, arguments);
};
"""


@pytest.fixture(scope="module")
def full_scale_dir(tmp_path_factory) -> Path:
    from tests.harness.snapshots import SEED, build_snapshot_dir

    data_dir = tmp_path_factory.mktemp("circumstances-full")
    build_snapshot_dir(data_dir, seed=SEED, scale=FULL_SCALE)
    return data_dir


@pytest.fixture(scope="module")
def neo_count(full_scale_dir) -> int:
    from dashboard_app.analysis.filters import default_years
    from dashboard_app.snapshot.datadir import current_snapshot_path
    from dashboard_app.snapshot.model import load_snapshot

    snapshot = load_snapshot(current_snapshot_path(full_scale_dir))
    lo, hi = default_years(snapshot)  # the default view's years (reference data; "All years" widens them)
    years = snapshot.discoveries["disc_year"]
    return int(((years >= lo) & (years <= hi)).sum())


@pytest.fixture(scope="module")
def server(full_scale_dir, tmp_path_factory):
    from tests.harness.server import launch

    running = launch(full_scale_dir, tmp_path_factory.mktemp("circumstances-server") / "server.log")
    yield running
    running.stop()


def noted_count(page) -> int:
    """The number of NEOs the sky map's note says were drawn (-1 while the page shows no such note)."""
    texts = view_note(page, "sky").all_text_contents()  # never waits: the note may be re-rendered meanwhile
    match = re.search(r"All ([\d,]+) ", texts[0]) if texts else None
    return int(match.group(1).replace(",", "")) if match else -1


def sky_redrawn(page, action=None) -> int:
    """Run ``action`` (if any), then wait (bounded) until the sky map shows a new view holding as many points
    as its note says were drawn; returns that count."""
    seen, before = 0, None
    if action is not None:
        draws = page.evaluate("window.__sky")
        seen, before = len(draws), (draws[-1]["sig"] if draws else None)
        action()
    deadline = time.monotonic() + DRAW_TIMEOUT_S
    while time.monotonic() < deadline:
        expected = noted_count(page)
        new = page.evaluate("window.__sky")[seen:]
        if expected > 0 and any(d["points"] == expected and d["sig"] != before for d in new):
            return expected
        time.sleep(0.1)
    raise AssertionError(f"the sky map did not redraw with every point: {page.evaluate('window.__sky')[-3:]}")


# The points the rate chart's WebGL marker traces hold (0 while it is not drawn).
RATE_POINTS = """
() => {
  const gd = document.querySelector(`div[id*='"index":"rate"'] .js-plotly-plot`);
  return (gd && gd._fullData || []).filter((t) => t.type === "scattergl").reduce((n, t) => n + (t._length || 0), 0);
}
"""


def drawn(page, index: str):
    """The chart's drawn axes (a tick label): present once plotly has drawn a real figure in it."""
    return view_graph(page, index).locator(".xtick").first


def bring_near(page, index: str) -> None:
    """Scroll the chart into view and wait until it is drawn."""
    scroll_to(view_graph(page, index))
    expect(drawn(page, index)).to_be_attached()


def noted_rate_count(page) -> int:
    match = re.match(r"([\d,]+) NEOs? with a rate", view_note(page, "rate").inner_text())
    assert match, view_note(page, "rate").inner_text()
    return int(match.group(1).replace(",", ""))


def test_charts_below_the_fold_are_drawn_when_they_come_near_with_the_newest_answer(server, watched_page):
    """The first view draws the sky map alone: the rate chart (41,000 points) and the bar charts below the fold
    wait until a scroll brings them near (400 px before they enter the viewport). A control change meanwhile
    updates their notes, and the chart drawn at the scroll is the newest answer's, not the one that was waiting
    before it."""
    watched = watched_page(viewport=DESKTOP)
    page = watched.page
    page.add_init_script(HOOK)
    page.goto(f"{server.url}/circumstances")
    sky_redrawn(page)
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(1000)  # time enough to have drawn them, were they drawn at once
    for index in ("rate", "pa", "light", "moonillum", "moonelong"):
        expect(view_note(page, index)).not_to_be_empty()  # the answer is here ...
        expect(drawn(page, index)).to_have_count(0)  # ... but not drawn
    assert page.evaluate(RATE_POINTS) == 0

    everything = noted_rate_count(page)
    sky_redrawn(page, lambda: page.select_option("#circumstances-size", "2"))
    page.wait_for_load_state("networkidle")
    fewer = noted_rate_count(page)
    assert 0 < fewer < everything
    bring_near(page, "rate")
    deadline = time.monotonic() + DRAW_TIMEOUT_S
    while page.evaluate(RATE_POINTS) != fewer and time.monotonic() < deadline:
        time.sleep(0.1)
    assert page.evaluate(RATE_POINTS) == fewer
    expect(drawn(page, "moonelong")).to_have_count(0)  # still far below

    page.evaluate("() => window.scrollTo(0, document.documentElement.scrollHeight)")
    expect(drawn(page, "moonelong")).to_be_attached()
    expect(page.locator("[data-dash-is-loading='true']")).to_have_count(0)
    assert watched.problems() == [], server.log()[-4000:]


def test_every_control_redraws_the_sky_map_with_every_selected_neo(server, watched_page, neo_count):
    from dashboard_app.tabs import circumstances

    watched = watched_page(viewport=DESKTOP)
    page = watched.page
    page.add_init_script(HOOK)
    page.goto(f"{server.url}/circumstances")
    assert sky_redrawn(page) == neo_count > 40_000  # the default view: every NEO of the default years
    for index in ("vmag", "elong", "rate", "pa", "light", "moonillum", "moonelong"):
        expect(view_graph(page, index).locator(".main-svg").first).to_be_visible()
    expect(view_note(page, "rate")).to_contain_text("single-observation tracklet")
    expect(view_note(page, "light")).to_contain_text("full night")
    watched.screenshot("circumstances-1280")

    changes = [
        (lambda: page.get_by_label("Station (top N)", exact=True).check(), r"colour=station"),
        (lambda: (page.fill("#circumstances-top", "3"), page.keyboard.press("Enter")), r"top=3"),
        (lambda: page.get_by_role("radio", name="Size class", exact=True).check(), r"colour=size"),
        (lambda: page.select_option("#circumstances-size", "2"), r"size=2"),
        (lambda: page.select_option("#circumstances-light", "night"), r"light=night"),
        (lambda: page.get_by_label("RA / Dec", exact=True).check(), r"sky=radec"),
        (lambda: page.get_by_label("Discovery year", exact=True).check(), r"colour=year"),
        (lambda: page.locator("#circumstances-years [role=slider]").first.press("ArrowRight"), r"years=\d{4}-\d{4}"),
    ]
    counts = []
    for action, pattern in changes:
        page.wait_for_load_state("networkidle")
        counts.append(sky_redrawn(page, action))
        expect(page).to_have_url(re.compile(pattern))
    assert counts[-1] < counts[0]  # fewer NEOs after the size, light and year filters
    watched.screenshot("circumstances-1280-changed")

    with page.expect_download() as download:
        page.get_by_title("Download the numbers of “Sky map of discovery positions (J2000)” as CSV").click()
    lines = [ln for ln in Path(download.value.path()).read_text(encoding="utf-8").splitlines() if ln[:1] != "#"]
    assert lines[0].startswith("designation,disc_date,disc_stn,group,trk_ra,trk_dec")
    assert len(lines) - 1 == counts[-1]
    assert download.value.suggested_filename.startswith("discovery-sky-map")

    violations = serious_axe_violations(page)
    assert not violations, "light theme:\n" + "\n".join(violations)
    sky_redrawn(page, lambda: page.get_by_role("button", name="Dark theme").click())
    watched.screenshot("circumstances-1280-dark")

    page.wait_for_load_state("networkidle")
    assert sky_redrawn(page, lambda: page.get_by_role("button", name="Reset", exact=True).click()) == neo_count
    expect(page).to_have_url(re.compile(r"/circumstances$"))
    expect(page.locator("#circumstances-size")).to_have_value("all")
    expect(page.get_by_label("Survey project", exact=True)).to_be_checked()
    expect(page.get_by_label("Equal-area (Hammer)", exact=True)).to_be_checked()

    page.set_viewport_size(PHONE)
    page.wait_for_load_state("networkidle")
    page.reload()
    # On a phone the controls fill the first screen: the sky map below them is drawn when it comes near.
    page.wait_for_timeout(1000)
    expect(drawn(page, "sky")).to_have_count(0)
    assert sky_redrawn(page, lambda: scroll_to(view_graph(page, "sky"))) == neo_count
    watched.screenshot("circumstances-360")
    assert watched.problems() == [], server.log()[-4000:]
    assert circumstances.VIEW.tab == "circumstances"


# For each NEO asked for: its drawn point on the sky map and rate chart (trace name, x, y, text) found by its text.
FIND_POINTS = """
([hovers, names]) => {
  const graph = (index) => document.querySelector(`div[id*='"index":"${index}"'] .js-plotly-plot`);
  const find = (gd, wanted) => {
    for (const [c, t] of gd.data.entries()) {
      const i = t.mode === "markers" && t.text ? t.text.indexOf(wanted) : -1;
      if (i >= 0) return {trace: c, point: i, name: t.name, x: t.x[i], y: t.y[i], text: t.text[i]};
    }
    return null;
  };
  return {sky: hovers.map((h) => find(graph("sky"), h)), rate: names.map((n) => find(graph("rate"), n))};
}
"""


# Zoom the sky map to a tiny box around (x, y), then hover at its centre as a mouse would (plotly's own hover).
ZOOM_AND_HOVER = """
async ([x, y]) => {
  const gd = document.querySelector(`div[id*='"index":"sky"'] .js-plotly-plot`);
  const d = 0.002;
  await Plotly.relayout(gd, {"xaxis.range": [x - d, x + d], "yaxis.range": [y - d, y + d]});
  const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
  Plotly.Fx.hover(gd, {xpx: xa.l2p(x), ypx: ya.l2p(y)}, "xy");
}
"""


def _truth(full_scale_dir) -> tuple[list[str], list[str], list[tuple[float, float]], list]:
    """Hover text, designation, Hammer x/y and (H, rate) of a handful of NEOs of the default view, worked out
    here from the snapshot's discoveries rows (not from the app's columns)."""
    import math

    from dashboard_app.analysis.filters import default_years
    from dashboard_app.analysis.sky_map import hammer
    from dashboard_app.snapshot.datadir import current_snapshot_path
    from dashboard_app.snapshot.model import load_snapshot

    snapshot = load_snapshot(current_snapshot_path(full_scale_dir))
    d = snapshot.discoveries
    lo, hi = default_years(snapshot)
    d = d[(d["disc_year"] >= lo) & (d["disc_year"] <= hi) & d["trk_rate"].notna() & d["h"].notna()]
    numbered = d[d["permid"].notna()]
    rows = [d.iloc[0], d.iloc[len(d) // 2], d.iloc[-1], numbered.iloc[0], numbered.iloc[-1]]
    hovers, names, xy, rate = [], [], [], []
    for r in rows:
        name = f"({r['permid']}) {r['provid']}" if isinstance(r["permid"], str) and r["permid"] else str(r["provid"])
        v = r["trk_v_mag"]
        v_text = "V unknown" if v is None or math.isnan(v) else f"V {round(float(v), 2):.1f}"
        hovers.append(f"{name}: {str(r['disc_time'])[:10]}, {r['disc_stn']}, {v_text}")
        names.append(name)
        x, y = hammer([round(float(r["trk_ra"]), 3) % 360], [round(float(r["trk_dec"]), 3)])
        xy.append((round(float(x[0]), 4), round(float(y[0]), 4)))
        rate.append((round(float(r["h"]), 2), round(float(r["trk_rate"]), 4)))
    return hovers, names, xy, rate


def test_hover_text_and_points_come_once_per_snapshot_and_equal_the_truth(server, watched_page, full_scale_dir):
    """The answer carries no per-NEO text (bounded size); the page fetches the snapshot's points file once and
    draws each NEO's point with the same hover text, position and (H, rate) as before; a real hover shows it."""
    hovers, names, xy, rate = _truth(full_scale_dir)
    watched = watched_page(viewport=DESKTOP)
    page = watched.page
    page.add_init_script(HOOK)
    page.add_init_script(FETCH_ORDER)
    fetched, answers = [], []
    page.on("request", lambda r: fetched.append(r.url) if "/_neo-points/" in r.url else None)
    page.on(  # the first view comes in the page's layout; each change's in the tab's callback answer
        "response",
        lambda r: (
            answers.append(r) if "/_dash-layout?" in r.url or "view-packed" in (r.request.post_data or "") else None
        ),
    )
    page.goto(f"{server.url}/circumstances")
    sky_redrawn(page)
    expect(view_note(page, "rate")).to_contain_text("single-observation tracklet")
    page.wait_for_load_state("networkidle")

    assert len(answers) == 1
    # Default view at 41,537 NEOs: two per-NEO charts of ≤ ~17 traces × 7 KB of row bits, six binned charts
    # (≈120 KB), layouts and reference curves (≈60 KB): ≈420 KB, with the page around it. Before: 3.3 MB,
    # ≈80 bytes per NEO.
    assert len(answers[0].body()) < 600_000

    bring_near(page, "rate")  # drawn when it comes near the viewport (views.DRAW_NEAR)
    found = page.evaluate(FIND_POINTS, [hovers, names])
    page.evaluate("() => window.scrollTo(0, 0)")
    for point, hover, (x, y) in zip(found["sky"], hovers, xy, strict=True):
        assert point is not None, hover
        assert point["text"] == hover and (point["x"], point["y"]) == (x, y)
    for point, name, (h, r) in zip(found["rate"], names, rate, strict=True):
        assert point is not None, name
        assert point["text"] == name and (point["x"], point["y"]) == (h, r)

    page.wait_for_load_state("networkidle")
    sky_redrawn(page, lambda: page.get_by_role("radio", name="Size class", exact=True).check())
    page.wait_for_load_state("networkidle")
    assert len(answers) == 2  # one callback answer per control change
    assert len(fetched) == 1, fetched  # the points file: once per snapshot, not per answer
    started = page.evaluate(
        """() => Object.fromEntries(performance.getEntriesByType('resource')
          .filter((e) => /_neo-points|_dash-dependencies/.test(e.name))
          .map((e) => [e.name.includes('_neo-points') ? 'points' : 'renderer', e.startTime]))"""
    )
    assert started["points"] < started["renderer"], started  # asked for with the page (its preload), not later
    order = page.evaluate("() => window.__fetchOrder")
    first_points = next(i for i, url in enumerate(order) if "/_neo-points/" in url)
    first_layout = next(i for i, url in enumerate(order) if "/_dash-layout" in url)
    assert first_points < first_layout, order  # read by the page's script while Dash loads, not after the answer
    assert sum("/_neo-points/" in url for url in order) == 1, order  # the answers take that same reading

    # A real hover on the first NEO's point (zoomed in around it, so no other point is nearer).
    first = found["sky"][0]
    page.evaluate(ZOOM_AND_HOVER, [first["x"], first["y"]])
    label = page.locator('div[id*=\'"index":"sky"\'] .hoverlayer .hovertext').first
    expect(label).to_contain_text(hovers[0])
    assert watched.problems() == [], server.log()[-4000:]
