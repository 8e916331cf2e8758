"""Metric labels for Dash callbacks: the tab, the callback and the chart, never the raw output id.

Dash names a callback by its outputs (``"..{"index":"main","tab":"sizes","type":"view-graph"}.figure..."``);
those strings are long, change when a callback gains an output, and would make a label per
combination. Labels are derived once per registered callback from what it declares:

- ``tab``: the namespace of its output ids: a dict id's ``tab`` key, else the part of the id (or of a
  dict id's ``type``) before the first ``-`` (``"discoveries-group"`` → ``discoveries``);
- ``callback``: the Python function's name (``update``, ``download``, ``reset`` …);
- ``chart``: the dict ids' ``index`` when all outputs share one (``main``, ``venn``), ``all`` when
  they span several, empty when they have none.

The label set is therefore bounded by the app's callbacks; a request naming anything else (the
callback guard rejects those) gets no callback labels.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple


class CallbackLabels(NamedTuple):
    """Label values of one callback."""

    tab: str
    callback: str
    chart: str


def output_ids(output: str) -> Iterator[str | dict[str, Any]]:
    """The component ids in a Dash callback key (single ``id.prop`` or multi ``..a.p...b.q..``)."""
    parts = output[2:-2].split("...") if output.startswith("..") and output.endswith("..") else [output]
    for part in parts:
        component = part.rsplit(".", 1)[0] if "." in part else part
        if component.startswith("{"):
            try:
                parsed = json.loads(component)
            except ValueError:
                continue
            if isinstance(parsed, dict):
                yield parsed
        else:
            yield component


def _namespace(component: str | dict[str, Any]) -> str:
    if isinstance(component, dict):
        tab = component.get("tab")
        if isinstance(tab, str) and tab:
            return tab
        component = str(component.get("type", ""))
    return component.lstrip("_").split("-", 1)[0].split("_", 1)[0] or "app"


def labels_for(output: str, function: Any = None) -> CallbackLabels:
    """Labels of the callback registered under ``output`` whose Python function is ``function``."""
    ids = list(output_ids(output))
    namespaces = Counter(_namespace(c) for c in ids)
    tab = namespaces.most_common(1)[0][0] if namespaces else "app"
    # a wildcard index (``["ALL"]``, ``["MATCH"]``) spans every chart of its type
    indexes = {
        c["index"] if isinstance(c["index"], str) else "all" for c in ids if isinstance(c, dict) and "index" in c
    }
    chart = indexes.pop() if len(indexes) == 1 else ("all" if indexes else "")
    name = getattr(function, "__name__", None) or "callback"
    return CallbackLabels(tab, name, chart)


def callback_labels(callback_map: Mapping[str, Mapping[str, Any]]) -> dict[str, CallbackLabels]:
    """Labels for every server-side callback in a Dash app's ``callback_map`` (keyed like the request ``output``)."""
    return {
        output: labels_for(output, spec.get("callback"))
        for output, spec in callback_map.items()
        if spec.get("callback") is not None
    }
