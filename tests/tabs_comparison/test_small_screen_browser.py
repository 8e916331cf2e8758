"""The two heatmaps on a phone (issue 18): cells stay readable, the chart scrolls sideways in its card.

At 360 px the co-detection and the first-follow-up heatmaps used to squeeze 17 columns into ≈ 60 px.
Now each keeps a minimum width and scrolls sideways inside a focusable region (arrow keys scroll it),
with a hint, while the page itself never scrolls sideways. The drawn cell width is measured.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.harness.browser import scroll_to

pytestmark = [pytest.mark.browser, pytest.mark.slow]

expect.set_options(timeout=30_000)

READABLE_CELL_PX = 28  # "100%" or a 3-digit count at the chart's font fits in a cell this wide
READABLE_ROW_PX = 24  # and this high
HEATMAPS = [("/comparison", "comparison", "codetect"), ("/followup", "followup", "matrix")]


@pytest.fixture(scope="module")
def server(snapshot_data_dir, tmp_path_factory):
    from tests.harness.server import launch

    running = launch(snapshot_data_dir, tmp_path_factory.mktemp("heatmap-server") / "server.log")
    yield running
    running.stop()


def graph(page, tab: str, index: str):
    return page.locator(f'div[id*=\'"index":"{index}"\'][id*=\'"tab":"{tab}"\'][id*=\'"type":"view-graph"\']')


CELLS = """
(plot) => {
  const image = plot.querySelector('.hm image');
  const trace = plot._fullData[0];
  const box = image.getBoundingClientRect();
  return {width: box.width / trace.x.length, height: box.height / trace.y.length, columns: trace.x.length};
}
"""


@pytest.mark.parametrize(("path", "tab", "index"), HEATMAPS, ids=[h[2] for h in HEATMAPS])
def test_a_heatmap_on_a_phone_keeps_readable_cells_and_scrolls_sideways_in_its_card(
    server, watched_page, path, tab, index
):
    watched = watched_page(viewport={"width": 360, "height": 780})
    page = watched.page
    page.goto(f"{server.url}{path}")
    chart = scroll_to(graph(page, tab, index))  # drawn when it comes near (views.DRAW_NEAR)
    expect(chart.locator(".hm image")).to_be_attached()
    cells = chart.locator(".js-plotly-plot").evaluate(CELLS)
    assert cells["columns"] >= 10, cells  # a real, wide heatmap
    assert cells["width"] >= READABLE_CELL_PX and cells["height"] >= READABLE_ROW_PX, cells

    region = page.locator(".view-chart-scroll", has=chart)
    expect(region).to_have_attribute("role", "region")
    expect(page.locator(".view-scroll-hint", has_text="Scroll sideways").filter(visible=True)).to_have_count(1)
    sizes = region.evaluate("e => [e.scrollWidth, e.clientWidth]")
    assert sizes[0] > sizes[1], sizes  # the chart is wider than its card: it scrolls
    widths = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert widths[0] <= widths[1], f"the page is {widths[0]} px wide in a {widths[1]} px window"

    region.focus()  # keyboard users reach it (axe: scrollable-region-focusable) and scroll it with the arrows
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    expect(region).not_to_have_js_property("scrollLeft", 0)
    watched.screenshot(f"heatmap-{tab}-{index}-360")
    assert watched.problems() == [], server.log()[-4000:]


@pytest.mark.parametrize(("path", "tab", "index"), HEATMAPS, ids=[h[2] for h in HEATMAPS])
def test_a_heatmap_on_a_desktop_fills_its_card_without_a_scroll_hint(server, watched_page, path, tab, index):
    watched = watched_page(viewport={"width": 1280, "height": 900})
    page = watched.page
    page.goto(f"{server.url}{path}")
    chart = scroll_to(graph(page, tab, index))  # drawn when it comes near (views.DRAW_NEAR)
    expect(chart.locator(".hm image")).to_be_attached()
    region = page.locator(".view-chart-scroll", has=chart)
    sizes = region.evaluate("e => [e.scrollWidth, e.clientWidth]")
    assert sizes[0] <= sizes[1], sizes
    expect(page.locator(".view-scroll-hint").filter(visible=True)).to_have_count(0)
    assert chart.locator(".js-plotly-plot").evaluate(CELLS)["width"] >= 40
    assert watched.problems() == [], server.log()[-4000:]
