"""Benchmark: callback requests per user interaction and change-to-redraw time, in real Chromium.

Runs a real gunicorn (``gunicorn.conf.py``, 1 worker, 4 threads, rate limit lifted) on a snapshot
directory and drives headless Chromium through every tab the way a person does: one control change
at a time (select, radio, number + Enter, a slider arrow key, Reset), waiting for the page to settle
after each. For each change it records

- **requests**: POSTs to ``/_dash-update-component`` the change caused;
- **redraw**: milliseconds from the change until the last chart of the tab redrew (plotly's
  ``plotly_afterplot``) or, when no chart redrew, until the last callback answered.

A **sweep** presses the years slider's arrow key five times, 150 ms apart (a person nudging a slider)
and counts the requests it caused. The page settles when no callback request is pending and nothing
happened for :data:`QUIET_S`.

``python -m bench.interactions [--data-dir DIR | --scale 1.0] [--rounds N] [--no-write]``; writes the
"Interactions" section of ``bench/results.md`` unless ``--no-write``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.results_file import load_average, write_section
from bench.tabs import build_demo

SECTION = "Interactions: callback requests and change-to-redraw in Chromium"
QUIET_S = 1.0
SETTLE_TIMEOUT_S = 60.0
CALLBACK_PATH = "/_dash-update-component"
STATUS_OUTPUT = "shell-status.children"  # the shell's status refresh: once a minute, whatever the person does

Action = Callable[[Any], None]


def select(cid: str, **option: Any) -> Action:
    return lambda page: page.select_option(f"#{cid}", **option)


def radio(cid: str, label: str) -> Action:
    return lambda page: page.locator(f"#{cid}").get_by_label(label, exact=True).check()


def number(cid: str, value: str) -> Action:
    def act(page: Any) -> None:
        page.fill(f"#{cid}", value)
        page.keyboard.press("Enter")

    return act


def slider_key(cid: str, key: str, thumb: int = 0) -> Action:
    return lambda page: page.locator(f"#{cid} [role=slider]").nth(thumb).press(key)


def reset(page: Any) -> None:
    page.get_by_role("button", name="Reset", exact=True).click()


@dataclass(frozen=True)
class Case:
    """One tab: its path, the control changes of a round (ending back at the defaults) and its years slider."""

    path: str
    changes: tuple[tuple[str, Action], ...]
    years_slider: str


CASES: tuple[Case, ...] = (
    Case(
        "/discoveries",
        (
            ("years (arrow key)", slider_key("discoveries-years", "ArrowRight")),
            ("size", select("discoveries-size", value="split")),
            ("size back", select("discoveries-size", value="all")),
            ("group", radio("discoveries-group", "Station (top N)")),
            ("top", number("discoveries-top", "5")),
            ("mode", radio("discoveries-mode", "Cumulative")),
            ("Reset", reset),
        ),
        "discoveries-years",
    ),
    Case(
        "/sizes",
        (
            ("years (arrow key)", slider_key("sizes-years", "ArrowLeft", thumb=1)),
            ("hrange (arrow key)", slider_key("sizes-hrange", "ArrowRight")),
            ("mode", radio("sizes-mode", "Per bin")),
            ("group", radio("sizes-group", "Station (top N)")),
            ("top", number("sizes-top", "5")),
            ("scale", radio("sizes-scale", "Linear")),
            ("Reset", reset),
        ),
        "sizes-years",
    ),
    Case(
        "/comparison",
        (
            ("years (arrow key)", slider_key("comparison-years", "ArrowRight")),
            ("size", select("comparison-size", value="2")),
            ("venn1", select("comparison-venn1", index=2)),
            ("side", radio("comparison-side", "Include precoveries")),
            ("window", select("comparison-window", value="100")),
            ("metric", radio("comparison-metric", "Tracklets")),
            ("labels", radio("comparison-labels", "Counts")),
            ("annual", radio("comparison-annual", "% of the year's NEOs")),
            ("group", radio("comparison-group", "Station")),
            ("Reset", reset),
        ),
        "comparison-years",
    ),
    Case(
        "/followup",
        (
            ("years (arrow key)", slider_key("followup-years", "ArrowRight")),
            ("size", select("followup-size", value="2")),
            ("days", number("followup-days", "120")),
            ("Reset", reset),
        ),
        "followup-years",
    ),
    Case(
        "/sites",
        (
            ("years (arrow key)", slider_key("sites-years", "ArrowRight")),
            ("window", select("sites-window", value="29")),
            ("scope", radio("sites-scope", "All time")),
            ("metric", radio("sites-metric", "Observations")),
            ("proj", select("sites-proj", value="orthographic")),
            ("vrange (arrow key)", slider_key("sites-vrange", "ArrowRight")),
            ("top", number("sites-top", "10")),
            ("Reset", reset),
        ),
        "sites-years",
    ),
)

WATCH_GRAPHS = """
() => {
  window.__neoDraws = window.__neoDraws || [];
  const graphs = Array.from(document.querySelectorAll('.js-plotly-plot'));
  graphs.forEach((gd, i) => {
    if (!gd.__neoWatched && gd.on) {
      gd.__neoWatched = true;
      gd.on('plotly_afterplot', () => window.__neoDraws.push(performance.now()));
    }
  });
  return graphs.length;
}
"""


class Recorder:
    """Counts callback POSTs and their answers on one page."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.sent = 0
        self.done = 0
        self.answered_at: list[float] = []  # when each callback's answer ended (ms since the epoch)
        self.last_event = time.monotonic()
        page.on("request", self._request)
        page.on("requestfinished", self._finished)
        page.on("requestfailed", self._finished)

    def _is_callback(self, request: Any) -> bool:
        """A callback POST caused by the page's controls (not the shell's once-a-minute status refresh)."""
        if request.method != "POST" or CALLBACK_PATH not in request.url:
            return False
        return f'"output":"{STATUS_OUTPUT}"' not in (request.post_data or "")

    def _request(self, request: Any) -> None:
        if self._is_callback(request):
            self.sent += 1
            self.last_event = time.monotonic()

    def _finished(self, request: Any) -> None:
        if self._is_callback(request):
            timing = request.timing  # startTime: ms since the epoch; responseEnd: ms after it (-1: unknown)
            if timing.get("responseEnd", -1) >= 0:
                self.answered_at.append(timing["startTime"] + timing["responseEnd"])
            self.done += 1
            self.last_event = time.monotonic()

    def settle(self) -> None:
        """Wait until no callback is pending and nothing happened for QUIET_S (bounded)."""
        deadline = time.monotonic() + SETTLE_TIMEOUT_S
        draws = -1
        while time.monotonic() < deadline:
            self.page.wait_for_timeout(50)
            n = self.page.evaluate("() => (window.__neoDraws || []).length")
            if n != draws:
                draws, self.last_event = n, time.monotonic()
            if self.sent == self.done and time.monotonic() - self.last_event >= QUIET_S:
                return
        raise RuntimeError(f"the page did not settle within {SETTLE_TIMEOUT_S:g} s")


def measure(page: Any, recorder: Recorder, action: Action) -> tuple[int, float, bool]:
    """(callback POSTs, ms from the change to the last redraw, whether a chart redrew) for one change; when
    no chart redrew (the charts it changes wait below the fold: ``views.DRAW_NEAR``), the ms are until its last
    callback answered (NaN when none did)."""
    page.evaluate(WATCH_GRAPHS)
    sent = recorder.sent
    t0 = page.evaluate("() => performance.now()")
    action(page)
    recorder.settle()
    draws = [t for t in page.evaluate("() => window.__neoDraws") if t > t0]
    if draws:
        return recorder.sent - sent, max(draws) - t0, True
    origin = page.evaluate("() => performance.timeOrigin")  # page time = epoch ms - origin
    answers = [t - origin for t in recorder.answered_at if t - origin > t0]
    return recorder.sent - sent, (max(answers) - t0) if answers else float("nan"), False


def run_case(chromium: Any, base: str, case: Case, rounds: int) -> dict[str, Any]:
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        recorder = Recorder(page)
        page.goto(base + case.path)
        page.locator(".js-plotly-plot").first.wait_for(timeout=60_000)
        recorder.settle()
        per_change: dict[str, list[int]] = {}
        redraws: list[float] = []
        per_change_ms: dict[str, list[float]] = {}
        unseen: set[str] = set()  # changes that redrew no chart in view (timed until their last answer)
        for _ in range(rounds):
            for name, action in case.changes:
                n, ms, redrew = measure(page, recorder, action)
                per_change.setdefault(name, []).append(n)
                if not redrew:
                    unseen.add(name)
                if ms == ms:  # not NaN: something answered
                    per_change_ms.setdefault(name, []).append(round(ms))
                    redraws.append(ms)
        sent = recorder.sent
        thumb = page.locator(f"#{case.years_slider} [role=slider]").first
        for key in ["ArrowRight"] * 5:
            thumb.press(key)
            page.wait_for_timeout(150)
        recorder.settle()
        sweep = recorder.sent - sent
        thumb.press("Home")  # back to the first year, ready for the next round
        recorder.settle()
        return {
            "per_change": per_change,
            "per_change_ms": per_change_ms,
            "redraws": redraws,
            "sweep": sweep,
            "unseen": sorted(unseen),
        }
    finally:
        context.close()


def _fmt_counts(per_change: dict[str, list[int]]) -> str:
    return ", ".join(f"{name} {max(counts)}" for name, counts in per_change.items())


def run(data_dir: Path, rounds: int, tabs: list[str] | None = None) -> tuple[str, dict[str, Any]]:
    from playwright.sync_api import sync_playwright

    from dashboard_app.snapshot.model import load_snapshot
    from dashboard_app.snapshot.publish import current_snapshot_path
    from tests.harness.browser import CHROMIUM, CHROMIUM_ARGS
    from tests.harness.server import launch

    snapshot = load_snapshot(current_snapshot_path(data_dir))
    log = Path(tempfile.mkdtemp(prefix="bench-interactions-log-")) / "server.log"
    server = launch(data_dir, log, WORKERS="1", THREADS="4", RATE_LIMIT="1000000/minute", LOG_LEVEL="warning")
    rows, raw, unseen = [], {}, []
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            try:
                for case in CASES:
                    if tabs and case.path.strip("/") not in tabs:
                        continue
                    result = run_case(chromium, server.url, case, rounds)
                    raw[case.path] = result
                    counts = [max(c) for c in result["per_change"].values()]
                    redraws = result["redraws"]
                    rows.append(
                        f"| `{case.path}` | {statistics.median(counts):g} | {max(counts)} | {result['sweep']} "
                        f"| {statistics.median(redraws):.0f} ms | {max(redraws):.0f} ms "
                        f"| {_fmt_counts(result['per_change'])} |"
                    )
                    print(rows[-1], flush=True)
                    print(f"  redraw ms per change: {result['per_change_ms']}", flush=True)
                    unseen += [f"`{case.path}` {name}" for name in result["unseen"]]
            finally:
                chromium.close()
    finally:
        server.stop()
    body = "\n".join(
        [
            f"Snapshot: {len(snapshot.discoveries):,} NEOs (`{snapshot.id}`). gunicorn 1 worker × 4 threads on "
            f"127.0.0.1, headless Chromium 1280 px, one change at a time; {rounds} round(s) of each tab's changes; "
            f"{load_average()} at the end of the run.",
            "Requests = POSTs to `/_dash-update-component` caused by one change (most of any round). "
            "Redraw = change until the last chart of the tab redrew; a change that redrew no chart in the viewport "
            "(the charts it changes wait below the fold until they come near, `views.DRAW_NEAR`) is timed until "
            f"its last callback answered ({', '.join(unseen) or 'none'}). Sweep = five slider arrow-key presses "
            "150 ms apart.",
            "",
            "| Tab | Requests per change: median | max | Sweep (5 keys) | Redraw: median | Redraw: max | Per change |",
            "|---|---:|---:|---:|---:|---:|---|",
            *rows,
        ]
    )
    return body, raw


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, help="use the current snapshot of this directory")
    parser.add_argument("--scale", type=float, default=1.0, help="demo scale when no --data-dir (1.0 ≈ 44k NEOs)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3, help="rounds of each tab's changes")
    parser.add_argument("--tabs", nargs="*", help="only these tabs (e.g. comparison); implies --no-write")
    parser.add_argument("--no-write", action="store_true", help="print only; leave bench/results.md alone")
    args = parser.parse_args(argv)
    data_dir = args.data_dir or build_demo(args.scale, args.seed)
    body, _raw = run(data_dir, max(1, args.rounds), args.tabs)
    print(body)
    if not (args.no_write or args.tabs):
        write_section(SECTION, body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
