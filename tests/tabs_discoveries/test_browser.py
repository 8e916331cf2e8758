"""Both tabs in real headless Chromium against a real gunicorn serving the small synthetic sky.

Every control changes the chart and the URL; Reset restores the defaults; a shared link reopens
its view; zero console errors, failed requests and CSP violations; axe-core finds nothing serious
or critical and every control has a label; screenshots at 1280 px and 360 px go to
``test-artifacts/``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.harness.browser import scroll_to, serious_axe_violations, view_graph

pytestmark = [pytest.mark.browser, pytest.mark.slow]

expect.set_options(timeout=20_000)  # a fresh worker's first callbacks take a few seconds on a busy machine

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 780}
CHANGE_TIMEOUT_S = 20.0


@pytest.fixture(scope="module")
def server(snapshot_data_dir, tmp_path_factory):
    """One gunicorn for the module, serving the shared small synthetic snapshot."""
    from tests.harness.server import launch

    running = launch(snapshot_data_dir, tmp_path_factory.mktemp("tabs7-server") / "server.log")
    yield running
    running.stop()


def svg_of(page, tab: str) -> str:
    return view_graph(page, "main", tab).locator(".main-svg").first.inner_html()


def changes_chart(page, tab: str, action: Callable[[], None]) -> None:
    """Run ``action`` and wait (bounded) until the main chart's SVG differs from before."""
    before = svg_of(page, tab)
    action()
    deadline = time.monotonic() + CHANGE_TIMEOUT_S
    while time.monotonic() < deadline:
        if svg_of(page, tab) != before:
            return
        time.sleep(0.1)
    raise AssertionError(f"the {tab} chart did not change")


def assert_every_control_is_labelled(page, view) -> None:
    for name in view.names:
        cid = view.control_id(name)
        control = page.locator(f"#{cid}")
        expect(control).to_have_count(1)
        labelled = (
            page.locator(f"label[for='{cid}']").count()
            + page.locator(f"fieldset:has(#{cid}) > legend").count()
            + page.locator(f"[aria-labelledby='{cid}-label']:has(#{cid})").count()
        )
        assert labelled == 1, f"control {cid} has no label"
    # Every native input/select inside the controls has an accessible name (axe's "label" rule checks it too).
    for element in page.locator(".view-controls input, .view-controls select").all():
        assert element.evaluate("e => e.labels.length > 0 || !!e.getAttribute('aria-label')"), element


def accessible_at_both_widths(watched, view, theme: str) -> None:
    """Labels and axe on the desktop page, then the phone width draws the chart (screenshot)."""
    page = watched.page
    assert_every_control_is_labelled(page, view)
    violations = serious_axe_violations(page)
    assert not violations, f"{theme}:\n" + "\n".join(violations)
    page.set_viewport_size(PHONE)
    page.wait_for_load_state("networkidle")  # a reload would abort requests still in flight
    page.reload()
    expect(scroll_to(view_graph(page, "main", view.tab)).locator(".xtick").first).to_be_visible()  # under the controls
    watched.screenshot(f"{view.tab}-360")


def test_every_discoveries_control_changes_the_chart_and_the_url(server, watched_page):
    from dashboard_app.tabs import discoveries

    watched = watched_page(viewport=DESKTOP)
    page = watched.page
    page.goto(f"{server.url}/discoveries")
    expect(view_graph(page, "main", "discoveries").locator(".xtick").first).to_be_visible()
    expect(page.locator("[role=gridcell]", has_text="Catalina").first).to_be_visible()
    watched.screenshot("discoveries-1280")

    thumb = page.locator("#discoveries-years [role=slider]").first
    changes_chart(page, "discoveries", lambda: thumb.press("ArrowRight"))
    expect(page).to_have_url(re.compile(r"years=\d{4}-\d{4}"))
    changes_chart(page, "discoveries", lambda: page.select_option("#discoveries-size", "split"))
    expect(page).to_have_url(re.compile(r"size=split"))
    expect(view_graph(page, "main", "discoveries").locator(".legendtext", has_text="Unknown H")).to_have_count(1)
    changes_chart(page, "discoveries", lambda: page.select_option("#discoveries-size", "all"))
    changes_chart(page, "discoveries", lambda: page.get_by_label("Station (top N)").check())
    expect(page).to_have_url(re.compile(r"group=station"))
    expect(page.locator("#discoveries-top")).to_be_enabled()
    changes_chart(page, "discoveries", lambda: (page.fill("#discoveries-top", "2"), page.keyboard.press("Enter")))
    expect(page).to_have_url(re.compile(r"top=2"))
    changes_chart(page, "discoveries", lambda: page.get_by_label("Cumulative").check())
    expect(page).to_have_url(re.compile(r"mode=cumulative"))
    expect(view_graph(page, "main", "discoveries").locator(".ytitle")).to_have_text("Cumulative discoveries")
    watched.screenshot("discoveries-1280-changed")
    with page.expect_download() as download:
        page.get_by_title("Download the numbers of “Discoveries per year” as CSV").click()
    assert re.fullmatch(
        r"discoveries-by-year_years-\d{4}-\d{4}_size-all_group-station_top-2_mode-cumulative\.csv",
        download.value.suggested_filename,
    )
    lines = Path(download.value.path()).read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("# Discoveries by year") and "year,series,cumulative_discoveries" in lines
    violations = serious_axe_violations(page)
    assert not violations, "light theme:\n" + "\n".join(violations)
    changes_chart(page, "discoveries", lambda: page.get_by_role("button", name="Dark theme").click())
    watched.screenshot("discoveries-1280-dark")

    changes_chart(page, "discoveries", lambda: page.get_by_role("button", name="Reset", exact=True).click())
    expect(page).to_have_url(re.compile(r"/discoveries$"))
    expect(page.locator("#discoveries-size")).to_have_value("all")
    expect(page.get_by_label("Per year")).to_be_checked()
    expect(page.get_by_label("Survey project")).to_be_checked()

    accessible_at_both_widths(watched, discoveries.VIEW, "dark theme")
    assert watched.problems() == [], server.log()[-4000:]


def test_every_size_control_changes_the_chart_and_the_url(server, watched_page):
    from dashboard_app.tabs import sizes

    watched = watched_page(viewport=DESKTOP)
    page = watched.page
    page.goto(f"{server.url}/sizes")
    expect(view_graph(page, "main", "sizes").locator(".xtick").first).to_be_visible()
    expect(page.get_by_text("NEOMOD2 H distribution")).to_be_visible()
    expect(page.get_by_text("NEOMOD3 Table 3")).to_have_count(0)
    expect(page.get_by_text(re.compile(r"Completeness at 140 m at albedo 0\.14 \(H < 22\): \d"))).to_be_visible()
    watched.screenshot("sizes-1280")

    changes_chart(page, "sizes", lambda: page.locator("#sizes-years [role=slider]").last.press("ArrowLeft"))
    expect(page).to_have_url(re.compile(r"years=\d{4}-\d{4}"))
    changes_chart(page, "sizes", lambda: page.locator("#sizes-hrange [role=slider]").first.press("ArrowRight"))
    expect(page).to_have_url(re.compile(r"hrange=15.75-27.75"))
    changes_chart(page, "sizes", lambda: page.get_by_label("Per bin").check())
    expect(page).to_have_url(re.compile(r"mode=differential"))
    expect(page.get_by_text("no band is drawn")).to_be_visible()
    changes_chart(page, "sizes", lambda: page.get_by_label("Survey project").check())
    changes_chart(page, "sizes", lambda: page.get_by_label("Station (top N)").check())
    changes_chart(page, "sizes", lambda: (page.fill("#sizes-top", "1"), page.keyboard.press("Enter")))
    expect(page).to_have_url(re.compile(r"top=1"))
    changes_chart(page, "sizes", lambda: page.get_by_label("Linear").check())
    expect(page).to_have_url(re.compile(r"scale=linear"))
    watched.screenshot("sizes-1280-changed")

    changes_chart(page, "sizes", lambda: page.get_by_role("button", name="Reset", exact=True).click())
    expect(page).to_have_url(re.compile(r"/sizes$"))
    expect(page.get_by_label("Cumulative N(<H)")).to_be_checked()

    accessible_at_both_widths(watched, sizes.VIEW, "light theme")
    assert watched.problems() == [], server.log()[-4000:]


def test_a_shared_link_reopens_its_view_and_junk_falls_back_to_defaults(server, watched_page):
    watched = watched_page(viewport=DESKTOP)
    page = watched.page
    page.goto(f"{server.url}/discoveries?size=split&mode=cumulative&group=banana&top=-4")
    expect(page.locator("#discoveries-size")).to_have_value("split")
    expect(page.get_by_label("Cumulative")).to_be_checked()
    expect(page.get_by_label("Survey project")).to_be_checked()  # junk group → default
    expect(view_graph(page, "main", "discoveries").locator(".legendtext", has_text="Unknown H")).to_have_count(1)
    page.wait_for_load_state("networkidle")  # a navigation would abort requests still in flight
    entries = page.evaluate("history.length")
    page.get_by_label("Per year").check()
    expect(page).to_have_url(re.compile(r"/discoveries\?size=split$"))  # replaced in place, junk dropped
    assert page.evaluate("history.length") == entries  # Back leaves the tab instead of undoing one click
    page.reload()
    expect(page.get_by_label("Per year")).to_be_checked()
    expect(page.locator("#discoveries-size")).to_have_value("split")
    # plotly.js loaded and drawn
    expect(view_graph(page, "main", "discoveries").locator(".xtick").first).to_be_visible()
    page.wait_for_load_state("networkidle")
    page.goto(f"{server.url}/sizes?mode=differential&hrange=17.25-22.25&scale=linear&years=oops")
    expect(page.get_by_label("Per bin")).to_be_checked()
    expect(page.get_by_label("Linear")).to_be_checked()
    expect(view_graph(page, "main", "sizes").locator(".xtick").first).to_be_visible()
    assert watched.problems() == [], server.log()[-4000:]


def test_returning_to_a_tab_through_its_link_restores_the_controls_changed_there(server, watched_page):
    watched = watched_page(viewport=DESKTOP)
    page = watched.page
    page.goto(f"{server.url}/discoveries")
    expect(view_graph(page, "main", "discoveries").locator(".xtick").first).to_be_visible()
    changes_chart(page, "discoveries", lambda: page.select_option("#discoveries-size", "split"))
    expect(page).to_have_url(re.compile(r"size=split"))

    page.locator('#shell-tabs a[href^="/about"]').click()
    expect(page).to_have_url(f"{server.url}/about")
    link = page.locator('#shell-tabs a[href^="/discoveries"]')
    expect(link).to_have_attribute("href", re.compile(r"^/discoveries\?.*size=split"))
    link.click()
    expect(page.locator("#discoveries-size")).to_have_value("split")
    assert watched.problems() == []


def test_each_change_sends_one_request_and_a_slider_sweep_sends_one(server, watched_page):
    from tests.harness.browser import CallbackCounter, slider_sweep

    watched = watched_page(viewport=DESKTOP)
    page = watched.page
    counter = CallbackCounter(page)
    page.goto(f"{server.url}/discoveries")
    expect(view_graph(page, "main", "discoveries").locator(".xtick").first).to_be_visible()
    expect(page.locator("#discoveries-top")).to_be_disabled()  # Top N applies to stations only
    page.wait_for_load_state("networkidle")
    changes = {
        "size": lambda: page.select_option("#discoveries-size", "split"),
        "size back": lambda: page.select_option("#discoveries-size", "2"),
        "group": lambda: page.locator("#discoveries-group").get_by_label("Station (top N)").check(),
        "top": lambda: (page.fill("#discoveries-top", "4"), page.keyboard.press("Enter")),
        "mode": lambda: page.locator("#discoveries-mode").get_by_label("Cumulative").check(),
        "years slider step": lambda: page.locator("#discoveries-years [role=slider]").first.press("ArrowRight"),
        "years slider sweep": lambda: sweeps.append(slider_sweep(page, "discoveries-years")),
        "theme": lambda: page.get_by_role("button", name="Dark theme").click(),
        "Reset": lambda: page.get_by_role("button", name="Reset", exact=True).click(),
    }
    sent, sweeps = {}, []
    for name, change in changes.items():
        sent[name] = counter.count_during(change)
        if name == "size":  # Group by does not apply to split-by-size (set in the browser, no request)
            expect(page.locator("#discoveries-group input").first).to_be_disabled()
        if name == "group":
            expect(page.locator("#discoveries-top")).to_be_enabled()
    assert sent.pop("years slider sweep") in sweeps.pop()  # one, unless the machine stalled between steps
    assert sent == {name: 1 for name in changes if name != "years slider sweep"}
    expect(page.locator("#discoveries-group input").first).to_be_enabled()

    page.goto(f"{server.url}/sizes")
    expect(view_graph(page, "main", "sizes").locator(".xtick").first).to_be_visible()
    expect(page.locator("#sizes-top")).to_be_disabled()
    page.wait_for_load_state("networkidle")
    changes = {
        "hrange slider sweep": lambda: sweeps.append(slider_sweep(page, "sizes-hrange", presses=4)),
        "mode": lambda: page.locator("#sizes-mode").get_by_label("Per bin").check(),
        "group": lambda: page.locator("#sizes-group").get_by_label("Station (top N)").check(),
        "top": lambda: (page.fill("#sizes-top", "2"), page.keyboard.press("Enter")),
        "scale": lambda: page.locator("#sizes-scale").get_by_label("Linear").check(),
        "Reset": lambda: page.get_by_role("button", name="Reset", exact=True).click(),
    }
    sent = {name: counter.count_during(change) for name, change in changes.items()}
    assert sent.pop("hrange slider sweep") in sweeps.pop()
    assert sent == {name: 1 for name in changes if name != "hrange slider sweep"}
    expect(page.locator("#sizes-top")).to_be_disabled()
    assert watched.problems() == [], server.log()[-4000:]
