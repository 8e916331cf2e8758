"""Benchmark: a tab's first view in headless Chromium, cold (empty browser cache) and cached.

Runs a real gunicorn (``gunicorn.conf.py``, 2 workers × 4 threads, production settings) on a demo
snapshot. For each tab, after one untimed visit (the server's memo caches hold the default view, as
they do once any visitor has come by):

- **cold**: a fresh browser context (empty cache) opens the tab; timed from navigation until every
  chart of the tab has drawn (axes or its empty-state annotation);
- timed **in the page**: an init script notes ``performance.now()`` (from navigation start) when each chart
  first holds its drawn elements (a ``MutationObserver``); the harness's wall time, which adds
  Playwright's own polling (a selector query per chart over the page's SVG, up to ~0.8 s on a tab of
  41,000 points), is reported beside it;
- **cached**: the same context opens the tab again (scripts from the browser cache);
- from the cold visit: requests made, bytes transferred, and when the first chart was drawn;
- **tab link**: in one page, a click on each tab's link (from the tab before it) until every chart of the
  tab has drawn (in-page time), and the callback requests the switch made.

Repeated ``--rounds`` times; medians (and the worst) reported. Goals (issue #12, idle machine):
cold ≤ 1.5 s, cached ≤ 0.6 s. ``python -m bench.first_view [--data-dir DIR | --scale 1.0]
[--rounds 5] [--no-write]`` writes the "First view in Chromium" section of ``bench/results.md``.

``--baseline REV`` is the A/B for a change on this shared, noisy machine: the code of git revision ``REV``
(a temporary worktree: its ``dashboard_app`` and ``assets``; gunicorn's settings stay the working tree's) gets its
own server beside the working tree's, every visit is made on both in alternating order, and the "… A/B against an
earlier commit" section gets both medians and their ratio.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.results_file import load_average, write_section

SECTION = "First view in Chromium"
AB_SECTION = "First view in Chromium: A/B against an earlier commit"
REPO = Path(__file__).resolve().parent.parent
GRAPHS = 'div.dash-graph[id*=\'"type":"view-graph"\']'
DRAWN = ".xtick, .annotation-text, path.land, .land path"  # axes, an empty state's sentence, or a map's land
TIMEOUT_MS = 60_000
# Records, in the page, when each chart first holds drawn elements (ms since navigation start).
DRAWN_TIMES_JS = (
    f"(() => {{ const graphs = {json.dumps(GRAPHS)}, drawn = {json.dumps(DRAWN)};"
    + """
  window.__neoDrawn = {};
  const look = () => {
    document.querySelectorAll(graphs).forEach((g) => {
      if (!(g.id in window.__neoDrawn) && g.querySelector(drawn)) { window.__neoDrawn[g.id] = performance.now(); }
    });
  };
  new MutationObserver(look).observe(document, {subtree: true, childList: true});
})();
"""
)


@dataclass
class Visit:
    """One timed visit: seconds to every chart drawn and to the first one, requests and bytes."""

    all_s: float
    first_s: float
    requests: int = 0
    kib: float = 0.0
    wall_s: float = 0.0
    """Seconds until the harness saw every chart drawn (adds Playwright's polling to ``all_s``)."""


@dataclass
class TabFigures:
    path: str
    cold: list[Visit] = field(default_factory=list)
    cached: list[Visit] = field(default_factory=list)
    switch_s: list[float] = field(default_factory=list)
    """Seconds from a click on the tab's link (from another tab) until every chart of the tab has drawn."""
    switch_callbacks: list[int] = field(default_factory=list)


def visit(page: Any, url: str) -> Visit:
    """Open ``url`` and wait until every chart of the page has drawn."""
    t0 = time.perf_counter()
    page.goto(url)
    page.locator(GRAPHS).first.wait_for(state="attached", timeout=TIMEOUT_MS)
    page.locator(GRAPHS).first.locator(DRAWN).first.wait_for(state="attached", timeout=TIMEOUT_MS)
    for i in range(page.locator(GRAPHS).count()):
        page.locator(GRAPHS).nth(i).locator(DRAWN).first.wait_for(state="attached", timeout=TIMEOUT_MS)
    elapsed = time.perf_counter() - t0
    entries = page.evaluate(
        "() => [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')]"
        ".map(e => e.transferSize || 0)"
    )
    times = sorted(page.evaluate("() => Object.values(window.__neoDrawn || {})"))
    if len(times) != page.locator(GRAPHS).count():
        raise RuntimeError(f"the page noted {len(times)} drawn charts of {page.locator(GRAPHS).count()}")
    return Visit(times[-1] / 1000, times[0] / 1000, len(entries), sum(entries) / 1024, wall_s=elapsed)


def switch_to(page: Any, path: str) -> tuple[float, int]:
    """Click the tab link to ``path``; seconds (in the page) until every chart of that tab has drawn, and the
    callback requests the switch made."""
    tab = path.strip("/")
    sent: list[str] = []

    def count(request: Any) -> None:
        if "/_dash-update-component" in request.url:
            sent.append(request.url)

    page.on("request", count)
    try:
        page.evaluate("() => { window.__neoDrawn = {}; }")
        t0 = page.evaluate("() => performance.now()")
        page.locator(f"#shell-tabs a[href^='{path}']").first.click()
        mine = f'div.dash-graph[id*=\'"tab":"{tab}"\'][id*=\'"type":"view-graph"\']'
        page.wait_for_function(
            "(sel) => { const g = [...document.querySelectorAll(sel)];"
            " return g.length > 0 && g.every((x) => x.id in window.__neoDrawn); }",
            arg=mine,
            timeout=TIMEOUT_MS,
        )
        page.wait_for_load_state("networkidle")
        drawn = page.evaluate(
            "(sel) => Math.max(...[...document.querySelectorAll(sel)].map((x) => window.__neoDrawn[x.id]))", mine
        )
    finally:
        page.remove_listener("request", count)
    return (drawn - t0) / 1000, len(sent)


def _context(browser: Any) -> Any:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script(DRAWN_TIMES_JS)
    return context


def measure(bases: dict[str, str], paths: list[str], rounds: int) -> dict[str, list[TabFigures]]:
    """Cold and cached visits of each path and tab links, ``rounds`` times, on each server of ``bases`` (label →
    URL). With two servers every visit of one is next to the same visit of the other, in alternating order, so
    that both meet the same moment of a shared machine."""
    from playwright.sync_api import sync_playwright

    from tests.harness.browser import CHROMIUM, CHROMIUM_ARGS

    figures = {label: [TabFigures(p) for p in paths] for label in bases}
    labels = list(bases)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            for path in paths:  # untimed: the server computes and memoises each default view once
                for base in bases.values():
                    context = _context(browser)
                    visit(context.new_page(), base + path)
                    context.close()
            for r in range(rounds):
                for i, path in enumerate(paths):
                    for label in labels if r % 2 == 0 else labels[::-1]:
                        context = _context(browser)
                        page = context.new_page()
                        figures[label][i].cold.append(visit(page, bases[label] + path))
                        figures[label][i].cached.append(visit(page, bases[label] + path))
                        context.close()
            pages = {}
            for label, base in bases.items():
                pages[label] = _context(browser).new_page()
                visit(pages[label], base + paths[-1])
            for r in range(rounds):
                for i, path in enumerate(paths):
                    for label in labels if r % 2 == 0 else labels[::-1]:
                        seconds, callbacks = switch_to(pages[label], path)
                        figures[label][i].switch_s.append(seconds)
                        figures[label][i].switch_callbacks.append(callbacks)
        finally:
            browser.close()
    return figures


def _ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:.0f} ms (worst {max(values) * 1000:.0f})"


def report(figures: list[TabFigures], rounds: int, n_neos: int) -> str:
    rows = [
        f"| `{t.path}` | {_ms([v.all_s for v in t.cold])} | {_ms([v.first_s for v in t.cold])} "
        f"| {_ms([v.all_s for v in t.cached])} | {statistics.median(v.wall_s for v in t.cold) * 1000:.0f} / "
        f"{statistics.median(v.wall_s for v in t.cached) * 1000:.0f} ms "
        f"| {statistics.median(v.requests for v in t.cold):.0f} "
        f"| {statistics.median(v.kib for v in t.cold):,.0f} KiB "
        f"| {_ms(t.switch_s)} | {max(t.switch_callbacks)} |"
        for t in figures
    ]
    return "\n".join(
        [
            f"Demo snapshot of {n_neos:,} NEOs; gunicorn 2 workers × 4 threads on 127.0.0.1; headless Chromium "
            "(harness flags). Timed in the page, from navigation start until every chart of the tab holds its "
            "drawn elements (the harness's wall time, with Playwright's polling, beside it); the server had "
            f"served each default view once before. Medians of {rounds} rounds ({load_average()} when written). "
            "Goals (issue #12, idle machine): cold ≤ 1.5 s, cached ≤ 0.6 s.",
            "",
            "| Tab | Cold: all charts | Cold: first chart | Cached: all charts | Harness wall time, cold / cached "
            "| Cold: requests | Cold: transferred | Tab link → all charts | Callbacks per tab link |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
            *rows,
        ]
    )


def _median_ms(values: list[float]) -> float:
    return statistics.median(values) * 1000


def _pair(before: list[float], after: list[float]) -> str:
    b, a = _median_ms(before), _median_ms(after)
    return f"{b:.0f} → {a:.0f} ms ({a - b:+.0f}; ×{a / b:.2f})"


def report_ab(figures: dict[str, list[TabFigures]], baseline: str, rounds: int, n_neos: int) -> str:
    """The A/B table: each figure at ``baseline`` and at the working tree, measured side by side."""
    before, after = figures["baseline"], figures["this"]
    rows = [
        f"| `{b.path}` | {_pair([v.all_s for v in b.cold], [v.all_s for v in a.cold])} "
        f"| {_pair([v.all_s for v in b.cached], [v.all_s for v in a.cached])} "
        f"| {_pair(b.switch_s, a.switch_s)} |"
        for b, a in zip(before, after, strict=True)
    ]
    return "\n".join(
        [
            f"`python -m bench.first_view --baseline {baseline}`: the code at `{baseline}` and the working tree, each "
            f"on its own gunicorn (2 workers × 4 threads) over one demo snapshot of {n_neos:,} NEOs; every visit of "
            "one next to the same visit of the other, in alternating order. Timed in the page as in the section "
            f"above; medians of {rounds} rounds ({load_average()} when written; both servers and Chromium share "
            "the machine's 2 cores, so compare the two columns, not the figures with other runs).",
            "",
            f"| Tab | Cold: all charts, `{baseline}` → this | Cached: all charts | Tab link → all charts |",
            "|---|---:|---:|---:|",
            *rows,
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, help="use the current snapshot of this directory")
    parser.add_argument("--scale", type=float, default=1.0, help="demo snapshot scale when no --data-dir")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--no-write", action="store_true", help="print only; leave bench/results.md alone")
    parser.add_argument(
        "--baseline",
        metavar="REV",
        help="A/B: also serve the code of this git revision (a temporary worktree) and measure both side by side",
    )
    args = parser.parse_args(argv)
    from bench.tabs import build_demo
    from dashboard_app.app import tab_modules
    from dashboard_app.snapshot.datadir import current_snapshot_path
    from dashboard_app.snapshot.model import load_snapshot
    from tests.harness.server import launch

    rounds = max(1, args.rounds)
    data_dir = args.data_dir or build_demo(args.scale, 1)
    n_neos = len(load_snapshot(current_snapshot_path(data_dir)).discoveries)
    paths = [m.PATH for m in sorted(tab_modules(), key=lambda m: m.ORDER) if hasattr(m, "VIEW")]
    logs = Path(tempfile.mkdtemp(prefix="bench-first-view-"))
    servers = {"this": launch(data_dir, logs / "server.log", WORKERS="2", THREADS="4")}
    try:
        if args.baseline:
            tree = logs / "baseline"
            subprocess.run(
                ["git", "-C", str(REPO), "worktree", "add", "--detach", str(tree), args.baseline], check=True
            )
            servers["baseline"] = launch(
                data_dir, logs / "baseline.log", WORKERS="2", THREADS="4", PYTHONPATH=str(tree)
            )
        figures = measure({label: s.url for label, s in servers.items()}, paths, rounds)
    finally:
        for server in servers.values():
            server.stop()
        if args.baseline:
            subprocess.run(
                ["git", "-C", str(REPO), "worktree", "remove", "--force", str(logs / "baseline")], check=False
            )
    if args.baseline:
        section, body = AB_SECTION, report_ab(figures, args.baseline, rounds, n_neos)
    else:
        section, body = SECTION, report(figures["this"], rounds, n_neos)
    print(body)
    if not args.no_write:
        write_section(section, body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
