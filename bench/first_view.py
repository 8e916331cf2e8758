"""Benchmark: a tab's first view in headless Chromium, cold (empty browser cache) and cached.

Runs a real gunicorn (``gunicorn.conf.py``, 2 workers × 4 threads, production settings) on a demo
snapshot. For each tab, after one untimed visit (the server's memo caches hold the default view, as
they do once any visitor has come by):

- **cold**: a fresh browser context (empty cache, viewport 1280 × 900) opens the tab; timed from navigation
  until every chart in the viewport (or, if none is, the topmost chart) has drawn (axes or its empty-state
  annotation): what the visitor sees first. Charts below the fold may wait until they come near
  (``views.DRAW_NEAR``), so the page is then scrolled to its end, a viewport per step, and timed from the
  scroll's start until every chart has drawn;
- timed **in the page**: an init script notes ``performance.now()`` (from navigation start) when each chart
  first holds its drawn elements (a ``MutationObserver``); the harness's wall time, which adds
  Playwright's own polling (a selector query per chart over the page's SVG, up to ~0.8 s on a tab of
  41,000 points), is reported beside it;
- **cached**: the same context opens the tab again (scripts from the browser cache);
- from the cold visit: requests made, bytes transferred, and when the first chart was drawn;
- **tab link**: in one page, scrolled to the top, a click on each tab's link (from the tab before it) until
  every chart of the tab in the viewport has drawn (in-page time), and the callback requests the switch made.

Repeated ``--rounds`` times; medians (and the worst) reported. Goals (issue #12, idle machine):
cold ≤ 1.5 s, cached ≤ 0.6 s. ``python -m bench.first_view [--data-dir DIR | --scale 1.0]
[--rounds 5] [--no-write]`` writes the "First view in Chromium" section of ``bench/results.md``.

``--baseline REV`` is the A/B for a change on this shared, noisy machine: the code of git revision ``REV``
(a temporary worktree: its ``dashboard_app`` and ``assets``; gunicorn's settings stay the working tree's) gets its
own server beside the working tree's, every visit is made on both in alternating order, and the "… A/B against an
earlier commit" section gets both medians and their ratio.

``--latency-ms 40 --mbit 20`` emulates a visitor's network in Chromium (DevTools' network conditions: that
round-trip latency added to every request, downloads capped at that many Mbit/s, uploads at a quarter), where
loopback hides what a real connection costs (the order and overlap of downloads); the sections written get
" (emulated network)" after their names, so the loopback figures stay.
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
    """One timed visit: seconds to the charts in view drawn and to the first one, requests and bytes, and
    after a scroll through the page, seconds until every chart has drawn."""

    view_s: float
    first_s: float
    requests: int = 0
    kib: float = 0.0
    wall_s: float = 0.0
    """Seconds until the harness saw the charts in view drawn (adds Playwright's polling to ``view_s``)."""
    rest_s: float = 0.0
    """Seconds from the start of a scroll through the page (a viewport per step) until every chart has drawn."""
    in_view: int = 0
    charts: int = 0


@dataclass
class TabFigures:
    path: str
    cold: list[Visit] = field(default_factory=list)
    cached: list[Visit] = field(default_factory=list)
    switch_s: list[float] = field(default_factory=list)
    """Seconds from a click on the tab's link (from another tab) until every chart of the tab in view has drawn."""
    switch_callbacks: list[int] = field(default_factory=list)


# The charts that are in the viewport (or, when none is, the topmost chart: on a tab whose first screen holds
# a table and controls, the first chart below them).
_IN_VIEW = """const all = [...document.querySelectorAll(sel)];
  const seen = all.filter((x) => { const r = x.getBoundingClientRect(); return r.bottom > 0 && r.top < innerHeight; });
  const top = all.slice().sort((a, b) => a.getBoundingClientRect().top - b.getBoundingClientRect().top).slice(0, 1);
  const g = seen.length ? seen : top;"""
# Whether every chart in view has drawn (and there is one at least); the times (ms) they were drawn.
IN_VIEW_DRAWN_JS = f"(sel) => {{ {_IN_VIEW} return g.length > 0 && g.every((x) => x.id in window.__neoDrawn); }}"
IN_VIEW_TIMES_JS = f"(sel) => {{ {_IN_VIEW} return g.map((x) => window.__neoDrawn[x.id]); }}"


def scroll_through(page: Any) -> float:
    """Scroll to the end a viewport at a time (a pause of two frames per step) and wait until every chart has
    drawn; returns the in-page time (ms) at which the scroll began."""
    t0 = page.evaluate("() => performance.now()")
    page.evaluate(
        """async () => {
      const frame = () => new Promise((resolve) => requestAnimationFrame(resolve));
      for (let y = innerHeight; ; y += innerHeight) {
        scrollTo({top: y, behavior: "instant"}); await frame(); await frame();  // Bootstrap's smooth scroll
        if (y + innerHeight >= document.documentElement.scrollHeight) break;
      }
    }"""
    )
    try:
        page.wait_for_function(
            "(sel) => [...document.querySelectorAll(sel)].every((x) => x.id in window.__neoDrawn)",
            arg=GRAPHS,
            timeout=TIMEOUT_MS,
        )
    except Exception as exc:
        undrawn = page.evaluate(
            """(sel) => [...document.querySelectorAll(sel)].filter((x) => !(x.id in window.__neoDrawn))
              .map((x) => [x.id, Math.round(x.getBoundingClientRect().top), scrollY, innerHeight])""",
            GRAPHS,
        )
        raise RuntimeError(
            f"{page.url}: charts not drawn after a scroll through the page (id, top, scrollY, "
            f"viewport height): {undrawn}"
        ) from exc
    return t0


def visit(page: Any, url: str) -> Visit:
    """Open ``url``, wait until every chart in the viewport has drawn, then scroll through the page until
    every chart has (charts below the fold may wait until they come near: ``views.DRAW_NEAR``)."""
    t0 = time.perf_counter()
    page.goto(url)
    page.locator(GRAPHS).first.wait_for(state="attached", timeout=TIMEOUT_MS)
    page.wait_for_function(IN_VIEW_DRAWN_JS, arg=GRAPHS, timeout=TIMEOUT_MS, polling=100)
    elapsed = time.perf_counter() - t0
    in_view = page.evaluate(IN_VIEW_TIMES_JS, GRAPHS)
    entries = page.evaluate(
        "() => [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')]"
        ".map(e => e.transferSize || 0)"
    )
    scrolled_at = scroll_through(page)
    times = sorted(page.evaluate("() => Object.values(window.__neoDrawn || {})"))
    charts = page.locator(GRAPHS).count()
    if len(times) != charts:
        raise RuntimeError(f"the page noted {len(times)} drawn charts of {charts}")
    return Visit(
        max(in_view) / 1000,
        times[0] / 1000,
        len(entries),
        sum(entries) / 1024,
        wall_s=elapsed,
        rest_s=max(0.0, times[-1] - scrolled_at) / 1000,
        in_view=len(in_view),
        charts=charts,
    )


def switch_to(page: Any, path: str) -> tuple[float, int]:
    """Click the tab link to ``path``; seconds (in the page) until every chart of that tab in view has drawn, and the
    callback requests the switch made."""
    tab = path.strip("/")
    sent: list[str] = []

    def count(request: Any) -> None:
        if "/_dash-update-component" in request.url:
            sent.append(request.url)

    page.on("request", count)
    try:
        page.evaluate("() => { window.scrollTo(0, 0); window.__neoDrawn = {}; }")  # the tab links are at the top
        t0 = page.evaluate("() => performance.now()")
        page.locator(f"#shell-tabs a[href^='{path}']").first.click()
        mine = f'div.dash-graph[id*=\'"tab":"{tab}"\'][id*=\'"type":"view-graph"\']'
        page.wait_for_function(IN_VIEW_DRAWN_JS, arg=mine, timeout=TIMEOUT_MS, polling=100)
        drawn = max(page.evaluate(IN_VIEW_TIMES_JS, mine))
        page.wait_for_load_state("networkidle")
    finally:
        page.remove_listener("request", count)
    return (drawn - t0) / 1000, len(sent)


@dataclass(frozen=True)
class Network:
    """A visitor's connection, emulated by Chromium: added round-trip latency and download speed."""

    latency_ms: float
    mbit: float

    def __str__(self) -> str:
        return f"{self.latency_ms:g} ms latency, {self.mbit:g} Mbit/s down, {self.mbit / 4:g} up"


def _context(browser: Any) -> Any:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script(DRAWN_TIMES_JS)
    return context


def _page(context: Any, network: Network | None) -> Any:
    """A new page of ``context``, behind ``network`` when given (DevTools' network conditions)."""
    page = context.new_page()
    if network is not None:
        session = context.new_cdp_session(page)
        session.send("Network.enable")
        bytes_per_s = network.mbit * 1e6 / 8
        session.send(
            "Network.emulateNetworkConditions",
            {
                "offline": False,
                "latency": network.latency_ms,
                "downloadThroughput": bytes_per_s,
                "uploadThroughput": bytes_per_s / 4,
            },
        )
    return page


def measure(
    bases: dict[str, str], paths: list[str], rounds: int, network: Network | None = None
) -> dict[str, list[TabFigures]]:
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
                    visit(_page(context, network), base + path)
                    context.close()
            for r in range(rounds):
                for i, path in enumerate(paths):
                    for label in labels if r % 2 == 0 else labels[::-1]:
                        context = _context(browser)
                        page = _page(context, network)
                        figures[label][i].cold.append(visit(page, bases[label] + path))
                        figures[label][i].cached.append(visit(page, bases[label] + path))
                        context.close()
            pages = {}
            for label, base in bases.items():
                pages[label] = _page(_context(browser), network)
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


def _where(network: Network | None) -> str:
    return "on 127.0.0.1" if network is None else f"on 127.0.0.1 behind an emulated network ({network})"


def report(figures: list[TabFigures], rounds: int, n_neos: int, network: Network | None = None) -> str:
    rows = [
        f"| `{t.path}` | {t.cold[-1].in_view} of {t.cold[-1].charts} "
        f"| {_ms([v.view_s for v in t.cold])} | {_ms([v.first_s for v in t.cold])} "
        f"| {_ms([v.view_s for v in t.cached])} | {_ms([v.rest_s for v in t.cached])} "
        f"| {statistics.median(v.wall_s for v in t.cold) * 1000:.0f} / "
        f"{statistics.median(v.wall_s for v in t.cached) * 1000:.0f} ms "
        f"| {statistics.median(v.requests for v in t.cold):.0f} "
        f"| {statistics.median(v.kib for v in t.cold):,.0f} KiB "
        f"| {_ms(t.switch_s)} | {max(t.switch_callbacks)} |"
        for t in figures
    ]
    return "\n".join(
        [
            f"Demo snapshot of {n_neos:,} NEOs; gunicorn 2 workers × 4 threads {_where(network)}; headless Chromium "
            "(harness flags), viewport 1280 × 900. Timed in the page, from navigation start until every chart "
            "in the viewport (if none is, the topmost) holds its drawn elements (the harness's wall time, with "
            "Playwright's polling, beside it); then the page is scrolled to its end a viewport per step (two "
            "frames per step), timed until every chart has drawn (charts below the fold wait until they come "
            "near: `views.DRAW_NEAR`). The server had served each default view once before. Medians of "
            f"{rounds} rounds ({load_average()} when written). "
            "Goals (issue #12, idle machine): cold ≤ 1.5 s, cached ≤ 0.6 s.",
            "",
            "| Tab | Charts in view | Cold: charts in view | Cold: first chart | Cached: charts in view "
            "| Cached: scroll → every chart | Harness wall time, cold / cached | Cold: requests "
            "| Cold: transferred | Tab link → charts in view | Callbacks per tab link |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
            *rows,
        ]
    )


def _median_ms(values: list[float]) -> float:
    return statistics.median(values) * 1000


def _pair(before: list[float], after: list[float]) -> str:
    b, a = _median_ms(before), _median_ms(after)
    return f"{b:.0f} → {a:.0f} ms ({a - b:+.0f}; ×{a / b:.2f})"


def report_ab(
    figures: dict[str, list[TabFigures]], baseline: str, rounds: int, n_neos: int, network: Network | None = None
) -> str:
    """The A/B table: each figure at ``baseline`` and at the working tree, measured side by side."""
    before, after = figures["baseline"], figures["this"]
    rows = [
        f"| `{b.path}` | {_pair([v.view_s for v in b.cold], [v.view_s for v in a.cold])} "
        f"| {_pair([v.view_s for v in b.cached], [v.view_s for v in a.cached])} "
        f"| {_pair(b.switch_s, a.switch_s)} |"
        for b, a in zip(before, after, strict=True)
    ]
    return "\n".join(
        [
            f"`python -m bench.first_view --baseline {baseline}{_flags(network)}`: the code at `{baseline}` and the "
            f"working tree, each on its own gunicorn (2 workers × 4 threads {_where(network)}) over one demo snapshot "
            f"of {n_neos:,} NEOs; every visit of "
            "one next to the same visit of the other, in alternating order. Timed in the page as in the section "
            f"above; medians of {rounds} rounds ({load_average()} when written; both servers and Chromium share "
            "the machine's 2 cores, so compare the two columns, not the figures with other runs).",
            "",
            f"| Tab | Cold: charts in view, `{baseline}` → this | Cached: charts in view | Tab link → charts in view |",
            "|---|---:|---:|---:|",
            *rows,
        ]
    )


def _flags(network: Network | None) -> str:
    return "" if network is None else f" --latency-ms {network.latency_ms:g} --mbit {network.mbit:g}"


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
    parser.add_argument("--latency-ms", type=float, help="emulate a network: round-trip latency added (ms)")
    parser.add_argument("--mbit", type=float, help="emulate a network: download speed (Mbit/s; upload a quarter)")
    args = parser.parse_args(argv)
    if (args.latency_ms is None) != (args.mbit is None):
        parser.error("--latency-ms and --mbit go together")
    network = Network(args.latency_ms, args.mbit) if args.mbit is not None else None
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
        figures = measure({label: s.url for label, s in servers.items()}, paths, rounds, network)
    finally:
        for server in servers.values():
            server.stop()
        if args.baseline:
            subprocess.run(
                ["git", "-C", str(REPO), "worktree", "remove", "--force", str(logs / "baseline")], check=False
            )
    if args.baseline:
        section, body = AB_SECTION, report_ab(figures, args.baseline, rounds, n_neos, network)
    else:
        section, body = SECTION, report(figures["this"], rounds, n_neos, network)
    if network is not None:
        section += " (emulated network)"
    print(body)
    if not args.no_write:
        write_section(section, body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
