"""The recorded traffic model (``bench/traffic_model.json``) and how one simulated visitor replays it.

The model is a list of *steps* (one user action each: a page load, a tab switch, a control change, a
CSV download, Reset), each with the requests the browser made for it (see
:mod:`bench.traffic_record`). A :class:`Visitor` walks the steps in order from a tab boundary, with
its own think time, and varies the values: for a control change it picks another value the
recording used for that control, and carries every value it chose into the bodies of later requests
(inputs and state alike), as a person's page would. Slider sweeps keep their recorded sequence.

:func:`check_answer` is the check applied to every answer: the recorded status, JSON, and each
figure (``data`` list and ``layout``) or table the recording got back.
"""

from __future__ import annotations

import copy
import json
import random
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MODEL = Path(__file__).with_name("traffic_model.json")
CALLBACK_PATH = "/_dash-update-component"


@dataclass(frozen=True)
class Request:
    """One recorded request: ``at_s`` after its step started; the answer it must get."""

    method: str
    path: str
    at_s: float
    body: dict[str, Any] | None = None
    status: int = 200
    figures: tuple[str, ...] = ()
    tables: tuple[str, ...] = ()
    static: bool = False

    @property
    def is_callback(self) -> bool:
        return self.method == "POST" and self.path.endswith(CALLBACK_PATH)


@dataclass(frozen=True)
class Step:
    """One user action and the requests it caused."""

    kind: str
    label: str
    tab: str
    think_s: float
    requests: tuple[Request, ...]

    def changed_key(self) -> str | None:
        """``"<control id>.<prop>"`` this step changes (the first callback's changed property), if any."""
        for r in self.requests:
            if r.is_callback and r.body and r.body.get("changedPropIds"):
                return str(r.body["changedPropIds"][0])
        return None


@dataclass(frozen=True)
class TrafficModel:
    """The recorded steps of one session through every tab."""

    steps: tuple[Step, ...]
    tabs: tuple[str, ...]
    recorded_utc: str = ""
    app_commit: str = ""
    pools: dict[str, list[Any]] = field(default_factory=dict, compare=False)

    @classmethod
    def load(cls, path: Path = MODEL) -> TrafficModel:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
        steps = tuple(
            Step(
                s["kind"],
                s["label"],
                s["tab"],
                float(s["think_s"]),
                tuple(
                    Request(
                        r["method"],
                        r["path"],
                        float(r["at_s"]),
                        r.get("body"),
                        int(r.get("status") or 200),
                        tuple(r.get("figures", ())),
                        tuple(r.get("tables", ())),
                        bool(r.get("static", False)),
                    )
                    for r in s["requests"]
                ),
            )
            for s in raw["steps"]
        )
        return cls(steps, tuple(raw["tabs"]), raw.get("recorded_utc", ""), raw.get("app_commit", ""), _pools(steps))

    def entry_points(self) -> list[int]:
        """Indexes of the steps a visit may start at: page loads and tab switches."""
        return [i for i, s in enumerate(self.steps) if s.kind in ("load", "switch")]

    def callbacks_per_step(self) -> dict[str, float]:
        """Mean callback POSTs per step, by step kind (what one interaction costs the server)."""
        counts: dict[str, list[int]] = defaultdict(list)
        for s in self.steps:
            counts[s.kind].append(sum(r.is_callback for r in s.requests))
        return {k: sum(v) / len(v) for k, v in counts.items()}


def busiest_window(model: TrafficModel, window_s: float, think_s: float = 1.0, laps: int = 2) -> int:
    """The most callback POSTs one visitor sends within any ``window_s`` seconds, replaying the model from
    each entry point with ``think_s`` before every step and the recorded spacing inside a step (server
    time taken as zero: the most active this model can be)."""
    best = 0
    for start in model.entry_points():
        times: list[float] = []
        clock = 0.0
        for k in range(laps * len(model.steps)):
            step = model.steps[(start + k) % len(model.steps)]
            clock += think_s if k else 0.0
            times += [clock + r.at_s for r in step.requests if r.is_callback and not r.static]
            clock += max((r.at_s for r in step.requests), default=0.0)
        times.sort()
        j = 0
        for i, t in enumerate(times):
            while times[j] <= t - window_s:
                j += 1
            best = max(best, i - j + 1)
    return best


def _entries(body: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for group in ("inputs", "state"):
        for item in body.get(group) or []:
            for entry in item if isinstance(item, list) else [item]:  # pattern-matching ALL gives lists
                if isinstance(entry, dict) and "id" in entry and "property" in entry:
                    yield entry


def entry_key(entry: dict[str, Any]) -> str:
    """``"<id>.<prop>"`` as Dash writes it in ``changedPropIds`` (dict ids as compact sorted JSON)."""
    cid = entry["id"]
    text = json.dumps(cid, separators=(",", ":"), sort_keys=True) if isinstance(cid, dict) else str(cid)
    return f"{text}.{entry['property']}"


def _pools(steps: tuple[Step, ...]) -> dict[str, list[Any]]:
    """Every value the recording used for each control a step changed (the values a visitor may pick)."""
    keys = {k for s in steps if s.kind == "change" and (k := s.changed_key())}
    pools: dict[str, list[Any]] = defaultdict(list)
    for s in steps:
        for r in s.requests:
            for e in _entries(r.body or {}):
                key = entry_key(e)
                if key in keys and "value" in e and e["value"] not in pools[key]:
                    pools[key].append(e["value"])
    return dict(pools)


class Visitor:
    """One simulated person: a position in the model, the control values they chose, their think time."""

    def __init__(self, model: TrafficModel, rng: random.Random, think_s: tuple[float, float] = (1.0, 3.0)) -> None:
        self.model = model
        self.rng = rng
        self.think_s = think_s
        self.values: dict[str, Any] = {}
        self.shown: dict[str, Any] = {}  # each tab's digest store, kept as the browser keeps it
        self.position = rng.choice(model.entry_points())

    def think(self) -> float:
        """Seconds to wait before the next action."""
        return self.rng.uniform(*self.think_s)

    def next_step(self) -> tuple[Step, list[Request]]:
        """The next step and its requests with this visitor's values (the model loops at its end)."""
        step = self.model.steps[self.position]
        self.position = (self.position + 1) % len(self.model.steps)
        key = step.changed_key() if step.kind == "change" else None
        if step.kind == "reset":
            self.values = {k: v for k, v in self.values.items() if not k.startswith(f"{step.tab.strip('/')}-")}
        if step.kind in ("load", "switch"):
            self.shown = {}  # a new page (or tab layout) shows nothing yet
        sweep = key is not None and len({json.dumps(v) for v in self._recorded_values(step, key)}) > 1
        if key is not None and not sweep and self.model.pools.get(key):
            self.values[key] = self.rng.choice(self.model.pools[key])
        requests = [self._with_values(r, keep=key if sweep else None) for r in step.requests]
        if sweep and key is not None:
            self.values.pop(key, None)  # the sweep's last recorded value stands
        return step, requests

    @staticmethod
    def _recorded_values(step: Step, key: str) -> list[Any]:
        return [e["value"] for r in step.requests for e in _entries(r.body or {}) if entry_key(e) == key]

    def remember(self, text: str) -> None:
        """Keep the digest stores a callback answer returned: the next request sends them, as the page does."""
        try:
            outputs = json.loads(text).get("response") or {}
        except (ValueError, AttributeError):
            return
        for cid, props in outputs.items():
            if f'"type":"{SHOWN_TYPE}"' in cid and isinstance(props, dict):
                for prop, value in props.items():
                    self.shown[f"{cid}.{prop}"] = value

    def _with_values(self, request: Request, keep: str | None) -> Request:
        if not request.body:
            return request
        body = copy.deepcopy(request.body)
        for e in _entries(body):
            key = entry_key(e)
            if isinstance(e["id"], dict) and e["id"].get("type") == SHOWN_TYPE:
                e["value"] = copy.deepcopy(self.shown.get(key))  # this visitor's page, not the recorded one
            elif key in self.values and key != keep:
                e["value"] = copy.deepcopy(self.values[key])
        return Request(
            request.method, request.path, request.at_s, body, request.status, request.figures, request.tables
        )


def check_answer(request: Request, status: int, text: str) -> str | None:
    """Why an answer is wrong (None when right): status, JSON, every recorded figure and table present."""
    if status != request.status:
        return f"HTTP {status} (recorded {request.status})"
    if not request.is_callback:
        if request.path.startswith("/_dash-") and request.method == "GET":
            try:
                json.loads(text)
            except ValueError:
                return "not JSON"
        return None
    if status == 204:
        return None
    try:
        answer = json.loads(text)
    except ValueError:
        return "callback answer is not JSON"
    outputs = answer.get("response") if isinstance(answer, dict) else None
    if not isinstance(outputs, dict):
        return "callback answer has no response"
    for key in request.figures:
        cid, prop = key.rsplit(".", 1)
        figure = outputs.get(cid, {}).get(prop)
        if unchanged_chart(request, outputs, cid):
            continue
        if not (isinstance(figure, dict) and isinstance(figure.get("data"), list) and "layout" in figure):
            return f"no figure data for {prop} of {cid[:60]}"
    for key in request.tables:
        cid, prop = key.rsplit(".", 1)
        if not isinstance(outputs.get(cid, {}).get(prop), list) and not unchanged_chart(request, outputs, cid):
            return f"no table rows for {prop} of {cid[:60]}"
    return None


SHOWN_TYPE = "view-shown"
"""``type`` of a tab's store of what each chart shows (a digest per chart, ``dashboard_app.views``): the
server leaves out a chart whose digest the page already holds."""


def unchanged_chart(request: Request, outputs: dict[str, Any], cid: str) -> bool:
    """True when the answer left chart ``cid`` out because the page already shows it (same digest sent
    in the request's shown store and returned in the answer's)."""
    try:
        chart = json.loads(cid)
    except ValueError:
        return False
    if not isinstance(chart, dict) or "index" not in chart:
        return False
    shown_key = json.dumps({"tab": chart.get("tab"), "type": SHOWN_TYPE}, separators=(",", ":"), sort_keys=True)
    returned = next(iter((outputs.get(shown_key) or {}).values()), None)
    shown_id = {"tab": chart.get("tab"), "type": SHOWN_TYPE}
    sent = next((e.get("value") for e in _entries(request.body or {}) if e["id"] == shown_id), None)
    index = chart["index"]
    if not (isinstance(returned, dict) and isinstance(sent, dict)):
        return False
    return index in sent and sent[index] == returned.get(index)
