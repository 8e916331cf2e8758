"""A bounded, varied user load for the memory benchmark: simulated users POST real Dash callback bodies.

Each user (a thread with its own HTTP session) opens a tab as the browser does (page, the page-routing
callback, every callback the tab fires on load), then changes one or two controls at a time to random
valid values (random year ranges, sizes, groupings, windows, …) and POSTs every callback the change
triggers, with 1–3 s of think time between interactions. Callback bodies are built from the app's own
``/_dash-dependencies`` (:class:`bench.tabs.Client`), so they are the bodies a browser sends. Every
answer is checked (HTTP 200 with a Dash ``response`` object, or 204 for "no update"). Each user sends
its own ``X-Forwarded-For`` address, so a server trusting 127.0.0.1 as its proxy rate-limits people,
not the generator.

Until the recorded-browser traffic model (locust, issue #12) is on main, this is the load of
``bench.memory``; varied values on purpose, so memo caches fill and evict.

    python -m bench.memory_load URL [--users 20] [--seconds 60]
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import random
import statistics
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import requests

from bench.tabs import Client, _id, _output_specs, _request_key, _values

Pick = Callable[[random.Random, Mapping[str, Any]], Any]


def _one_of(*values: Any) -> Pick:
    return lambda rng, _defaults: rng.choice(values)


def _years(rng: random.Random, defaults: Mapping[str, Any]) -> list[int]:
    lo, hi = defaults["years"]
    if rng.random() < 0.3:  # often the full range or the last few years, as people do
        return [lo, hi] if rng.random() < 0.5 else [max(lo, hi - rng.randint(0, 9)), hi]
    a = rng.randint(lo, hi)
    return [a, rng.randint(a, hi)]


def _h_range(rng: random.Random, defaults: Mapping[str, Any]) -> list[float]:
    lo, hi = defaults["hrange"]
    a = lo + 0.25 * rng.randint(0, int((hi - lo) / 0.25))
    return [a, a + 0.25 * rng.randint(0, int((hi - a) / 0.25))]


@dataclass(frozen=True)
class TabTraffic:
    """A tab and how a user varies its controls (control name → random valid value)."""

    module: str
    picks: Mapping[str, Pick]


def traffic() -> tuple[TabTraffic, ...]:
    """The tabs and control values users vary (values from the tabs' own constants)."""
    from dashboard_app.analysis import comparison, discoveries, sizes
    from dashboard_app.analysis.filters import GROUPINGS, size_choice_values
    from dashboard_app.definitions import APPARITION_WINDOWS_DAYS
    from dashboard_app.tabs import comparison as comparison_tab

    sizes_all = size_choice_values()
    sizes_no_split = tuple(v for v, _ in comparison_tab.SIZE_CHOICES)
    return (
        TabTraffic(
            "dashboard_app.tabs.discoveries",
            {
                "years": _years,
                "size": _one_of(*sizes_all),
                "group": _one_of(*GROUPINGS),
                "top": lambda rng, _d: rng.randint(3, 30),
                "mode": _one_of(*discoveries.MODES),
            },
        ),
        TabTraffic(
            "dashboard_app.tabs.sizes",
            {
                "years": _years,
                "hrange": _h_range,
                "mode": _one_of(*sizes.MODES),
                "group": _one_of(*GROUPINGS),
                "top": lambda rng, _d: rng.randint(3, 30),
                "scale": _one_of("log", "linear"),
            },
        ),
        TabTraffic(
            "dashboard_app.tabs.comparison",
            {
                "years": _years,
                "size": _one_of(*sizes_no_split),
                "group": _one_of(*comparison.GROUP_BY_OPTIONS),
                "side": _one_of("post", "any"),
                "window": _one_of(*(str(w) for w in APPARITION_WINDOWS_DAYS)),
                "metric": _one_of(*comparison.METRICS),
                "labels": _one_of("counts", "percent", "both"),
                "annual": _one_of("count", "pct"),
            },
        ),
        TabTraffic(
            "dashboard_app.tabs.followup",
            {
                "years": _years,
                "size": _one_of(*sizes_no_split),
                "days": lambda rng, _d: rng.choice([3, 7, 14, 30, 60, 100, 200]),
            },
        ),
    )


@dataclass(frozen=True)
class Answer:
    """One callback request: when it was sent (wall clock), how long it took, and whether the answer was right."""

    sent: float
    seconds: float
    status: int | None
    ok: bool
    error: str = ""


@dataclass
class UserLoad:
    """``users`` simulated users against ``base`` until :meth:`stop` (or ``max_seconds``)."""

    base: str
    users: int = 20
    think_s: tuple[float, float] = (1.0, 3.0)
    seed: int = 1
    max_seconds: float = 3600.0
    own_addresses: bool = True
    answers: list[Answer] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> None:
        probe = Client(self.base)
        probe.session.trust_env = False
        probe.get("/_dash-dependencies")
        deps = probe.deps
        tabs = [(t, importlib.import_module(t.module)) for t in traffic()]
        defaults = {t.module: self._defaults(probe, m) for t, m in tabs}
        for i in range(self.users):
            thread = threading.Thread(target=self._user, args=(i, deps, tabs, defaults), daemon=True)
            self._threads.append(thread)
            thread.start()

    def stop(self, timeout_s: float = 60.0) -> None:
        self._stop.set()
        deadline = time.monotonic() + timeout_s
        for thread in self._threads:
            thread.join(max(0.1, deadline - time.monotonic()))

    def since(self, t0: float, t1: float = float("inf")) -> list[Answer]:
        """Answers to requests sent in ``[t0, t1)`` (wall-clock seconds)."""
        with self._lock:
            return [a for a in self.answers if t0 <= a.sent < t1]

    @staticmethod
    def _defaults(client: Client, module: Any) -> dict[str, Any]:
        """The tab's default control values for the served snapshot, read from the layout the app serves."""
        view = module.VIEW
        values: dict[str, Any] = {}
        routing = next(d for d in client.deps if "_pages_content.children" in d["output"])
        page = {"_pages_location.pathname": module.PATH, "_pages_location.search": ""}
        response = client.session.post(
            client.base + "/_dash-update-component", json=_body(routing, page, ["_pages_location.pathname"]), timeout=60
        )
        response.raise_for_status()
        layout = response.json()
        ids = {view.control_id(n): n for n in view.names}

        def walk(node: Any) -> None:
            if isinstance(node, dict):
                props = node.get("props", node)
                if (
                    isinstance(props, dict)
                    and isinstance(props.get("id"), str)
                    and props["id"] in ids
                    and "value" in props
                ):
                    values[ids[props["id"]]] = props["value"]
                for v in node.values():
                    walk(v)
            elif isinstance(node, list):
                for v in node:
                    walk(v)

        walk(layout)
        return values

    def _record(self, check: Callable[..., tuple[int, bool, str]], *args: Any) -> None:
        """Send one checked request, ``check(*args)`` (a callback, or a page's first view); keep its :class:`Answer`."""
        sent, t0 = time.time(), time.monotonic()
        status, ok, error = None, False, ""
        try:
            status, ok, error = check(*args)
        except requests.RequestException as exc:
            error = type(exc).__name__
        with self._lock:
            self.answers.append(Answer(sent, time.monotonic() - t0, status, ok, error))

    def _user(self, i: int, deps: list[dict[str, Any]], tabs: list[tuple[TabTraffic, Any]], defaults) -> None:
        rng = random.Random(self.seed * 1000 + i)
        client = Client(self.base, deps=deps)
        client.session.trust_env = False
        if self.own_addresses:  # each user its own client address, as behind a proxy (TRUSTED_PROXY_COUNT=1)
            client.session.headers["X-Forwarded-For"] = f"10.200.{i // 250}.{i % 250 + 1}"
        deadline = time.monotonic() + self.max_seconds
        if self._stop.wait(rng.uniform(0, self.think_s[1])):  # users arrive spread out
            return
        while not self._stop.is_set() and time.monotonic() < deadline:
            spec, module = rng.choice(tabs)
            view = module.VIEW
            current = dict(defaults[spec.module])
            with contextlib.suppress(requests.RequestException):  # the page itself (static HTML)
                client.session.get(self.base + module.PATH, timeout=60)
            # The first view as a browser loads it: the layout naming the page holds its charts (no callback
            # on load); counted with the callbacks, since the person waits for it the same way.
            self._record(_layout_checked, client, module.PATH)
            for _ in range(rng.randint(3, 8)):  # interactions on this tab before moving on
                if self._stop.wait(rng.uniform(*self.think_s)):
                    return
                names = [n for n in spec.picks if n in view.names]
                change = rng.sample(names, k=1 if rng.random() < 0.8 else 2)
                for name in change:
                    current[name] = spec.picks[name](rng, defaults[spec.module])
                values = _values(view, current)  # what the browser puts in the tab's request store
                keys = [_request_key(view)]
                for dep in client.triggered(set(keys), initial=False):
                    self._record(_post_checked, client, dep, values, keys)


def _body(dep: dict[str, Any], values: Mapping[str, Any], changed: list[str]) -> dict[str, Any]:
    """The JSON body the browser POSTs for callback ``dep`` with these input/state values."""

    def filled(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{**i, "id": _id(i["id"]), "value": values.get(f"{i['id']}.{i['property']}")} for i in items]

    outputs = _output_specs(dep["output"])
    return {
        "output": dep["output"],
        "outputs": outputs if dep["output"].startswith("..") else outputs[0],
        "inputs": filled(dep["inputs"]),
        "state": filled(dep.get("state", [])),
        "changedPropIds": changed,
    }


def _layout_checked(client: Client, path: str) -> tuple[int, bool, str]:
    """GET the layout naming page ``path`` (with its first charts); (status, answer is right, what was wrong)."""
    from dashboard_app.web.first_view import LAYOUT_PATH, PAGE_PARAM

    r = client.session.get(f"{client.base}{LAYOUT_PATH}", params={PAGE_PARAM: path}, timeout=60)
    layout, failed = _json_answer(r)
    if failed:
        return failed
    if not any(_drawn_graphs(layout)):
        return 200, False, "no drawn chart in the page"
    return 200, True, ""


def _json_answer(r: requests.Response) -> tuple[Any, tuple[int, bool, str] | None]:
    """A 200 answer's JSON, or None and ``(status, False, what was wrong)``."""
    if r.status_code != 200:
        return None, (r.status_code, False, r.text[:120])
    try:
        return r.json(), None
    except ValueError:
        return None, (200, False, "not JSON")


def _drawn_graphs(node: Any) -> list[bool]:
    """For each tab chart in a layout answer: whether its figure has traces. A chart's figure is in its graph
    (``view-graph``) or, for a chart the browser draws (``views.DRAW_NEAR``, every figure chart now), in the
    store of the server's answer beside it (``view-packed``)."""
    if isinstance(node, list):
        return [hit for v in node for hit in _drawn_graphs(v)]
    if not isinstance(node, dict):
        return []
    props = node.get("props") if isinstance(node.get("props"), dict) else {}
    kind = str(props.get("id"))
    figure = props.get("figure") if "view-graph" in kind else props.get("data") if "view-packed" in kind else None
    found = [bool(figure.get("data"))] if isinstance(figure, dict) else []
    return found + [hit for v in node.values() for hit in _drawn_graphs(v)]


def _post_checked(
    client: Client, dep: dict[str, Any], values: Mapping[str, Any], changed: list[str]
) -> tuple[int, bool, str]:
    """POST one callback; (status, answer is right, what was wrong)."""
    r = client.session.post(client.base + "/_dash-update-component", json=_body(dep, values, changed), timeout=60)
    if r.status_code == 204:
        return 204, True, ""
    answer, failed = _json_answer(r)
    if failed:
        return failed
    if not isinstance(answer, dict) or not isinstance(answer.get("response"), dict):
        return 200, False, "no response object"
    return 200, True, ""


def summary(answers: list[Answer]) -> dict[str, float]:
    """Count, failures, p50/p95 latency (ms) of a list of answers."""
    seconds = sorted(a.seconds for a in answers)
    failed = sum(not a.ok for a in answers)
    if not seconds:
        return {"n": 0, "failed": failed, "p50_ms": float("nan"), "p95_ms": float("nan")}
    p95 = seconds[min(len(seconds) - 1, int(0.95 * len(seconds)))]
    return {"n": len(seconds), "failed": failed, "p50_ms": 1000 * statistics.median(seconds), "p95_ms": 1000 * p95}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args(argv)
    load = UserLoad(args.url.rstrip("/"), users=args.users, max_seconds=args.seconds)
    load.start()
    time.sleep(args.seconds)
    load.stop()
    s = summary(load.answers)
    errors = sorted({a.error for a in load.answers if not a.ok})
    print(f"{s['n']} callbacks, {s['failed']} failed, p50 {s['p50_ms']:.0f} ms, p95 {s['p95_ms']:.0f} ms {errors[:5]}")
    return 1 if s["failed"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
