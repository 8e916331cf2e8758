"""The "Open data" page (``/data``): the snapshot file to download with its checksum, and the API.

The human face of :mod:`dashboard_app.api`: what a person needs before downloading (file name, size,
SHA-256, schema version, data time) and where the documentation is. Linked from the page footer;
not a tab. No callbacks: drawn with its layout.
"""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import html

from dashboard_app import views
from dashboard_app.api import snapshot_file
from dashboard_app.api.routes import API_DOC, PREFIX, SCHEMA_DOC

PATH = "/data"
NAME = "Open data"
ID_PREFIX = "open-data"


def _row(term: str, value: Any) -> list[Any]:
    return [html.Dt(term), html.Dd(value)]


def layout(**_query: Any) -> html.Div:
    """The page (works without a snapshot: then it says so)."""
    snap = views.request_snapshot()
    intro = html.P(
        "Every number on this site can be taken away: the snapshot file the site serves, and each chart's data "
        "from the API, with the same filters as the page's URL.",
        className="text-body-secondary",
    )
    if snap is None:
        file_card: Any = dbc.Alert("No data snapshot is loaded yet.", color="info")
    else:
        download = f"{PREFIX}/snapshot/{snap.path.name}"
        facts = snapshot_file.facts(snap, download, SCHEMA_DOC)
        rows = [
            *_row("File", html.Code(facts["file"])),
            *_row("Size", f"{facts['bytes'] / 1e6:,.1f} MB ({facts['bytes']:,} bytes)"),
            *_row("SHA-256", html.Code(facts["sha256"], id=f"{ID_PREFIX}-sha256", className="text-break")),
            *_row("Schema version", str(facts["schema_version"])),
            *_row("Data to", facts["data_time_utc"] or "unknown"),
            *_row("Built", facts["created_utc"]),
        ]
        file_card = dbc.Card(
            [
                dbc.CardHeader(html.H2("The snapshot file (SQLite)", className="h6 mb-0")),
                dbc.CardBody(
                    [
                        html.Dl(rows, className="neo-facts"),
                        html.P(
                            [
                                html.A(
                                    "Download the snapshot",
                                    href=dash.get_relative_path(download),
                                    className="btn btn-primary btn-sm me-2",
                                    id=f"{ID_PREFIX}-download",
                                ),
                                html.A("Schema", href=dash.get_relative_path(SCHEMA_DOC), className="me-2"),
                                html.A("Facts as JSON", href=dash.get_relative_path(f"{PREFIX}/snapshot")),
                            ],
                            className="mb-2",
                        ),
                        html.P(
                            [
                                "Check it after downloading: ",
                                html.Code(f"sha256sum {facts['file']}"),
                                " prints the SHA-256 above. The file never changes; a new snapshot gets a new name.",
                            ],
                            className="small text-body-secondary mb-0",
                        ),
                    ]
                ),
            ],
            className="mb-3",
            id=f"{ID_PREFIX}-file",
        )
    api_card = dbc.Card(
        [
            dbc.CardHeader(html.H2("The data API", className="h6 mb-0")),
            dbc.CardBody(
                [
                    html.P(
                        [
                            "Put ",
                            html.Code(PREFIX),
                            " in front of a chart page's path and ",
                            html.Code("/<chart>.csv"),
                            " or ",
                            html.Code("/<chart>.json"),
                            " after it, keeping the page's query: e.g. ",
                            html.Code(f"{PREFIX}/discoveries/main.csv?years=2000-2024"),
                            ". One NEO: ",
                            html.Code(f"{PREFIX}/neo/2024_YR4"),
                            ".",
                        ]
                    ),
                    html.P(
                        [
                            html.A("API documentation", href=dash.get_relative_path(API_DOC), className="me-2"),
                            html.A("Every endpoint (JSON)", href=dash.get_relative_path(f"{PREFIX}/")),
                        ],
                        className="mb-0",
                    ),
                ]
            ),
        ],
        className="mb-3",
        id=f"{ID_PREFIX}-api",
    )
    return html.Div([html.H1(NAME, className="h4"), intro, file_card, api_card], id=ID_PREFIX)
