"""Benchmark: the app's plotly.js bundle against the one of an earlier commit, in headless Chromium.

``python -m bench.plotly_bundle --baseline REV [--rounds 12] [--no-write]`` serves, from a temporary folder on
127.0.0.1, ``assets/vendor/plotly.min.js`` of git revision ``REV`` and of the working tree, each in two pages that
load it the way the app does (after Dash's ``@babel/polyfill``, which replaces ``String.prototype.trim``):

- **evaluate**: the time to run the bundle's script (what every page of every tab pays once plotly loads);
- **sky map**: ``Plotly.newPlot`` of 20 scattergl traces of 2,077 points each (41,540: the size of the
  circumstances tab's sky map at full scale) until two frames later, and the WebGL contexts it created.

Each bundle has its own browser context and page, which goes from one page to the next: after the first visit
the bundle comes from the browser's cache, compiled code included, as when a visitor follows a link in the same
tab (the first ``--warmup`` rounds are not counted); the two bundles in alternating order. Medians and the
90th percentile; the ratio is this bundle's median over the baseline's. Writes the section "plotly.js bundle:
A/B against an earlier commit" of ``bench/results.md`` (the machine is shared: compare the two columns of one
run, not runs).
"""

from __future__ import annotations

import argparse
import functools
import gzip
import http.server
import statistics
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from bench.results_file import load_average, reference_seconds, write_section

SECTION = "plotly.js bundle: A/B against an earlier commit"
REPO = Path(__file__).resolve().parent.parent
BUNDLE = "assets/vendor/plotly.min.js"
TRACES, POINTS = 20, 2077

EVALUATE_PAGE = """<!doctype html><html><head><script src="polyfill.js"></script></head><body>
<script>window.t0 = performance.now();</script><script src="{bundle}"></script>
<script>window.evaluated = performance.now() - window.t0; window.loaded = typeof Plotly;</script></body></html>"""

SKY_PAGE = """<!doctype html><html><head><script src="polyfill.js"></script></head><body>
<div id="g" style="width: 1200px; height: 700px"></div><script src="{bundle}"></script><script>
window.contexts = 0;
const getContext = HTMLCanvasElement.prototype.getContext;
HTMLCanvasElement.prototype.getContext = function (kind) {{
  if (String(kind).startsWith("webgl")) window.contexts++;
  return getContext.apply(this, arguments);
}};
window.draw = async () => {{
  let s = 7;
  const random = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
  const traces = [];
  for (let t = 0; t < {traces}; t++) {{
    const x = [], y = [], text = [];
    for (let i = 0; i < {points}; i++) {{
      x.push(random() * 4 - 2); y.push(random() * 2 - 1); text.push("2024 AB" + i);
    }}
    traces.push({{type: "scattergl", mode: "markers", x, y, text, name: "project " + t, marker: {{size: 3}}}});
  }}
  const t0 = performance.now();
  await Plotly.newPlot("g", traces, {{margin: {{t: 20}}}}, {{}});
  await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
  return performance.now() - t0;
}};
</script></body></html>"""


def polyfill() -> Path:
    """Dash's ``@babel/polyfill``, which every page of the app loads before plotly.js."""
    import dash

    found = sorted((Path(dash.__file__).parent / "deps").glob("polyfill@7*.min.js"))
    if not found:
        raise SystemExit("no @babel/polyfill in the dash package")
    return found[-1]


def stage(folder: Path, bundles: dict[str, bytes]) -> None:
    """The polyfill, each bundle and its two pages in ``folder``."""
    (folder / "polyfill.js").write_bytes(polyfill().read_bytes())
    for label, code in bundles.items():
        (folder / f"{label}.js").write_bytes(code)
        (folder / f"evaluate-{label}.html").write_text(EVALUATE_PAGE.format(bundle=f"{label}.js"), encoding="utf-8")
        sky = SKY_PAGE.format(bundle=f"{label}.js", traces=TRACES, points=POINTS)
        (folder / f"sky-{label}.html").write_text(sky, encoding="utf-8")


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def measure(folder: Path, labels: list[str], rounds: int) -> dict[str, dict[str, list[float]]]:
    """Per label: evaluation ms, sky-map draw ms and WebGL contexts, one of each per round."""
    from playwright.sync_api import sync_playwright

    from tests.harness.browser import CHROMIUM, CHROMIUM_ARGS

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    figures = {label: {"evaluate": [], "draw": [], "contexts": []} for label in labels}
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            try:
                pages = {label: browser.new_context().new_page() for label in labels}
                for r in range(rounds):
                    for label in labels if r % 2 == 0 else labels[::-1]:
                        page = pages[label]
                        page.goto(f"{base}evaluate-{label}.html")
                        if page.evaluate("() => window.loaded") != "object":
                            raise RuntimeError(f"the {label} bundle did not define Plotly")
                        figures[label]["evaluate"].append(page.evaluate("() => window.evaluated"))
                        page.goto(f"{base}sky-{label}.html")
                        figures[label]["draw"].append(page.evaluate("() => window.draw()"))
                        figures[label]["contexts"].append(page.evaluate("() => window.contexts"))
            finally:
                browser.close()
    finally:
        server.shutdown()
    return figures


def _p90(values: list[float]) -> float:
    return statistics.quantiles(values, n=10)[-1] if len(values) > 1 else values[0]


def report(
    figures: dict[str, dict[str, list[float]]],
    sizes: dict[str, tuple[int, int]],
    baseline: str,
    rounds: int,
    warmup: int,
    loads: tuple[str, str],
    reference_s: float,
) -> str:
    """The results section: medians (p90) per bundle and their ratio."""
    before, after = figures["baseline"], figures["this"]

    def cell(values: list[float]) -> str:
        counted = values[warmup:]
        return f"{statistics.median(counted):.0f} ms (p90 {_p90(counted):.0f})"

    def ratio(key: str) -> str:
        return f"×{statistics.median(after[key][warmup:]) / statistics.median(before[key][warmup:]):.2f}"

    lines = [
        f"`python -m bench.plotly_bundle --baseline {baseline} --rounds {rounds}`: `{BUNDLE}` of `{baseline}` and of "
        f"the working tree in headless Chromium (harness flags: software WebGL), each page after Dash's "
        f"`@babel/polyfill`, one browser page per bundle going from page to page (the bundle and its compiled code "
        f"from the browser's cache), the two in alternating order; medians of rounds {warmup + 1}–{rounds} (the "
        f"first {warmup} not counted). Sky map: "
        f"`Plotly.newPlot` of {TRACES} scattergl traces × {POINTS:,} points until two frames later. Before: "
        f"{loads[0]}; after: {loads[1]}; a reference loop of 10,000,000 additions took {reference_s:.2f} s.",
        "",
        f"| | `{baseline}` | this | ratio |",
        "|---|---:|---:|---:|",
        f"| bundle bytes (gzip -6) | {sizes['baseline'][0]:,} ({sizes['baseline'][1]:,}) | "
        f"{sizes['this'][0]:,} ({sizes['this'][1]:,}) | |",
        f"| evaluate the bundle | {cell(before['evaluate'])} | {cell(after['evaluate'])} | {ratio('evaluate')} |",
        f"| sky map drawn | {cell(before['draw'])} | {cell(after['draw'])} | {ratio('draw')} |",
        f"| WebGL contexts created by the sky map | {statistics.median(before['contexts']):.0f} | "
        f"{statistics.median(after['contexts']):.0f} | |",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", required=True, metavar="REV", help="the git revision whose bundle to compare")
    parser.add_argument("--rounds", type=int, default=12)
    parser.add_argument("--warmup", type=int, default=2, help="first rounds not counted")
    parser.add_argument("--no-write", action="store_true", help="print only; leave bench/results.md alone")
    args = parser.parse_args(argv)
    if args.rounds <= args.warmup:
        parser.error("--rounds must be more than --warmup")
    old = subprocess.run(
        ["git", "-C", str(REPO), "show", f"{args.baseline}:{BUNDLE}"], check=True, capture_output=True
    ).stdout
    bundles = {"baseline": old, "this": (REPO / BUNDLE).read_bytes()}
    sizes = {label: (len(code), len(gzip.compress(code, 6))) for label, code in bundles.items()}
    reference_s = reference_seconds()
    with tempfile.TemporaryDirectory(prefix="bench-plotly-bundle-") as tmp:
        stage(Path(tmp), bundles)
        before = load_average()
        figures = measure(Path(tmp), list(bundles), args.rounds)
        loads = (before, load_average())
    body = report(figures, sizes, args.baseline, args.rounds, args.warmup, loads, reference_s)
    print(body)
    if not args.no_write:
        write_section(SECTION, body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
