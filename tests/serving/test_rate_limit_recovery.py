"""After HTTP 429 the page recovers by itself, and controls, charts, URL and CSV never disagree (real Chromium).

A real gunicorn with a tiny rate limit; a person changes four controls in a row on Discoveries by Year.
The later changes are refused; the page says its charts are out of date while the URL and the charts
keep showing the view that was drawn; after the server's ``Retry-After`` the page redraws by itself, and
then the controls, the chart (its note and legend equal the server's own answer for those controls), the
URL and the CSV file (name and content) all describe the same view.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
from playwright.sync_api import expect

from dashboard_app.tabs import discoveries
from tests.harness.browser import view_graph, view_note

pytestmark = [pytest.mark.browser, pytest.mark.slow]

expect.set_options(timeout=20_000)  # a fresh worker's first callbacks take a few seconds on a busy machine

RATE_LIMIT = "2 per 20 seconds"  # the page load sends no callback (its charts come in the page): two changes pass
RECOVERY_TIMEOUT_MS = 60_000  # Retry-After ≤ 20 s, perhaps once more for a second, on a busy machine


@pytest.fixture
def expected(snapshot_data_dir):
    """``expected(values) -> (TAB.update output, CSV payload of the main chart)`` from an in-process app."""
    from dashboard_app.app import create_app
    from dashboard_app.settings import load_settings

    app = create_app(load_settings({"DATA_DIR": str(snapshot_data_dir), "LOG_FORMAT": "text"}, env_file=None))

    def _expected(values: dict) -> tuple[dict, dict]:
        with app.server.test_request_context("/_dash-update-component", method="POST"):
            out = discoveries.TAB.update(values, "light")
            return out, discoveries.TAB.download(1, discoveries.VIEW.csv_button_id("main"), out["drawn"])

    yield _expected
    app.server.extensions["neo_store"].stop()


def test_a_refused_update_is_retried_and_everything_agrees_afterwards(
    snapshot_data_dir, start_server, watched_page, expected
):
    server = start_server(snapshot_data_dir, RATE_LIMIT=RATE_LIMIT)
    watched = watched_page(viewport={"width": 1280, "height": 900})
    page = watched.page
    callbacks: list[int] = []
    page.on("response", lambda r: callbacks.append(r.status) if "_dash-update-component" in r.url else None)
    updates: list[str] = []  # bodies of the tab's update requests, as sent (retries included)
    page.on(
        "request",
        lambda r: (
            updates.append(r.post_data)
            if "_dash-update-component" in r.url and "view-request" in (r.post_data or "")
            else None
        ),
    )
    page.goto(f"{server.url}/discoveries")
    expect(view_graph(page, "main", "discoveries").locator(".xtick").first).to_be_visible()
    default_out, _ = expected({})
    expect(view_note(page, "main", "discoveries")).to_have_text(default_out["charts"]["main"][1])
    assert callbacks == []  # a tab's first view comes in the page: no update, no page-router request

    page.locator("#discoveries-mode").get_by_label("Cumulative").check()
    page.select_option("#discoveries-size", "2")
    page.locator("#discoveries-group").get_by_label("Station (top N)").check()
    page.fill("#discoveries-top", "3")
    page.keyboard.press("Enter")

    # Refused: the page says so, and the URL and charts still describe the view on screen, not the controls.
    # (Usually the view after the first two changes; the URL, not an assumption, says which.)
    notice = page.locator("#shell-rate-limit-notice")
    expect(notice).to_contain_text("more chart updates than the site allows")
    expect(notice).to_contain_text("out of date")
    expect(page.locator("body")).to_have_class(re.compile("shell-out-of-date"))
    badge = "h => getComputedStyle(h, '::after').content"
    assert "out of date" in page.locator(".view-chart h2").first.evaluate(badge)  # on every chart's title
    expect(page.locator("#discoveries-top")).to_have_value("3")
    on_screen = _url_and_chart_agree(page, expected)  # an answer accepted before the refusal may still be landing
    assert on_screen["url"] == (f"?{urlsplit(page.url).query}" if urlsplit(page.url).query else "")
    assert "top=3" not in page.url

    # Recovered by itself: no further input from the person.
    expect(notice).to_contain_text("up to date again", timeout=RECOVERY_TIMEOUT_MS)
    expect(page.locator("body")).not_to_have_class(re.compile("shell-out-of-date"))
    assert "out of date" not in page.locator(".view-chart h2").first.evaluate(badge)
    shown = {
        "size": page.locator("#discoveries-size").input_value(),
        "group": "station" if page.locator("#discoveries-group").get_by_label("Station (top N)").is_checked() else "?",
        "top": page.locator("#discoveries-top").input_value(),
        "mode": "cumulative" if page.locator("#discoveries-mode").get_by_label("Cumulative").is_checked() else "?",
    }
    assert shown == {"size": "2", "group": "station", "top": "3", "mode": "cumulative"}
    out, csv = expected({**shown, "top": 3})
    expect(page).to_have_url(re.compile(re.escape(out["url"]) + "$"))
    fig, text = out["charts"]["main"]
    expect(view_note(page, "main", "discoveries")).to_have_text(text)
    legend = [t.get("name") for t in fig["data"]] if isinstance(fig, dict) else [t.name for t in fig.data]
    expect(view_graph(page, "main", "discoveries").locator(".legendtext")).to_have_text(legend)

    with page.expect_download() as download:
        page.get_by_title("Download the numbers of “Discoveries per year” as CSV").click()
    assert download.value.suggested_filename == csv["filename"]
    assert "size-2_group-station_top-3_mode-cumulative" in csv["filename"]
    assert Path(download.value.path()).read_text(encoding="utf-8") == csv["content"]

    # Only the newest refused request was sent again; the ones it replaced were dropped, not replayed.
    assert callbacks.count(429) >= 1 and set(callbacks) <= {200, 429}, callbacks
    sent = Counter(updates)
    assert sent[updates[-1]] >= 2 and all(n == 1 for body, n in sent.items() if body != updates[-1]), sent.values()
    assert all("429" in problem for problem in watched.problems()), watched.problems()


def _url_and_chart_agree(page, expected, timeout_s: float = 20.0) -> dict:
    """The server's answer for the view the URL names, once the main chart's note shows that view (read together,
    until they agree: the URL and the chart of one accepted answer are updated one after the other)."""
    deadline = time.monotonic() + timeout_s
    while True:
        url = page.url
        view, _ = expected(dict(parse_qsl(urlsplit(url).query)))
        shown = view_note(page, "main", "discoveries").inner_text().strip()
        if shown == view["charts"]["main"][1] and page.url == url:
            return view
        assert time.monotonic() < deadline, f"the URL {url} and the chart ({shown!r}) describe different views"
        page.wait_for_timeout(200)
