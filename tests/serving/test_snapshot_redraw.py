"""A newly published snapshot redraws the open tab: charts, status line and CSV files agree (real Chromium).

The page's once-a-minute status refresh names the snapshot served; when that changes, the tab's one
update callback redraws every chart from it (the page router and the controls stay as they are). The test
fires the status refresh itself instead of waiting a minute.
"""

from __future__ import annotations

import json
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect

from dashboard_app.web.shell import ID_INTERVAL
from tests.harness.browser import view_note
from tests.harness.snapshots import SCALE, build_snapshot_dir

pytestmark = [pytest.mark.browser, pytest.mark.slow]

expect.set_options(timeout=20_000)


def served_snapshot(base: str) -> str:
    with urllib.request.urlopen(f"{base}/health", timeout=10) as response:
        return json.load(response)["checks"]["snapshot:age"][0]["componentId"]


def test_a_published_snapshot_redraws_the_open_tab_and_its_csv_follows(tmp_path, start_server, watched_page):
    from dashboard_app.sky import generate

    data_dir = tmp_path / "data"
    first = build_snapshot_dir(data_dir, sky=generate(11, SCALE)).name[len("snapshot-") : -len(".sqlite")]
    server = start_server(data_dir, SNAPSHOT_POLL_SECONDS="0.5")
    watched = watched_page(viewport={"width": 1280, "height": 900})
    page = watched.page
    page.goto(f"{server.url}/discoveries?mode=cumulative")
    expect(view_note(page, "main", "discoveries")).to_contain_text("NEOs discovered")
    expect(page.locator("#shell-data-line")).to_contain_text(first)
    before = view_note(page, "main", "discoveries").text_content()

    second = build_snapshot_dir(data_dir, sky=generate(12, SCALE * 2)).name[len("snapshot-") : -len(".sqlite")]
    deadline = time.monotonic() + 30
    while served_snapshot(server.url) != second and time.monotonic() < deadline:
        time.sleep(0.2)
    assert served_snapshot(server.url) == second
    page.evaluate(f"() => window.dash_clientside.set_props('{ID_INTERVAL}', {{n_intervals: 1000}})")  # "a minute later"

    expect(page.locator("#shell-data-line")).to_contain_text(second)
    expect(view_note(page, "main", "discoveries")).not_to_have_text(before)
    neos = int(view_note(page, "main", "discoveries").text_content().split(" NEOs")[0].replace(",", ""))
    # The open page keeps its view (its year slider still spans the first snapshot's years), now stated in full.
    assert page.url.endswith("mode=cumulative")
    with page.expect_download() as download:
        page.get_by_title("Download the numbers of “Discoveries per year” as CSV").click()
    rows = [line.split(",") for line in Path(download.value.path()).read_text(encoding="utf-8").splitlines()]
    data = [r for r in rows if not r[0].startswith("#")][1:]
    last_year = max(int(r[0]) for r in data)
    assert sum(int(r[2]) for r in data if int(r[0]) == last_year) == neos  # cumulative to the last year = the note
    assert watched.problems() == [], server.log()[-3000:]
