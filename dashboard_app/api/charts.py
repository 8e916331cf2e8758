"""The data behind every chart, from what each tab already declares: API = CSV download = chart.

A tab module (``tabs.TAB_MODULES``) that registered its charts with ``views.register_tab`` gets, with
no code of its own:

- ``/api/v1/<tab>`` — the tab's charts and their URLs for the query given;
- ``/api/v1/<tab>/<chart>.csv`` — byte for byte the chart's CSV download for the same view;
- ``/api/v1/<tab>/<chart>.json`` — the same frame as JSON, with the filters echoed.

``<tab>`` is the page's path (``/discoveries`` → ``discoveries``); ``<chart>`` is the chart's index
in ``register_tab``. The query parameters are the page's own (its ``views.View`` controls), so a
view's URL with ``/api/v1`` in front of the path gives that view's numbers. Unlike the page, which
shows defaults for junk, the API refuses what it does not understand (:class:`ParameterError`, 400).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any
from urllib.parse import urlencode

import numpy as np
import pandas as pd

from dashboard_app import views
from dashboard_app.snapshot.model import Snapshot
from dashboard_app.views.tab import Chart, TabCallbacks

FORMATS = ("csv", "json")


class ParameterError(ValueError):
    """A query the API cannot answer: an unknown, repeated or unacceptable parameter (HTTP 400)."""

    def __init__(self, parameter: str, message: str, accepted: Mapping[str, Any]) -> None:
        super().__init__(message)
        self.parameter = parameter
        self.message = message
        self.accepted = dict(accepted)


@dataclass(frozen=True)
class DataTab:
    """One tab whose charts the API serves."""

    slug: str
    name: str
    path: str
    callbacks: TabCallbacks

    @property
    def view(self) -> views.View:
        return self.callbacks.view

    @property
    def charts(self) -> tuple[Chart, ...]:
        return self.callbacks.charts

    def chart(self, index: str) -> Chart | None:
        """The chart registered under ``index``, or None."""
        return next((c for c in self.charts if c.index == index), None)


def data_tabs(modules: Iterable[ModuleType]) -> list[DataTab]:
    """Every tab module that registered charts (``views.register_tab``), in tab order."""
    tabs = []
    for module in modules:
        found = [v for v in vars(module).values() if isinstance(v, TabCallbacks)]
        if found:
            tabs.append(DataTab(module.PATH.strip("/"), module.NAME, module.PATH, found[0]))
    return tabs


def accepted_parameters(view: views.View, snapshot: Snapshot | None) -> dict[str, Any]:
    """Every parameter of ``view``: its default (for ``snapshot``) and what it accepts."""
    out = {}
    for control in view.controls:
        default = control.default_for(snapshot) if snapshot is not None or not callable(control.default) else None
        out[control.name] = {
            "default": None if default is None else control.encode(default),
            **views.accepted_values(control, snapshot),
        }
    return out


def parse_query(view: views.View, args: Mapping[str, Sequence[str]], snapshot: Snapshot) -> dict[str, Any]:
    """The view's values from a URL query (``{name: [values]}``), strictly: junk raises :class:`ParameterError`.

    Missing parameters take their defaults, as on the page; partly out-of-range ranges are clamped, as
    on the page (the echoed filters show the values used).
    """
    by_name = {c.name: c for c in view.controls}
    for name, raw in args.items():
        if name not in by_name:
            raise ParameterError(
                name,
                f"unknown parameter {name!r}; this view accepts {', '.join(view.names)}",
                accepted_parameters(view, snapshot),
            )
        if len(raw) != 1:
            raise ParameterError(name, f"parameter {name!r} is given {len(raw)} times; give it once", {})
    values = view.defaults(snapshot)
    for name, raw in args.items():
        control = by_name[name]
        try:
            values[name] = control.parse(raw[0], snapshot)
        except (ValueError, TypeError, KeyError, IndexError, OverflowError):
            accepted = views.accepted_values(control, snapshot)
            raise ParameterError(
                name, f"{raw[0]!r} is not accepted for {name!r}: {accepted.get('text') or accepted}", accepted
            ) from None
    return values


def chart_frame(chart: Chart, values: dict[str, Any], snapshot: Snapshot) -> tuple[pd.DataFrame, str | None]:
    """The chart's frame and comment (its CSV builder, the very function its download uses)."""
    out = chart.csv(values, snapshot)
    return out if isinstance(out, tuple) else (out, None)


def chart_csv(tab: DataTab, chart: Chart, values: dict[str, Any], snapshot: Snapshot) -> tuple[str, str]:
    """``(csv text, file name)``: exactly what the chart's CSV button downloads for these values."""
    frame, comment = chart_frame(chart, values, snapshot)
    uses = chart.used_controls(tab.view.parse(values, snapshot))  # the file names only the filters that matter
    payload = views.csv_payload(frame, tab.view.file_name(chart.file, values, snapshot, uses=uses), comment)
    return payload["content"], payload["filename"]


def column_type(series: pd.Series) -> str:
    """``integer``, ``number``, ``boolean`` or ``text``: the JSON type of a column's values."""
    if pd.api.types.is_bool_dtype(series):
        return "boolean"
    if pd.api.types.is_integer_dtype(series):
        return "integer"
    if pd.api.types.is_numeric_dtype(series):
        return "number"
    return "text"


def _json_value(value: Any) -> Any:
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return value.item() if isinstance(value, np.generic) else value


def _column_values(series: pd.Series) -> list[Any]:
    """A column as JSON values: NaN/NA as null, NumPy scalars as Python numbers, times as ISO 8601 text."""
    if pd.api.types.is_float_dtype(series):
        return [None if v != v else v for v in series.to_numpy(dtype="float64", na_value=np.nan).tolist()]
    if pd.api.types.is_integer_dtype(series) and not series.isna().any():
        return series.to_numpy(dtype="int64").tolist()
    return [_json_value(v) for v in series.astype(object).tolist()]


def chart_json(
    tab: DataTab, chart: Chart, values: dict[str, Any], snapshot: Snapshot, links: Mapping[str, str]
) -> dict[str, Any]:
    """The chart's frame as JSON: filters echoed, columns with types, rows as lists in column order."""
    frame, comment = chart_frame(chart, values, snapshot)
    columns = [str(c) for c in frame.columns]
    data = [_column_values(frame[c]) for c in frame.columns]
    return {
        "tab": tab.slug,
        "chart": chart.index,
        "filters": tab.view.jsonable(values),
        "query": tab.view.query_string(values, snapshot),
        "description": comment,
        "links": dict(links),
        "columns": [{"name": n, "type": column_type(frame[c])} for n, c in zip(columns, frame.columns, strict=True)],
        "rows": [list(r) for r in zip(*data, strict=True)] if data else [],
    }


def filters_header(view: views.View, values: Mapping[str, Any]) -> str:
    """Every filter of the answer, defaults included, as URL query text (the ``X-Filters`` header)."""
    return urlencode([(c.name, c.encode(values[c.name])) for c in view.controls])
