"""Real HTTP traffic for the observability tests: pages, callbacks taken from the app itself, scrapes.

Callback bodies are built from the running app's ``/_dash-dependencies`` (every control ``None``,
which the tabs answer with their default view), so the tests follow whatever callbacks the tabs
declare instead of copying output ids.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

CALLBACK_PATH = "/_dash-update-component"
TOKEN = "obs-test-token-" + "0123456789abcdef" * 2


@dataclass(frozen=True)
class ChartCallback:
    """A server callback that draws chart ``chart`` of tab ``tab``, and a request body for it."""

    tab: str
    chart: str
    output: str
    body: bytes


def request(url: str, *, data: bytes | None = None, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    """(status, body) of one request on a fresh connection; HTTP errors are answers too."""
    req = urllib.request.Request(url, data=data, headers=headers or {}, method="POST" if data is not None else "GET")
    try:
        with urllib.request.urlopen(req, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def post_callback(base: str, body: bytes) -> int:
    status, _ = request(base + CALLBACK_PATH, data=body, headers={"Content-Type": "application/json"})
    return status


def _component(text: str) -> Any:
    return json.loads(text) if text.startswith("{") else text


def _outputs(output: str) -> list[dict[str, Any]]:
    parts = output[2:-2].split("...") if output.startswith("..") else [output]
    return [{"id": _component(p.rsplit(".", 1)[0]), "property": p.rsplit(".", 1)[1].split("@")[0]} for p in parts]


def _draws_a_chart(component: object) -> bool:
    """A chart's graph, or the store of a chart the browser draws from the answer (``view-packed``)."""
    kind = str(component.get("type", "")) if isinstance(component, dict) else ""
    return kind.endswith("graph") or kind == "view-packed"


def chart_callbacks(base: str) -> list[ChartCallback]:
    """One :class:`ChartCallback` per server callback drawing charts (``*-graph`` ids) of one tab."""
    _, raw = request(base + "/_dash-dependencies")
    found = []
    for dep in json.loads(raw):
        if dep.get("clientside_function") is not None:
            continue
        outputs = _outputs(dep["output"])
        graphs = [o["id"] for o in outputs if _draws_a_chart(o["id"])]
        inputs = [{"id": _component(i["id"]), "property": i["property"], "value": None} for i in dep["inputs"]]
        state = [{"id": _component(s["id"]), "property": s["property"], "value": None} for s in dep["state"]]
        wildcard = any(isinstance(x["id"], dict) and any(isinstance(v, list) for v in x["id"].values()) for x in inputs)
        tabs = {g.get("tab") for g in graphs}
        if len(tabs) != 1 or wildcard:
            continue
        # a tab's one update draws all its charts (graphs and grids alike): "all"
        indexes = {o["id"]["index"] for o in outputs if isinstance(o["id"], dict) and "index" in o["id"]}
        body = {
            "output": dep["output"],
            "outputs": outputs if dep["output"].startswith("..") else outputs[0],
            "inputs": inputs,
            "state": state,
            "changedPropIds": [],
        }
        chart = indexes.pop() if len(indexes) == 1 else "all"
        found.append(ChartCallback(tabs.pop(), chart, dep["output"], json.dumps(body).encode()))
    return found


def _concrete(component: Any, index: str) -> Any:
    """A ``MATCH`` id made concrete for chart ``index`` (other ids unchanged)."""
    if isinstance(component, dict) and component.get("index") == ["MATCH"]:
        return component | {"index": index}
    return component


def download_callbacks(base: str) -> list[ChartCallback]:
    """A CSV-download request per chart of every tab: the tab's ``MATCH`` callback made concrete for that chart."""
    _, raw = request(base + "/_dash-dependencies")
    deps = [d for d in json.loads(raw) if d.get("clientside_function") is None]
    charts: dict[str, set[str]] = {}
    for dep in deps:
        for o in _outputs(dep["output"]):
            if _draws_a_chart(o["id"]):
                charts.setdefault(o["id"]["tab"], set()).add(o["id"]["index"])
    found = []
    for dep in deps:
        (output,) = _outputs(dep["output"]) if not dep["output"].startswith("..") else (None,)
        if output is None or not isinstance(output["id"], dict) or output["id"].get("index") != ["MATCH"]:
            continue
        tab = output["id"]["tab"]
        for index in sorted(charts.get(tab, ())):
            body = {
                "output": dep["output"],
                "outputs": {"id": _concrete(output["id"], index), "property": output["property"]},
                "inputs": [
                    {"id": _concrete(_component(i["id"]), index), "property": i["property"], "value": 1}
                    for i in dep["inputs"]
                ],
                "state": [
                    {"id": _concrete(_component(x["id"]), index), "property": x["property"], "value": None}
                    for x in dep["state"]
                ],
                "changedPropIds": [],
            }
            found.append(ChartCallback(tab, index, dep["output"], json.dumps(body).encode()))
    return found


# --- the exposition -----------------------------------------------------------------------------

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(url: str, token: str | None = None) -> tuple[int, str]:
    status, body = request(url, headers={"Authorization": f"Bearer {token}"} if token else None)
    return status, body.decode()


def parse(text: str) -> Samples:
    """Every sample of an exposition, parsed by prometheus_client's own parser."""
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def total(samples: Samples, name: str, **labels: str) -> float:
    """Sum of the samples called ``name`` whose labels include ``labels``."""
    want = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and want <= ls)


def by(samples: Samples, name: str, keys: Iterable[str], **labels: str) -> Counter:
    """``name`` summed by the label values ``keys`` (a Counter keyed by tuples)."""
    want, keys = set(labels.items()), tuple(keys)
    out: Counter = Counter()
    for (n, ls), v in samples.items():
        if n == name and want <= ls:
            d = dict(ls)
            out[tuple(d.get(k, "") for k in keys)] += v
    return out


def delta(after: Samples, before: Samples, name: str, **labels: str) -> float:
    return total(after, name, **labels) - total(before, name, **labels)
