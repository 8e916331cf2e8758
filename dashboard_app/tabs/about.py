"""About tab: the definitions, windows, size classes, projects and reference sources, as the code holds them.

Everything here is rendered from :mod:`dashboard_app.definitions` and
:mod:`dashboard_app.reference`; nothing is restated, so the page cannot drift
from what the exporter and the analyses use.
"""

from __future__ import annotations

import importlib
from typing import Any

import dash_bootstrap_components as dbc
from dash import html

from dashboard_app import definitions, reference
from dashboard_app.analysis.sky_map import NGP_DEC, NGP_RA
from dashboard_app.snapshot.model import Snapshot
from dashboard_app.snapshot.store import NoSnapshotError, current_snapshot

PATH = "/about"
NAME = "About"
ORDER = 1000  # always the last tab

ID_PREFIX = "about"

PUBLIC_SOURCE = "MPC/SBN database"
"""What the public is told about where real data come from. The snapshot's own ``source`` meta names
only the database (``PostgreSQL database mpc_sbn``; snapshot files are public, so never its role, host or
port): operators read it in ``neo-explorer status`` and in the operator view of ``/health``."""


def public_source(snapshot: Snapshot) -> str:
    """The data source as shown on every page: the generator's description for synthetic data, else
    :data:`PUBLIC_SOURCE`."""
    if snapshot.synthetic:
        return snapshot.meta.get("source") or "synthetic sky"
    return PUBLIC_SOURCE


def _section(title: str, *children: Any, section_id: str) -> html.Section:
    return html.Section([html.H2(title, className="h4 mt-4"), *children], id=f"{ID_PREFIX}-{section_id}")


def _swatch(colour: str) -> html.Span:
    return html.Span(className="about-swatch me-2", style={"backgroundColor": colour}, title=colour)


def _table(header: list[str], rows: list[list[Any]], table_id: str) -> dbc.Table:
    return dbc.Table(
        [
            html.Thead(html.Tr([html.Th(h, scope="col") for h in header])),
            html.Tbody([html.Tr([html.Td(cell) for cell in row]) for row in rows]),
        ],
        bordered=False,
        striped=True,
        size="sm",
        className="w-auto",
        id=f"{ID_PREFIX}-{table_id}-table",  # the section holding it has the id without "-table"
    )


def _h_range(size_class: reference.SizeClass) -> str:
    if size_class.is_unknown:
        return f"H unknown (≤ {definitions.H_UNKNOWN_AT_OR_BELOW:g} or missing)"
    low = "" if size_class.h_min is None else f"{size_class.h_min:g} ≤ "
    high = "" if size_class.h_max is None else f" < {size_class.h_max:g}"
    return f"{low}H{high}"


def _twilight_rows() -> list[list[str]]:
    rows, lower = [], None
    for label, upper in definitions.TWILIGHT_CLASSES:
        low = "" if lower is None else f"{lower:g}° ≤ "
        rows.append([label, f"{low}Sun altitude < {upper:g}°" if upper < 90 else f"Sun altitude ≥ {lower:g}°"])
        lower = upper
    rows.append([definitions.TWILIGHT_SPACE, "space-based station (no ground site)"])
    rows.append([definitions.TWILIGHT_UNKNOWN, "station not in the observatory table"])
    return rows


def _snapshot_facts() -> list[Any]:
    try:
        snapshot = current_snapshot()
    except NoSnapshotError as exc:
        return [html.P(str(exc))]
    keep = ("snapshot_id", "created_utc", "source", "newest_observation_utc", "neo_predicate", "schema_version")
    shown = {**snapshot.meta, "source": public_source(snapshot)}
    return [_table(["Key", "Value"], [[k, shown[k]] for k in keep if k in shown], "snapshot-meta")]


def _how_to_read() -> list[Any]:
    """Each tab's ``HOW_TO_READ`` (plain words beside the precise definitions below), in tab order."""
    from dashboard_app.tabs import TAB_MODULES  # the tab modules import views, which About does not need

    parts: list[Any] = []
    for module in sorted((importlib.import_module(m) for m in TAB_MODULES), key=lambda m: m.ORDER):
        text = getattr(module, "HOW_TO_READ", None)
        if text:
            parts += [html.Dt(module.NAME), html.Dd(text, className="mb-2")]
    return [html.Dl(parts, id=f"{ID_PREFIX}-how-to-read-list")]


def _meaning(text: str) -> str:
    return text[:1].upper() + text[1:]


def layout(**_query: Any) -> html.Div:
    """The About page (query-string values are ignored)."""
    return html.Div(
        [
            html.H2("About this dashboard", className="h3"),
            html.P(
                "Near-Earth-object discovery statistics from the Minor Planet Center's observation and orbit "
                "tables. These are the definitions every tab uses."
            ),
            _section("How to read each tab", *_how_to_read(), section_id="how-to-read"),
            _section(
                "Definitions",
                html.Dl(
                    [
                        part
                        for d in definitions.DEFINITIONS
                        for part in (html.Dt(d.term), html.Dd(d.text, className="mb-1"))
                    ],
                    className="about-definitions",
                    id=f"{ID_PREFIX}-definition-list",
                ),
                section_id="definitions",
            ),
            _section(
                "Windows",
                _table(
                    ["Window", "Value"],
                    [
                        ["Discovery tracklet", f"± {definitions.TRACKLET_HALF_WINDOW_HOURS:g} h"],
                        ["Apparition", f"± {definitions.APPARITION_HALF_WINDOW_DAYS} days"],
                        ["Count windows W", ", ".join(f"{w} d" for w in definitions.APPARITION_WINDOWS_DAYS)],
                    ],
                    "windows",
                ),
                section_id="windows",
            ),
            _section(
                "Size classes",
                _table(
                    ["Colour", "Class", "Absolute magnitude"],
                    [[_swatch(c.colour), c.label, _h_range(c)] for c in reference.size_classes()],
                    "size-classes",
                ),
                section_id="size-classes",
            ),
            _section(
                "Survey projects",
                html.P(
                    "Stations map to survey projects; charts stack projects in this order. Unmapped stations "
                    f"count as {definitions.OTHER_FOLLOWUP_PROJECT}. The last groups are catch-alls, defined by "
                    "which stations they hold."
                ),
                _table(
                    ["Order", "Colour", "Project", "What it is"],
                    [[p.order, _swatch(p.colour), p.name, _meaning(p.meaning)] for p in reference.projects()],
                    "projects",
                ),
                section_id="projects",
            ),
            _section(
                "Twilight classes",
                _table(["Class", "Sun altitude"], _twilight_rows(), "twilight"),
                section_id="twilight",
            ),
            _section(
                "Discovery circumstances charts",
                html.Ul(
                    [
                        html.Li(
                            "Sky map: the discovery tracklet's mean J2000 position, right ascension increasing to "
                            "the left; the equal-area view is the Hammer projection centred on 12h. Reference "
                            "lines: the J2000 ecliptic and the galactic equator (north galactic pole "
                            f"RA {NGP_RA}°, Dec {NGP_DEC}°, Hipparcos catalogue)."
                        ),
                        html.Li(
                            "Bins include their lower edge: V 0.5 mag, solar elongation 5°, position angle 15°, "
                            "Moon illuminated fraction 0.1, Moon distance 10° (the top bin includes its upper edge)."
                        ),
                        html.Li(
                            "“Expected if the Moon made no difference”: the selected discoveries times the share of "
                            "time the Moon spends at each illuminated fraction k, P(k < x) = (2/π)·asin(√x) for a "
                            "phase angle uniform in time."
                        ),
                    ]
                ),
                section_id="circumstances",
            ),
            _section(
                "Follow-up rules",
                html.Ul(
                    [
                        # Only the rules a tab implements, each with the tab that uses it.
                        html.Li(
                            [html.Strong("By project (Follow-up Timing): "), definitions.FOLLOWUP_BY_PROJECT.summary]
                        ),
                        html.Li(
                            [
                                html.Strong("By station (Follow-up Comparison): "),
                                definitions.FOLLOWUP_BY_STATION.summary,
                            ]
                        ),
                        html.Li(
                            [html.Strong("Censoring (Follow-up Timing): "), definitions.FOLLOWUP_CENSORING.summary]
                        ),
                    ]
                ),
                section_id="followup",
            ),
            _section(
                "Reference data sources",
                html.Dl(
                    [part for name, text in reference.REFERENCE_SOURCES for part in (html.Dt(name), html.Dd(text))],
                    id=f"{ID_PREFIX}-source-list",
                ),
                html.P(["Population model caveat: ", reference.POPULATION_CAVEAT], className="small"),
                html.P(
                    f"Sun and Moon positions for discovery circumstances are good to about "
                    f"{definitions.ALMANAC_ACCURACY_DEG:g}° for the Sun (low-precision almanac formulae).",
                    className="small",
                ),
                section_id="sources",
            ),
            _section("This snapshot", *_snapshot_facts(), section_id="snapshot"),
        ],
        id=f"{ID_PREFIX}-page",
    )
