"""Figure of the Size Distribution tab: discovered vs model per H bin, completeness, diameter lines."""

from __future__ import annotations

from typing import Any

from dashboard_app import reference
from dashboard_app.analysis.sizes import CUMULATIVE, DISCOVERED_PREFIX, SizeDistribution
from dashboard_app.figures.colours import series_colours
from dashboard_app.figures.common import Figure, themed_layout

UNDISCOVERED = "Estimated undiscovered"
UNDISCOVERED_COLOUR = "rgba(140, 140, 140, 0.35)"
COMPLETENESS = "Completeness"
COMPLETENESS_COLOUR = "#d62728"
BAND_COLOUR = "rgba(214, 39, 40, 0.15)"
LINE_COLOUR = "rgba(128, 128, 128, 0.85)"
LINE_014 = "Diameter, albedo 0.14"
LINE_MODEL = "Diameter, model albedo"
BAR_WIDTH = 0.45


def size_figure(result: SizeDistribution, theme: object, log_y: bool = False) -> Figure:
    """Stacked discovered bars + estimated undiscovered, completeness on a second axis, diameter lines."""
    t = result.table
    cumulative = result.mode == CUMULATIVE
    x_bars = t["h_center"].tolist()
    h_high = t["h_high"].tolist()
    bin_text = "H < %{customdata:.2f}" if cumulative else "bin centre H %{x:.2f}"
    colours = series_colours(result.stacked_by, result.stacks)
    data: list[dict[str, Any]] = []
    for s in result.stacks:
        data.append(_bar(x_bars, t[DISCOVERED_PREFIX + s].tolist(), h_high, s, colours[s], bin_text, "discovered"))
    data.append(_bar(x_bars, t["undiscovered"].tolist(), h_high, UNDISCOVERED, UNDISCOVERED_COLOUR, bin_text, ""))
    x_line = h_high if cumulative else x_bars
    if cumulative:
        data.append(
            {
                "type": "scatter",
                "x": x_line + x_line[::-1],
                "y": t["completeness_high"].tolist() + t["completeness_low"].tolist()[::-1],
                "yaxis": "y2",
                "fill": "toself",
                "fillcolor": BAND_COLOUR,
                "line": {"width": 0},
                "hoverinfo": "skip",
                "name": "Completeness 1σ (model)",
                "showlegend": False,
            }
        )
    data.append(
        {
            "type": "scatter",
            "x": x_line,
            "y": t["completeness"].tolist(),
            "yaxis": "y2",
            "mode": "lines+markers",
            "name": COMPLETENESS + (" (band: model 1σ)" if cumulative else ""),
            "meta": COMPLETENESS,
            "line": {"color": COMPLETENESS_COLOUR, "width": 2},
            "marker": {"size": 5},
            "hovertemplate": ("H < %{x:.2f}" if cumulative else "bin centre H %{x:.2f}")
            + ": %{y:.1%} complete<extra></extra>",
        }
    )
    shapes, annotations, legend = _diameter_lines(float(t["h_low"].min()), float(t["h_high"].max()))
    data += legend
    if cumulative and result.callouts:
        marker, note = _callout(result)
        data.append(marker)
        annotations.append(note)
    band_top = t["completeness_high"].max(skipna=True) if cumulative else t["completeness"].max()
    layout = themed_layout(
        theme,
        barmode="stack",
        margin={"r": 75, "t": 40},  # the completeness axis on the right
        xaxis={"title": {"text": "Absolute magnitude H"}},
        yaxis={
            "title": {"text": "NEOs with H < bin upper edge" if cumulative else "NEOs per half-magnitude bin"},
            "type": "log" if log_y else "linear",
        },
        yaxis2={
            "title": {"text": "Completeness"},
            "overlaying": "y",
            "side": "right",
            "range": [0, max(1.05, float(band_top) * 1.05)],
            "tickformat": ".0%",
            "tickmode": "auto",
            "showgrid": False,
        },
        shapes=shapes,
        annotations=annotations,
    )
    return {"data": data, "layout": layout}


def _bar(x: list, y: list, h_high: list, name: str, colour: str, bin_text: str, what: str) -> dict[str, Any]:
    return {
        "type": "bar",
        "x": x,
        "y": y,
        "customdata": h_high,
        "width": BAR_WIDTH,
        "name": name,
        "marker": {"color": colour, "line": {"width": 0}},
        "hovertemplate": f"{name}<br>{bin_text}: %{{y:,.0f}} {what}<extra></extra>",
    }


def _diameter_lines(h_lo: float, h_hi: float) -> tuple[list[dict], list[dict], list[dict]]:
    """Shapes at the H of each reference diameter (both albedos), their labels and two legend entries."""
    lines = reference.size_reference_lines()
    shapes, labels, legend = [], [], []
    styles = (("h_at_pv014", "dot", LINE_014, True), ("h_neomod3_albedo", "dash", LINE_MODEL, False))
    for column, dash, name, labelled in styles:
        shown = lines.loc[(lines[column] >= h_lo) & (lines[column] <= h_hi)]
        for h, label in zip(shown[column].astype(float), shown["label"], strict=True):
            shapes.append(
                {
                    "type": "line",
                    "xref": "x",
                    "yref": "paper",
                    "x0": h,
                    "x1": h,
                    "y0": 0,
                    "y1": 1,
                    "line": {"dash": dash, "width": 1, "color": LINE_COLOUR},
                }
            )
            if labelled:
                labels.append(
                    {
                        "x": h,
                        "xref": "x",
                        "y": 1,
                        "yref": "paper",
                        "text": label,
                        "textangle": -90,
                        "xanchor": "right",
                        "yanchor": "top",
                        "showarrow": False,
                        "font": {"size": 10},
                    }
                )
        # A legend entry that explains the line style (no data).
        legend.append(
            {
                "type": "scatter",
                "x": [None],
                "y": [None],
                "mode": "lines",
                "name": name,
                "line": {"dash": dash, "width": 1, "color": LINE_COLOUR},
                "hoverinfo": "skip",
                "meta": "legend-only",
            }
        )
    return shapes, labels, legend


def _callout(result: SizeDistribution) -> tuple[dict[str, Any], dict[str, Any]]:
    c = result.callouts[0]
    marker = {
        "type": "scatter",
        "x": [c.h],
        "y": [c.value],
        "yaxis": "y2",
        "mode": "markers",
        "name": f"Completeness at {c.label}",
        "showlegend": False,
        "marker": {
            "symbol": "diamond",
            "size": 11,
            "color": COMPLETENESS_COLOUR,
            "line": {"width": 1, "color": "#fff"},
        },
        "error_y": {
            "type": "data",
            "symmetric": False,
            "array": [c.high - c.value],
            "arrayminus": [c.value - c.low],
            "color": COMPLETENESS_COLOUR,
        },
        "hovertemplate": f"{c.label} (H < {c.h:g}): %{{y:.1%}}<extra></extra>",
    }
    note = {
        "x": c.h,
        "y": c.value,
        "xref": "x",
        "yref": "y2",
        "text": f"140 m: {c.value:.0%}",
        "showarrow": True,
        "arrowhead": 0,
        "ax": 40,
        "ay": -30,
        "font": {"color": COMPLETENESS_COLOUR},
    }
    return marker, note
