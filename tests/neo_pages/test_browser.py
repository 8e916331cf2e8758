"""Search and object pages in real headless Chromium against a real gunicorn serving the small synthetic sky.

Search → suggestion → page and Enter → page; what a fast typist sends; the object, no-discovery,
not-found and open-data pages at 1280 px and 360 px: axe-core finds nothing serious or critical, the
page does not scroll sideways on a phone, zero console errors, failed requests and CSP violations
(except the 404 status a not-found page must have). Screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

import itertools
import time

import pytest
from playwright.sync_api import expect

from dashboard_app.objects.search import DEBOUNCE_MS
from tests.harness.browser import CallbackCounter, serious_axe_violations
from tests.neo_pages.test_object_records import planted_objects, truth_row

pytestmark = [pytest.mark.browser, pytest.mark.slow]

expect.set_options(timeout=20_000)

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 780}
TYPING_GAP_MS = 70  # a fast typist: about 14 characters a second


@pytest.fixture(scope="module")
def server(snapshot_data_dir, tmp_path_factory):
    from tests.harness.server import launch

    running = launch(snapshot_data_dir, tmp_path_factory.mktemp("neo-pages-server") / "server.log")
    yield running
    running.stop()


@pytest.fixture(scope="module")
def numbered(synthetic_sky) -> dict:
    """A planted numbered NEO discovered under its provisional designation."""
    return truth_row(synthetic_sky, planted_objects(synthetic_sky, "numbered_disc_under_provisional")[0])


def open_tab_and_settle(page, server) -> None:
    page.goto(server.url + "/discoveries")
    expect(page.locator(".main-svg").first).to_be_visible()
    page.wait_for_timeout(800)  # the tab's first draw has answered


def type_like_a_person(page, text: str, gap_ms: int = TYPING_GAP_MS) -> range:
    """Type ``text`` into the search box a key at a time; returns the acceptable request counts for the
    pauses that really happened (one, plus one per pause the busy machine stretched past the debounce)."""
    box = page.locator("#neo-search-input")
    box.click()
    times = []
    for ch in text:
        box.press(ch if ch != " " else "Space")
        times.append(time.monotonic())
        page.wait_for_timeout(gap_ms)
    gaps = [(b - a) * 1000 for a, b in itertools.pairwise(times)]
    surely = sum(g > DEBOUNCE_MS + 150 for g in gaps)
    perhaps = sum(g > DEBOUNCE_MS - 150 for g in gaps)
    return range(1 + surely, 2 + perhaps)


def test_search_suggests_as_a_fast_typist_pauses_and_a_suggestion_opens_the_page(watched_page, server, numbered):
    w = watched_page(viewport=DESKTOP)
    page = w.page
    open_tab_and_settle(page, server)
    counter = CallbackCounter(page)
    before = counter.sent
    acceptable = type_like_a_person(page, numbered["provid"].lower())
    link = page.locator(".neo-search-link").first
    expect(link).to_have_text(f"({numbered['permid']}) {numbered['provid']}")
    page.wait_for_timeout(DEBOUNCE_MS + 700)
    assert counter.sent - before in acceptable, f"{counter.sent - before} requests while typing"
    expect(page.locator("#neo-search-status")).to_contain_text("suggestion")

    sent = counter.count_during(link.click)
    expect(page.locator("#neo-page-title")).to_have_text(f"({numbered['permid']}) {numbered['provid']}")
    assert page.url.endswith(f"/neo/{numbered['permid']}")
    assert sent == 1, "opening the page is the page's own request"
    expect(page.locator("#neo-search-input")).to_have_value("")
    expect(page.locator("#neo-search-suggestions")).to_be_hidden()
    assert w.problems() == []


def test_enter_opens_the_typed_designation_even_before_suggestions_arrive(watched_page, server, numbered):
    w = watched_page(viewport=DESKTOP)
    page = w.page
    open_tab_and_settle(page, server)
    box = page.locator("#neo-search-input")
    box.fill(numbered["packed_provid"].lower())
    box.press("Enter")
    expect(page.locator("#neo-page-title")).to_have_text(f"({numbered['permid']}) {numbered['provid']}")
    assert "/neo/" in page.url
    page.go_back()
    expect(page.locator(".main-svg").first).to_be_visible()
    assert w.problems() == []


def pages(synthetic_sky, numbered) -> dict[str, str]:
    (missing,) = planted_objects(synthetic_sky, "missing_no_disc_flag")
    (windows,) = planted_objects(synthetic_sky, "window_boundaries")
    return {
        "numbered": f"/neo/{numbered['permid']}",
        "precovery": f"/neo/{windows.replace(' ', '_')}",
        "no-discovery": f"/neo/{missing.replace(' ', '_')}",
        "open-data": "/data",
    }


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280", "360"])
def test_object_pages_are_accessible_and_fit_a_phone(watched_page, server, synthetic_sky, numbered, viewport):
    w = watched_page(viewport=viewport)
    page = w.page
    for name, path in pages(synthetic_sky, numbered).items():
        page.goto(server.url + path)
        heading = page.locator("#open-data" if name == "open-data" else "#neo-page-title")
        expect(heading).to_be_visible()
        if name == "no-discovery":
            expect(page.locator("#neo-page-no-discovery")).to_contain_text("disc='*'")
        if name == "precovery":
            expect(page.locator(".neo-precovery").first).to_be_visible()
        assert serious_axe_violations(page) == [], name
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= viewport["width"], f"{name}: the page scrolls sideways ({width} px)"
        w.screenshot(f"neo-{name}-{viewport['width']}")
    assert w.problems() == []


def test_an_unknown_designation_is_a_404_page_that_says_so(watched_page, server):
    w = watched_page(viewport=PHONE)
    page = w.page
    response = page.goto(server.url + "/neo/2099_YZ99")
    assert response.status == 404
    expect(page.locator("#neo-page-not-found")).to_contain_text("no NEO of this snapshot has it")
    assert serious_axe_violations(page) == []
    w.screenshot("neo-not-found-360")
    expected = {"failed request: GET " + server.url + "/neo/2099_YZ99: HTTP 404"}
    assert {p for p in w.problems() if "404" not in p or "NOT FOUND" not in p} == expected
