"""The first view of a page: its content comes with the page layout, no routing callback, a small page.

Before (issue #12): every first view made two callback requests in sequence (Dash's page router, then
the tab's charts), and every page carried a ~100 KB validation layout in its config. Now it makes none:
the page's layout holds its charts (tests/serving/test_prefill.py).
"""

from __future__ import annotations

import json
import re
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from dashboard_app.app import tab_modules
from dashboard_app.web import first_view
from tests.harness.browser import CallbackCounter
from tests.serving.layout_tree import find

ROUTER_OUTPUT = "_pages_content.children"


def views_tabs():
    return [m for m in tab_modules() if hasattr(m, "VIEW")]


@pytest.fixture(scope="module")
def client(snapshot_dir):
    from dashboard_app.app import create_app
    from dashboard_app.settings import load_settings

    app = create_app(load_settings({"DATA_DIR": str(snapshot_dir), "LOG_FORMAT": "text"}, env_file=None))
    yield app.server.test_client()
    app.server.extensions["neo_store"].stop()


def layout_for(client, page: str | None):
    url = "/_dash-layout" + (f"?{first_view.PAGE_PARAM}={quote(page, safe='')}" if page is not None else "")
    response = client.get(url)
    assert response.status_code == 200
    return response.get_json()


@pytest.mark.parametrize("module", views_tabs(), ids=lambda m: m.PATH)
def test_the_layout_request_naming_a_tab_holds_that_tab_with_its_query_and_a_settled_location(client, module):
    view = module.VIEW
    name = next(c.name for c in view.controls if c.name != "years")
    layout = layout_for(client, f"{module.PATH}?{name}=junk&unrelated=1")
    location = find(layout, first_view.ID_LOCATION)["props"]
    assert (location["pathname"], location["search"]) == (module.PATH, f"?{name}=junk&unrelated=1")
    content = find(layout, first_view.ID_CONTENT)["props"]["children"]
    request = find(content, view.request_id)
    assert request is not None, "the tab's request store (its one update callback's input) is in the page"
    assert set(request["props"]["data"]) == set(view.names)  # junk in the URL → defaults, never an error
    for chart in module.TAB.charts:
        assert find(content, chart.component_id(view)) is not None, chart.index


def test_the_query_reaches_the_tab_layout_as_it_does_through_the_router(client):
    module = next(m for m in views_tabs() if m.PATH == "/discoveries")
    layout = layout_for(client, "/discoveries?mode=cumulative&group=station")
    request = find(find(layout, first_view.ID_CONTENT), module.VIEW.request_id)["props"]["data"]
    assert (request["mode"], request["group"]) == ("cumulative", "station")


@pytest.mark.parametrize(
    "page",
    [None, "", "/no-such-page", "//evil.example/discoveries", "https://evil.example/discoveries", "discoveries"],
)
def test_without_a_known_page_the_container_is_left_for_the_router(client, page):
    layout = layout_for(client, page)
    assert find(layout, first_view.ID_CONTENT)["props"].get("children") is None
    assert "pathname" not in find(layout, first_view.ID_LOCATION)["props"]  # so the router fires on mount


def test_object_pages_and_about_render_in_the_first_layout_too(client):
    about = layout_for(client, "/about")
    assert find(about, "about-definition-list") is not None
    assert find(layout_for(client, "/data"), first_view.ID_CONTENT)["props"]["children"] is not None


def test_a_failing_page_layout_leaves_the_page_to_the_router(monkeypatch):
    def broken(**_query):
        raise RuntimeError("boom")

    pages = [{"path": "/x", "path_template": None, "layout": broken}]
    from flask import Flask

    app = Flask(__name__)
    with app.test_request_context(f"/_dash-layout?{first_view.PAGE_PARAM}=/x"):
        monkeypatch.setattr(first_view.dash, "strip_relative_path", lambda p: p.strip("/"))
        container = first_view.page_container(lambda: pages)
    assert container.children[1].children is None


def test_a_page_names_its_own_layout_request_in_its_html_first_as_the_browser_will_ask_for_it(client):
    """The browser asks for the layout with the page's scripts instead of after them; the URL is written as
    ``encodeURIComponent`` writes it (``assets/shell.js``), or the preload would be a second request."""
    html = client.get("/circumstances?proxy=h&odd=%C3%A9(x)!,y").get_data(as_text=True)
    layout = "/_dash-layout?page=%2Fcircumstances%3Fproxy%3Dh%26odd%3D%25C3%25A9(x)!%2Cy"
    links = re.findall(r'<link rel="preload" href="([^"]+)" as="fetch" crossorigin="anonymous">', html)
    assert links[0] == layout and len(links) == 2  # then the points file its charts use
    assert first_view.layout_url("/sizes") == "/_dash-layout?page=%2Fsizes"
    html = client.get("/sizes?").get_data(as_text=True)  # an empty query: location.search is ""
    assert '<link rel="preload" href="/_dash-layout?page=%2Fsizes" as="fetch"' in html


def test_the_page_config_carries_no_validation_layout(client):
    for module in views_tabs():
        html = client.get(module.PATH).get_data(as_text=True)
        config = json.loads(re.search(r'<script id="_dash-config" type="application/json">(.*?)</script>', html)[1])
        assert "validation_layout" not in config
        assert len(html.encode()) < 20_000, (module.PATH, len(html.encode()))  # was ~140 KB


# --- in Chromium ---------------------------------------------------------------------------------------

GRAPHS = 'div.dash-graph[id*=\'"type":"view-graph"\']'
# Axes, a trace, an empty state's sentence or a map's land: not the blank placeholder figure.
DRAWN = ".xtick, g.trace, .annotation-text, path.land, .land path"
LOAD_MS = 30_000  # a first view under a heavily shared machine


@pytest.fixture(scope="module")
def server(snapshot_dir, tmp_path_factory):
    from tests.harness.server import launch

    running = launch(snapshot_dir, tmp_path_factory.mktemp("gunicorn") / "server.log")
    yield running
    running.stop()


def callback_outputs(page) -> list[str]:
    sent: list[str] = []
    page.on(
        "request",
        lambda r: (
            sent.append(json.loads(r.post_data or "{}").get("output", "?"))
            if r.method == "POST" and CallbackCounter.PATH in r.url
            else None
        ),
    )
    return sent


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("module", views_tabs(), ids=lambda m: m.PATH)
def test_a_tab_first_view_draws_every_chart_with_no_callback_request(server, watched_page, module):
    watched = watched_page()
    page = watched.page
    sent = callback_outputs(page)
    page.goto(f"{server.url}{module.PATH}")
    graphs = page.locator(GRAPHS)
    expect(graphs.first).to_be_attached()
    for i in range(graphs.count()):
        graphs.nth(i).evaluate("(e) => e.scrollIntoView({block: 'center'})")  # a chart below the fold waits for it
        expect(graphs.nth(i).locator(DRAWN).first).to_be_attached(timeout=LOAD_MS)
    page.wait_for_load_state("networkidle")
    assert sent == []  # no page router, no update: the charts came in the page (views/prefill.py)
    assert watched.problems() == []


@pytest.mark.browser
@pytest.mark.slow
def test_the_query_of_the_first_view_reaches_the_controls_and_tab_links_still_route(server, watched_page):
    watched = watched_page()
    page = watched.page
    sent = callback_outputs(page)
    page.goto(f"{server.url}/discoveries?mode=cumulative")
    expect(page.locator("#discoveries-mode input[value=cumulative]")).to_be_checked()
    expect(page.locator(GRAPHS).first.locator(DRAWN).first).to_be_attached(timeout=LOAD_MS)
    assert not [o for o in sent if ROUTER_OUTPUT in o]
    page.locator('#shell-tabs a[href^="/sizes"]').click()  # later navigation: Dash's router, as before
    expect(page).to_have_url(re.compile(r"/sizes"))
    expect(page.locator(GRAPHS).first.locator(DRAWN).first).to_be_attached(timeout=LOAD_MS)
    assert [o for o in sent if ROUTER_OUTPUT in o]
    page.go_back()
    expect(page.locator("#discoveries-mode input[value=cumulative]")).to_be_checked()
    assert watched.problems() == []


@pytest.mark.browser
@pytest.mark.slow
def test_the_browser_takes_the_preloaded_layout_and_asks_for_it_once(server, watched_page):
    """The page's HTML preloads its layout request; the renderer's own request (shell.js) must match it
    exactly, odd queries too, or each page load would ask for its first view twice."""
    watched = watched_page()
    page = watched.page
    layouts: list[str] = []
    page.on("request", lambda r: layouts.append(r.url) if "/_dash-layout" in r.url else None)
    page.goto(f"{server.url}/discoveries?mode=cumulative&odd=%C3%A9(x)!,y*'~")
    expect(page.locator("#discoveries-mode input[value=cumulative]")).to_be_checked()
    expect(page.locator(GRAPHS).first.locator(DRAWN).first).to_be_attached(timeout=LOAD_MS)
    page.wait_for_load_state("networkidle")
    assert len(layouts) == 1, layouts
    initiators = page.evaluate(
        """() => performance.getEntriesByType('resource')
          .filter((e) => e.name.includes('/_dash-layout')).map((e) => e.initiatorType)"""
    )
    assert initiators == ["link"]  # the page's preload (with the page), not the renderer's fetch (after it ran)
    assert watched.problems() == []


def test_the_browser_and_the_load_model_name_the_page_with_the_same_parameter():
    from dashboard_app.app import SOURCE_ASSETS_DIR

    shell_js = (SOURCE_ASSETS_DIR / "shell.js").read_text(encoding="utf-8")
    assert f'var LAYOUT_PAGE_PARAM = "{first_view.PAGE_PARAM}";' in shell_js
    locustfile = (SOURCE_ASSETS_DIR.parent / "bench" / "traffic_locustfile.py").read_text(encoding="utf-8")
    assert f'PAGE_PARAM = "{first_view.PAGE_PARAM}"' in locustfile
