"""The page shell around every tab: title, NEO search, data time and source, banners, tab bar, theme toggle, footer.

The shell is rendered on each page load (``app.layout`` is a function) and its
status line and banners are refreshed once a minute, so a hot-swapped snapshot
shows without a reload. The theme toggle, the per-tab query strings and the notice
for a rate-limited update run in the browser (``assets/shell.js``, loaded from ``'self'``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import ALL, ClientsideFunction, Input, Output, State, dcc, html
from flask import current_app

from dashboard_app import __version__, callbacks
from dashboard_app.api import page as open_data
from dashboard_app.objects import search
from dashboard_app.snapshot.model import Snapshot
from dashboard_app.snapshot.store import NoSnapshotError, current_snapshot
from dashboard_app.tabs import about
from dashboard_app.theme import CHART_THEME_STORE_ID, THEME_STORE_ID, request_theme
from dashboard_app.views.attrs import Attrs
from dashboard_app.views.tab import SNAPSHOT_STORE_ID
from dashboard_app.web import first_view

TITLE = "NEO Discovery Statistics Explorer"

ID_URL = "shell-url"
ID_STATUS = "shell-status"
ID_INTERVAL = "shell-status-interval"
ID_THEME_TOGGLE = "shell-theme-toggle"
ID_TAB_QUERIES = "shell-tab-queries"
ID_SNAPSHOT = SNAPSHOT_STORE_ID  # the id of the snapshot the page shows; a tab redraws when it changes
TAB_LINK_TYPE = "shell-tab"
STATUS_REFRESH_MS = 60_000


@dataclass(frozen=True)
class Banner:
    """One banner above the tabs: its kind (synthetic | stale | refresh | missing) and text."""

    kind: str
    text: str
    colour: str


def banners(snapshot: Snapshot | None, facts: Mapping[str, Any]) -> list[Banner]:
    """The banners for a page, from the current snapshot and the store's health facts.

    Staleness is the store's ``stale`` fact (one rule, the store's clock: :meth:`SnapshotStore.health`).
    """
    out: list[Banner] = []
    if snapshot is None:
        out.append(
            Banner(
                "missing", "No data snapshot is available yet: the charts are empty until one is published.", "danger"
            )
        )
    else:
        if snapshot.synthetic:
            out.append(
                Banner(
                    "synthetic",
                    "Synthetic demo data: these numbers are generated, not real observations.",
                    "warning",
                )
            )
        if facts.get("stale"):
            age_h = facts.get("age_hours") or 0.0
            out.append(
                Banner(
                    "stale",
                    f"Stale data: this snapshot was built {age_h / 24:.1f} days ago and has not been refreshed since.",
                    "warning",
                )
            )
    if (facts.get("refresh") or {}).get("state") == "running":
        out.append(Banner("refresh", "A data refresh is running; new data will appear when it is published.", "info"))
    return out


def _data_line(snapshot: Snapshot | None) -> str:
    if snapshot is None:
        return "No data loaded"
    data_time = snapshot.data_time or snapshot.created
    source = about.public_source(snapshot)
    return f"Data to {data_time:%Y-%m-%d %H:%M} UTC · {source} · snapshot {snapshot.id}"


def status_children() -> list[Any]:
    """The data line and banners for the current snapshot (call inside a request)."""
    store = current_app.extensions["neo_store"]
    try:
        snapshot: Snapshot | None = current_snapshot()
    except NoSnapshotError:
        snapshot = None
    data_line = html.P(
        _data_line(snapshot),
        className="shell-data-line small mb-2",
        id="shell-data-line",
        **Attrs({"data-snapshot": snapshot.id if snapshot is not None else ""}),
    )
    items: list[Any] = [data_line]
    for banner in banners(snapshot, store.health()):
        items.append(
            dbc.Alert(banner.text, color=banner.colour, className=f"shell-banner shell-banner-{banner.kind} py-2 mb-2")
        )
    return items


def _snapshot_id() -> str:
    try:
        return current_snapshot().id
    except NoSnapshotError:
        return ""


def _tab_bar() -> dbc.Nav:
    links = [
        dbc.NavItem(
            dbc.NavLink(page["name"], href=page["relative_path"], id={"type": TAB_LINK_TYPE, "index": page["path"]})
        )
        for page in dash.page_registry.values()
        if page.get("in_tab_bar", True)  # object pages (/neo/<designation>) are reached by search and links
    ]
    return dbc.Nav(links, pills=True, className="shell-tabs mb-3", id="shell-tabs")


def page_shell() -> html.Div:
    """The whole page around the page container (Dash calls this on every page load).

    The container already holds the page's own layout when the layout request names the page
    (:mod:`dashboard_app.web.first_view`): the first view needs no routing callback.
    """
    return html.Div(
        [
            dcc.Location(id=ID_URL),
            dcc.Store(id=THEME_STORE_ID, storage_type="local"),
            dcc.Store(id=CHART_THEME_STORE_ID, data=request_theme()),  # what the page's first charts are drawn in
            dcc.Store(id=ID_TAB_QUERIES, storage_type="session", data={}),
            dcc.Store(id=ID_SNAPSHOT, data=_snapshot_id()),
            dcc.Interval(id=ID_INTERVAL, interval=STATUS_REFRESH_MS),
            html.Header(
                [
                    html.Div(
                        [
                            html.H1(TITLE, className="h3 mb-0"),
                            search.search_box(),
                            dbc.Button(
                                "Dark theme",
                                id=ID_THEME_TOGGLE,
                                color="secondary",
                                size="sm",
                                title="Switch between the light and dark theme",
                            ),
                        ],
                        className="d-flex justify-content-between align-items-center gap-3 flex-wrap",
                    ),
                    html.Div(status_children(), id=ID_STATUS, role="status", **Attrs({"aria-live": "polite"})),
                    html.Nav(_tab_bar(), **Attrs({"aria-label": "Tabs"})),
                ],
                className="pt-3",
            ),
            html.Main(first_view.page_container(), id="shell-main"),
            html.Footer(
                [
                    html.Span(f"{TITLE} {__version__}"),
                    " · ",
                    html.A("Definitions and sources", href=dash.get_relative_path(about.PATH)),
                    " · ",
                    html.A("Open data", href=dash.get_relative_path(open_data.PATH), id="shell-open-data"),
                ],
                className="shell-footer small text-body-secondary border-top mt-4 py-3",
            ),
        ],
        className="container-xxl",
    )


@callbacks.callback(Output(ID_STATUS, "children"), Input(ID_INTERVAL, "n_intervals"), prevent_initial_call=True)
def refresh_status(_n: int | None) -> list[Any]:
    """Re-render the data line and banners once a minute (the page load renders them with the layout)."""
    return status_children()


# The minutely status names the snapshot served; when a new one is published, the page's snapshot store
# changes and the open tab redraws from it (no request of its own; the tab's update reads the store).
callbacks.clientside_callback(
    ClientsideFunction(namespace="neo_shell", function_name="snapshotOf"),
    Output(ID_SNAPSHOT, "data"),
    Input(ID_STATUS, "children"),
    State(ID_SNAPSHOT, "data"),
    prevent_initial_call=True,
)
callbacks.clientside_callback(
    ClientsideFunction(namespace="neo_shell", function_name="chooseTheme"),
    Output(THEME_STORE_ID, "data"),
    Input(ID_THEME_TOGGLE, "n_clicks"),
    State(THEME_STORE_ID, "data"),
)
callbacks.clientside_callback(
    ClientsideFunction(namespace="neo_shell", function_name="chartTheme"),
    Output(CHART_THEME_STORE_ID, "data"),
    Input(THEME_STORE_ID, "data"),
    State(CHART_THEME_STORE_ID, "data"),
)
callbacks.clientside_callback(
    ClientsideFunction(namespace="neo_shell", function_name="applyTheme"),
    Output(ID_THEME_TOGGLE, "children"),
    Input(THEME_STORE_ID, "data"),
)
callbacks.clientside_callback(
    ClientsideFunction(namespace="neo_shell", function_name="tabLinks"),
    Output(ID_TAB_QUERIES, "data"),
    Output({"type": TAB_LINK_TYPE, "index": ALL}, "href"),
    Output({"type": TAB_LINK_TYPE, "index": ALL}, "active"),
    Input(ID_URL, "pathname"),
    Input(ID_URL, "search"),
    State(ID_TAB_QUERIES, "data"),
    State({"type": TAB_LINK_TYPE, "index": ALL}, "id"),
)
