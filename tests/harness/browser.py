"""Test harness: headless Chromium through Playwright (shared by several test areas).

Fixtures:
- ``chromium`` (session) — a Playwright browser on ``/usr/bin/chromium`` (never ``playwright install``).
- ``watched_page`` — ``watched_page(**context_options) -> WatchedPage``: a fresh page whose console
  errors, failed requests (network failures and HTTP ≥ 400) and Content-Security-Policy violations are
  collected. CSP violations do not always reach the console, so an init script listens for
  ``securitypolicyviolation`` and reports each one through an exposed binding.
  ``WatchedPage.problems()`` lists them all; ``WatchedPage.screenshot(name)`` writes
  ``test-artifacts/<name>.png``.

``view_graph(page, index, tab)`` and ``view_note(page, index, tab)`` locate a chart's plotly graph and its note
line (ids are pattern-matching dicts, serialised by Dash; ``tab`` narrows them to one tab's).

``scroll_through(page)`` scrolls a page to its end and back, and ``scroll_to(locator)`` brings one element to
the middle of the viewport, so that charts drawn only when they come near the viewport (``views.DRAW_NEAR``)
are drawn.

``pick_option(page, dropdown_id, label_start)`` adds an option to a Dash dropdown as a reader does (open it, type
in its search box, click the option), opening it again when a busy page missed the click.

``CallbackCounter(page)`` counts the page's callback POSTs: ``count_during(action)`` runs an action and
returns how many it caused (waits for the first answer, then a quiet second for any more);
``slider_sweep(page, slider_id)`` presses a slider's arrow key a few times like a person and returns the
numbers of callback requests that are right for the pauses that really happened between the steps.

Under a CSP without ``'unsafe-eval'`` ``page.wait_for_function("…")`` fails: use locators and ``expect``.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-gpu",
]
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (e) => {
  window.__neoReportCsp({directive: e.violatedDirective, blocked: e.blockedURI, source: e.sourceFile,
                         line: e.lineNumber, sample: e.sample});
});
"""


@dataclass
class WatchedPage:
    """A Playwright page plus what went wrong on it."""

    page: Any
    console_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    csp_violations: list[dict] = field(default_factory=list)

    def problems(self) -> list[str]:
        """Every console error, failed request and CSP violation seen so far."""
        return (
            [f"console error: {m}" for m in self.console_errors]
            + [f"failed request: {r}" for r in self.failed_requests]
            + [f"CSP violation: {v}" for v in self.csp_violations]
        )

    def screenshot(self, name: str) -> Path:
        """Save a full-page screenshot as ``test-artifacts/<name>.png`` (scrolled through first, so that the
        charts drawn when they come near the viewport are there)."""
        scroll_through(self.page)
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


def _view_id(kind: str, index: str, tab: str | None) -> str:
    in_tab = f'[id*=\'"tab":"{tab}"\']' if tab else ""
    return f'[id*=\'"index":"{index}"\']{in_tab}[id*=\'"type":"{kind}"\']'


def view_graph(page: Any, index: str, tab: str | None = None) -> Any:
    """The plotly graph of chart ``index`` (of tab ``tab`` when given)."""
    return page.locator("div" + _view_id("view-graph", index, tab))


def view_note(page: Any, index: str, tab: str | None = None) -> Any:
    """The note line under chart ``index`` (of tab ``tab`` when given)."""
    return page.locator("p" + _view_id("view-note", index, tab))


def scroll_to(locator: Any) -> Any:
    """Scroll the element to the middle of the viewport, as a reader would before looking at it (a chart below
    the fold is drawn when it comes near: ``views.DRAW_NEAR``); returns the locator. Found again at the call,
    so a component React has just replaced is no problem. Waits for the page to settle first (no request for
    half a second), as a reader scrolls a page that has come, not one still growing. Scrolls at once, not
    smoothly (Bootstrap's ``scroll-behavior: smooth`` animates a scroll over ~0.7 s, and anything that scrolls
    meanwhile stops the animation where it is), and again until the element stays in view."""
    page = locator.page
    page.wait_for_load_state("networkidle")
    for _ in range(50):
        locator.evaluate("(e) => e.scrollIntoView({block: 'center', behavior: 'instant'})")
        page.wait_for_timeout(100)
        if locator.evaluate(_IN_VIEW):
            page.wait_for_timeout(100)
            if locator.evaluate(_IN_VIEW):
                break
    return locator


_IN_VIEW = "(e) => { const r = e.getBoundingClientRect(); return r.bottom > 0 && r.top < window.innerHeight; }"


def pick_option(page: Any, dropdown_id: str, label_start: str, attempts: int = 3) -> None:
    """Pick the option of Dash dropdown ``dropdown_id`` whose label starts with ``label_start``: open the dropdown,
    fill its search box, click the option. Clicks the dropdown again when its popover is not open (a click that
    lands while React re-renders the page can be lost), up to ``attempts`` times; then fails saying what the
    dropdown showed each time. ``fill`` rather than typed keys: keys pressed before the search box has the focus
    go to the button and are lost."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    button = page.locator(f"#{dropdown_id}")
    search = page.locator("input.dash-dropdown-search")
    listed = page.locator(".dash-dropdown-options").get_by_role("option")
    option = listed.filter(has_text=re.compile("^" + re.escape(label_start)))
    seen: list[str] = []
    for _ in range(attempts):
        if button.get_attribute("aria-expanded") != "true":
            button.click()
        try:
            search.fill(label_start, timeout=5_000)
            option.click(timeout=5_000)
            return
        except PlaywrightTimeout:
            seen.append(
                f"aria-expanded={button.get_attribute('aria-expanded')} search boxes={search.count()} "
                f"options={listed.all_inner_texts()[:5]}"
            )
    raise AssertionError(f"could not pick {label_start!r} in #{dropdown_id}: " + "; ".join(seen))


def scroll_through(page: Any, pause_ms: int = 60) -> None:
    """Scroll ``page`` to its end a viewport at a time, as a reader would, then back to the top: every chart
    that is drawn when it comes near the viewport (``views.DRAW_NEAR``) has then been released to draw."""
    step = page.evaluate("() => window.innerHeight")
    y = 0
    while True:
        page.evaluate("(y) => window.scrollTo({top: y, behavior: 'instant'})", y)
        page.wait_for_timeout(pause_ms)  # the scroll event and the next animation frame
        if y + step >= page.evaluate("() => document.documentElement.scrollHeight"):
            break
        y += step
    page.evaluate("() => window.scrollTo({top: 0, behavior: 'instant'})")


def watch(page: Any) -> WatchedPage:
    """Start collecting problems on ``page`` (call before the first navigation)."""
    watched = WatchedPage(page)
    page.on("console", lambda msg: watched.console_errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: watched.console_errors.append(f"uncaught: {exc}"))
    page.on("requestfailed", lambda req: _failed(watched, req))
    page.on(
        "response",
        lambda resp: (
            watched.failed_requests.append(f"{resp.request.method} {resp.url}: HTTP {resp.status}")
            if resp.status >= 400
            else None
        ),
    )
    page.expose_binding("__neoReportCsp", lambda _source, report: watched.csp_violations.append(report))
    page.add_init_script(CSP_LISTENER)
    return watched


def _failed(watched: WatchedPage, request: Any) -> None:
    # The browser asks for the favicon after each load and cancels that request when the next navigation
    # starts (net::ERR_ABORTED): the browser's own housekeeping, not a failure a user meets.
    if "/_favicon.ico" in request.url and request.failure == "net::ERR_ABORTED":
        return
    watched.failed_requests.append(f"{request.method} {request.url}: {request.failure}")


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """Headless Chromium from the system package, shared by the session."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `bash scripts/system-deps.sh` (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def watched_page(chromium: Any) -> Iterator[Callable[..., WatchedPage]]:
    """``watched_page(**context_options)`` → a :class:`WatchedPage` in a fresh context (closed at teardown)."""
    contexts = []

    def _open(**context_options: Any) -> WatchedPage:
        context = chromium.new_context(**context_options)
        context.set_default_timeout(20_000)
        contexts.append(context)
        return watch(context.new_page())

    yield _open
    for context in contexts:
        context.close()


def axe_violations(page: Any, impacts: tuple[str, ...] | None = None) -> list[str]:
    """axe-core's findings on the page (of ``impacts`` only, or every impact), one line each
    (id, impact, help, first targets)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}, {v['help']}): {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if impacts is None or v["impact"] in impacts
    ]


def serious_axe_violations(page: Any) -> list[str]:
    """axe-core's serious and critical findings on the page, one line each (id, impact, first targets)."""
    return axe_violations(page, ("serious", "critical"))


class CallbackCounter:
    """Counts the callback POSTs a page's controls cause (one per server round trip)."""

    PATH = "/_dash-update-component"
    STATUS = '"output":"shell-status.children"'

    def __init__(self, page: Any) -> None:
        self.page = page
        self.sent = 0
        page.on("request", self._count)

    def _count(self, request: Any) -> None:
        # The shell's once-a-minute status refresh is not caused by the page's controls.
        if request.method == "POST" and self.PATH in request.url and self.STATUS not in (request.post_data or ""):
            self.sent += 1

    def count_during(self, action: Callable[[], Any], quiet_ms: int = 1200) -> int:
        """Callback POSTs caused by ``action``: waits for the first answer, then ``quiet_ms`` for stragglers."""
        before = self.sent
        with self.page.expect_response(lambda r: self.PATH in r.url):
            action()
        self.page.wait_for_timeout(quiet_ms)
        return self.sent - before


KEY_TIMES = """
() => {
  window.__neoKeyTimes = [];
  if (!window.__neoKeyListener) {
    window.__neoKeyListener = true;
    document.addEventListener("keydown", () => window.__neoKeyTimes.push(performance.now()), true);
  }
}
"""


def slider_sweep(page: Any, slider_id: str, presses: int = 5, gap_ms: int = 100) -> range:
    """Press ArrowRight ``presses`` times on the slider's first thumb, ``gap_ms`` apart.

    Steps closer together than the settle time (``views.SETTLE_MS``) make one request. On a very busy
    machine the browser can see a pause longer than that between two steps; each such pause (timed in the
    page) may add one request. Returns the acceptable request counts.
    """
    from dashboard_app.views import SETTLE_MS

    page.evaluate(KEY_TIMES)
    thumb = page.locator(f"#{slider_id} [role=slider]").first
    for _ in range(presses):
        thumb.press("ArrowRight")
        page.wait_for_timeout(gap_ms)
    times = page.evaluate("() => window.__neoKeyTimes")
    assert len(times) == presses, times
    stretched = sum(b - a > SETTLE_MS - 100 for a, b in itertools.pairwise(times))
    return range(1, 2 + stretched)
