"""Benchmark: where the time and bytes of one Discovery Circumstances update go, in process.

The tab's one update callback (``tabs.circumstances.TAB.update``, the plain function Dash calls)
runs inside a request context of the real app over a snapshot (the full-scale demo by default),
for the default view and then each control change of ``bench.tabs``'s circumstances case in turn
(every view new to the memo caches, as a person meets them). Reported:

- the per-snapshot work done once (the per-NEO columns, the static per-NEO points file);
- per chart: time to draw (analysis + figure) and to encode it as JSON (as Dash does, plotly's
  encoder), and its JSON bytes; the answer's total bytes and the time and bytes of compressing it
  (zstd 3 and gzip 6: flask-compress's defaults; Chromium accepts zstd);
- the bytes of the default view's two per-NEO charts by trace attribute.

``python -m bench.circumstances_payload [--data-dir DIR | --scale 1.0] [--no-write]``; writes the
"circumstances-payload" section of ``bench/results.md`` (with the load average beside it).
"""

from __future__ import annotations

import argparse
import gzip
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.results_file import load_average, write_section

SECTION = "circumstances-payload"


def _timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def _json(value: Any) -> str:
    from plotly.io.json import to_json_plotly

    return str(to_json_plotly(value))


def _compress(data: bytes) -> dict[str, tuple[int, float]]:
    from backports import zstd  # flask-compress's zstd

    out = {}
    z, t = _timed(lambda: zstd.compress(data, level=3))
    out["zstd"] = (len(z), t)
    g, t = _timed(lambda: gzip.compress(data, compresslevel=6))
    out["gzip"] = (len(g), t)
    return out


def attribute_bytes(figure: dict[str, Any]) -> dict[str, int]:
    """JSON bytes of a figure by trace attribute (summed over its traces), plus the layout."""
    out: dict[str, int] = defaultdict(int)
    for trace in figure.get("data", []):
        for key, value in trace.items():
            out[key] += len(_json(value))
    out["(layout)"] = len(_json(figure.get("layout", {})))
    return dict(out)


def _views(defaults: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    from bench.tabs import CASES

    case = next(c for c in CASES if c.module == "dashboard_app.tabs.circumstances")
    out = [("defaults", dict(defaults))]
    current = dict(defaults)
    for change in case.changes:
        for name, value in change.items():
            current[name] = value(defaults) if callable(value) else value
        out.append((", ".join(f"{k}={current[k]}" for k in change), dict(current)))
    return out


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f}"


def _kb(n: float) -> str:
    return f"{n / 1024:,.0f}"


def run(data_dir: Path) -> str:
    """Measure; returns the Markdown section body."""
    from dashboard_app.analysis.circumstances import circumstance_columns
    from dashboard_app.app import create_app
    from dashboard_app.settings import load_settings
    from dashboard_app.tabs import circumstances as tab
    from dashboard_app.views import request_snapshot
    from tests.tabs_discoveries.layout_tree import control_values

    before = load_average()
    app = create_app(load_settings({"DATA_DIR": str(data_dir)}, env_file=None))
    lines: list[str] = []
    with app.server.test_request_context("/_dash-update-component", method="POST"):
        snap = request_snapshot()
        assert snap is not None
        once: list[tuple[str, float]] = []
        _, t = _timed(lambda: circumstance_columns(snap.discoveries))
        once.append(("per-NEO columns (designations, hover text, Hammer x/y, codes)", t))
        tab._columns(snap)  # the memo's copy, which the points file and every update read
        static = getattr(tab, "points_file", None)
        if static is not None:
            body, t = _timed(lambda: static(snap))
            once.append((f"the points file from those columns ({_kb(len(body))} KB of JSON)", t))
        defaults = control_values(tab.layout(), tab.VIEW)
        per_chart: dict[str, list[tuple[float, float, int]]] = defaultdict(list)
        answers: list[tuple[str, float, int, dict[str, tuple[int, float]], float]] = []
        for label, values in _views(defaults):
            out, t_update = _timed(lambda values=values: tab.TAB.update(values, "light", None, None))
            for index, (figure, _note) in out["charts"].items():
                parsed = tab.VIEW.parse(values, snap)
                chart = next(c for c in tab.TAB.charts if c.index == index)
                _, t_draw = _timed(lambda chart=chart, parsed=parsed: chart.draw(parsed, snap, "light"))
                text, t_json = _timed(lambda figure=figure: _json(figure))
                per_chart[index].append((t_draw, t_json, len(text.encode())))
            answer, t_json = _timed(lambda out=out: _json({"response": out}).encode())
            answers.append((label, t_update, len(answer), _compress(answer), t_json))
        default_out = tab.TAB.update(defaults, "light", None, None)
    n = len(snap.discoveries)
    lines += [
        f"Snapshot: {n:,} NEOs (`{snap.id}`). In process: the tab's update callback in a request context of the "
        f"real app (no HTTP, no Dash dispatch); plotly's JSON encoder (orjson engine). Before: {before}; "
        f"after: {load_average()}.",
        "",
        "Once per snapshot (per worker):",
        "",
        *[f"- {what}: {_ms(t)} ms" for what, t in once],
        "",
        f"Per update ({len(answers)} views: the defaults, then `bench.tabs`'s circumstances changes in turn, each "
        "new to the memo caches). Update = the whole callback (analysis + figures + digests); JSON = encoding "
        "the answer as Dash sends it; compressed as flask-compress would (zstd 3 / gzip 6).",
        "",
        "| View | update ms | answer KB | JSON ms | zstd KB | zstd ms | gzip KB | gzip ms |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for label, t_update, size, comp, t_json in answers:
        lines.append(
            f"| {label} | {_ms(t_update)} | {_kb(size)} | {_ms(t_json)} | {_kb(comp['zstd'][0])} "
            f"| {_ms(comp['zstd'][1])} | {_kb(comp['gzip'][0])} | {_ms(comp['gzip'][1])} |"
        )
    lines += [
        "",
        "Per chart, median over the views (draw = analysis + figure for the parsed values, memo warm after the "
        "update above; JSON = encoding that chart's figure):",
        "",
        "| Chart | draw ms | JSON ms | KB (median) | KB (max) |",
        "|---|---:|---:|---:|---:|",
    ]
    for index, rows in per_chart.items():
        draw = statistics.median(r[0] for r in rows)
        enc = statistics.median(r[1] for r in rows)
        size = statistics.median(r[2] for r in rows)
        lines.append(f"| {index} | {_ms(draw)} | {_ms(enc)} | {_kb(size)} | {_kb(max(r[2] for r in rows))} |")
    for index in ("sky", "rate"):
        figure = default_out["charts"][index][0]
        parts = sorted(attribute_bytes(figure).items(), key=lambda kv: -kv[1])
        total = sum(v for _, v in parts)
        lines += [
            "",
            f"Default view, `{index}` ({len(figure.get('data', []))} traces, {_kb(total)} KB) by attribute: "
            + ", ".join(f"`{k}` {_kb(v)} KB ({v / total:.0%})" for k, v in parts if v >= total * 0.005),
        ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, help="use the current snapshot of this directory")
    parser.add_argument("--scale", type=float, default=1.0, help="demo snapshot scale when no --data-dir")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-write", action="store_true", help="print only; leave bench/results.md alone")
    args = parser.parse_args(argv)
    from bench.tabs import build_demo

    data_dir = args.data_dir or build_demo(args.scale, args.seed)
    body = run(data_dir)
    print(body)
    if not args.no_write:
        write_section(SECTION, body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
