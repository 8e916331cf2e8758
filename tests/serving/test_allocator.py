"""The gunicorn master's memory settings: glibc malloc tuning (dashboard_app/allocator.py), so a worker gives
freed analysis temporaries back to the system, and the collector off while the app loads, on in workers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dashboard_app.allocator import ARROW_POOL_VARIABLE, TUNING

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


def _run(script: str, *args: str, env: dict[str, str] | None = None) -> dict:
    """What ``script`` prints (JSON), run in a fresh interpreter without the operator's malloc variables."""
    clean = {k: v for k, v in os.environ.items() if k not in TUNING}
    out = subprocess.run(
        [sys.executable, "-c", script, *args],
        cwd=REPO,
        env=clean | (env or {}),
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return json.loads(out.stdout)


def _kept_mb(mode: str, env: dict[str, str] | None = None) -> float:
    return _run(SCRIPT, mode, env=env)["kept_mb"]


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
import gc, json, runpy, types
config = runpy.run_path("gunicorn.conf.py")
loading = gc.isenabled()
import dashboard_app.wsgi  # what gunicorn's preload_app does next, still in the master
after_load = gc.isenabled()
config["pre_fork"](types.SimpleNamespace(WORKERS={}), None)  # the arbiter, just before its first fork
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


# Like a request on pandas' Arrow string columns: Arrow buffers (1 MB) made and freed, small ones kept.
ARROW_SCRIPT = """
import json, runpy, sys
import numpy as np, pyarrow as pa, pyarrow.compute as pc
if sys.argv[1] == "gunicorn":
    runpy.run_path("gunicorn.conf.py")  # the master's settings, as gunicorn reads them before loading the app
else:
    from dashboard_app.allocator import tune_malloc
    tune_malloc()

def rss_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024

base = pa.array(np.arange(2**17, dtype="int64"))
pc.add(base, 1)
before = rss_mb()
temporaries, survivors = [], []
for i in range(150):
    temporaries.append(pc.add(base, i))
    survivors.append(pc.add(pa.array([i] * 100), 1))
del temporaries
print(json.dumps({"kept_mb": rss_mb() - before, "pool": pa.default_memory_pool().backend_name}))
"""


def _arrow_kept(mode: str, env: dict[str, str] | None = None) -> dict:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in TUNING and k != ARROW_POOL_VARIABLE and not k.startswith(("DASH_", "FLASK_"))
    }
    out = subprocess.run(
        [sys.executable, "-c", ARROW_SCRIPT, mode],
        cwd=REPO,
        env=clean | {"LOG_LEVEL": "warning"} | (env or {}),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


@glibc
def test_gunicorn_masters_arrow_buffers_go_back_to_the_system():
    default = _arrow_kept("default")
    assert default["pool"] == "mimalloc" and default["kept_mb"] > 100  # what mimalloc keeps of 150 MB freed
    served = _arrow_kept("gunicorn")
    assert served["pool"] == "system" and served["kept_mb"] < 20


def test_an_arrow_pool_the_operator_names_wins():
    assert _arrow_kept("gunicorn", {ARROW_POOL_VARIABLE: "mimalloc"})["pool"] == "mimalloc"


# Like the warm-up's analyses: large temporaries made and freed one after another. Tuned, each one is mapped,
# faulted in page by page (the kernel zero-fills every page) and unmapped; favouring speed, the heap reuses them.
FAULTS_SCRIPT = """
import json, os, resource, sys
import numpy as np
from dashboard_app.allocator import favour_speed, tune_malloc
from dashboard_app.snapshot import warm

def faults():
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(100):
        np.ones(2**20, dtype=np.uint8)  # 1 MiB: 256 pages
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before

tune_malloc()  # as the gunicorn master is
result = {"tuned": faults()}
if sys.argv[1] == "speed":
    result["speed"] = faults() if favour_speed() else None
else:  # the warm-up process the master forks
    out = sys.argv[2] + "/faults"
    pid = warm.fork_warmer(__import__("pathlib").Path(sys.argv[2]), "s1",
                           lambda: open(out, "w").write(str(faults())), close_in_child=lambda: None)
    _, status = os.waitpid(pid, 0)
    result["warmer"] = int(open(out).read()) if os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0 else None
print(json.dumps(result))
"""


def _faults(*args: str, env: dict[str, str] | None = None) -> dict[str, int | None]:
    return _run(FAULTS_SCRIPT, *args, env=env)


@glibc
def test_favouring_speed_reuses_freed_temporaries_instead_of_faulting_in_fresh_pages():
    faults = _faults("speed")
    assert faults["tuned"] > 100 * 200  # ~256 faults per 1 MiB temporary: what favouring speed removes
    assert faults["speed"] is not None and faults["speed"] < 1000


@glibc
def test_the_warm_up_process_favours_speed_and_an_operators_variable_still_wins(tmp_path):
    forked = _faults("warmer", str(tmp_path))
    assert forked["tuned"] > 100 * 200
    assert forked["warmer"] is not None and forked["warmer"] < 1000
    # MALLOC_MMAP_THRESHOLD_ set by the operator: glibc applies it at start, tune_malloc and the warmer leave it
    kept = _faults("warmer", str(tmp_path), env={"MALLOC_MMAP_THRESHOLD_": str(128 * 1024)})
    assert kept["tuned"] > 100 * 200 and kept["warmer"] is not None and kept["warmer"] > 100 * 200
