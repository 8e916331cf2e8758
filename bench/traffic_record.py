"""Record the traffic model: a real Chromium session through every tab, every request to the app logged.

Starts a real gunicorn (``gunicorn.conf.py``, 2 workers × 4 threads, rate limit lifted) on a demo
snapshot and drives headless Chromium the way an active person does, with a think time of 1–3 s
(seeded) between actions:

- open the first tab (page load: document, ``/_dash-layout``, ``/_dash-dependencies``, on-load callbacks);
- on each tab, change every control the tab declares (``VIEW.names``) with realistic values: each
  other option of a radio group, two options of a select, a number typed and confirmed with Enter,
  a range slider nudged with arrow keys (a few presses 150–300 ms apart, as fingers do); download the
  first chart's CSV; press Reset;
- switch to the next tab with its navigation link (client-side routing), and at the end reload the page.

Every request to the app is logged: method, path, the JSON body of each callback POST, the status
and, for callbacks, which outputs came back with a figure or table rows. Requests are grouped into *steps* (one
user action each, with the think time before it). The result, ``bench/traffic_model.json``, is
data the load benchmark replays (:mod:`bench.traffic_model`); re-record whenever the callbacks change:

``python -m bench.traffic_record [--data-dir DIR | --scale 1.0] [--seed 1] [--out bench/traffic_model.json]``
"""

from __future__ import annotations

import argparse
import importlib
import json
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bench.tabs import build_demo

REPO = Path(__file__).resolve().parents[1]
MODEL = Path(__file__).with_name("traffic_model.json")
CALLBACK_PATH = "/_dash-update-component"
LAYOUT_PATH = "/_dash-layout"
QUIET_S = 1.0
SETTLE_TIMEOUT_S = 60.0
THINK_S = (1.0, 3.0)
KEY_GAP_S = (0.15, 0.3)


@dataclass
class Logged:
    """One request the page made, and its answer once it arrived."""

    t: float
    method: str
    path: str
    body: Any
    request: Any = field(repr=False)
    status: int | None = None
    answer: Any = field(default=None, repr=False)


class RequestLog:
    """Every request of one page to the app's origin, with the callback answers (read after each step)."""

    def __init__(self, page: Any, origin: str) -> None:
        self.origin = origin
        self.items: list[Logged] = []
        self.pending = 0
        self.last_event = time.monotonic()
        page.on("request", self._request)
        page.on("requestfinished", self._finished)
        page.on("requestfailed", self._finished)

    def _mine(self, request: Any) -> bool:
        return request.url.startswith(self.origin)

    def _request(self, request: Any) -> None:
        if not self._mine(request):
            return
        body = None
        if request.method == "POST":
            body = json.loads(request.post_data or "null")
        parts = urlsplit(request.url)
        # The page layout's query names the page (its content comes with it: dashboard_app/web/first_view.py).
        query = f"?{parts.query}" if parts.query and parts.path.endswith(LAYOUT_PATH) else ""
        self.items.append(Logged(time.monotonic(), request.method, parts.path + query, body, request))
        self.pending += 1
        self.last_event = time.monotonic()

    def _finished(self, request: Any) -> None:
        if self._mine(request):
            self.pending -= 1
            self.last_event = time.monotonic()

    def settle(self, page: Any) -> None:
        """Wait until no request is pending and nothing happened for QUIET_S (bounded)."""
        deadline = time.monotonic() + SETTLE_TIMEOUT_S
        while time.monotonic() < deadline:
            page.wait_for_timeout(50)
            if self.pending <= 0 and time.monotonic() - self.last_event >= QUIET_S:
                return
        raise RuntimeError(f"the page did not settle within {SETTLE_TIMEOUT_S:g} s")

    def take(self) -> list[Logged]:
        """The requests logged since the last call, with statuses and callback answers filled in."""
        items, self.items = self.items, []
        for item in items:
            response = item.request.response()
            item.status = response.status if response else None
            if response and item.method == "POST" and item.path.endswith(CALLBACK_PATH) and response.status == 200:
                item.answer = response.json()
        return items


def answer_outputs(answer: Any) -> dict[str, list[str]]:
    """Outputs of a Dash callback answer that carry what the user came for: ``figures`` (a dict with a
    ``data`` list and a ``layout``) and ``tables`` (a grid's ``rowData``, or a ``data`` property, holding
    a list of rows)."""
    figures, tables = [], []
    for cid, props in (answer or {}).get("response", {}).items():
        for prop, value in props.items():
            if isinstance(value, dict) and isinstance(value.get("data"), list) and "layout" in value:
                figures.append(f"{cid}.{prop}")
            elif prop in ("data", "rowData") and isinstance(value, list):
                tables.append(f"{cid}.{prop}")
    return {"figures": sorted(figures), "tables": sorted(tables)}


def is_static(path: str) -> bool:
    """Bundles, assets, the favicon and the per-snapshot points files (their URL names the recording's snapshot):
    cached by a returning browser, not replayed by default."""
    return path.startswith(("/_dash-component-suites/", "/assets/", "/_favicon", "/_plotly/", "/_neo-points/"))


# --- actions -------------------------------------------------------------------------------------------

Action = tuple[str, str, Callable[[Any], None]]  # (kind, label, do)


def _control_actions(page: Any, cid: str, rng: random.Random) -> list[Action]:
    """Realistic changes of one control, found from its DOM: radio, select, number or range slider."""
    root = page.locator(f"#{cid}")
    radios = root.locator("input[type=radio]")
    if radios.count():
        values = [radios.nth(i).get_attribute("value") for i in range(radios.count())]
        checked = next((v for i, v in enumerate(values) if radios.nth(i).is_checked()), None)
        others = [v for v in values if v != checked][:3]
        return [
            ("change", f"{cid} = {v}", lambda p, v=v: p.locator(f"#{cid} input[value='{v}']").check(force=True))
            for v in others
        ]
    tag = root.evaluate("e => e.tagName.toLowerCase()")
    if tag == "select":
        # Not the hidden placeholder option dbc.Select renders (value "", disabled).
        options = root.locator("option:not([disabled])")
        values = [v for i in range(options.count()) if (v := options.nth(i).get_attribute("value"))]
        current = root.input_value()
        picks = [v for v in values if v != current]
        picks = picks[1:3] if len(picks) > 2 else picks[:2]
        return [("change", f"{cid} = {v}", lambda p, v=v: p.select_option(f"#{cid}", v)) for v in picks]
    if tag == "input" and root.get_attribute("type") == "number":
        lo, hi = int(root.get_attribute("min") or 1), int(root.get_attribute("max") or 40)
        value = str(min(hi, max(lo, int(root.input_value() or lo) + rng.choice([-5, 5, 10]))))

        def typed(p: Any, value: str = value) -> None:
            p.fill(f"#{cid}", value)
            p.keyboard.press("Enter")

        return [("change", f"{cid} = {value}", typed)]
    thumbs = root.locator("[role=slider]")
    if thumbs.count():

        def nudge(p: Any, thumb: int, key: str, presses: int) -> None:
            for i in range(presses):
                if i:
                    p.wait_for_timeout(rng.uniform(*KEY_GAP_S) * 1000)
                p.locator(f"#{cid} [role=slider]").nth(thumb).press(key)

        last = thumbs.count() - 1
        return [
            ("change", f"{cid}: upper thumb ArrowLeft ×3", lambda p: nudge(p, last, "ArrowLeft", 3)),
            ("change", f"{cid}: lower thumb ArrowRight ×2", lambda p: nudge(p, 0, "ArrowRight", 2)),
        ]
    return []


def tab_actions(page: Any, module: Any, rng: random.Random) -> Iterator[Action]:
    """Every control change of the tab, one CSV download and Reset. Lazily: a control's options are read
    just before it is changed (changing one control may change another's options)."""
    for name in module.VIEW.names:
        yield from _control_actions(page, module.VIEW.control_id(name), rng)
    if page.locator("button:has-text('CSV')").count():
        yield ("download", "first chart's CSV", lambda p: p.locator("button:has-text('CSV')").first.click())
    if page.get_by_role("button", name="Reset", exact=True).count():
        yield ("reset", "Reset", lambda p: p.get_by_role("button", name="Reset", exact=True).click())


# --- the session ---------------------------------------------------------------------------------------


def _step(kind: str, label: str, tab: str, think_s: float, logged: list[Logged], t0: float) -> dict[str, Any]:
    requests = []
    for item in logged:
        entry: dict[str, Any] = {"at_s": round(item.t - t0, 3), "method": item.method, "path": item.path}
        if item.body is not None:
            entry["body"] = item.body
        entry["status"] = item.status
        if item.answer is not None:
            entry |= answer_outputs(item.answer)
        entry["static"] = is_static(item.path)
        requests.append(entry)
    return {"kind": kind, "label": label, "tab": tab, "think_s": round(think_s, 3), "requests": requests}


def record(base: str, seed: int) -> list[dict[str, Any]]:
    """Drive Chromium through every tab; returns the steps (one per action) with their requests."""
    from playwright.sync_api import sync_playwright

    from dashboard_app.app import tab_modules
    from tests.harness.browser import CHROMIUM, CHROMIUM_ARGS

    rng = random.Random(seed)
    modules = sorted(tab_modules(), key=lambda m: m.ORDER)
    steps: list[dict[str, Any]] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
            page = context.new_page()
            log = RequestLog(page, base)

            def act(kind: str, label: str, tab: str, do: Callable[[Any], None], think: bool = True) -> None:
                think_s = rng.uniform(*THINK_S) if think else 0.0
                page.wait_for_timeout(think_s * 1000)
                t0 = time.monotonic()
                do(page)
                log.last_event = time.monotonic()  # a change may send its request later (sliders settle first)
                log.settle(page)
                steps.append(_step(kind, label, tab, think_s, log.take(), t0))
                print(f"  {tab:14} {kind:8} {label}: {len(steps[-1]['requests'])} requests", file=sys.stderr)

            first = modules[0]
            act("load", f"open {first.PATH}", first.PATH, lambda p: p.goto(base + first.PATH), think=False)
            for i, module in enumerate(modules):
                if i:
                    link = f"nav a[href='{module.PATH}']"
                    act("switch", f"tab link {module.PATH}", module.PATH, lambda p, link=link: p.click(link))
                if not hasattr(module, "VIEW"):
                    continue
                for kind, label, do in tab_actions(page, module, rng):
                    act(kind, label, module.PATH, do)
            last = modules[-1]
            act("load", f"reload {last.PATH}", last.PATH, lambda p: p.reload())
            context.close()
        finally:
            browser.close()
    return steps


def model_text(model: dict[str, Any]) -> str:
    """The model as JSON with one step per line (compact, and diffs stay readable)."""
    head = {k: v for k, v in model.items() if k != "steps"}
    steps = ",\n".join(json.dumps(s, separators=(",", ":")) for s in model["steps"])
    return json.dumps(head, indent=1)[:-2] + ',\n "steps": [\n' + steps + "\n ]\n}\n"


def _git_commit() -> str:
    done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True)
    return done.stdout.strip() or "unknown"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, help="use the current snapshot of this directory")
    parser.add_argument("--scale", type=float, default=1.0, help="demo snapshot scale when no --data-dir")
    parser.add_argument("--seed", type=int, default=1, help="seeds the think times and typed values")
    parser.add_argument("--out", type=Path, default=MODEL)
    args = parser.parse_args(argv)
    from tests.harness.server import launch

    data_dir = args.data_dir or build_demo(args.scale, 1)
    log_path = Path(tempfile.mkdtemp(prefix="traffic-record-")) / "server.log"
    server = launch(data_dir, log_path, WORKERS="2", THREADS="4", RATE_LIMIT="1000000/minute", LOG_LEVEL="warning")
    try:
        steps = record(server.url, args.seed)
    finally:
        server.stop()
    modules = [importlib.import_module(m) for m in importlib.import_module("dashboard_app.tabs").TAB_MODULES]
    model = {
        "about": "Recorded by bench/traffic_record.py: one Chromium session through every tab; see bench/load.py.",
        "recorded_utc": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "app_commit": _git_commit(),
        "seed": args.seed,
        "tabs": [m.PATH for m in modules],
        "steps": steps,
    }
    args.out.write_text(model_text(model), encoding="utf-8")
    posts = sum(1 for s in steps for r in s["requests"] if r["method"] == "POST")
    print(f"{len(steps)} steps, {posts} callback POSTs → {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
