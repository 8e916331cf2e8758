"""Follow-up Comparison: which observatories around the world follow up NEOs, how much, how deep, who recovers them.

Controls (all in the URL): ``years``; ``scope`` (apparition | alltime | recovery); ``window`` and ``side``
(post | any: precoveries; apparition scope only); ``metric`` (neos | tracklets | observations); ``scale``
(log | linear); ``proj`` (map projection); ``grid`` (graticule on | off); ``type`` (observatory type);
``shown`` (active | all); ``depth`` (depth statistic) and ``vrange`` (V-depth range, ``lo-hi``); ``bars``
(top | chosen), ``top`` (N), ``sites`` (chosen codes, ``F51,G96``) and ``paste`` (pasted codes).
Charts, each with its CSV: the world map of sites, the summary card, the bar chart of sites.
The numbers are explained in :mod:`dashboard_app.analysis.sites`.
"""

from __future__ import annotations

import json
import re
from typing import Any

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, dcc, html

from dashboard_app import views
from dashboard_app.analysis import sites as analysis
from dashboard_app.analysis.filters import ranked_values, station_names
from dashboard_app.definitions import APPARITION_HALF_WINDOW_DAYS, APPARITION_WINDOWS_DAYS, FOLLOWUP_BY_STATION
from dashboard_app.figures import sites as figures
from dashboard_app.figures.labels import station_label
from dashboard_app.snapshot.model import Snapshot
from dashboard_app.views.attrs import Attrs

PATH = "/sites"
NAME = "Follow-up Comparison"
ORDER = 45
HOW_TO_READ = (
    "Where in the world NEOs are followed up. Each dot on the map is an observatory, coloured by how many of the "
    "NEOs discovered in the chosen years it observed (or their tracklets, observations) — only NEOs another "
    "station discovered count; grey dots followed up none. The bars rank the sites; the summary counts them. "
    "Choose the discovery apparition, all time, or only recoveries in later apparitions."
)
"""What the tab shows, in plain words (About's "How to read each tab")."""

RULE = (
    f"Follow-up rule (by station, not by survey project as on Follow-up Timing): {FOLLOWUP_BY_STATION.summary} "
    "Here a station's observations of a NEO count only when a different station discovered it; in the "
    f"apparition scope inside the chosen window (0 ≤ Δt ≤ W, or |Δt| ≤ W with precoveries), in “All time” at any "
    f"time, and in “Recovery only” when the station observed the NEO later than its apparition (more than "
    f"{APPARITION_HALF_WINDOW_DAYS} days after discovery: its tracklets and observations outside the apparition)."
)
NEEDS_V2 = (
    "This tab needs the snapshot's version-2 tables (lifetime, site depth, station types and latitudes). The data "
    "served now are a version-1 snapshot; the tab fills in after the next export publishes version 2."
)

SIDE_LABELS = {"post": "After discovery only", "any": "Include precoveries"}
GRID_LABELS = {"on": "On", "off": "Off"}
BARS_LABELS = {"top": "Top N sites", "chosen": "Chosen sites"}
SHOWN_LABELS = {analysis.SHOWN_ACTIVE: "NEO-active only", analysis.SHOWN_ALL: "All"}
SHOWN_TEXT = {analysis.SHOWN_ACTIVE: "NEO-active only", analysis.SHOWN_ALL: "all, also those without NEO observations"}
TYPE_LABELS = {
    analysis.TYPE_ALL: "All types",
    **{t: t.capitalize() for t in analysis.SITE_TYPES},
    analysis.TYPE_UNKNOWN: "Unknown",
}
TOP_MAX = 60
MAX_CHOSEN = 60
MAX_PASTE_CHARS = 1000
STATION_CODE = re.compile(r"^[A-Z0-9]{3}$")
DEPTH_STEP = 0.5


def _parse_sites(raw: Any, _snapshot: Snapshot | None) -> tuple[str, ...]:
    """Station codes, comma-separated (up to 60), e.g. F51,G96."""
    items = raw.split(",") if isinstance(raw, str) else raw
    if not isinstance(items, list | tuple) or len(items) > MAX_CHOSEN or not all(isinstance(i, str) for i in items):
        raise views.ControlValueError(f"not a list of station codes: {raw!r}")
    codes = [item.strip().upper() for item in items if item.strip()]
    if not all(STATION_CODE.match(c) for c in codes):
        raise views.ControlValueError(f"not station codes: {raw!r}")
    return tuple(dict.fromkeys(codes))


def _parse_paste(raw: Any, _snapshot: Snapshot | None) -> str:
    """Pasted station codes (any text up to 1,000 characters; codes split on commas and spaces)."""
    if not isinstance(raw, str) or len(raw) > MAX_PASTE_CHARS:
        raise views.ControlValueError("pasted codes: text of at most 1,000 characters")
    return " ".join(analysis.parse_codes(raw))


# Controls in this order on purpose: a control another one disables comes before it (window and side before
# scope, top before bars), so the traffic recorder (bench/traffic_record.py) changes each while it is enabled.
VIEW = views.View(
    "sites",
    (
        views.years_control(),
        views.Control(
            "window",
            default=str(APPARITION_HALF_WINDOW_DAYS),
            parse=views.choice(*(str(w) for w in APPARITION_WINDOWS_DAYS)),
        ),
        views.Control("side", default="post", parse=views.choice(*SIDE_LABELS)),
        views.Control("scope", default=analysis.SCOPE_APPARITION, parse=views.choice(*analysis.SCOPES)),
        views.Control("metric", default="neos", parse=views.choice(*analysis.METRICS)),
        views.Control("scale", default="log", parse=views.choice(*figures.SCALES)),
        views.Control("proj", default="natural earth", parse=views.choice(*figures.PROJECTIONS)),
        views.Control("grid", default="on", parse=views.choice(*GRID_LABELS)),
        views.Control("type", default=analysis.TYPE_ALL, parse=views.choice(*TYPE_LABELS)),
        views.Control("shown", default=analysis.SHOWN_ACTIVE, parse=views.choice(*SHOWN_LABELS)),
        views.Control("depth", default="v_robust", parse=views.choice(*analysis.DEPTH_STATS)),
        views.Control(
            "vrange",
            default=analysis.DEPTH_BOUNDS,
            parse=views.number_range(analysis.DEPTH_BOUNDS, step=DEPTH_STEP),
            encode=views.encode_range,
            settle=True,
        ),
        views.Control("top", default=20, parse=views.integer(1, TOP_MAX)),
        views.Control("sites", default=(), parse=_parse_sites, encode=",".join),
        views.Control("paste", default="", parse=_parse_paste),
        views.Control("bars", default="top", parse=views.choice(*BARS_LABELS)),
    ),
)

SELECTION_CONTROLS: tuple[str, ...] = ("years", "scope", "window", "side")
FILTER_CONTROLS: tuple[str, ...] = ("type", "shown", "depth", "vrange")


def _selection_controls(v: dict[str, Any]) -> tuple[str, ...]:
    """The controls that choose the NEOs and observations counted (window and side: apparition scope only)."""
    return SELECTION_CONTROLS if v["scope"] == analysis.SCOPE_APPARITION else ("years", "scope")


# --- layout --------------------------------------------------------------------------------------


def site_options(snap: Snapshot | None) -> list[dict[str, str]]:
    """The chosen-sites list: every NEO-active station (code and name), most NEOs observed first."""
    if snap is None or snap.lifetime is None:
        return []
    return snap.memo("sites.options", (), lambda: _site_options(snap))


def _site_options(snap: Snapshot) -> list[dict[str, str]]:
    assert snap.lifetime is not None
    names = station_names(snap)
    return [{"label": station_label(code, names), "value": code} for code in ranked_values(snap.lifetime["stn"])]


def _sites_control(v: dict[str, Any], snap: Snapshot | None) -> html.Div:
    cid = VIEW.control_id("sites")
    return html.Div(
        [
            dbc.Label("Sites to compare", html_for=cid, className="mb-1"),
            dcc.Dropdown(
                id=cid,
                options=site_options(snap),
                value=list(v["sites"]),
                multi=True,
                placeholder="Pick stations…",
                clearable=True,
            ),
        ],
        className="view-control mb-2",
    )


def _paste_control(v: dict[str, Any]) -> html.Div:
    cid = VIEW.control_id("paste")
    return html.Div(
        [
            dbc.Label("Paste station codes", html_for=cid, className="mb-1"),
            dbc.Input(id=cid, type="text", value=v["paste"], size="sm", debounce=True, placeholder="e.g. F51 G96 703"),
        ],
        className="view-control mb-2",
    )


def layout(**query: Any) -> Any:
    """The tab: controls from the URL query (junk → defaults), the map, the summary and the bar chart."""
    snap = views.request_snapshot()
    v = VIEW.parse(query, snap)
    lo, hi = analysis.DEPTH_BOUNDS
    apparition = v["scope"] == analysis.SCOPE_APPARITION
    controls = views.controls_bar(
        VIEW,
        v,
        snap,
        [
            views.years_slider(VIEW, v["years"], snap),
            views.radio_control(VIEW, "scope", "Observations counted", list(analysis.SCOPE_LABELS.items()), v["scope"]),
            html.Div(
                [
                    views.select_control(VIEW, "window", "Apparition window", _window_options(), v["window"]),
                    views.select_control(VIEW, "side", "Precoveries", list(SIDE_LABELS.items()), v["side"]),
                    html.Div(
                        children="" if apparition else SCOPE_REASON,
                        id=SCOPE_REASON_ID,
                        className="small text-body-secondary",
                        **POLITE,
                    ),
                ]
            ),
            views.radio_control(VIEW, "metric", "Metric", list(analysis.METRIC_LABELS.items()), v["metric"]),
            views.radio_control(VIEW, "scale", "Colour scale", list(figures.SCALES.items()), v["scale"]),
            views.select_control(VIEW, "proj", "Map projection", list(figures.PROJECTIONS.items()), v["proj"]),
            views.radio_control(VIEW, "grid", "Graticule", list(GRID_LABELS.items()), v["grid"]),
            views.select_control(VIEW, "type", "Site type", list(TYPE_LABELS.items()), v["type"]),
            views.radio_control(VIEW, "shown", "Sites shown", list(SHOWN_LABELS.items()), v["shown"]),
            views.select_control(VIEW, "depth", "Depth statistic", list(analysis.DEPTH_STATS.items()), v["depth"]),
            views.range_control(
                VIEW,
                "vrange",
                "V-depth range (sites without depth data are kept)",
                lo,
                hi,
                v["vrange"],
                step=DEPTH_STEP,
                marks={int(x): str(int(x)) for x in (lo, 10, 15, 20, 25, hi)},
            ),
            views.radio_control(VIEW, "bars", "Bar chart", list(BARS_LABELS.items()), v["bars"]),
            views.number_control(VIEW, "top", "Top N sites", 1, TOP_MAX, v["top"]),
            _sites_control(v, snap),
            _paste_control(v),
        ],
    )
    summary_columns = [
        {**views.grid_column(("measure", "Measure")), "minWidth": 200},
        {**views.grid_column(("value", "Value", "count")), "minWidth": 90, "maxWidth": 140},
    ]
    return views.view_page(
        NAME,
        "Which observatories around the world follow up NEOs, how much, how deep, and who recovers them later.",
        controls,
        [
            html.P(RULE, className="small text-body-secondary"),
            views.chart_card(VIEW, "map", "World map of follow-up sites", height=560, config=map_config()),
            dbc.Row(
                [
                    dbc.Col(views.table_card(VIEW, "summary", "Summary", summary_columns, rows=7), lg=5),
                    dbc.Col(views.chart_card(VIEW, "bars", "Sites compared", height=560), lg=7),
                ],
                className="g-3",
            ),
        ],
    )


SCOPE_REASON = "Window and precoveries apply to the discovery-apparition scope only."
SCOPE_REASON_ID = "sites-scope-reason"
POLITE: Attrs = {"aria-live": "polite"}


def topojson_url() -> str:
    """Where the map's world topojson is served: the app's own assets (never plotly's CDN)."""

    try:
        return str(dash.get_asset_url(figures.TOPOJSON_DIR))
    except AttributeError:  # no Dash app configured yet (a layout built alone in a test): the default prefix
        return f"/assets/{figures.TOPOJSON_DIR}"


def map_config() -> dcc.Graph.Config:
    """The map's graph config: topojson from the app, and no modebar "Reset" beside the tab's Reset button
    (a double click still resets the map's view)."""
    remove = [*views.graph_config("")["modeBarButtonsToRemove"], "resetGeo"]
    return {"topojsonURL": topojson_url(), "modeBarButtonsToRemove": remove}


def _window_options() -> list[tuple[str, str]]:
    return [(str(w), f"{w} days") for w in APPARITION_WINDOWS_DAYS]


# --- analysis, memoised per snapshot (the CSVs use these same results) --------------------------


def _rows(snap: Snapshot) -> analysis.SiteRows:
    """The NEO × station rows as arrays: views of the frames plus the station index (4.7 MB at full scale, shared)."""
    assert snap.lifetime is not None
    lifetime = snap.lifetime
    index = snap.shared(  # held once per machine (mapped), not per worker
        "sites.index",
        analysis.StationIndex,
        lambda: analysis.station_index(snap.discoveries, snap.apparitions, lifetime, snap.stations),
    )
    return analysis.site_rows(index, snap.apparitions, lifetime)


def prepare_snapshot(snap: Snapshot) -> None:
    """Before a worker switches to ``snap``: its shared station index (built once per machine, then mapped)."""
    if snap.lifetime is not None:
        _rows(snap)


def _info(snap: Snapshot) -> pd.DataFrame:
    assert snap.site_depth is not None
    depth = snap.site_depth
    return snap.memo("sites.info", (), lambda: analysis.site_info(_rows(snap), snap.stations, depth))


def _selection(v: dict[str, Any]) -> analysis.SiteSelection:
    return analysis.SiteSelection(
        years=tuple(v["years"]), scope=v["scope"], window=int(v["window"]), precovery=v["side"] == "any"
    ).normalised()


def _filter(v: dict[str, Any]) -> analysis.SiteFilter:
    return analysis.SiteFilter(
        site_type=v["type"], shown=v["shown"], depth_stat=v["depth"], depth_range=tuple(v["vrange"])
    )


def _followups(v: dict[str, Any], snap: Snapshot) -> analysis.Followups:
    """Per-station totals of the selection (memoised without the NEO × station pairs, which are megabytes).

    While the pairs are at hand, the summary's follow-up sites per NEO for these filters are kept too, so a
    new selection runs :func:`analysis.followups` once."""
    sel = _selection(v)

    def compute() -> analysis.Followups:
        fu = analysis.followups(_rows(snap), sel)
        _per_neo(v, snap, fu)
        return fu.without_pairs()

    return snap.memo("sites.followups", sel, compute)


def _per_neo(v: dict[str, Any], snap: Snapshot, fu: analysis.Followups | None = None) -> Any:
    """How many of the sites shown followed up each selected NEO (int16; memoised per selection and filter)."""
    key = (_selection(v), _filter(v))

    def compute() -> Any:
        pairs = fu if fu is not None else analysis.followups(_rows(snap), _selection(v))
        return analysis.sites_per_neo(pairs, _info(snap), _filter(v)).astype("int16")

    return snap.memo("sites.per_neo", key, compute)


def site_table(v: dict[str, Any], snap: Snapshot) -> pd.DataFrame:
    """The sites shown for the parsed values (every chart and CSV of the tab starts from it)."""
    key = (_selection(v), _filter(v), v["metric"])
    return snap.memo(
        "sites.table", key, lambda: analysis.site_table(_info(snap), _followups(v, snap), _filter(v), v["metric"])
    )


def _summary(v: dict[str, Any], snap: Snapshot) -> pd.DataFrame:
    key = (_selection(v), _filter(v))

    def compute() -> pd.DataFrame:
        return analysis.summary(site_table(v, snap), _per_neo(v, snap))

    return snap.memo("sites.summary", key, compute)


def _chosen_codes(v: dict[str, Any]) -> tuple[str, ...]:
    return tuple(dict.fromkeys((*v["sites"], *analysis.parse_codes(v["paste"]))))


def unknown_codes(v: dict[str, Any], snap: Snapshot | None) -> tuple[str, ...]:
    """Pasted or chosen codes the snapshot does not know."""
    if snap is None or snap.lifetime is None:
        return ()
    known = snap.memo("sites.known", (), lambda: frozenset(_rows(snap).codes))
    return tuple(c for c in _chosen_codes(v) if c not in known)


def _bars(v: dict[str, Any], snap: Snapshot) -> pd.DataFrame:
    table = site_table(v, snap)
    if v["bars"] == "chosen":
        return analysis.chosen_sites(table, _chosen_codes(v))
    return analysis.top_sites(table, v["top"])


# --- text ---------------------------------------------------------------------------------------------


def _scope_text(v: dict[str, Any]) -> str:
    if v["scope"] == analysis.SCOPE_APPARITION:
        window = int(v["window"])
        return f"|Δt| ≤ {window} d incl. precoveries" if v["side"] == "any" else f"0…+{window} d after discovery"
    return analysis.SCOPE_LABELS[v["scope"]].lower()


def _filters_text(v: dict[str, Any]) -> str:
    lo, hi = v["vrange"]
    depth = "" if (lo, hi) == analysis.DEPTH_BOUNDS else f", {analysis.DEPTH_STATS[v['depth']]} {lo:g}–{hi:g}"
    return (
        f"NEOs discovered {v['years'][0]}–{v['years'][1]}, follow-up by station ({_scope_text(v)}), "
        f"sites: {TYPE_LABELS[v['type']].lower()}, {SHOWN_TEXT[v['shown']]}{depth}"
    )


def _count(n: int, what: str) -> str:
    return f"{n:,} {what}{'' if n == 1 else 's'}"


# --- charts ---------------------------------------------------------------------------------------


def _needs_v2(snap: Snapshot) -> bool:
    return snap.lifetime is None or snap.site_depth is None


def draw_map(v: dict[str, Any], snap: Snapshot, theme: Any) -> tuple[Any, str]:
    """The world map of the sites shown."""
    if _needs_v2(snap):
        return views.empty_figure(NEEDS_V2, theme), NEEDS_V2
    table = site_table(v, snap)
    if table.empty:
        return views.empty_figure(f"No sites match these filters ({_filters_text(v)}).", theme), ""
    placed = table["latitude"].notna()
    followed = int((table["value"] > 0).sum())
    off_map = int((~placed).sum())
    no_depth = int(table["depth"].isna().sum())
    metric = analysis.METRIC_LABELS[v["metric"]].lower()
    note = (
        f"{_count(len(table), 'site')} shown ({_filters_text(v)}); {followed:,} with follow-up, coloured by "
        f"{metric} ({figures.SCALES[v['scale']].lower()} colour scale); grey: no follow-up."
    )
    if off_map:
        note += f" {_count(off_map, 'site')} without ground coordinates (space-based, roving) are not on the map."
    if no_depth:
        note += f" {_count(no_depth, 'site')} without depth data kept whatever the V-depth range."
    label = analysis.DEPTH_STATS[v["depth"]]
    fig = figures.map_figure(table, v["metric"], v["scale"], v["proj"], v["grid"] == "on", label, theme)
    return fig, note


def draw_summary(v: dict[str, Any], snap: Snapshot, _theme: Any) -> tuple[Any, str]:
    """The summary card's rows."""
    if _needs_v2(snap):
        return [], NEEDS_V2
    rows = [{"measure": m, "value": x} for m, x in _summary(v, snap).to_numpy().tolist()]
    return rows, f"{_filters_text(v)}."


def draw_bars(v: dict[str, Any], snap: Snapshot, theme: Any) -> tuple[Any, str]:
    """Bars of the top N sites, or of the chosen ones."""
    if _needs_v2(snap):
        return views.empty_figure(NEEDS_V2, theme), NEEDS_V2
    frame = _bars(v, snap)
    unknown = unknown_codes(v, snap)
    unknown_text = f" Codes not known in this snapshot: {', '.join(unknown)}." if unknown else ""
    if v["bars"] == "chosen":
        chosen = _chosen_codes(v)
        if not chosen:
            return views.empty_figure("Pick sites in “Chosen sites” or paste their codes.", theme), ""
        hidden = [c for c in chosen if c not in unknown and c not in set(frame["stn"])]
        note = f"{_count(len(frame), 'chosen site')}, most follow-up first."
        if hidden:
            note += f" Not among the sites shown with these filters: {', '.join(hidden)}."
        note += unknown_text
        if frame.empty:
            return views.empty_figure("None of the chosen sites is among the sites shown.", theme), note
    else:
        if frame.empty:
            return views.empty_figure(f"No site followed up these NEOs ({_filters_text(v)}).", theme), unknown_text
        note = f"The {_count(len(frame), 'site')} with the most follow-up ({_filters_text(v)})." + unknown_text
    names = station_names(snap)
    labels = [station_label(code, names) for code in frame["stn"]]
    return figures.bars_figure(frame, v["metric"], labels, analysis.DEPTH_STATS[v["depth"]], theme), note


# --- the tab's callbacks: one request per change draws every chart; CSVs hold the frames drawn -------

CSV_COLUMNS = (
    "stn; name; obs_type (observatory type, 'unknown' when obscodes has none); longitude (east, −180..180; blank off "
    "the ground); latitude (geocentric; blank off the ground); neos (NEOs followed up); tracklets; observations; "
    "value (the charted metric); discovered (NEOs of the selection the site discovered: never its follow-up); "
    "depth (the chosen depth statistic, V mag; blank = no depth data); depth_n (observations behind it); "
    "depth_period (last_5_years | all_time)."
)


def _csv(build: Any, what: str, columns: str) -> views.TableBuilder:
    def csv(v: dict[str, Any], snap: Snapshot) -> tuple[pd.DataFrame, str]:
        if _needs_v2(snap):
            return pd.DataFrame(), NEEDS_V2
        frame = build(v, snap)
        metric = analysis.METRIC_LABELS[v["metric"]]
        text = what.format(metric=metric, depth=analysis.DEPTH_STATS[v["depth"]])
        return frame, f"{text}; {_filters_text(v)}.\n{RULE}\nColumns: {columns}"

    return csv


def _uses(*extra: str, filters: bool = True) -> Any:
    return lambda v: (*_selection_controls(v), *(FILTER_CONTROLS if filters else ()), *extra)


def _bars_uses(v: dict[str, Any]) -> tuple[str, ...]:
    chosen = ("sites", "paste") if v["bars"] == "chosen" else ("top",)
    return (*_selection_controls(v), *FILTER_CONTROLS, "metric", "bars", *chosen)


TAB = views.register_tab(
    VIEW,
    [
        views.chart(
            "map",
            draw_map,
            file="followup-sites-map",
            uses=_uses("metric"),
            csv=_csv(site_table, "Follow-up sites shown on the map (and those off it), by {metric}", CSV_COLUMNS),
        ),
        views.table(
            "summary",
            draw_summary,
            file="followup-sites-summary",
            uses=_uses(),
            csv=_csv(
                _summary,
                "Follow-up sites: summary",
                "measure; value (median follow-up sites per NEO: over every NEO of the selection, those without "
                "follow-up by a site shown counting 0).",
            ),
        ),
        views.chart(
            "bars",
            draw_bars,
            file="followup-sites-bars",
            uses=_bars_uses,
            csv=_csv(_bars, "Follow-up sites compared, bars = {metric}", CSV_COLUMNS),
        ),
    ],
    control_props=[views.ControlProp("paste", "invalid", lambda v, snap: bool(unknown_codes(v, snap)))],
)
"""``TAB.update(values, theme)`` and ``TAB.download(n, button_id, drawn)``: plain functions for tests."""


# --- control states, in the browser -------------------------------------------------------------------

# Window and precoveries belong to the apparition scope: disabled otherwise, and the page says why.
views.clientside_callback(
    f"""
    function (scope) {{
        var off = scope !== {json.dumps(analysis.SCOPE_APPARITION)};
        return [off, off, off ? {json.dumps(SCOPE_REASON)} : ""];
    }}
    """,
    Output(VIEW.control_id("window"), "disabled"),
    Output(VIEW.control_id("side"), "disabled"),
    Output(SCOPE_REASON_ID, "children"),
    Input(VIEW.control_id("scope"), "value"),
)

# Top N for the top-N bars; the chosen sites and pasted codes for the chosen ones.
views.clientside_callback(
    f"""
    function (bars) {{
        var chosen = bars === {json.dumps("chosen")};
        return [chosen, !chosen, !chosen];
    }}
    """,
    Output(VIEW.control_id("top"), "disabled"),
    Output(VIEW.control_id("sites"), "disabled"),
    Output(VIEW.control_id("paste"), "disabled"),
    Input(VIEW.control_id("bars"), "value"),
)
