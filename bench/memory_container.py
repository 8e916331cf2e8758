"""bench.memory --container: the image at its documented memory limit under load, with a real export inside
(PostgreSQL holding the same synthetic sky) publishing a swap: is anything OOM-killed? The container's memory
(the engine's total) is split by its cgroup's ``memory.stat``, idle and at the peak, into what an OOM kill
weighs (the processes' own memory, tmpfs files) and page cache the kernel reclaims first."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

from bench.memory_procs import MB, POLL_S, REPO, drive_load, install, load_avg, window
from tests.container.engine import Engine, MemoryParts, find_engine


@dataclass
class ContainerRun:
    memory_limit: str
    skipped: str = ""
    peak_mb: float = 0.0
    idle_mb: float = 0.0
    idle_parts: MemoryParts | None = None  # what the memory held idle and at the peak (cgroup memory.stat)
    peak_parts: MemoryParts | None = None
    oom_killed: str = ""
    running_after: str = ""
    export_code: int | None = None
    export_s: float = 0.0
    export_peak_mb: float | None = None  # the exporter's own peak RSS (its JSON summary)
    served_new: bool = False
    worker_kills: int = 0
    answers: dict[str, float] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    load: str = ""


def export_peak_mb(stdout: str) -> float | None:
    """``peak_rss_mb`` of ``neo-explorer export``'s JSON summary (its last line), if it finished."""
    for line in reversed(stdout.strip().splitlines()):
        try:
            value = json.loads(line).get("peak_rss_mb")
        except (ValueError, AttributeError):
            continue
        return float(value) if isinstance(value, int | float) else None
    return None


def memory_parts(engine: Engine, name: str) -> MemoryParts | None:
    """The container's memory split into its processes' own, tmpfs files and reclaimable page cache; None when
    the cgroup cannot be read."""
    try:
        return MemoryParts.of(engine.memory_stat(name))
    except Exception:  # an engine without the cgroup (or the container gone): the total still stands
        return None


def _build_context(tmp: Path) -> Path:
    """The repository as a build context; a git worktree (whose .git is a file) is cloned first (committed code)."""
    if (REPO / ".git").is_dir():
        return REPO
    context = tmp / "context"
    subprocess.run(["git", "clone", "--quiet", str(REPO), str(context)], check=True, timeout=300)
    print("bench.memory: building the image from the committed HEAD (worktree)", file=sys.stderr)
    return context


def measure_container(
    a: Path, tmp: Path, *, users: int, load_s: float, memory: str, scale: float, seed: int, kind: str
) -> ContainerRun:
    """The image at ``--memory``: load, a real export inside the container (publishing a swap), no OOM kill."""
    from dashboard_app import __version__
    from dashboard_app.sky import generate
    from tests.harness.postgres import READER_PASSWORD, load_sky, start_server
    from tests.harness.server import find_free_port

    result = ContainerRun(memory)
    engine, reason = find_engine()
    if engine is None:
        result.skipped = reason
        return result
    tag, name = f"localhost/neo-explorer:bench-memory-{os.getpid()}", f"neo-bench-memory-{os.getpid()}"
    context = _build_context(tmp)
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=context, capture_output=True, text=True).stdout.strip()
    engine.build(tag, context=context, build_args={"VERSION": __version__, "GIT_COMMIT": commit})
    data_dir = tmp / "container-data"
    data_dir.mkdir()
    data_dir.chmod(0o777)
    install(a, data_dir)
    secret = tmp / "db-password"
    secret.write_text(READER_PASSWORD, encoding="utf-8")
    secret.chmod(0o644)
    database = start_server()
    try:
        sky = generate(seed, scale)
        load_sky(database, "mpc_sbn", sky)
        del sky
        url_db = database.reader_url("mpc_sbn", with_password=False)
        port = find_free_port()
        engine.run_detached(
            name,
            [
                "--network", "host", "--memory", memory, "--memory-swap", memory,
                "--read-only", "--tmpfs", "/tmp",
                "-e", "HOST=127.0.0.1", "-e", f"PORT={port}",
                "-e", "TRUSTED_PROXY_COUNT=1", "-e", "FORWARDED_ALLOW_IPS=127.0.0.1",
                "-e", "DEMO_IF_EMPTY=false", "-e", f"DATABASE_URL={url_db}",
                "-e", "DATABASE_PASSWORD_FILE=/run/secrets/db-password",
                "-v", f"{secret}:/run/secrets/db-password:ro", "-v", f"{data_dir}:/data",
            ],
            tag,
        )  # fmt: skip
        engine.wait_healthy(name, timeout=300)
        url = f"http://127.0.0.1:{port}"
        time.sleep(3)
        result.idle_mb = engine.memory_bytes(name) / MB
        result.idle_parts = memory_parts(engine, name)
        peak = [result.idle_mb]
        stop = threading.Event()

        def sample() -> None:
            while not stop.wait(2):
                try:
                    peak.append(engine.memory_bytes(name) / MB)
                    if peak[-1] >= max(peak):  # what a new peak holds
                        result.peak_parts = memory_parts(engine, name) or result.peak_parts
                except Exception:  # the container may be gone: reported below
                    return

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()

        def during() -> None:
            time.sleep(load_s)
            started = time.monotonic()
            proc = engine.command("exec", name, "neo-explorer", "export", timeout=1800, check=False)
            result.export_s = time.monotonic() - started
            result.export_code = proc.returncode
            result.export_peak_mb = export_peak_mb(proc.stdout)
            time.sleep(POLL_S + 10)

        answers = drive_load(url, users, load_s + 1800, kind, during)
        stop.set()
        sampler.join(10)
        result.peak_mb = max(peak)
        result.answers = window(answers, 0.0, float("inf"))
        result.errors = sorted({str(x["error"])[:60] for x in answers if x["error"]})[:5]
        result.oom_killed = engine.inspect(name, "{{.State.OOMKilled}}")
        result.running_after = engine.inspect(name, "{{.State.Running}}")
        logs = engine.logs(name)
        result.worker_kills = logs.count("was sent SIGKILL")
        current = (data_dir / "CURRENT").read_text().strip()
        try:
            served = requests.get(url + "/health", timeout=10).json()["checks"]["snapshot:age"][0]["componentId"]
            result.served_new = current == f"snapshot-{served}.sqlite" and current != a.name
        except (requests.RequestException, KeyError, ValueError):
            result.served_new = False
        result.load = load_avg()
    finally:
        engine.remove(name)
        engine.command("rmi", "-f", tag, check=False)
        database.stop()
    return result
