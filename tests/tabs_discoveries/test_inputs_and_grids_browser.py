"""What a careful user meets in Chromium (issue 18): number boxes that state and correct their range, the
H-range tooltip at the bin edge the charts use, Home/End on the focused handle of a range slider, Venn
slots that read "(largest)", About without sideways scrolling on a phone, and tables on AG Grid whose CSV
is what the grid shows (after sorting), reachable by keyboard.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.harness.browser import scroll_to

pytestmark = [pytest.mark.browser, pytest.mark.slow]

expect.set_options(timeout=20_000)  # a fresh worker's first callbacks take a few seconds on a busy machine

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 780}


@pytest.fixture(scope="module")
def server(snapshot_data_dir, tmp_path_factory):
    """One gunicorn for the module, serving the shared small synthetic snapshot."""
    from tests.harness.server import launch

    running = launch(snapshot_data_dir, tmp_path_factory.mktemp("polish-server") / "server.log")
    yield running
    running.stop()


def grid(page, tab: str, index: str):
    return page.locator(f'div[id*=\'"index":"{index}"\'][id*=\'"tab":"{tab}"\'][id*=\'"type":"view-grid"\']')


def slider_values(page, cid: str) -> list[str]:
    thumbs = page.locator(f"#{cid} [role=slider]")
    return [thumbs.nth(i).get_attribute("aria-valuenow") for i in range(thumbs.count())]


def type_number(page, cid: str, text: str) -> None:
    page.fill(f"#{cid}", text)
    page.keyboard.press("Enter")


def test_a_number_outside_its_range_is_corrected_in_the_box_with_a_message(server, watched_page):
    watched = watched_page(viewport=DESKTOP)
    page = watched.page
    page.goto(f"{server.url}/discoveries?group=station&top=5")
    expect(page.get_by_label("Top N stations (1–30)")).to_have_value("5")  # the range is part of the label
    message = page.locator("#discoveries-top-message")
    expect(message).to_be_empty()
    # The data end in March of their last year: that year is marked partial (note and hatched bars).
    main_note = page.locator('p[id*=\'"index":"main"\'][id*=\'"type":"view-note"\']')
    expect(main_note).to_contain_text(re.compile(r"\d{4} is counted to \d+ \w{3} \(the data time\)"))
    expect(graph(page, "discoveries", "main").locator("pattern").first).to_be_attached()

    cases = [  # typed → (box, message, URL's top)
        ("31", "30", "31 became 30", "top=30"),
        ("0", "1", "0 became 1", "top=1"),
        ("2.5", "3", "2.5 became 3", "top=3"),
        ("-3", "1", "-3 became 1", "top=1"),
        ("", "1", "kept 1", "top=1"),  # empty: back to the drawn number
        ("12", "12", "", "top=12"),
    ]
    for typed, box, said, query in cases:
        type_number(page, "discoveries-top", typed)
        expect(page.locator("#discoveries-top")).to_have_value(box)
        if said:
            expect(message).to_contain_text(said)
            expect(message).to_contain_text("Enter a whole number from 1 to 30")
        else:
            expect(message).to_be_empty()
        expect(page).to_have_url(re.compile(rf"[?&]{query}(&|$)"))  # the chart drew what the box shows
    assert watched.problems() == [], server.log()[-4000:]


def test_h_range_tooltip_shows_the_bin_edge_and_home_end_move_the_focused_handle(server, watched_page):
    watched = watched_page(viewport=DESKTOP)
    page = watched.page
    page.goto(f"{server.url}/sizes")
    lower = page.locator("#sizes-hrange [role=slider]").first
    expect(lower).to_be_visible()
    lower.focus()
    lower.press("ArrowRight")
    expect(page).to_have_url(re.compile(r"hrange=15\.75-27\.75"))
    # The slider itself rounds to its step's decimals (15.8); the tooltip shows the edge the charts use.
    expect(page.locator("#sizes-hrange-tooltip-1-content")).to_have_text("15.75")

    years = "sizes-years"
    first, last = slider_values(page, years)
    # Home on the upper handle brings it down to the lower one (a stock Dash slider moves the lower one).
    page.locator(f"#{years} [role=slider]").last.press("Home")
    expect(page.locator(f"#{years} [role=slider]").last).to_have_attribute("aria-valuenow", first)
    expect(page.locator(f"#{years} [role=slider]").first).to_have_attribute("aria-valuenow", first)
    expect(page).to_have_url(re.compile(rf"years={first}-{first}"))
    page.get_by_role("button", name="Reset", exact=True).click()
    expect(page.locator(f"#{years} [role=slider]").last).to_have_attribute("aria-valuenow", last)
    # End on the lower handle brings it up to the upper one (a stock slider moves the upper one).
    page.locator(f"#{years} [role=slider]").first.press("End")
    expect(page.locator(f"#{years} [role=slider]").first).to_have_attribute("aria-valuenow", last)
    expect(page).to_have_url(re.compile(rf"years={last}-{last}"))
    assert watched.problems() == [], server.log()[-4000:]


def test_venn_slots_read_largest(server, watched_page):
    watched = watched_page(viewport=DESKTOP)
    page = watched.page
    page.goto(f"{server.url}/comparison")
    for n in (1, 2, 3):
        select = page.locator(f"#comparison-venn{n}")
        expect(select).to_have_value("largest")
        assert select.evaluate("s => s.options[s.selectedIndex].text") == "(largest)"
    assert watched.problems() == [], server.log()[-4000:]


def test_about_does_not_scroll_sideways_on_a_phone(server, watched_page):
    watched = watched_page(viewport=PHONE)
    page = watched.page
    page.goto(f"{server.url}/about")
    expect(page.locator("#about-page")).to_be_visible()
    widths = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert widths[0] <= widths[1], f"About is {widths[0]} px wide in a {widths[1]} px window"
    assert watched.problems() == [], server.log()[-4000:]


def test_a_table_csv_is_what_the_grid_shows_after_sorting(server, watched_page, tmp_path):
    watched = watched_page(viewport=DESKTOP, accept_downloads=True)
    page = watched.page
    page.goto(f"{server.url}/discoveries")
    sites = grid(page, "discoveries", "sites")
    expect(sites.locator("[role=gridcell][col-id=name]").first).to_be_visible()
    sites.locator("[role=columnheader][col-id=name] .ag-header-cell-label").click()  # sort by name, A → Z
    expect(sites.locator("[role=columnheader][col-id=name]")).to_have_attribute("aria-sort", "ascending")
    shown = sites.locator("[role=row][row-index] [col-id=name]").all_inner_texts()
    assert shown == sorted(shown, key=str.casefold) and len(shown) > 3  # as people read: case does not count

    with page.expect_download() as download:
        page.get_by_title("Download the numbers of “Discovery sites” as CSV").click()
    assert re.fullmatch(r"discoveries-sites_years-\d{4}-\d{4}_size-all\.csv", download.value.suggested_filename)
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    comments = [line for line in text.splitlines() if line.startswith("#")]
    assert comments[0].startswith("# Discovery sites") and "sorting and filtering" in comments[-1]
    rows = list(csv.reader(io.StringIO("\n".join(line for line in text.splitlines() if line and line[0] != "#"))))
    assert rows[0] == ["#", "Code", "Name", "Project", "Discoveries"]
    names = [r[2] for r in rows[1:]]
    assert names[: len(shown)] == shown  # the export's order is the grid's
    # Every site, sorted case-insensitively: "Geocentric" before "GINOP-KHK", "Jarnac" before "JPL"
    # (a code-point sort puts every capital first).
    assert names == sorted(names, key=str.casefold) and names != sorted(names)
    assert names.index("Geocentric") < names.index("GINOP-KHK, Piszkesteto")
    assert all(re.fullmatch(r"\d+", r[4]) for r in rows[1:])  # numbers, not the shown "1,234" text

    # Keyboard: Tab reaches the grid, the arrow keys reach its last column (axe: scrollable-region-focusable).
    sites.locator("[role=gridcell][col-id=rank]").first.click()
    for _ in range(4):
        page.keyboard.press("ArrowRight")
    focused = page.evaluate("document.activeElement.getAttribute('col-id')")
    assert focused == "discoveries"
    assert watched.problems() == [], server.log()[-4000:]


# The chart's legend background, x-axis title, plot area and each legend entry: page boxes, all at one moment.
BOXES = """
(chart) => {
  const box = (e) => { if (!e) return null; const r = e.getBoundingClientRect();
                       return {x: r.x, y: r.y, width: r.width, height: r.height}; };
  return {legend: box(chart.querySelector(".legend .bg")), title: box(chart.querySelector(".xtitle")),
          plot: box(chart.querySelector(".nsewdrag")),
          entries: [...chart.querySelectorAll(".legend .traces")].map(box)};
}
"""


def graph(page, tab: str, index: str):
    return page.locator(f'div[id*=\'"index":"{index}"\'][id*=\'"tab":"{tab}"\'][id*=\'"type":"view-graph"\']')


@pytest.mark.parametrize(
    ("path", "tab", "index", "width"),
    [
        ("/discoveries", "discoveries", "main", 360),
        ("/discoveries?group=station&top=30", "discoveries", "main", 1280),
        ("/comparison", "comparison", "annual", 360),
    ],
)
def test_a_wrapped_legend_keeps_clear_of_the_axis_title_and_shows_every_entry(
    server, watched_page, path, tab, index, width
):
    watched = watched_page(viewport={"width": width, "height": 800})
    page = watched.page
    page.goto(f"{server.url}{path}")
    chart = scroll_to(graph(page, tab, index))  # drawn when it comes near (views.DRAW_NEAR)
    expect(chart.locator(".legend .traces").first).to_be_visible()
    expect(chart.locator(".xtitle")).to_be_visible()
    page.wait_for_load_state("networkidle")
    # Every box in one look: the page is scrolled, and Chromium's scroll anchoring may move it between two looks
    # (the charts below, drawn as they come near, change the height of what follows).
    boxes = chart.evaluate(BOXES)
    legend, title, plot = boxes["legend"], boxes["title"], boxes["plot"]
    assert legend and title and plot
    below_legend = legend["y"] + legend["height"]
    assert below_legend <= title["y"] or legend["y"] >= title["y"] + title["height"], (legend, title)  # no overlap
    assert plot["height"] >= 180, f"the plot keeps {plot['height']} px beside its legend"
    assert boxes["entries"]
    for box in boxes["entries"]:  # none hidden behind the legend's scroll box
        assert legend["y"] - 1 <= box["y"] and box["y"] + box["height"] <= below_legend + 1, (box, legend)
    watched.screenshot(f"legend-{tab}-{index}-{width}")
    assert watched.problems() == [], server.log()[-4000:]


def test_default_years_start_at_the_reference_year_and_all_years_is_one_click_away(server, watched_page):
    from dashboard_app import reference

    watched = watched_page(viewport=DESKTOP)
    page = watched.page
    page.goto(f"{server.url}/discoveries")
    thumbs = page.locator("#discoveries-years [role=slider]")
    expect(thumbs.first).to_have_attribute("aria-valuenow", str(reference.first_default_year()))
    lowest = thumbs.first.get_attribute("aria-valuemin")
    assert int(lowest) < reference.first_default_year()  # the shared sky reaches further back
    page.get_by_role("button", name=re.compile(r"^All years \(\d{4}–\d{4}\)$")).click()
    expect(thumbs.first).to_have_attribute("aria-valuenow", lowest)
    expect(page).to_have_url(re.compile(rf"years={lowest}-\d{{4}}"))
    assert watched.problems() == [], server.log()[-4000:]
