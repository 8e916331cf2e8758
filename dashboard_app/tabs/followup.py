"""Follow-up Timing: after a survey discovers a NEO, how soon does a different survey observe it?

Controls (all in the URL): ``years``, ``size`` (all | 1..5 | unknown), ``days`` (max days shown).
Charts: response curves, response time per follow-up project, discovering × first follow-up
project, median days to first follow-up per discovery year.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from dash import html

from dashboard_app import views
from dashboard_app.analysis import followup as analysis
from dashboard_app.analysis import survival
from dashboard_app.analysis.filters import SIZE_SPLIT, size_options, size_orders, year_bounds
from dashboard_app.definitions import (
    APPARITION_HALF_WINDOW_DAYS,
    FOLLOWUP_BY_PROJECT,
    FOLLOWUP_CENSORING,
    OTHER_FOLLOWUP_PROJECT,
)
from dashboard_app.figures import followup as figures
from dashboard_app.figures import partial_year
from dashboard_app.snapshot.model import Snapshot

PATH = "/followup"
NAME = "Follow-up Timing"
ORDER = 40
HOW_TO_READ = (
    "After a discovery, other observers must measure the NEO again to pin down its orbit. The curves show how "
    "fast that happened (share of NEOs followed up by 1, 2 or 3 other projects within so many days); the boxes "
    "show each follow-up project's response time; the heatmap shows who followed up whose discoveries first."
)
"""What the tab shows, in plain words (About's "How to read each tab")."""

SIZE_CHOICES = [(v, label) for v, label in size_options() if v != SIZE_SPLIT]
RULE = (
    f"Follow-up rule (by survey project): {FOLLOWUP_BY_PROJECT.summary} A project's delay is its earliest "
    f"station's first observation at or after discovery; stations outside the named projects form "
    f"“{OTHER_FOLLOWUP_PROJECT}”, so they do not follow up a NEO that one of them discovered."
)

CENSORING_TEXT = FOLLOWUP_CENSORING.summary

VIEW = views.View(
    "followup",
    (
        views.years_control(),
        views.Control("size", default="all", parse=views.choice(*(v for v, _ in SIZE_CHOICES))),
        views.Control("days", default=analysis.DEFAULT_MAX_DAYS, parse=views.integer(1, APPARITION_HALF_WINDOW_DAYS)),
    ),
)


def layout(**query: Any) -> Any:
    """The tab: controls from the URL query (junk → defaults), four chart cards filled by callbacks."""
    snap = views.request_snapshot()
    v = VIEW.parse(query, snap)
    lo, hi = year_bounds(snap)
    controls = views.controls_bar(
        VIEW,
        v,
        snap,
        [
            html.Div(
                [
                    views.range_control(
                        VIEW, "years", "Discovery years", lo, hi, v["years"], marks={lo: str(lo), hi: str(hi)}
                    ),
                    views.all_years_button(VIEW, lo, hi),
                ]
            ),
            views.select_control(VIEW, "size", "Size class", SIZE_CHOICES, v["size"]),
            views.number_control(VIEW, "days", "Max days shown", 1, APPARITION_HALF_WINDOW_DAYS, v["days"]),
        ],
    )
    return views.view_page(
        NAME,
        "After a survey discovers a NEO, how soon does a different survey observe it?",
        controls,
        [
            html.P(RULE, className="small text-body-secondary"),
            views.chart_card(VIEW, "curves", "Share of NEOs followed up within t days", height=440),
            views.chart_card(VIEW, "boxes", "Response time per follow-up project", height=460),
            views.chart_card(
                VIEW,
                "matrix",
                "Discovering project × first follow-up project",
                height=560,
                min_width=views.HEATMAP_MIN_WIDTH,
            ),
            views.chart_card(VIEW, "annual", "Median days to first follow-up per discovery year", height=420),
        ],
    )


# --- analysis, memoised per snapshot (the CSVs use these same results) --------------------------


def _delays(snap: Snapshot) -> pd.DataFrame:
    """Every NEO's follow-up delays: held once per machine (mapped; :meth:`Snapshot.shared`), not per worker."""
    return snap.shared(
        "followup.delays", pd.DataFrame, lambda: analysis.followup_delays(snap.discoveries, snap.apparitions)
    )


def prepare_snapshot(snap: Snapshot) -> None:
    """Before a worker switches to ``snap``: its shared follow-up delays (built once per machine, then mapped)."""
    _delays(snap)


def _selected(v: dict[str, Any], snap: Snapshot) -> tuple[Any, Any]:
    """(eligible discoveries, their follow-up delays) for the selection: an intermediate (~2 MB at full scale)
    held for the request that needs it; what the charts derive from it is memoised on its own."""
    sel = analysis.FollowupSelection(years=v["years"], sizes=size_orders(v["size"]))
    return views.per_request(
        (snap.id, "followup.selected", sel), lambda: analysis.eligible_followups(snap.discoveries, _delays(snap), sel)
    )


def _derived(name: str, v: dict[str, Any], snap: Snapshot, extra: tuple, compute) -> Any:
    """A small result of the selection, memoised; the selection is built only on a miss."""
    key = (v["years"], v["size"], *extra)
    return snap.memo(f"followup.{name}", key, lambda: compute(*_selected(v, snap)))


def _censoring(snap: Snapshot) -> Any:
    """Days each NEO could be followed up (data time − discovery, at most the apparition), by neo_id."""
    return snap.memo("followup.censoring", (), lambda: survival.censor_by_neo_id(snap.discoveries, snap.data_time))


def _curves(v: dict[str, Any], snap: Snapshot) -> Any:
    censor = _censoring(snap)
    return _derived("curves", v, snap, (v["days"],), lambda e, d: analysis.response_curves_km(e, d, censor, v["days"]))


def _not_yet_due(v: dict[str, Any], snap: Snapshot) -> int:
    censor = _censoring(snap)
    return _derived("not_yet_due", v, snap, (v["days"],), lambda e, d: survival.not_yet_due(e, d, censor, v["days"]))


def _boxes(v: dict[str, Any], snap: Snapshot) -> Any:
    return _derived("boxes", v, snap, (), lambda _e, d: analysis.project_response_boxes(d))


def _matrix(v: dict[str, Any], snap: Snapshot) -> Any:
    return _derived("matrix", v, snap, (), analysis.first_followup_matrix)


def _annual(v: dict[str, Any], snap: Snapshot) -> Any:
    return _derived("annual", v, snap, (), analysis.annual_first_followup)


def _summary(v: dict[str, Any], snap: Snapshot) -> Any:
    return _derived("summary", v, snap, (), analysis.followup_summary)


def _filters_text(v: dict[str, Any]) -> str:
    return f"NEOs discovered {v['years'][0]}–{v['years'][1]}, {dict(SIZE_CHOICES)[v['size']]}"


def _empty_sentence(v: dict[str, Any]) -> str:
    size = dict(SIZE_CHOICES)[v["size"]]
    return f"No NEOs were discovered in {v['years'][0]}–{v['years'][1]} in the size class “{size}”."


def _n_eligible(v: dict[str, Any], snap: Snapshot) -> int:
    return _derived("n_eligible", v, snap, (), lambda eligible, _delays: len(eligible))


def _nothing_to_draw(v: dict[str, Any], snap: Snapshot, thin: str, theme: Any) -> Any:
    """The empty state: no NEOs in the selection, or (``thin``) too few values for this chart."""
    return views.empty_figure(_empty_sentence(v) if _n_eligible(v, snap) == 0 else thin, theme)


# --- charts ---------------------------------------------------------------------------------------


days_text = figures.days_text
"""Days for people (shared with the heatmap's hover)."""


def draw_curves(v: dict[str, Any], snap: Snapshot, theme: Any) -> tuple[Any, str]:
    """Response curves of the 1st, 2nd and 3rd different project, plain and Kaplan–Meier."""
    if _n_eligible(v, snap) == 0:
        return views.empty_figure(_empty_sentence(v), theme), ""
    summary = dict(_summary(v, snap).to_numpy().tolist())
    n, first = summary["Eligible NEOs"], summary["Followed up by at least 1 other project"]
    median = summary["Median days to first follow-up"]
    curves = _curves(v, snap)
    end = curves.loc[curves["rank"] == 1].iloc[-1]  # the 1st project at the last day shown
    pending = _not_yet_due(v, snap)
    note = (
        f"{_filters_text(v)}: {n:,}. Followed up by another project within the apparition: {first:,} "
        f"({100 * first / n:.1f}%), median {days_text(median)}. "
        "Solid: shares of all eligible NEOs, so NEOs never followed up keep the curves below 100%. "
        f"Dashed: Kaplan–Meier. {CENSORING_TEXT} Within {v['days']} days: {end['pct_of_eligible']:.1f}% plain, "
        f"{end['km_pct']:.1f}% Kaplan–Meier (95% CI {end['km_low95']:.1f}–{end['km_high95']:.1f}%); "
        f"{pending:,} NEO{'s' if pending != 1 else ''} without follow-up had not had {v['days']} days yet."
    )
    return figures.response_curves_figure(curves, v["days"], theme), note


def draw_boxes(v: dict[str, Any], snap: Snapshot, theme: Any) -> tuple[Any, str]:
    """Box plots of response time per follow-up project."""
    frame = _boxes(v, snap)
    if frame.empty:
        thin = f"No follow-up project has at least {analysis.MIN_BOX_VALUES} response times in this selection."
        return _nothing_to_draw(v, snap, thin, theme), ""
    note = (
        f"Days from discovery to each project's first observation of the NEO, projects with at least "
        f"{analysis.MIN_BOX_VALUES} NEOs, fastest median first. Whiskers reach 1.5 IQR; the axis stops at "
        f"{v['days']} days (the CSV has every statistic)."
    )
    return figures.project_boxes_figure(frame, v["days"], theme), note


def draw_matrix(v: dict[str, Any], snap: Snapshot, theme: Any) -> tuple[Any, str]:
    """Heatmap of discovering project × first follow-up project."""
    frame = _matrix(v, snap)
    if frame.empty:
        return views.empty_figure(_empty_sentence(v), theme), ""
    note = f"NEOs per cell; hover for the median delay. “{analysis.NO_FOLLOWUP}”: no other project observed it."
    return figures.first_followup_heatmap(frame, theme), note


def draw_annual(v: dict[str, Any], snap: Snapshot, theme: Any) -> tuple[Any, str]:
    """Median days to first follow-up per discovery year with the interquartile band."""
    frame = _annual(v, snap)
    if frame.empty:
        thin = f"No discovery year in the selection has at least {analysis.MIN_YEAR_NEOS} followed-up NEOs."
        return _nothing_to_draw(v, snap, thin, theme), ""
    note = f"Years with at least {analysis.MIN_YEAR_NEOS} followed-up NEOs; the band is the interquartile range."
    # (a year with too few followed-up NEOs is not drawn, so not marked either)
    partial = partial_year.drawn(partial_year.partial_year(snap.data_time, v["years"]), frame["disc_year"])
    note += partial_year.note(partial, "its open point is not a full year")
    return figures.annual_median_figure(frame, theme, partial), note


# --- the tab's callbacks: one request per change draws every chart; CSVs hold the frames drawn -------


def _csv(build: Any, what: str, columns: str) -> views.TableBuilder:
    return views.described_csv(build, what, columns, _filters_text)


TAB = views.register_tab(
    VIEW,
    [
        views.chart(
            "curves",
            draw_curves,
            file="followup-curves",
            csv=_csv(
                _curves,
                "Follow-up response curves up to {days} days",
                "rank (1st, 2nd, 3rd different project); days (after discovery); neos (followed up by at least "
                "`rank` other projects within `days`); pct_of_eligible (of all eligible NEOs); at_risk (NEOs still "
                "followed at `days`: neither followed up by `rank` projects before it nor censored); km_pct "
                "(Kaplan–Meier share followed up, %); km_low95, km_high95 (pointwise 95% band, log(-log)). "
                + CENSORING_TEXT,
            ),
        ),
        views.chart(
            "boxes",
            draw_boxes,
            file="followup-project-response",
            uses=("years", "size"),
            csv=_csv(
                _boxes,
                f"Response time per follow-up project (at least {analysis.MIN_BOX_VALUES} NEOs)",
                "project; n (NEOs it observed after another project's discovery); minimum; lower_fence (lowest "
                "delay within 1.5 IQR); q1; median; q3; upper_fence; maximum (days).",
            ),
        ),
        views.chart(
            "matrix",
            draw_matrix,
            file="followup-first-project",
            uses=("years", "size"),
            csv=_csv(
                _matrix,
                "Discovering project x first follow-up project",
                f"disc_project; followup_project ('{analysis.NO_FOLLOWUP}' = none); neos; median_delay (days).",
            ),
        ),
        views.chart(
            "annual",
            draw_annual,
            file="followup-annual-median",
            uses=("years", "size"),
            csv=_csv(
                _annual,
                f"Days to first follow-up per discovery year (years with at least {analysis.MIN_YEAR_NEOS} "
                "followed-up NEOs)",
                "disc_year; eligible; followed (followed up by another project); q1; median; q3 (days).",
            ),
        ),
    ],
)
"""``TAB.update(values, theme)`` and ``TAB.download(n, button_id, drawn)``: plain functions for tests."""
