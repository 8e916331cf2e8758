"""The gunicorn master's memory settings: glibc malloc tuning (dashboard_app/allocator.py), so a worker gives
freed analysis temporaries back to the system, and the collector off while the app loads, on in workers."""

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


GC_SCRIPT = """
import gc, json, runpy
config = runpy.run_path("gunicorn.conf.py")
loading = gc.isenabled()
import dashboard_app.wsgi  # what gunicorn's preload_app does next, still in the master
after_load = gc.isenabled()
config["pre_fork"](None, None)  # just before the first worker is forked
print(json.dumps({"loading": loading, "after_load": after_load, "at_fork": gc.isenabled(),
                  "frozen": gc.get_freeze_count()}))
"""


def test_the_collector_is_off_while_the_app_loads_and_on_again_for_the_workers(snapshot_dir):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DASH_", "FLASK_"))}
    env |= {"DATA_DIR": str(snapshot_dir), "LOG_LEVEL": "warning"}
    out = subprocess.run(
        [sys.executable, "-c", GC_SCRIPT], cwd=REPO, env=env, capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr[-2000:]
    facts = json.loads(out.stdout.strip().splitlines()[-1])
    assert facts["loading"] is False and facts["after_load"] is False
    assert facts["at_fork"] is True  # workers (forked now) collect as usual
    assert facts["frozen"] > 100_000  # what the app loaded is frozen: never scanned (or copied) by a worker's collector
