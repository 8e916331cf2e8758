"""The object page ``/neo/<designation>``: one NEO's orbit, discovery, circumstances and apparition.

Any accepted form of a designation opens the page (``/neo/2024_YR4``, ``/neo/K24Y04R``, ``/neo/99942``);
links use the canonical one (the number when numbered). Everything shown comes from
:func:`dashboard_app.objects.record`, the same dict ``/api/v1/neo/<designation>`` serves. An unknown or
malformed designation gets a page saying so (and HTTP 404 for the page itself, see :func:`exists`);
a NEO without a discovery observation gets a page saying why. No callbacks: the page is drawn
with its layout, in the one request Dash's router makes.
"""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import quote

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard_app import objects, views
from dashboard_app.analysis.designation_index import Hit
from dashboard_app.designations import DesignationError, parse
from dashboard_app.objects import format as fmt
from dashboard_app.snapshot.model import Snapshot
from dashboard_app.views.attrs import Attrs

PATH_TEMPLATE = "/neo/<designation>"
NAME = "NEO"
ID_PREFIX = "neo-page"
API_PREFIX = "/api/v1/neo/"
TIMELINE_SPAN_DAYS = 200


def title(designation: str = "", **_query: Any) -> str:
    """The browser tab's title: the designation in its canonical form (or "not found")."""
    try:
        return f"{parse(designation).text} · NEO"
    except DesignationError:
        return "Not found · NEO"


def exists(designation: str = "", **_query: Any) -> bool:
    """True when ``designation`` names a NEO of the snapshot being served (else the page answers 404)."""
    snap = views.request_snapshot()
    return snap is not None and objects.find(snap, designation) is not None


def layout(designation: str = "", **_query: Any) -> html.Div:
    """The page for ``designation`` (any form); a not-found page for anything else. Never raises."""
    snap = views.request_snapshot()
    if snap is None:
        return _page("No data", [dbc.Alert("No data snapshot is loaded yet, so no NEO can be shown.", color="info")])
    hit = objects.find(snap, designation)
    if hit is None:
        return not_found(designation, snap)
    rec = objects.record(snap, hit)
    if rec["status"] == "no_discovery":
        return _no_discovery_page(rec)
    return _discovered_page(rec)


# --- pieces ----------------------------------------------------------------------------------------


def _page(heading: str, children: list[Any], subtitle: Any = None) -> html.Div:
    head: list[Any] = [html.H1(heading, className="h3 mb-1", id=f"{ID_PREFIX}-title")]
    if subtitle is not None:
        head.append(html.P(subtitle, className="text-body-secondary small mb-3"))
    return html.Div([*head, *children], className="neo-page", id=ID_PREFIX)


def _facts(rows: list[tuple[str, Any]], facts_id: str) -> html.Dl:
    items: list[Any] = []
    for term, value in rows:
        items += [html.Dt(term), html.Dd(value)]
    return html.Dl(items, className="neo-facts mb-0", id=f"{ID_PREFIX}-{facts_id}")


def _card(title_text: str, body: Any, card_id: str) -> dbc.Card:
    return dbc.Card(
        [dbc.CardHeader(html.H2(title_text, className="h6 mb-0")), dbc.CardBody(body)],
        className="mb-3",
        id=f"{ID_PREFIX}-{card_id}",
    )


def _subtitle(rec: dict[str, Any]) -> list[Any]:
    parts: list[Any] = [f"Provisional designation {rec['provid']}"]
    if rec.get("packed_provid"):
        parts.append(f" · packed {rec['packed_provid']}")
    if rec.get("permid"):
        parts.append(f" · number {rec['permid']}")
    api = dash.get_relative_path(API_PREFIX + quote(rec["slug"]))
    parts += [" · ", html.A("this page's data as JSON", href=api, id=f"{ID_PREFIX}-json")]
    return parts


def _orbit_card(rec: dict[str, Any]) -> dbc.Card:
    orbit, lacking = rec["orbit"], set(rec.get("not_in_snapshot", ()))

    def value(key: str, column: str, text: str) -> str:
        return fmt.NOT_IN_SNAPSHOT if column in lacking else (fmt.UNKNOWN if orbit[key] is None else text)

    rows = [
        ("Perihelion q", value("q_au", "q", fmt.number(orbit["q_au"], 4, " au"))),
        ("Eccentricity e", value("e", "e", fmt.number(orbit["e"], 4))),
        ("Inclination i", value("i_deg", "i", fmt.number(orbit["i_deg"], 2, "°"))),
        ("Abs. magnitude H", value("h_mag", "h", fmt.number(orbit["h_mag"], 2))),
        ("Size class", orbit["size_class"]["label"]),
    ]
    return _card("Orbit", _facts(rows, "orbit-facts"), "orbit")


def _discovery_card(rec: dict[str, Any]) -> dbc.Card:
    d, trk = rec["discovery"], rec["discovery"]["tracklet"]
    station = d["station"]
    rows = [
        ("Time (UTC)", fmt.utc(d["time_utc"])),
        ("Station", f"{station['code']} · {station['name']}"),
        ("Project", station["project"]),
        ("Obs. id", str(d["obs_id"])),
        ("Tracklet", fmt.tracklet_size(trk["n_obs"], d["trkid"])),
        ("V", fmt.number(trk["v_mag"], 1, " (tracklet median)", empty="unknown (no magnitude)")),
        ("Rate", fmt.number(trk["rate_deg_per_day"], 4, " deg/day", empty=fmt.NO_MOTION)),
        ("Position angle", fmt.number(trk["pa_deg"], 1, "° (0 = N, 90 = E)", empty=fmt.NO_MOTION)),
        ("Mean position", fmt.position(trk["ra_deg"], trk["dec_deg"])),
    ]
    return _card("Discovery observation", _facts(rows, "discovery-facts"), "discovery")


def _circumstances_card(rec: dict[str, Any]) -> dbc.Card:
    c = rec["circumstances"]
    rows = [
        ("Solar elongation", fmt.elongation(c["solar_elongation_deg"], c["sky"])),
        ("Sun", fmt.twilight(c["sun_altitude_deg"], c["twilight"])),
        ("Moon", fmt.moon(c["moon_elongation_deg"], c["moon_illuminated_fraction"])),
    ]
    return _card("Discovery circumstances", _facts(rows, "circumstances-facts"), "circumstances")


def _followup_sentences(rec: dict[str, Any]) -> html.Ul:
    items = []
    for key, label in (("project", "another survey project"), ("station", "another station")):
        s = rec["apparition"]["followup"][key]
        if s["first"] is None:
            text = f"No follow-up by {label} in the apparition."
        else:
            f = s["first"]
            text = (
                f"First follow-up by {label}: {f['code']} {f['name']} ({f['project']}), "
                f"{fmt.days(f['days_after_discovery'])} after discovery; {s['stations']} station"
                f"{'s' if s['stations'] != 1 else ''} of {s['projects']} project{'s' if s['projects'] != 1 else ''}."
            )
        items.append(html.Li([html.Strong(f"{key.capitalize()} rule. "), text], title=s["rule"]))
    return html.Ul(items, className="mb-3 neo-followup", id=f"{ID_PREFIX}-followup")


def timeline_position(dt: float) -> float:
    """Where Δt days sits on the track, 0..1 with discovery at 0.5: a square-root scale, so the first days
    (when follow-up happens) are spread out and ±200 d still fit."""
    share = math.sqrt(min(abs(dt), TIMELINE_SPAN_DAYS) / TIMELINE_SPAN_DAYS)
    return 0.5 + math.copysign(share, dt) / 2


def _marker(dt: float | None, kind: str) -> html.Span | None:
    if dt is None:
        return None
    left = f"{100 * timeline_position(dt):.2f}%"
    return html.Span(className=f"neo-timeline-dot neo-timeline-{kind}", style={"left": left})


def _timeline_row(entry: dict[str, Any]) -> html.Tr:
    st, post = entry["station"], entry["counts"]
    total, after = post["any"].get(str(TIMELINE_SPAN_DAYS), {}), post["post"].get(str(TIMELINE_SPAN_DAYS), {})
    badges: list[Any] = []
    if entry["discoverer"]:
        badges.append(dbc.Badge("discoverer", color="primary", className="ms-1"))
    if entry["precovery"]:
        badges.append(dbc.Badge("precovery", color="warning", text_color="dark", className="ms-1"))
    track = html.Div(
        [_marker(entry["first_dt_days"], "first"), _marker(entry["first_post_dt_days"], "post")],
        className="neo-timeline-track",
        **Attrs({"aria-hidden": "true"}),
    )
    return html.Tr(
        [
            html.Th([st["code"], *badges], scope="row", title=st["name"]),
            html.Td(st["project"]),
            html.Td(fmt.signed_days(entry["first_dt_days"]), className="text-end"),
            html.Td(track, className="neo-timeline-cell"),
            html.Td(fmt.signed_days(entry["first_post_dt_days"]), className="text-end"),
            html.Td(f"{total.get('obs', 0):,} / {total.get('tracklets', 0):,}", className="text-end"),
            html.Td(f"{after.get('obs', 0):,} / {after.get('tracklets', 0):,}", className="text-end"),
            html.Td(fmt.yes_no(entry["followup"]["project"])),
            html.Td(fmt.yes_no(entry["followup"]["station"])),
        ],
        className="neo-precovery" if entry["precovery"] else None,
    )


def _timeline_card(rec: dict[str, Any]) -> dbc.Card:
    stations = rec["apparition"]["stations"]
    head = [
        "Station",
        "Project",
        "First obs. (days)",
        f"−{TIMELINE_SPAN_DAYS} d · discovery · +{TIMELINE_SPAN_DAYS} d (√ scale)",
        "First after disc. (days)",
        "Obs. / tracklets (±200 d)",
        "Obs. / tracklets after disc.",
        "Follow-up (project rule)",
        "Follow-up (station rule)",
    ]
    table = html.Table(
        [
            html.Caption("Stations of the discovery apparition", className="visually-hidden"),
            html.Thead(html.Tr([html.Th(h, scope="col") for h in head])),
            html.Tbody([_timeline_row(e) for e in stations]),
        ],
        className="table table-sm table-striped align-middle mb-0 neo-timeline",
        id=f"{ID_PREFIX}-timeline",
    )
    scroller = html.Div(
        table, className="table-responsive", tabIndex=0, role="region", **Attrs({"aria-label": "Apparition stations"})
    )
    explain = html.P(
        f"Every station that observed it within ±{TIMELINE_SPAN_DAYS} days of discovery, earliest first. Days are "
        "counted from the discovery observation; negative = precovery. The track marks the first observation "
        "(dot) and the first at or after discovery (ring).",
        className="small text-body-secondary",
    )
    body = [_followup_sentences(rec), explain, scroller] if stations else html.P("No station observed it.")
    heading = f"Discovery apparition: {len(stations)} station{'s' if len(stations) != 1 else ''}"
    return _card(heading, body, "apparition")


def _discovered_page(rec: dict[str, Any]) -> html.Div:
    facts = dbc.Row(
        [
            dbc.Col(_orbit_card(rec), md=6, xl=4),
            dbc.Col(_discovery_card(rec), md=6, xl=4),
            dbc.Col(_circumstances_card(rec), md=6, xl=4),
        ]
    )
    return _page(rec["designation"], [facts, _timeline_card(rec)], _subtitle(rec))


def _no_discovery_page(rec: dict[str, Any]) -> html.Div:
    why = rec["no_discovery"]
    alert = dbc.Alert(
        [html.H2("No discovery data", className="h5"), html.P(why["reason"], className="mb-0")],
        color="warning",
        id=f"{ID_PREFIX}-no-discovery",
    )
    return _page(rec["designation"], [alert, dbc.Row(dbc.Col(_orbit_card(rec), lg=6))], _subtitle(rec))


def _href(hit: Hit) -> str:
    return dash.get_relative_path(objects.page_path(hit))


def not_found(designation: str, snap: Snapshot) -> html.Div:
    """The page for a designation the snapshot does not hold (or text that is no designation)."""
    shown = designation if len(designation) <= 40 else designation[:40] + "…"
    try:
        d = parse(designation)
        why = (
            f"{d.text} is a well-formed designation, but no NEO of this snapshot has it "
            "(a NEO is an object with q ≤ 1.30 au in the MPC orbit table)."
        )
    except DesignationError as exc:
        why = f"This is not a designation: {exc}."
    near = objects.suggest(snap, designation, 5)
    children: list[Any] = [
        dbc.Alert(why, color="secondary", id=f"{ID_PREFIX}-not-found"),
        html.P("Search with the box at the top of the page, e.g. 2024 YR4, K24Y04R or 99942."),
    ]
    if near:
        children += [
            html.H2("Did you mean", className="h6"),
            html.Ul([html.Li(dcc.Link(h.designation, href=_href(h))) for h in near]),
        ]
    return _page(f"No NEO “{shown}”", children)
