"""Layout pieces every tab reuses: labelled controls, the controls bar with Reset, chart and table cards.

Everything here is a plain function returning Dash components; no callbacks, no data I/O.
Controls always carry a visible label tied to the control (``<label for>`` or a fieldset
legend), so screen readers and axe find a name for each.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard_app.views.attrs import Attrs
from dashboard_app.views.state import View

if TYPE_CHECKING:
    from dashboard_app.snapshot.model import Snapshot

LOADING_DELAY_MS = 250
"""Show the loading spinner only when a callback takes longer than this (no flicker)."""

LOADING_OVERLAY = {"visibility": "visible", "opacity": 0.45}
"""While a redraw is pending the old chart stays in view, dimmed under the spinner (not a blank card)."""


def _options(options: Sequence[tuple[str, str]] | Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    return [o if isinstance(o, dict) else {"label": o[1], "value": o[0]} for o in options]


def radio_control(view: View, name: str, label: str, options: Sequence[tuple[str, str]], value: str) -> html.Fieldset:
    """A labelled inline radio group (``options`` as ``(value, label)`` pairs)."""
    return html.Fieldset(
        [
            html.Legend(label, className="form-label fs-6 mb-1"),
            dbc.RadioItems(id=view.control_id(name), options=_options(options), value=value, inline=True),
        ],
        className="view-control mb-2",
    )


def select_control(view: View, name: str, label: str, options: Sequence[tuple[str, str]], value: str) -> html.Div:
    """A labelled native select (``options`` as ``(value, label)`` pairs)."""
    cid = view.control_id(name)
    return html.Div(
        [
            dbc.Label(label, html_for=cid, className="mb-1"),
            dbc.Select(id=cid, options=_options(options), value=value, size="sm"),
        ],
        className="view-control mb-2",
    )


def number_control(view: View, name: str, label: str, lo: int, hi: int, value: int) -> html.Div:
    """A labelled whole-number input for ``[lo, hi]`` that states its range.

    A typed value outside the range, a fraction or an empty box is corrected in the browser (to the
    nearest allowed number, or back to the drawn one) with a visible message, before any chart is asked
    for, so the box and the chart always agree (``assets/views.js``, ``checkNumber``). The input has no
    ``min``/``max``/``step`` attributes on purpose: with them the browser keeps an invalid value out of
    reach of the page, which then could say nothing.
    """
    cid = view.control_id(name)
    return html.Div(
        [
            # The range is part of the label, so it is read with the box.
            dbc.Label(
                [label, html.Span(f" ({lo}–{hi})", className="text-body-secondary")], html_for=cid, className="mb-1"
            ),
            dbc.Input(id=cid, type="number", inputMode="numeric", value=value, size="sm", debounce=True),
            html.Div(id=view.message_id(name), className="view-number-message small", **Attrs({"aria-live": "polite"})),
        ],
        className="view-control mb-2",
    )


def range_control(
    view: View,
    name: str,
    label: str,
    lo: float,
    hi: float,
    value: Sequence[float],
    *,
    step: float = 1,
    marks: Mapping[Any, Any] | None = None,
    shown: str | None = None,
) -> html.Div:
    """A labelled two-handle range slider (value is ``[lo, hi]``; plain-text marks get the theme colour).

    ``shown`` names a function of ``window.dccFunctions`` (``assets/sliders.js``) that formats the
    handles' tooltips, e.g. to show the value the server snaps to.
    """
    if marks:
        marks = {k: v if isinstance(v, dict) else {"label": v, "style": MARK_STYLE} for k, v in marks.items()}
    cid = view.control_id(name)
    label_id = f"{cid}-label"
    return html.Div(
        [
            html.Div(label, id=label_id, className="form-label mb-1"),
            html.Div(
                dcc.RangeSlider(
                    id=cid,
                    min=lo,
                    max=hi,
                    step=step,
                    value=list(value),
                    marks=marks,
                    allowCross=False,
                    allow_direct_input=False,  # Dash 4's number boxes carry no label (axe: critical)
                    tooltip={"placement": "bottom", "always_visible": False, **({"transform": shown} if shown else {})},
                ),
                role="group",
                # The step lets assets/sliders.js give Home/End to the focused handle.
                **Attrs({"aria-labelledby": label_id, "data-neo-step": str(step)}),
            ),
        ],
        className="view-control mb-2",
    )


MARK_STYLE = {"color": "var(--bs-body-color)"}
"""Slider mark colour from the page theme (Dash's default grey fails contrast on the dark theme)."""


def slider_marks(labels: Mapping[Any, str]) -> dict[Any, dict[str, Any]]:
    """Slider marks with the theme's text colour."""
    return {k: {"label": v, "style": MARK_STYLE} for k, v in labels.items()}


def year_marks(lo: int, hi: int, count: int = 6) -> dict[Any, dict[str, Any]]:
    """About ``count`` evenly spaced year marks for a year slider, always including both ends."""
    step = max(1, (hi - lo) // (count - 1))
    labels = {y: str(y) for y in range(lo, hi + 1, step) if hi - y >= step / 2 or y == hi}
    labels[hi] = str(hi)
    return slider_marks(labels)


def controls_bar(view: View, values: Mapping[str, Any], snapshot: Snapshot | None, controls: Sequence[Any]) -> dbc.Card:
    """The tab's controls in a responsive grid, the Reset button and the view's stores.

    ``values`` are the parsed values the controls show (the first request draws them); the stores are
    described in :mod:`dashboard_app.views.tab`.
    """
    cols = [dbc.Col(c, xs=12, md=6, xl=4) for c in controls]
    reset = dbc.Button(
        "Reset", id=view.reset_id, color="secondary", outline=True, size="sm", title="Restore every control"
    )
    return dbc.Card(
        dbc.CardBody(
            [
                dcc.Store(id=view.request_id, data=view.jsonable(values)),  # what the server is asked to draw
                dcc.Store(id=view.drawn_id),  # what the charts show (CSV files follow it)
                dcc.Store(id=view.shown_id),  # a digest per chart of what it shows (unchanged ones are not resent)
                dcc.Store(id=view.url_id),  # the drawn view's query string; the browser's URL follows it
                dcc.Store(id=view.config_id, data=view.browser_config(snapshot)),
                dbc.Row(cols, className="g-3"),
                html.Div(reset, className="d-flex justify-content-end"),
            ]
        ),
        className="mb-3 view-controls",
    )


def _card_header(view: View, index: str, title: str, *, grid: bool = False) -> dbc.CardHeader:
    # A grid's CSV button exports in the browser (what the grid shows); a chart's asks the server.
    button_id = view.grid_csv_button_id(index) if grid else view.csv_button_id(index)
    return dbc.CardHeader(
        html.Div(
            [
                html.H2(title, className="h6 mb-0"),
                dbc.Button(
                    "CSV",
                    id=button_id,
                    color="link",
                    size="sm",
                    className="p-0",
                    # Bootstrap's link blue on the card header is 4.2:1; its hover shade passes 4.5:1 (axe).
                    style={"color": "var(--bs-link-hover-color)"},
                    title=f"Download the numbers of “{title}” as CSV",
                ),
                *([] if grid else [dcc.Download(id=view.download_id(index))]),
            ],
            className="d-flex justify-content-between align-items-center gap-2",
        )
    )


def graph_config(file_stem: str) -> dcc.Graph.Config:
    """``dcc.Graph`` config: PNG export from the modebar under ``file_stem``, no logo."""
    return {
        "displaylogo": False,
        "responsive": True,
        "toImageButtonOptions": {"format": "png", "filename": file_stem, "scale": 2},
        "modeBarButtonsToRemove": ["select2d", "lasso2d"],
    }


HEATMAP_MIN_WIDTH = 760
"""The width below which a heatmap is not squeezed (≈ 33 px per column for 17 columns beside the labels
and colour bar): narrower cards scroll it sideways. ``assets/02-shell.css`` shows the scroll hint below it."""


def chart_card(
    view: View,
    index: str,
    title: str,
    *,
    file_stem: str | None = None,
    height: int = 420,
    footer: Any = None,
    config: dcc.Graph.Config | None = None,
    min_width: int | None = None,
) -> dbc.Card:
    """A card with a title, a CSV button + download, a loading-wrapped graph and a note line.

    ``config`` adds to the graph's :func:`graph_config` (e.g. a map's ``topojsonURL``).
    ``min_width`` (px, e.g. :data:`HEATMAP_MIN_WIDTH`): the chart is never drawn narrower (a heatmap's
    cells stay readable); in a narrower card it scrolls sideways, by keyboard too (a focusable region),
    under a hint that shows when the card is narrower than :data:`HEATMAP_MIN_WIDTH` (``02-shell.css``).
    The chart's store (the server's answer, drawn by the chart's client function: :attr:`Chart.client`) sits
    beside the graph, inside the loading wrapper, so the spinner shows while the answer is on its way.
    """
    # Taller on narrow screens, where the legend wraps onto more lines and eats plot height.
    style = {"height": f"calc({height}px + max(0px, 720px - 100vw))"}
    if min_width is not None:
        style = {"height": f"{height}px", "minWidth": f"{min_width}px"}  # it keeps its width: no extra height
    graph = dcc.Graph(
        id=view.graph_id(index),
        config=graph_config(file_stem or f"{view.tab}-{index}") | (config or {}),
        style=style,
        figure={"data": [], "layout": {"xaxis": {"visible": False}, "yaxis": {"visible": False}}},
    )
    drawn: Any = dcc.Loading(
        [graph, dcc.Store(id=view.packed_id(index))],
        delay_show=LOADING_DELAY_MS,
        type="circle",
        overlay_style=LOADING_OVERLAY,
    )
    # The graph's height for its placeholder while dcc's graph chunk loads (assets/03-neo.css): the page keeps
    # its final layout from the start, and a chart below the fold is known to be below it (views.DRAW_NEAR,
    # which also remembers here that a chart was drawn: dcc replaces the placeholder element when it mounts).
    drawn = html.Div(drawn, className="view-graph-slot", style={"--graph-height": style["height"]})
    if min_width is not None:
        hint = f"view-scroll-hint-{view.tab}-{index}"
        drawn = html.Div(
            [
                html.P(
                    "Scroll sideways to see every column →",
                    id=hint,
                    className="view-scroll-hint small text-body-secondary mb-1",
                ),
                html.Div(
                    drawn,
                    className="view-chart-scroll",
                    role="region",
                    tabIndex="0",
                    **Attrs({"aria-label": title, "aria-describedby": hint}),
                ),
            ],
            className="view-chart-scroll-wrap",
        )
    body = [
        drawn,
        html.P(
            id=view.note_id(index), className="small text-body-secondary mb-0 mt-2", **Attrs({"aria-live": "polite"})
        ),
    ]
    if footer is not None:
        body.append(footer)
    return dbc.Card([_card_header(view, index, title), dbc.CardBody(body)], className="mb-3 view-chart")


GRID_ROW_PX = 34
"""Height of one grid row (the grid's compact density in ``assets/02-shell.css``)."""

GRID_MAX_ROWS = 12
"""Tables with more rows than this scroll inside a fixed-height grid (only the visible rows are drawn)."""


def grid_column(column: tuple[str, str] | tuple[str, str, str] | Mapping[str, Any]) -> dict[str, Any]:
    """An AG Grid column from ``(field, header)`` or ``(field, header, kind)``; kind "text" | "count" | "number".

    Numbers are sorted and filtered as numbers and shown by the ``NeoNumber`` cell renderer
    (``assets/grid.js``): counts with thousands separators. No JavaScript-function strings, which
    the grid would evaluate (the CSP has no ``'unsafe-eval'``).
    """
    if isinstance(column, Mapping):
        return dict(column)
    field, header, *rest = column
    kind = rest[0] if rest else "text"
    out: dict[str, Any] = {"field": field, "headerName": header, "headerTooltip": header}
    if kind == "text":
        return out | {"filter": "agTextColumnFilter", "cellDataType": "text"}
    return out | {
        "filter": "agNumberColumnFilter",
        "cellDataType": "number",
        "type": "rightAligned",
        "cellRenderer": "NeoNumber",
        "cellRendererParams": {"grouped": kind == "count"},
    }


def table_card(
    view: View,
    index: str,
    title: str,
    columns: Sequence[tuple[str, str] | tuple[str, str, str] | Mapping[str, Any]],
    *,
    rows: int = GRID_MAX_ROWS,
    min_width: int = 90,
) -> dbc.Card:
    """A card with a title, a CSV button and a loading-wrapped AG Grid (sortable, filterable columns).

    ``columns`` are ``(field, header[, kind])`` (see :func:`grid_column`); the tab's callback fills
    ``rowData``. The grid is ``rows`` rows high and scrolls beyond that, drawing only the visible rows;
    columns share the width but never get narrower than ``min_width`` px (on a phone the grid scrolls
    sideways, by keyboard too: every cell is focusable and the arrow keys move between cells). Text
    columns sort case-insensitively (the browser's collation).

    The CSV button exports what the grid shows (its filtered, sorted rows and its columns) under the
    file name and comment lines the server sends with the rows (:func:`dashboard_app.views.tab.table`).
    """
    grid = dag.AgGrid(
        id=view.grid_id(index),
        columnDefs=[grid_column(c) for c in columns],
        rowData=[],
        # No flex columns: the grid hides flex-sized cells until they are measured, and off-screen grids
        # stayed hidden to assistive technology (axe: aria-required-children). The grid's own responsive
        # fit shares the width instead.
        defaultColDef={"sortable": True, "filter": True, "resizable": True, "minWidth": min_width},
        columnSize="responsiveSizeToFit",
        dashGridOptions={
            "rowHeight": GRID_ROW_PX,
            "headerHeight": GRID_ROW_PX + 4,
            "suppressCellFocus": False,
            "enableCellTextSelection": True,
            "ensureDomOrder": True,
            "suppressColumnVirtualisation": True,
            # Text sorts as people read it ("Geocentric" before "GINOP-KHK"): the grid then compares strings
            # with localeCompare instead of by code point (capitals first); numbers are unaffected.
            "accentedSort": True,
        },
        csvExportParams={"fileName": f"{view.tab}-{index}.csv"},
        className="neo-grid",
        style={"height": f"{(rows + 1) * GRID_ROW_PX + 8}px", "width": "100%"},
    )
    body = [
        dcc.Loading(grid, delay_show=LOADING_DELAY_MS, type="circle", overlay_style=LOADING_OVERLAY),
        html.P(
            id=view.note_id(index), className="small text-body-secondary mb-0 mt-2", **Attrs({"aria-live": "polite"})
        ),
    ]
    return dbc.Card([_card_header(view, index, title, grid=True), dbc.CardBody(body)], className="mb-3 view-table")


def view_page(title: str, intro: str, controls: dbc.Card, sections: Sequence[Any]) -> html.Div:
    """A tab page: heading, one-line intro, the controls bar, then charts stacked full width."""
    return html.Div(
        [html.H1(title, className="h4"), html.P(intro, className="text-body-secondary"), controls, *sections],
        className="view-page",
    )
