"""Follow-up Comparison in real headless Chromium against a real gunicorn serving the small synthetic sky.

The world map draws land from the app's own topojson (no request leaves 127.0.0.1, nothing from plotly's
CDN), the production CSP stays as strict; zero console errors, failed requests and CSP violations;
controls redraw the charts and change the URL; Reset restores the defaults; axe-core finds nothing
serious or critical; screenshots at 1280 px and 360 px go to ``test-artifacts/``.
"""

from __future__ import annotations

import re
from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect

from tests.harness.browser import pick_option, scroll_to, serious_axe_violations, view_graph, view_note

pytestmark = [pytest.mark.browser, pytest.mark.slow]

expect.set_options(timeout=30_000)  # the first callbacks of a fresh worker take seconds on a busy machine

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 780}


@pytest.fixture(scope="module")
def server(snapshot_data_dir, tmp_path_factory):
    from tests.harness.server import launch

    running = launch(snapshot_data_dir, tmp_path_factory.mktemp("sites-server") / "server.log")
    yield running
    running.stop()


def assert_clean(watched, server, requested: list[str]) -> None:
    """No console errors, failed requests or CSP violations, and every request went to the app itself."""
    problems = watched.problems()
    errors = [line[:1500] for line in server.log().splitlines() if '"level": "error"' in line or "Traceback" in line]
    assert not problems, "\n".join(problems + errors[:10])
    here = urlparse(server.url).netloc
    away = [url for url in requested if urlparse(url).scheme in ("http", "https") and urlparse(url).netloc != here]
    assert not away, f"requests left the app: {away}"


def land_paths(page) -> int:
    """How many land polygons the map has drawn (from the topojson)."""
    return view_graph(page, "map").locator(".geo .layer.backplot .land path, .geo path.land").count()


def test_the_map_draws_land_from_the_apps_own_topojson_and_every_control_redraws(server, watched_page):
    watched = watched_page(viewport=DESKTOP)
    page = watched.page
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    page.goto(f"{server.url}/sites")
    expect(view_graph(page, "map").locator(".scattergeo .point").first).to_be_attached()
    expect(view_graph(page, "map").locator("path.land, .land path").first).to_be_attached()
    topojson = [u for u in requested if u.endswith(".json") and "topojson" in u]
    assert topojson == [f"{server.url}/assets/vendor/topojson/world_110m.json"], topojson
    expect(view_note(page, "map")).to_contain_text("sites shown")
    expect(page.locator("[role=gridcell]", has_text="Median follow-up sites per NEO")).to_be_visible()
    expect(scroll_to(view_graph(page, "bars")).locator(".bars path").first).to_be_visible()  # drawn when near

    # Scope: window and precoveries are disabled outside the apparition, with the reason shown.
    page.get_by_text("All time", exact=True).click()
    expect(page).to_have_url(re.compile(r"scope=alltime"))
    expect(page.locator("#sites-window")).to_be_disabled()
    expect(page.locator("#sites-side")).to_be_disabled()
    expect(page.locator("#sites-scope-reason")).to_contain_text("apparition scope only")
    expect(view_note(page, "map")).to_contain_text("follow-up by station (all time)")

    page.get_by_text("Observations", exact=True).click()
    expect(page).to_have_url(re.compile(r"metric=observations"))
    expect(view_graph(page, "map").locator(".colorbar .cbtitle")).to_contain_text("Observations")
    page.select_option("#sites-proj", "orthographic")
    expect(page).to_have_url(re.compile(r"proj=orthographic"))
    expect(view_graph(page, "map").locator("path.land, .land path").first).to_be_attached()

    # Chosen sites by pasting codes: an unknown code is reported and the box is marked invalid.
    page.get_by_text("Chosen sites", exact=True).click()
    expect(page.locator("#sites-paste")).to_be_enabled()
    page.fill("#sites-paste", "F51 G96 ZZ9")
    page.press("#sites-paste", "Enter")
    expect(view_note(page, "bars")).to_contain_text("Codes not known in this snapshot: ZZ9")
    expect(page.locator("#sites-paste")).to_have_class(re.compile(r"is-invalid"))
    expect(view_graph(page, "bars").locator(".bars path")).to_have_count(2)
    watched.screenshot("sites-1280-chosen")

    page.get_by_role("button", name="Reset", exact=True).click()
    expect(page).to_have_url(re.compile(r"/sites$"))
    expect(view_note(page, "map")).to_contain_text("0…+200 d after discovery")
    expect(page.locator("#sites-window")).to_be_enabled()
    assert_clean(watched, server, requested)

    violations = serious_axe_violations(page)
    assert not violations, "\n".join(violations)
    watched.screenshot("sites-1280")
    page.set_viewport_size(PHONE)
    page.reload()
    # under the controls
    expect(scroll_to(view_graph(page, "map")).locator(".scattergeo .point").first).to_be_attached()
    violations = serious_axe_violations(page)
    assert not violations, "\n".join(violations)
    watched.screenshot("sites-360")
    assert_clean(watched, server, requested)


def test_a_change_sends_one_request_and_a_slider_sweep_one(server, watched_page):
    from tests.harness.browser import CallbackCounter, slider_sweep

    watched = watched_page(viewport=DESKTOP)
    page = watched.page
    page.goto(f"{server.url}/sites")
    expect(view_note(page, "map")).to_contain_text("sites shown")
    counter = CallbackCounter(page)
    assert counter.count_during(lambda: page.select_option("#sites-proj", "robinson")) == 1
    sweeps: list[range] = []
    sent = counter.count_during(lambda: sweeps.append(slider_sweep(page, "sites-years")))
    assert sent in sweeps[0], (sent, sweeps)
    sent = counter.count_during(lambda: sweeps.append(slider_sweep(page, "sites-vrange")))
    assert sent in sweeps[1], (sent, sweeps)
    assert not watched.problems(), "\n".join(watched.problems())


def test_a_shared_link_reopens_its_view(server, watched_page):
    watched = watched_page(viewport=DESKTOP)
    page = watched.page
    page.goto(f"{server.url}/sites?scope=recovery&metric=tracklets&scale=linear&grid=off&bars=chosen&sites=F51")
    expect(view_note(page, "map")).to_contain_text("recovery only")
    expect(page.locator("#sites-window")).to_be_disabled()
    expect(page.locator("#sites-top")).to_be_disabled()
    expect(scroll_to(view_graph(page, "bars")).locator(".bars path")).to_have_count(1)  # drawn when near
    expect(page).to_have_url(
        re.compile(r"scope=recovery&metric=tracklets&scale=linear&grid=off&sites=F51&bars=chosen$")
    )
    # The multi-select adds a site: search for its code and pick it.
    pick_option(page, "sites-sites", "G96")
    expect(page).to_have_url(re.compile(r"sites=F51%2CG96"))
    expect(view_graph(page, "bars").locator(".bars path")).to_have_count(2)
    assert not watched.problems(), "\n".join(watched.problems())
