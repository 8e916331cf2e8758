"""Both tabs in real headless Chromium against a real gunicorn serving the published tiny sky.

Zero console errors, failed requests and CSP violations; controls change the charts and the URL;
Reset restores the defaults; a shared link reopens its view; axe-core finds nothing serious;
screenshots at 1280 px and 360 px go to ``test-artifacts/``.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.harness.browser import scroll_to, serious_axe_violations, view_graph, view_note
from tests.tabs_comparison.tiny_sky import publish_tiny

pytestmark = [pytest.mark.browser, pytest.mark.slow]

expect.set_options(timeout=20_000)  # the first callbacks of a fresh worker take a few seconds on a busy machine

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 780}


@pytest.fixture
def server(tmp_path, start_server):
    data_dir = tmp_path / "data"
    publish_tiny(data_dir)
    return start_server(data_dir)


PICK_ANOTHER = """(e) => {
  const option = [...e.options].find((o) => !o.selected && o.value && o.value !== "largest");
  e.value = option.value;
  e.dispatchEvent(new Event("change", {bubbles: true}));
  return option.value;
}"""
"""Choose another station in a select without scrolling to it (Playwright's select_option scrolls first)."""


def assert_clean(watched, server) -> None:
    """No console errors, failed requests or CSP violations (server errors quoted from its log)."""
    problems = watched.problems()
    errors = [line[:1500] for line in server.log().splitlines() if '"level": "error"' in line or "Traceback" in line]
    assert not problems, "\n".join(problems + errors[:10])


def test_comparison_tab_draws_reacts_to_controls_resets_and_passes_axe(server, watched_page):
    watched = watched_page(viewport=DESKTOP)
    page = watched.page
    page.goto(f"{server.url}/comparison")
    expect(view_graph(page, "venn").locator(".annotation-text").first).to_be_visible()
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(300)
    # Charts far below the fold wait (views.DRAW_NEAR), also on a tab whose graphs mount after its first answer.
    assert view_graph(page, "codetect").locator(".hm").count() == 0
    expect(scroll_to(view_graph(page, "reach")).locator(".bars path").first).to_be_visible()  # drawn when near
    expect(scroll_to(view_graph(page, "codetect")).locator(".hm")).to_have_count(1)
    # A chart drawn once takes every later answer at once, even far from view: the Venn diagram, drawn while dcc
    # was still mounting its graph (dcc then replaces the graph's element), follows a change made from down here.
    venn_texts = view_graph(page, "venn").locator(".annotation-text")
    before = venn_texts.all_text_contents()
    picked = page.locator("#comparison-venn1").evaluate(PICK_ANOTHER)  # select_option would scroll up to it
    expect(page).to_have_url(re.compile(rf"venn1={picked}"))
    expect(venn_texts).not_to_have_text(before)
    assert page.evaluate("() => window.scrollY") > 1000
    page.goto(f"{server.url}/comparison")
    expect(scroll_to(view_graph(page, "reach")).locator(".bars path").first).to_be_visible()
    expect(page.locator("[role=gridcell]", has_text="Eligible NEOs")).to_be_visible()
    # Default: ±200 d after discovery, years 2019–2021: Catalina saw NEOs 1, 2, 3, 5 → bar 4.
    expect(view_note(page, "venn")).to_contain_text("Circle sizes are not proportional")
    reach_before = view_graph(page, "reach").locator(".bars path").count()

    page.select_option("#comparison-window", "1")
    expect(page).to_have_url(re.compile(r"window=1"))
    expect(view_note(page, "reach")).to_contain_text("0…+1 d")
    page.get_by_text("Station", exact=True).click()
    expect(page).to_have_url(re.compile(r"group=station"))
    expect(view_note(page, "reach")).to_contain_text("by station")
    assert view_graph(page, "reach").locator(".bars path").count() != reach_before
    watched.screenshot("comparison-1280-station")

    page.get_by_role("button", name="Reset", exact=True).click()
    expect(page).to_have_url(re.compile(r"/comparison$"))
    expect(view_note(page, "reach")).to_contain_text("0…+200 d after discovery, by survey project")

    violations = serious_axe_violations(page)
    assert not violations, "\n".join(violations)
    watched.screenshot("comparison-1280")
    page.set_viewport_size(PHONE)
    page.reload()
    expect(scroll_to(view_graph(page, "venn")).locator(".annotation-text").first).to_be_visible()  # under the controls
    watched.screenshot("comparison-360")
    assert_clean(watched, server)


def test_a_shared_comparison_link_reopens_its_view(server, watched_page):
    watched = watched_page(viewport=DESKTOP)
    page = watched.page
    page.goto(f"{server.url}/comparison?group=station&venn1=J95&venn2=Z99&window=7&labels=counts")
    venn = view_graph(page, "venn")
    expect(venn.locator(".annotation-text", has_text="J95")).to_be_visible()
    expect(venn.locator(".annotation-text", has_text="None of them: 3")).to_be_visible()
    expect(page.locator("#comparison-window")).to_have_value("7")
    assert_clean(watched, server)


def test_followup_tab_draws_reacts_to_controls_resets_and_passes_axe(server, watched_page):
    watched = watched_page(viewport=DESKTOP)
    page = watched.page
    page.goto(f"{server.url}/followup")
    # 3 plain curves, 3 Kaplan–Meier curves and the two edges of the first one's 95% band
    expect(view_graph(page, "curves").locator(".scatterlayer .trace")).to_have_count(8)
    expect(view_graph(page, "curves").locator(".legendtext", has_text="95% band")).to_have_count(1)
    expect(scroll_to(view_graph(page, "matrix")).locator(".hm")).to_have_count(1)  # below the fold: drawn when near
    expect(view_note(page, "curves")).to_contain_text("Followed up by another project within the apparition: 4")
    expect(view_note(page, "curves")).to_contain_text("Kaplan–Meier (95% CI")
    expect(page.get_by_text("Follow-up rule (by survey project)")).to_be_visible()

    page.fill("#followup-days", "200")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"days=200"))
    expect(view_graph(page, "curves").locator(".xtick", has_text="200")).to_have_count(1)

    page.select_option("#followup-size", "5")
    expect(view_note(page, "curves")).to_have_text("")
    expect(view_graph(page, "curves").locator(".annotation-text")).to_contain_text("No NEOs were discovered")

    page.get_by_role("button", name="Reset", exact=True).click()
    expect(page).to_have_url(re.compile(r"/followup$"))
    expect(page.locator("#followup-days")).to_have_value("30")

    violations = serious_axe_violations(page)
    assert not violations, "\n".join(violations)
    watched.screenshot("followup-1280")
    page.set_viewport_size(PHONE)
    page.reload()
    expect(scroll_to(view_graph(page, "curves")).locator(".scatterlayer .trace")).to_have_count(8)  # under the controls
    watched.screenshot("followup-360")
    assert_clean(watched, server)


def test_each_change_sends_one_request_and_a_slider_sweep_sends_one(server, watched_page):
    from tests.harness.browser import CallbackCounter, slider_sweep

    watched = watched_page(viewport=DESKTOP)
    page = watched.page
    counter = CallbackCounter(page)
    page.goto(f"{server.url}/comparison")
    expect(scroll_to(view_graph(page, "reach")).locator(".bars path").first).to_be_visible()

    changes = {
        "size": lambda: page.select_option("#comparison-size", "2"),
        "venn1": lambda: page.select_option("#comparison-venn1", "ATLAS"),
        "side": lambda: page.locator("#comparison-side").get_by_label("Include precoveries").check(),
        "window": lambda: page.select_option("#comparison-window", "7"),
        "metric": lambda: page.locator("#comparison-metric").get_by_label("Tracklets").check(),
        "labels": lambda: page.locator("#comparison-labels").get_by_label("Counts").check(),
        "annual": lambda: page.locator("#comparison-annual").get_by_label("% of the year's NEOs").check(),
        "group": lambda: page.locator("#comparison-group").get_by_label("Station").check(),
        "years slider sweep": lambda: sweeps.append(slider_sweep(page, "comparison-years", presses=2)),
        "Reset": lambda: page.get_by_role("button", name="Reset", exact=True).click(),
    }
    sent, sweeps = {}, []
    for name, change in changes.items():
        sent[name] = counter.count_during(change)
        if name == "side":  # relabelled in the browser
            expect(page.locator("#comparison-window option[value='7']")).to_have_text("±7 days")
        if name == "group":  # slots emptied in the browser, station choices from the server with the charts
            expect(page.locator("#comparison-venn1")).to_have_value("largest")
            expect(page.locator("#comparison-venn1 option[value='J95']")).to_have_count(1)
            expect(page.locator("#comparison-venn1 option[value='ATLAS']")).to_have_count(0)
    assert sent.pop("years slider sweep") in sweeps.pop()  # one, unless the machine stalled between steps
    assert sent == {name: 1 for name in changes if name != "years slider sweep"}
    expect(page.locator("#comparison-window option[value='7']")).to_have_text("+7 days")
    expect(page.locator("#comparison-venn1 option[value='ATLAS']")).to_have_count(1)

    page.goto(f"{server.url}/followup")
    expect(view_graph(page, "curves").locator(".scatterlayer .trace")).to_have_count(8)
    page.wait_for_load_state("networkidle")
    changes = {
        "size": lambda: page.select_option("#followup-size", "2"),
        "days": lambda: (page.fill("#followup-days", "90"), page.keyboard.press("Enter")),
        "Reset": lambda: page.get_by_role("button", name="Reset", exact=True).click(),
    }
    assert {name: counter.count_during(change) for name, change in changes.items()} == dict.fromkeys(changes, 1)
    assert_clean(watched, server)
