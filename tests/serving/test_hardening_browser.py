"""Real Chromium against real gunicorn: the callback guard never refuses what a browser sends (and the size and
depth limits leave a wide margin over it), a CSP violation reaches the log, an unknown page is a 404."""

from __future__ import annotations

import json
import time

import pytest
from playwright.sync_api import expect

from dashboard_app.app import tab_modules
from dashboard_app.settings import SETTINGS
from dashboard_app.web.callback_guard import CALLBACK_PATH, MAX_JSON_DEPTH
from tests.serving.test_callback_fuzz import _paths

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DEFAULT_MAX_BYTES = int(next(s.default for s in SETTINGS if s.name == "CALLBACK_MAX_BYTES"))
SIZE_MARGIN = 8  # the default limit is at least this many times the largest body a browser sent
DEPTH_MARGIN = 4


@pytest.fixture(scope="module")
def server(snapshot_data_dir, tmp_path_factory):
    from tests.harness.server import launch

    running = launch(snapshot_data_dir, tmp_path_factory.mktemp("gunicorn") / "server.log", RATE_LIMIT="10000/minute")
    yield running
    running.stop()


def depth(body) -> int:
    return max((len(p) for p in _paths(body)), default=0)


def test_every_callback_body_a_browser_sends_is_accepted_with_a_wide_margin_to_the_limits(server, watched_page):
    watched = watched_page(accept_downloads=True)
    page = watched.page
    bodies: list[str] = []
    statuses: list[int] = []
    page.on("request", lambda r: bodies.append(r.post_data) if CALLBACK_PATH in r.url else None)
    page.on("response", lambda r: statuses.append(r.status) if CALLBACK_PATH in r.url else None)
    for module in tab_modules():
        page.goto(f"{server.url}{module.PATH}")
        page.wait_for_load_state("networkidle")
        # Not disabled ones: a multi-select (Dash's dropdown is a button) that the tab's state disables.
        for button in page.locator("main button[id]:visible:enabled").all():
            button.click()  # Reset and every CSV download of the tab
            page.wait_for_load_state("networkidle")
        page.locator("#shell-theme-toggle").click()  # every chart redrawn in the other theme
        page.wait_for_load_state("networkidle")
    # Dash's renderer aborts a request whose inputs changed again before it answered (net::ERR_ABORTED):
    # the browser's choice, not a refusal.
    assert [p for p in watched.problems() if not p.endswith("net::ERR_ABORTED")] == []
    # One request per interaction (issue #12): about 6 bodies per chart tab (page, its one update, Reset, theme,
    # chart CSVs; a table's CSV is exported by its grid in the browser, without a request).
    assert len(bodies) >= 20 and set(statuses) <= {200, 204}, sorted(set(statuses))
    largest = max(len(b.encode()) for b in bodies)
    deepest = max(depth(json.loads(b)) for b in bodies)
    print(f"{len(bodies)} callback bodies: largest {largest} bytes, deepest {deepest} levels")
    assert largest * SIZE_MARGIN <= DEFAULT_MAX_BYTES, f"largest real body {largest} bytes: raise CALLBACK_MAX_BYTES"
    assert deepest * DEPTH_MARGIN <= MAX_JSON_DEPTH, f"deepest real body {deepest} levels: raise MAX_JSON_DEPTH"
    assert "refused callback request" not in server.log()


def test_a_csp_violation_in_the_browser_is_reported_and_logged_as_one_json_line(server, watched_page):
    watched = watched_page()
    page = watched.page
    page.goto(f"{server.url}/about")
    expect(page.locator("#about-definition-list")).to_be_visible()
    with pytest.raises(Exception, match="Content Security Policy"):
        page.add_script_tag(content="window.injected = true;")  # an inline script: blocked by the policy
    deadline = time.monotonic() + 15
    lines: list[dict] = []
    while not lines and time.monotonic() < deadline:
        page.wait_for_timeout(200)
        lines = [
            json.loads(line) for line in server.log().splitlines() if line.startswith("{") and "CSP violation:" in line
        ]
    assert len(lines) == 1, server.log()[-2000:]
    assert lines[0]["logger"] == "dashboard_app.web.csp_reports"
    assert lines[0]["message"].startswith("CSP violation: script-src-elem blocked inline on ")
    assert lines[0]["message"].split(" on ")[1].startswith(f"{server.url}/about")
    assert watched.csp_violations  # the page saw it too


def test_an_unknown_page_is_a_404_that_still_shows_the_site(server, watched_page):
    watched = watched_page()
    page = watched.page
    response = page.goto(f"{server.url}/no-such-tab")
    assert response.status == 404
    expect(page.locator("#shell-main")).to_contain_text("404")
    expect(page.locator("#shell-tabs a")).to_have_count(len(tab_modules()))
