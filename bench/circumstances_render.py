"""Benchmark: how to draw every discovery on the sky map under the production CSP (the rendering choice).

The Discovery Circumstances sky map draws every selected NEO (≈44,000 at full scale). The
app's Content-Security-Policy has no ``'unsafe-eval'``, and plotly.js's WebGL traces compile
their shaders with ``new Function`` in the default bundle. This command measures the candidates
in real headless Chromium (the test harness's flags, so WebGL is SwiftShader's software
renderer: a GPU-less worst case) on a page served with the production CSP:

- **WebGL, default bundle** — ``scattergl`` with the ``plotly.min.js`` the plotly package ships;
- **WebGL, strict bundle** — ``scattergl`` with plotly.js's CSP-safe "strict" bundle of the
  same version (``plotly.js-strict-dist-min`` on npm);
- **SVG** — the same figure with ``scatter`` (one DOM node per point);
- **Density** — the points aggregated server-side into a heatmap (no per-NEO hover).

Each is drawn from the real figures of the tab (four views of the full-scale demo snapshot:
colour by project, station, size class, year; Hammer and RA/Dec): ``Plotly.newPlot`` for the
first, ``Plotly.react`` for the next (a control change), each timed until two animation
frames later, counting CSP violations and the points actually drawn.

``python -m bench.circumstances_render [--data-dir DIR | --scale 1.0] [--strict-bundle FILE]
[--repeats 3] [--no-write]``. Without ``--strict-bundle`` the strict candidate is the app's own
partial bundle (``assets/vendor/plotly.min.js``, WebGL traces in plotly's strict form) or, in a
checkout without one, ``npm pack plotly.js-strict-dist-min@<version>`` (the npm registry's client).
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import threading
from pathlib import Path
from typing import Any

import numpy as np

from bench.results_file import load_average, write_section

REPO = Path(__file__).resolve().parents[1]
SECTION = "circumstances-render"
PAGE_SCRIPT = Path(__file__).with_name("circumstances_render.js")
VIEWS: tuple[tuple[str, str], ...] = (
    ("project", "hammer"),
    ("station", "hammer"),
    ("size", "radec"),
    ("year", "hammer"),
)
CANDIDATES: tuple[tuple[str, str, str], ...] = (
    ("WebGL (scattergl), default bundle", "default", "scattergl"),
    ("WebGL (scattergl), strict bundle", "strict", "scattergl"),
    ("SVG (scatter)", "default", "scatter"),
    ("Density (heatmap, no per-NEO hover)", "default", "heatmap"),
)


def plotly_js_version() -> str:
    from plotly.offline import get_plotlyjs_version

    return get_plotlyjs_version()


def default_bundle() -> Path:
    import plotly

    return Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


def app_bundle() -> Path | None:
    """The app's own strict partial bundle (``assets/vendor/plotly.min.js``), when this checkout has one."""
    try:
        from dashboard_app.web.plotly_bundle import bundle_path
    except ImportError:
        return None
    path = bundle_path(REPO / "assets")
    return path if path.exists() else None


def fetch_strict_bundle(into: Path) -> Path:
    """``npm pack`` the strict bundle of the plotly.js version the plotly package ships."""
    version = plotly_js_version()
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("npm is not installed: pass --strict-bundle FILE (plotly-strict.min.js)")
    subprocess.run([npm, "pack", f"plotly.js-strict-dist-min@{version}"], cwd=into, check=True, capture_output=True)
    with tarfile.open(next(into.glob("plotly.js-strict-dist-min-*.tgz"))) as tar:
        tar.extract("package/plotly-strict.min.js", into, filter="data")
    return into / "package" / "plotly-strict.min.js"


def _density(fig: dict[str, Any]) -> dict[str, Any]:
    """Replace the point traces by one heatmap of counts (2° cells in RA/Dec, 0.05 in Hammer units)."""
    points = [t for t in fig["data"] if t["type"] == "scattergl"]
    x = np.concatenate([np.asarray(t["x"], float) for t in points])
    y = np.concatenate([np.asarray(t["y"], float) for t in points])
    hammer = not fig["layout"]["xaxis"].get("tickvals")
    step = 0.05 if hammer else 2.0
    xr = (-2.9, 2.9) if hammer else (0.0, 360.0)
    yr = (-1.45, 1.45) if hammer else (-90.0, 90.0)
    counts, xe, ye = np.histogram2d(
        x, y, bins=[np.arange(xr[0], xr[1] + step, step), np.arange(yr[0], yr[1] + step, step)]
    )
    heat = {
        "type": "heatmap",
        "x": ((xe[:-1] + xe[1:]) / 2).round(3).tolist(),
        "y": ((ye[:-1] + ye[1:]) / 2).round(3).tolist(),
        "z": [[int(v) if v > 0 else None for v in row] for row in counts.T],  # empty cells transparent
        "colorscale": "Viridis",
        "hovertemplate": "%{z} NEOs<extra></extra>",
    }
    others = [t for t in fig["data"] if t["type"] != "scattergl"]
    return {"data": [heat, *others], "layout": fig["layout"]}


def build_figures(data_dir: Path) -> tuple[list[dict[str, Any]], list[int]]:
    """The tab's sky-map figures for :data:`VIEWS` (whole year range) and their point counts."""
    from dashboard_app.analysis import circumstances as c
    from dashboard_app.analysis.filters import discovery_year_bounds
    from dashboard_app.figures.sky_map import sky_figure
    from dashboard_app.snapshot.datadir import current_snapshot_path
    from dashboard_app.snapshot.model import load_snapshot

    snap = load_snapshot(current_snapshot_path(data_dir))
    circ = c.circumstance_columns(snap.discoveries)
    years = discovery_year_bounds(snap.discoveries)
    figures, counts = [], []
    for colour, projection in VIEWS:
        points = c.sky_points(circ, c.select(circ, c.Selection(years, colour=colour)), projection)
        figures.append(sky_figure(points, "light"))
        counts.append(len(points))
    return figures, counts


def _retyped(fig: dict[str, Any], trace: str) -> dict[str, Any]:
    if trace == "heatmap":
        return _density(fig)
    return {
        "data": [{**t, "type": trace} if t["type"] == "scattergl" else t for t in fig["data"]],
        "layout": fig["layout"],
    }


class _Handler(http.server.SimpleHTTPRequestHandler):
    csp = ""

    def end_headers(self) -> None:
        self.send_header("Content-Security-Policy", self.csp)
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def _page(bundle: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>render</title>'
        "</head><body>"
        '<div id="plot" style="width:1100px;height:620px"></div><pre id="out"></pre>'
        # At the end of the body, as Dash loads it: the app's partial bundle adds its styles to the page on load.
        f'<script src="/{bundle}.js"></script><script src="/page.js"></script></body></html>'
    )


def measure(
    port: int, repeats: int, expected: list[int], candidates: tuple[tuple[str, str, str], ...]
) -> list[dict[str, Any]]:
    from playwright.sync_api import sync_playwright

    from tests.harness.browser import CHROMIUM, CHROMIUM_ARGS

    rows = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        for name, bundle, trace in candidates:
            runs = []
            for _ in range(repeats):
                context = browser.new_context(viewport={"width": 1200, "height": 800})
                page = context.new_page()
                page.goto(f"http://127.0.0.1:{port}/{bundle}-{trace}.html?figures={len(expected)}&dir=/{trace}")
                page.locator("#out[data-done='1']").wait_for(state="attached", timeout=300_000)
                runs.append(json.loads(page.locator("#out").text_content()))
                context.close()
            rows.append({"name": name, "bundle": bundle, "trace": trace, "runs": runs})
        browser.close()
    return rows


def _summary(row: dict[str, Any], expected: list[int]) -> str:
    runs = row["runs"]
    first = [r["draws"][0]["draw_ms"] for r in runs if r["draws"]]
    redraw = [d["draw_ms"] for r in runs for d in r["draws"][1:]]
    violations = max(len(r["csp"]) for r in runs)
    errors = max(len(r["errors"]) for r in runs)
    key = {"scattergl": "gl", "scatter": "svg", "heatmap": "heatmaps"}[row["trace"]]
    drawn = [d["points"][key] for d in runs[-1]["draws"]]
    complete = "n/a (aggregated)" if row["trace"] == "heatmap" else ("all" if drawn == expected else f"{drawn}")
    size = statistics.median(d["bytes"] for d in runs[-1]["draws"]) / 1e6 if runs[-1]["draws"] else 0

    def ms(values: list[float]) -> str:
        return f"{statistics.median(values):,.0f}" if values else "–"

    worst = f"{max(redraw):,.0f}" if redraw else "–"
    return (
        f"| {row['name']} | {violations} | {errors} | {complete} | {ms(first)} | {ms(redraw)} | {worst} | {size:.2f} |"
    )


def run(
    data_dir: Path, strict_bundle: Path | None, repeats: int, candidates: tuple[tuple[str, str, str], ...] = CANDIDATES
) -> str:
    from dashboard_app.web.security import content_security_policy
    from tests.harness.server import find_free_port

    figures, expected = build_figures(data_dir)
    before = load_average()
    with tempfile.TemporaryDirectory(prefix="circ-render-") as tmp:
        root = Path(tmp)
        strict = strict_bundle or app_bundle() or fetch_strict_bundle(root)
        shutil.copy(default_bundle(), root / "default.js")
        shutil.copy(strict, root / "strict.js")
        strict_name = strict.relative_to(REPO) if strict.is_relative_to(REPO) else strict.name
        shutil.copy(PAGE_SCRIPT, root / "page.js")
        for _, bundle, trace in candidates:
            (root / f"{bundle}-{trace}.html").write_text(_page(bundle), encoding="utf-8")
            (root / trace).mkdir(exist_ok=True)
            for i, fig in enumerate(figures):
                (root / trace / f"{i}.json").write_text(json.dumps(_retyped(fig, trace)), encoding="utf-8")
        port = find_free_port()
        handler = type("Handler", (_Handler,), {"csp": content_security_policy([])})
        server = http.server.ThreadingHTTPServer(("127.0.0.1", port), functools.partial(handler, directory=tmp))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            rows = measure(port, repeats, expected, candidates)
        finally:
            server.shutdown()
    lines = [
        f"Sky map of the full demo snapshot: {', '.join(f'{n:,}' for n in expected)} points in the four views "
        f"({', '.join(f'{c}/{p}' for c, p in VIEWS)}); plotly.js {plotly_js_version()}; headless Chromium with the "
        "test harness's flags (`--disable-gpu`: WebGL through SwiftShader, no GPU); the page is served with the "
        f"production CSP (`script-src 'self'`, no `'unsafe-eval'`); strict bundle: `{strict_name}`; "
        f"{repeats} fresh browser contexts per candidate. "
        f"Before: {before}; after: {load_average()}.",
        "",
        "| Candidate | CSP violations | JS errors | points drawn | first draw ms (median) | redraw ms (median) "
        "| redraw ms (worst) | figure MB |",
        "|---|---:|---:|---|---:|---:|---:|---:|",
        *(_summary(row, expected) for row in rows),
        "",
        "Draw = from the parsed figure to two animation frames after `Plotly.newPlot` (first) or `Plotly.react` "
        "(redraw: a control change); network and JSON parsing excluded (same for every candidate).",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.circumstances_render", description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, help="a data directory with a published snapshot")
    parser.add_argument("--scale", type=float, default=1.0, help="demo snapshot scale when no --data-dir")
    parser.add_argument("--seed", type=int, default=20260329)
    parser.add_argument("--strict-bundle", type=Path, help="plotly-strict.min.js (default: npm pack it)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-write", action="store_true", help="print only; leave bench/results.md alone")
    parser.add_argument("--only", help="measure only candidates whose name contains this text (implies --no-write)")
    args = parser.parse_args(argv)
    candidates = tuple(c for c in CANDIDATES if args.only is None or args.only.lower() in c[0].lower())
    if args.data_dir is None:
        from bench.tabs import build_demo

        args.data_dir = build_demo(args.scale, args.seed)
    body = run(args.data_dir, args.strict_bundle, args.repeats, candidates)
    print(body)
    if not (args.no_write or args.only):
        write_section(SECTION, body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
