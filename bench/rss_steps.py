"""Run the exporter as a child process and attribute its resident memory to the step it was in.

The child's RSS (``/proc/<pid>/status`` VmRSS, sampled every 20 ms) is assigned to the export stage
running at that moment (from the JSON log lines on its stdout: each stage logs when it ends) and,
after the extraction, to the publisher's step (``status.json``'s ``stage``: building = digest and
ANALYZE, validating, publishing = fsync and the Arrow companion, retention). The kernel's exact
peak (``/usr/bin/time``'s maximum RSS) stays the headline figure; this says where it is.
"""

from __future__ import annotations

import json
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from dashboard_app.exporter.export import STAGES

SAMPLE_S = 0.02
PUBLISHER_STEPS = {
    "building": "publish: digest, meta, ANALYZE",
    "validating": "publish: validation",
    "publishing": "publish: fsync, Arrow companion (write + check), rename",
    "retention": "publish: retention",
    "finished": "publish: finished",
}


@dataclass
class Sampled:
    returncode: int
    stdout: str
    stderr: str
    steps: list[tuple[str, float]] = field(default_factory=list)  # (step, peak RSS MB) in order


def _rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        return None
    return None


def _target(pid: int) -> int:
    """The process to sample: ``pid``'s only child when ``pid`` is a wrapper (``/usr/bin/time``)."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return pid
    return int(children[0]) if len(children) == 1 else pid


def _publisher_step(status: Path) -> str | None:
    try:
        return json.loads(status.read_text()).get("stage")
    except (OSError, ValueError):
        return None


def run_sampled(cmd: list[str], *, env: dict[str, str], cwd: Path, status: Path, timeout: float) -> Sampled:
    """Run ``cmd``; per step the peak RSS of the child (of its only child when the child is a wrapper)."""
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out: list[str] = []
    err: list[str] = []
    ended: set[str] = set()

    def read_stdout() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            out.append(line)
            try:
                record = json.loads(line)
            except ValueError:
                continue
            stage = (record.get("fields") or {}).get("stage") if isinstance(record, dict) else None
            if stage is None and isinstance(record, dict):
                stage = record.get("stage")
            if isinstance(stage, str):
                ended.add(stage)  # each stage logs when it ends; the next one starts then

    def read_stderr() -> None:
        assert proc.stderr is not None
        err.extend(proc.stderr)

    threads = [threading.Thread(target=read_stdout, daemon=True), threading.Thread(target=read_stderr, daemon=True)]
    for t in threads:
        t.start()
    peaks: dict[str, float] = {}
    order: list[str] = []
    deadline = time.monotonic() + timeout
    target = None
    while proc.poll() is None and time.monotonic() < deadline:
        if target is None or target == proc.pid:
            target = _target(proc.pid)
        rss = _rss_mb(target)
        running = next((s for s in STAGES if s not in ended), None)
        if running is None:
            step = PUBLISHER_STEPS.get(_publisher_step(status) or "", "publish")
        else:
            step = "start-up and connect" if running == "connect" else f"export: {running}"
        if rss is not None:
            if step not in peaks:
                order.append(step)
            peaks[step] = max(peaks.get(step, 0.0), rss)
        time.sleep(SAMPLE_S)
    if proc.poll() is None:
        proc.kill()
    proc.wait()
    for t in threads:
        t.join(5)
    return Sampled(proc.returncode, "".join(out), "".join(err), [(s, peaks[s]) for s in order])
