"""Write one benchmark's section into ``bench/results.md`` without touching the others."""

from __future__ import annotations

import os
import platform
import re
import time
from datetime import UTC, datetime
from pathlib import Path

RESULTS = Path(__file__).with_name("results.md")
HEADER = "# Benchmark results\n\nEach section is rewritten by its own `bench/` command; figures from one run each.\n"


def load_average() -> str:
    """The 1/5/15-minute load averages now, for the line beside a figure (the machine is shared)."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} / {five:.2f} / {fifteen:.2f}"


REFERENCE_ADDITIONS = 10_000_000


def reference_seconds(rounds: int = 3) -> float:
    """Seconds a fixed pure-Python loop (``REFERENCE_ADDITIONS`` integer additions) takes here, best of ``rounds``:
    how fast this machine's CPU is when the section is written, so figures from different machines (these VMs
    differ by 2× and more) can be told apart from changes in the code."""
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        total = 0
        for i in range(REFERENCE_ADDITIONS):
            total += i
        best = min(best, time.perf_counter() - started)
    return best


def write_section(name: str, body: str, path: Path = RESULTS) -> None:
    """Replace (or append) the section ``name`` of the results file with ``body`` (Markdown)."""
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    machine = f"{platform.python_implementation()} {platform.python_version()}, {platform.machine()}"
    block = (
        f"<!-- begin:{name} -->\n## {name}\n\n_Measured {stamp} on {machine}, {os.cpu_count()} cores; "
        f"written with {load_average()}; a reference loop of {REFERENCE_ADDITIONS:,} additions took "
        f"{reference_seconds():.2f} s._\n\n{body.strip()}\n<!-- end:{name} -->\n"
    )
    text = path.read_text(encoding="utf-8") if path.exists() else HEADER
    pattern = re.compile(rf"<!-- begin:{re.escape(name)} -->.*?<!-- end:{re.escape(name)} -->\n", re.S)
    text = pattern.sub(lambda _m: block, text) if pattern.search(text) else text.rstrip("\n") + "\n\n" + block
    path.write_text(text, encoding="utf-8")
