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

from tests.harness.browser import serious_axe_violations

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


def note(page, index: str):
    return page.locator(f'p[id*=\'"index":"{index}"\'][id*=\'"type":"view-note"\']')


def chart(page, index: str):
    return page.locator(f'div[id*=\'"index":"{index}"\'][id*=\'"type":"view-graph"\']')


def noted_count(page) -> int:
    """The number of NEOs the sky map's note says were drawn (-1 while the page shows no such note)."""
    texts = note(page, "sky").all_text_contents()  # never waits: the note may be re-rendered meanwhile
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


def test_every_control_redraws_the_sky_map_with_every_selected_neo(server, watched_page, neo_count):
    from dashboard_app.tabs import circumstances

    watched = watched_page(viewport=DESKTOP)
    page = watched.page
    page.add_init_script(HOOK)
    page.goto(f"{server.url}/circumstances")
    assert sky_redrawn(page) == neo_count > 40_000  # the default view: every NEO of the default years
    for index in ("vmag", "elong", "rate", "pa", "light", "moonillum", "moonelong"):
        expect(chart(page, index).locator(".main-svg").first).to_be_visible()
    expect(note(page, "rate")).to_contain_text("single-observation tracklet")
    expect(note(page, "light")).to_contain_text("full night")
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
    assert sky_redrawn(page) == neo_count
    watched.screenshot("circumstances-360")
    assert watched.problems() == [], server.log()[-4000:]
    assert circumstances.VIEW.tab == "circumstances"
