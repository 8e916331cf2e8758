"""glibc malloc tuning (dashboard_app/allocator.py): a worker gives freed analysis temporaries back to the system."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dashboard_app.allocator import TUNING

REPO = Path(__file__).resolve().parents[2]
glibc = pytest.mark.skipif(not os.confstr("CS_GNU_LIBC_VERSION"), reason="the tuning applies to glibc only")

# Like a request: large temporaries (1 MB arrays) interleaved with small objects that stay alive
# (cached results), then the temporaries freed. With glibc's defaults the first freed large block
# raises the mmap threshold, the arrays then come from the heap, and the small survivors pin it.
SCRIPT = """
import json, os, sys
import numpy as np
if sys.argv[1] == "tuned":
    from dashboard_app.allocator import tune_malloc
    tune_malloc()

def rss_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024

np.ones(2**20, dtype=np.uint8)  # one large block freed at once (glibc then raises its mmap threshold)
before = rss_mb()
temporaries, survivors = [], []
for _ in range(150):
    temporaries.append(np.ones(2**20, dtype=np.uint8))
    survivors.append(bytearray(4000))
del temporaries
print(json.dumps({"kept_mb": rss_mb() - before}))
"""


def _kept_mb(mode: str, env: dict[str, str] | None = None) -> float:
    clean = {k: v for k, v in os.environ.items() if k not in TUNING}
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, mode],
        cwd=REPO,
        env=clean | (env or {}),
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return json.loads(out.stdout)["kept_mb"]


@glibc
def test_freed_temporaries_go_back_to_the_system_once_tuned():
    assert _kept_mb("default") > 100  # the retention the tuning is for (150 MB allocated and freed)
    assert _kept_mb("tuned") < 20


@glibc
def test_a_value_the_operator_set_wins(monkeypatch):
    from dashboard_app.allocator import tune_malloc

    applied = tune_malloc({"MALLOC_ARENA_MAX": "4"})
    assert "MALLOC_ARENA_MAX" not in applied
    assert set(applied) == {"MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_"}
    # and glibc honours the operator's variable in a process started with it (the retention stays)
    assert _kept_mb("tuned", {"MALLOC_MMAP_THRESHOLD_": str(64 * 2**20)}) > 100


def test_gunicorn_config_tunes_the_master_before_the_app_loads():
    config = (REPO / "gunicorn.conf.py").read_text()
    assert config.index("tune_malloc()") < config.index("load_settings()")
