"""The analysis layer is pure: no module of ``dashboard_app/analysis`` imports plotly or dash, even indirectly."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DISPLAY_PACKAGES = ("plotly", "dash", "dash_bootstrap_components", "dash_ag_grid", "flask")

_PROBE = """
import importlib, json, sys
found = {}
for name in sys.argv[1:]:
    before = set(sys.modules)
    importlib.import_module(name)
    found[name] = sorted({m.split(".")[0] for m in set(sys.modules) - before})
print(json.dumps(found))
"""


def test_no_analysis_module_imports_plotly_or_dash():
    modules = sorted(
        f"dashboard_app.analysis.{p.stem}"
        for p in (REPO / "dashboard_app" / "analysis").glob("*.py")
        if p.stem != "__init__"
    )
    assert len(modules) >= 10
    # one fresh interpreter: a display package shows up under the first module that pulls it in
    out = subprocess.run(
        [sys.executable, "-c", _PROBE, *modules], cwd=REPO, capture_output=True, text=True, check=True, timeout=300
    ).stdout
    pulled_in = {name: sorted(set(found) & set(DISPLAY_PACKAGES)) for name, found in json.loads(out).items()}
    assert {name: found for name, found in pulled_in.items() if found} == {}


def test_the_probe_sees_a_display_import():
    out = subprocess.run(
        [sys.executable, "-c", _PROBE, "dashboard_app.figures.colours"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "plotly" in json.loads(out)["dashboard_app.figures.colours"]
