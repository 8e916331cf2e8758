"""Metric labels for Dash callbacks: the tab, the callback and the chart, never the raw output id.

Dash names a callback by its outputs (``"..{"index":"main","tab":"sizes","type":"view-graph"}.figure..."``);
those strings are long, change when a callback gains an output, and would make a label per
combination. Labels are derived once per registered callback from what it declares:

- ``tab``: the namespace of its output ids: a dict id's ``tab`` key, else the part of the id (or of a
  dict id's ``type``) before the first ``-`` (``"discoveries-group"`` → ``discoveries``);
- ``callback``: the Python function's name (``update``, ``download``, ``reset`` …);
- ``chart``: the dict ids' ``index`` when all outputs share one (``main``, ``venn``), ``all`` when
  they span several, empty when they have none. A ``MATCH`` callback (one per-chart CSV download for
  every chart of a tab) is labelled with the chart of the request's own output, if that index names a
  chart the app declares anywhere (else ``other``).

The label set is therefore bounded by the app's callbacks and declared ids; a request naming
anything else (the callback guard rejects those) gets no callback labels.
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


def _is_match(output: str) -> bool:
    return any(isinstance(c, dict) and c.get("index") == ["MATCH"] for c in output_ids(output))


def declared_indexes(callback_map: Mapping[str, Mapping[str, Any]]) -> frozenset[str]:
    """Every literal dict-id ``index`` in the app's callback outputs and inputs (the charts' names)."""
    found: set[str] = set()
    for output, spec in callback_map.items():
        texts = [output] + [str(dep.get("id", "")) for key in ("inputs", "state") for dep in spec.get(key) or []]
        for text in texts:
            for component in output_ids(text) if text.startswith("..") else [_parse_id(text)]:
                if isinstance(component, dict) and isinstance(component.get("index"), str):
                    found.add(component["index"])
    return frozenset(found)


def _parse_id(text: str) -> str | dict[str, Any]:
    component = text.rsplit(".", 1)[0] if text.startswith("{") and not text.endswith("}") else text
    if component.startswith("{"):
        try:
            parsed = json.loads(component)
        except ValueError:
            return component
        return parsed if isinstance(parsed, dict) else component
    return component


class CallbackLabeller:
    """Labels for the callback a request names, resolving ``MATCH`` callbacks to the request's chart."""

    def __init__(self, callback_map: Mapping[str, Mapping[str, Any]]):
        self.labels = callback_labels(callback_map)
        self.match = frozenset(o for o in self.labels if _is_match(o))
        self.indexes = declared_indexes(callback_map)

    def __call__(self, body: Mapping[str, Any]) -> CallbackLabels | None:
        output = body.get("output")
        labels = self.labels.get(output) if isinstance(output, str) else None
        if labels is None or output not in self.match:
            return labels
        outputs = body.get("outputs")
        component = outputs.get("id") if isinstance(outputs, dict) else None
        index = component.get("index") if isinstance(component, dict) else None
        return labels._replace(chart=index if isinstance(index, str) and index in self.indexes else "other")


def callback_labels(callback_map: Mapping[str, Mapping[str, Any]]) -> dict[str, CallbackLabels]:
    """Labels for every server-side callback in a Dash app's ``callback_map`` (keyed like the request ``output``)."""
    return {
        output: labels_for(output, spec.get("callback"))
        for output, spec in callback_map.items()
        if spec.get("callback") is not None
    }
