"""Benchmark: Discovery Circumstances in headless Chromium — control change → sky map drawn with every point.

A real gunicorn (``gunicorn.conf.py``, 1 worker) serves a snapshot (the full-scale demo by
default: ≈44,000 NEOs) with the production headers (CSP without ``'unsafe-eval'``). Chromium
(the test harness's flags: ``--disable-gpu``, so WebGL is SwiftShader's software renderer) opens
``/circumstances`` and then changes each control in turn. An init script (Playwright's, so it
needs no CSP exception) timestamps every user input and every ``plotly_afterplot`` of the sky map
one animation frame later, with the number of points its ``scattergl`` traces hold. A change
counts as drawn at the first afterplot whose point count equals the NEOs the server says it drew
(the chart's note, "All N drawn"), after the input.

Reported: first view (navigation start → sky map drawn), and per control change the median, p95
and worst time, with the load average before and after (the machine is shared: run it when it is
as quiet as you can get). ``python -m bench.circumstances_browser [--data-dir DIR | --scale 1.0]
[--rounds 3] [--no-write]``; writes the "circumstances-browser" section of ``bench/results.md``.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.results_file import load_average, write_section

SECTION = "circumstances-browser"
TIMEOUT_S = 60.0
HOOK = """
window.__circ = {inputs: [], draws: []};
for (const type of ["click", "change", "keydown"]) {
  document.addEventListener(type, () => window.__circ.inputs.push(performance.now()), true);
}
setInterval(() => {
  const el = document.querySelector('div[id*=\\'"index":"sky"\\'] .js-plotly-plot');
  if (!el || el.__circHooked || !el.on) return;
  el.__circHooked = true;
  el.on("plotly_afterplot", () => requestAnimationFrame(() => {
    let points = 0;
    for (const t of el._fullData || []) {
      if (t.type === "scattergl" && t.mode === "markers" && t.visible === true) points += t._length || 0;
    }
    window.__circ.draws.push({t: performance.now(), points: points});
  }));
}, 20);
"""
SKY_NOTE = 'p[id*=\'"index":"sky"\'][id*=\'"type":"view-note"\']'


def _drawn_count(page: Any) -> int:
    texts = page.locator(SKY_NOTE).all_text_contents()  # never waits: the note may be re-rendered meanwhile
    match = re.search(r"All ([\d,]+) ", texts[0]) if texts else None
    return int(match.group(1).replace(",", "")) if match else -1


def _wait_drawn(page: Any, since: float) -> float:
    """Milliseconds from ``since`` (page clock) to the first complete sky-map draw after it."""
    deadline = time.monotonic() + TIMEOUT_S
    while time.monotonic() < deadline:
        expected = _drawn_count(page)
        draws = page.evaluate("window.__circ.draws")
        done = [d for d in draws if d["t"] > since and d["points"] == expected and expected > 0]
        if done:
            return done[0]["t"] - since
        time.sleep(0.05)
    raise TimeoutError("the sky map did not redraw with every point")


def _changes(page: Any) -> list[tuple[str, Callable[[], None]]]:
    def radio(label: str) -> Callable[[], None]:
        return lambda: page.get_by_role("radio", name=label, exact=True).check()

    def select(name: str, value: str) -> Callable[[], None]:
        return lambda: page.select_option(f"#circumstances-{name}", value)

    thumb = page.locator("#circumstances-years [role=slider]").first
    return [
        ("colour: station", radio("Station (top N)")),
        ("colour: size class", radio("Size class")),
        ("size: 17.75 ≤ H < 22", select("size", "2")),
        ("light: night only", select("light", "night")),
        ("projection: RA/Dec", radio("RA / Dec")),
        ("colour: discovery year", radio("Discovery year")),
        ("years: first year +1", lambda: thumb.press("ArrowRight")),
        ("size: all", select("size", "all")),
        ("light: any", select("light", "all")),
        ("projection: Hammer", radio("Equal-area (Hammer)")),
        ("colour: survey project", radio("Survey project")),
    ]


def measure(base: str, rounds: int) -> tuple[list[float], dict[str, list[float]], dict[str, int]]:
    from playwright.sync_api import sync_playwright

    from tests.harness.browser import CHROMIUM, CHROMIUM_ARGS

    first: list[float] = []
    per_change: dict[str, list[float]] = {}
    counts: dict[str, int] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        for _ in range(rounds):
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            page = context.new_page()
            page.add_init_script(HOOK)
            page.goto(f"{base}/circumstances")
            first.append(_wait_drawn(page, 0.0))
            counts["first view"] = _drawn_count(page)
            for name, action in _changes(page):
                page.wait_for_load_state("networkidle")
                before = page.evaluate("performance.now()")
                action()
                inputs = [t for t in page.evaluate("window.__circ.inputs") if t >= before]
                per_change.setdefault(name, []).append(_wait_drawn(page, inputs[0] if inputs else before))
                counts[name] = _drawn_count(page)
            context.close()
        browser.close()
    return first, per_change, counts


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def run(data_dir: Path, rounds: int) -> str:
    from tests.harness.server import launch

    with tempfile.TemporaryDirectory(prefix="circ-browser-") as tmp:
        server = launch(data_dir, Path(tmp) / "server.log", RATE_LIMIT="10000/minute")
        try:
            before = load_average()
            first, per_change, counts = measure(server.url, rounds)
            after = load_average()
        finally:
            server.stop()
    every = [v for values in per_change.values() for v in values]
    lines = [
        f"Headless Chromium (harness flags, SwiftShader WebGL), one gunicorn worker, production CSP; snapshot "
        f"`{data_dir}` with {counts['first view']:,} NEOs drawn in the default view; {rounds} rounds of "
        f"{len(per_change)} control changes. Before: {before}; after: {after}.",
        "",
        f"- First view (navigation → sky map drawn with every point): median {statistics.median(first):,.0f} ms, "
        f"worst {max(first):,.0f} ms.",
        f"- Control change → sky map drawn with every point: median {statistics.median(every):,.0f} ms, "
        f"p95 {_p95(every):,.0f} ms, worst {max(every):,.0f} ms (goal ≤ 1,000 ms).",
        "",
        "| Change | median ms | worst ms | points drawn |",
        "|---|---:|---:|---|",
    ]
    for name, values in per_change.items():
        lines.append(f"| {name} | {statistics.median(values):,.0f} | {max(values):,.0f} | {counts[name]:,} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.circumstances_browser", description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, help="a data directory with a published snapshot")
    parser.add_argument("--scale", type=float, default=1.0, help="demo snapshot scale when no --data-dir")
    parser.add_argument("--seed", type=int, default=20260329)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-write", action="store_true", help="print only; leave bench/results.md alone")
    args = parser.parse_args(argv)
    if args.data_dir is None:
        from bench.tabs import build_demo

        args.data_dir = build_demo(args.scale, args.seed)
    body = run(args.data_dir, args.rounds)
    print(body)
    if not args.no_write:
        write_section(SECTION, body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
