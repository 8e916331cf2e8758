"""Benchmark: first view of each tab and warm callback latency, through real HTTP to gunicorn.

Runs a real gunicorn (``gunicorn.conf.py``, 1 worker, 4 threads, rate limit lifted) on a
snapshot directory and talks to it over HTTP exactly as the browser does:

- **first view** (cold memo caches): ``GET <tab path>``, ``GET /_dash-layout?page=<tab path>``
  (the page layout holds the tab's own, :mod:`dashboard_app.web.first_view`), ``GET
  /_dash-dependencies``, then every callback the tab fires on load, one after another.
- **browser first view**: headless Chromium (a fresh context, so nothing cached) opens the tab
  and waits until every chart of the tab has drawn its axes; then once more in the same context
  (scripts cached). This includes downloading and running plotly.js in the browser.
- **warm callbacks**: each control change of the case's ``changes`` list, applied one after
  another on the same server, POSTs every server callback that change triggers (one per tab: the
  browser turns control changes into the tab's request store without a request). Measured twice:
  *new parameters* (first time the server computes that view) and *repeat* (memo hit).

Cases are declarative (:data:`CASES`): a tab module and a list of control changes. Add a tab by
adding one :class:`TabCase`; values may be callables of the tab's defaults (e.g. the last ten
years of the data). ``python -m bench.tabs [--data-dir DIR | --scale 1.0] [--rounds N] [--tabs TAB ...]``;
writes the "Tabs" section of ``bench/results.md`` unless ``--no-write`` (with ``--tabs``, a section
of its own naming those tabs).
"""

from __future__ import annotations

import argparse
import importlib
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from bench.results_file import write_section

REPO = Path(__file__).resolve().parents[1]
SECTION = "Tabs: first view and warm callback latency"
CHART_THEME_STORE_ID = "chart-theme"  # dashboard_app.theme: the tabs' callbacks draw in this theme
Change = Mapping[str, Any | Callable[[dict[str, Any]], Any]]


@dataclass(frozen=True)
class TabCase:
    """One tab to measure: its module (``PATH`` and ``VIEW``) and a mix of control changes."""

    module: str
    changes: tuple[Change, ...] = field(default_factory=tuple)


def _last_years(n: int) -> Callable[[dict[str, Any]], list[int]]:
    return lambda d: [max(d["years"][0], d["years"][1] - n + 1), d["years"][1]]


CASES: tuple[TabCase, ...] = (
    TabCase(
        "dashboard_app.tabs.discoveries",
        (
            {"mode": "cumulative"},
            {"size": "split"},
            {"size": "2"},
            {"size": "all", "group": "station"},
            {"top": 20},
            {"years": _last_years(10)},
            {"group": "combined", "mode": "per_year"},
            {"size": "unknown"},
        ),
    ),
    TabCase(
        "dashboard_app.tabs.sizes",
        (
            {"mode": "differential"},
            {"scale": "linear"},
            {"group": "project"},
            {"hrange": [17.25, 24.25]},
            {"years": _last_years(10)},
            {"group": "station", "top": 15},
            {"mode": "cumulative", "scale": "log"},
        ),
    ),
    TabCase(
        "dashboard_app.tabs.comparison",
        (
            {"window": "7"},
            {"side": "any"},
            {"metric": "tracklets"},
            {"venn1": "ATLAS", "venn2": "Pan-STARRS"},
            {"labels": "counts", "annual": "pct"},
            {"years": _last_years(10)},
            {"size": "2"},
            {"group": "station", "venn1": "", "venn2": ""},
            {"venn1": "G96", "venn2": "F51", "venn3": "T08"},
            {"window": "100", "side": "post", "metric": "neos"},
        ),
    ),
    TabCase(
        "dashboard_app.tabs.followup",
        (
            {"days": 200},
            {"size": "3"},
            {"years": _last_years(10)},
            {"size": "unknown"},
            {"days": 7},
        ),
    ),
    TabCase(
        "dashboard_app.tabs.sites",
        (
            {"metric": "observations"},
            {"scope": "alltime"},
            {"scope": "recovery", "metric": "neos"},
            {"scope": "apparition", "window": "29", "side": "any"},
            {"years": _last_years(10)},
            {"type": "optical", "shown": "all"},
            {"vrange": [18.0, 24.0]},
            {"proj": "orthographic", "scale": "linear", "grid": "off"},
            {"bars": "chosen", "sites": ["F51", "G96", "703"], "paste": "T08 I41 ZZZ"},
        ),
    ),
    TabCase(
        "dashboard_app.tabs.circumstances",
        (
            {"colour": "station"},
            {"top": 20},
            {"colour": "size"},
            {"size": "2"},
            {"light": "night"},
            {"sky": "radec"},
            {"colour": "year"},
            {"years": _last_years(10)},
            {"size": "unknown", "light": "all"},
            {"colour": "project", "sky": "hammer", "size": "all"},
        ),
    ),
)


# --- talking to Dash --------------------------------------------------------------------------------


def _id(text: str) -> Any:
    return json.loads(text) if text.startswith("{") else text


def _output_specs(output: str) -> list[dict[str, Any]]:
    parts = output[2:-2].split("...") if output.startswith("..") else [output]
    specs = []
    for part in parts:
        cid, prop = part.rsplit(".", 1)
        specs.append({"id": _id(cid), "property": prop})
    return specs


@dataclass
class Client:
    """A requests session against one running app, with its callback dependencies."""

    base: str
    session: requests.Session = field(default_factory=requests.Session)
    deps: list[dict[str, Any]] = field(default_factory=list)

    def get(self, path: str) -> float:
        t0 = time.perf_counter()
        r = self.session.get(self.base + path, timeout=60)
        r.raise_for_status()
        if path == "/_dash-dependencies":
            self.deps = r.json()
        return time.perf_counter() - t0

    def post(self, dep: dict[str, Any], values: Mapping[str, Any], changed: list[str]) -> float:
        """POST one callback with input/state values from ``values`` (``"<id>.<prop>"`` keys)."""

        def filled(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
            return [{**i, "id": _id(i["id"]), "value": values.get(f"{i['id']}.{i['property']}")} for i in items]

        outputs = _output_specs(dep["output"])
        body = {
            "output": dep["output"],
            "outputs": outputs if dep["output"].startswith("..") else outputs[0],
            "inputs": filled(dep["inputs"]),
            "state": filled(dep.get("state", [])),
            "changedPropIds": changed,
        }
        t0 = time.perf_counter()
        r = self.session.post(self.base + "/_dash-update-component", json=body, timeout=60)
        elapsed = time.perf_counter() - t0
        if r.status_code not in (200, 204):
            raise RuntimeError(f"callback {dep['output']} answered HTTP {r.status_code}: {r.text[:300]}")
        return elapsed

    def triggered(self, keys: set[str], *, initial: bool) -> list[dict[str, Any]]:
        """Server callbacks with an Input among ``keys`` (on load: only those without prevent_initial_call)."""
        out = []
        for dep in self.deps:
            inputs = {f"{i['id']}.{i['property']}" for i in dep["inputs"]}
            if dep.get("clientside_function"):
                continue  # runs in the browser, never posted
            if inputs & keys and not (initial and dep.get("prevent_initial_call")):
                out.append(dep)
        return out


def _request_key(view: Any) -> str:
    """``"<id>.data"`` of the tab's request store: the browser fills it from the controls (no request) and
    the tab's one server callback draws every chart from it."""
    return f"{json.dumps(view.request_id, sort_keys=True, separators=(',', ':'))}.data"


def _values(view: Any, parsed: Mapping[str, Any]) -> dict[str, Any]:
    return {_request_key(view): view.jsonable(parsed), f"{CHART_THEME_STORE_ID}.data": "light"}


def first_view(client: Client, module: Any, defaults: Mapping[str, Any]) -> float:
    """Seconds for the page, its layout (which holds the tab's own layout: no routing callback), the
    dependencies and every on-load callback."""
    from dashboard_app.web.first_view import PAGE_PARAM

    total = client.get(module.PATH) + client.get(f"/_dash-layout?{PAGE_PARAM}={module.PATH}")
    total += client.get("/_dash-dependencies")
    values = _values(module.VIEW, defaults)
    for dep in client.triggered({_request_key(module.VIEW)}, initial=True):
        total += client.post(dep, values, [f"{dep['inputs'][0]['id']}.{dep['inputs'][0]['property']}"])
    return total


def warm_latencies(client: Client, module: Any, defaults: dict[str, Any], changes: tuple[Change, ...]) -> list[float]:
    """Per-request seconds of every callback triggered by each change, applied in order."""
    current = dict(defaults)
    out = []
    for change in changes:
        for name, value in change.items():
            current[name] = value(defaults) if callable(value) else value
        values = _values(module.VIEW, current)
        changed = [_request_key(module.VIEW)]
        for dep in client.triggered(set(changed), initial=False):
            out.append(client.post(dep, values, changed))
    return out


def browser_first_view(base: str, module: Any, repeats: int = 2) -> list[float]:
    """Seconds from navigation until every chart of the tab shows axes (a map: land): cold cache first, then
    cached."""
    from playwright.sync_api import sync_playwright

    from tests.harness.browser import CHROMIUM, CHROMIUM_ARGS

    graphs = 'div.dash-graph[id*=\'"type":"view-graph"\']'
    out = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            page = context.new_page()
            for _ in range(repeats):
                t0 = time.perf_counter()
                page.goto(base + module.PATH)
                page.locator(graphs).first.wait_for(state="attached", timeout=60_000)
                for i in range(page.locator(graphs).count()):
                    # Axes, an empty state's sentence, or a map's land (its topojson fetched and drawn).
                    drawn = page.locator(graphs).nth(i).locator(".xtick, .annotation-text, path.land, .land path").first
                    drawn.wait_for(state="attached", timeout=60_000)
                out.append(time.perf_counter() - t0)
            context.close()
        finally:
            browser.close()
    return out


# --- running ----------------------------------------------------------------------------------------


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def build_demo(scale: float, seed: int) -> Path:
    """Publish a demo snapshot with ``neo-explorer demo`` into a temporary directory."""
    data_dir = Path(tempfile.mkdtemp(prefix="bench-tabs-"))
    cmd = [sys.executable, "-m", "dashboard_app", "demo", str(data_dir), "--scale", str(scale), "--seed", str(seed)]
    subprocess.run(cmd, check=True, cwd=REPO)
    return data_dir


def selected_cases(tabs: list[str] | None) -> tuple[TabCase, ...]:
    """The cases whose tab path or module name is in ``tabs`` (``/circumstances`` or ``circumstances``); all if None."""
    if not tabs:
        return CASES
    wanted = {t.strip("/") for t in tabs}
    cases = tuple(c for c in CASES if c.module.rsplit(".", 1)[-1] in wanted)
    unknown = wanted - {c.module.rsplit(".", 1)[-1] for c in cases}
    if unknown:
        raise SystemExit(f"no tab case for {sorted(unknown)}; known: {[c.module.rsplit('.', 1)[-1] for c in CASES]}")
    return cases


def section_name(cases: tuple[TabCase, ...]) -> str:
    """The results section: the whole table, or (a subset of tabs) its own section naming them."""
    if cases == CASES:
        return SECTION
    return f"{SECTION} ({', '.join(importlib.import_module(c.module).PATH for c in cases)} only)"


def run(
    data_dir: Path, rounds: int, browser: bool = True, cases: tuple[TabCase, ...] = CASES
) -> tuple[str, dict[str, Any]]:
    """Measure ``cases`` against a gunicorn on ``data_dir``; returns (Markdown, raw figures)."""
    from dashboard_app.snapshot.model import load_snapshot
    from dashboard_app.snapshot.publish import current_snapshot_path
    from tests.harness.server import launch

    snapshot = load_snapshot(current_snapshot_path(data_dir))
    n_neos = len(snapshot.discoveries)
    log = Path(tempfile.mkdtemp(prefix="bench-tabs-log-")) / "server.log"
    server = launch(data_dir, log, WORKERS="1", THREADS="4", RATE_LIMIT="1000000/minute", LOG_LEVEL="warning")
    rows, raw = [], {}
    try:
        client = Client(server.url)
        client.get("/health")
        for case in cases:
            module = importlib.import_module(case.module)
            defaults = module.VIEW.defaults(snapshot)
            fv = first_view(client, module, defaults)
            seen = browser_first_view(server.url, module) if browser else []
            new = warm_latencies(client, module, defaults, case.changes)
            repeat: list[float] = []
            for _ in range(rounds):
                repeat += warm_latencies(client, module, defaults, case.changes)
            raw[module.PATH] = {"first_view_s": fv, "browser_s": seen, "new": new, "repeat": repeat}
            in_browser = " / ".join(_ms(x) for x in seen) if seen else "not run"
            rows.append(
                f"| `{module.PATH}` | {_ms(fv)} | {in_browser} | {len(new)} | {_ms(statistics.median(new))} "
                f"| {_ms(_pct(new, 0.95))} "
                f"| {len(repeat)} | {_ms(statistics.median(repeat))} | {_ms(_pct(repeat, 0.95))} |"
            )
    finally:
        server.stop()
    body = "\n".join(
        [
            f"Snapshot: {n_neos:,} NEOs (`{snapshot.id}`, {snapshot.meta.get('source', '')}). Real HTTP to gunicorn "
            "(1 worker, 4 threads) on 127.0.0.1 with `requests`; one request at a time.",
            "First view = page + `/_dash-layout` (with the tab's layout) + `/_dash-dependencies` + every "
            "on-load callback of the tab, in sequence, memo caches cold. Browser = headless Chromium from "
            "navigation until every chart of the tab has drawn (fresh context, then cached scripts), server "
            "already warm for the default view. Warm = each control change of the case "
            "applied in turn on the warmed server; *new* = first time that view is computed, *repeat* = "
            f"the same changes again ({rounds} rounds, memo hits). Goal: first view ≤ 1 s, warm p95 ≤ 100 ms.",
            "",
            "| Tab | First view (HTTP) | Browser: cold / cached | New: requests | New: median | New: p95 "
            "| Repeat: requests | Repeat: median | Repeat: p95 |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
            *rows,
        ]
    )
    return body, raw


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, help="use the current snapshot of this directory")
    parser.add_argument(
        "--scale", type=float, default=1.0, help="demo snapshot scale when no --data-dir (1.0 ≈ 44k NEOs)"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3, help="repeat rounds of the change mix")
    parser.add_argument("--no-write", action="store_true", help="print only; leave bench/results.md alone")
    parser.add_argument("--no-browser", action="store_true", help="skip the headless-Chromium first view")
    parser.add_argument(
        "--tabs",
        nargs="+",
        metavar="TAB",
        help="only these tabs (e.g. circumstances); written to a section of their own, the full table left alone",
    )
    args = parser.parse_args(argv)
    cases = selected_cases(args.tabs)
    data_dir = args.data_dir or build_demo(args.scale, args.seed)
    body, _raw = run(data_dir, max(1, args.rounds), browser=not args.no_browser, cases=cases)
    print(body)
    if not args.no_write:
        write_section(section_name(cases), body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
