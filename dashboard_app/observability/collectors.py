"""Metrics read when ``/metrics`` is scraped: the exporter's status file, the served snapshot, memory.

These facts are not per-request counts: they are read fresh at each scrape by the worker that
answers it (files in ``DATA_DIR``, the kernel's cgroup and ``/proc`` files), so they are the same
whichever worker answers and need no multiprocess files.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from prometheus_client.core import GaugeMetricFamily, InfoMetricFamily
from prometheus_client.registry import Collector

from dashboard_app import __version__
from dashboard_app.snapshot.datadir import read_status
from dashboard_app.snapshot.model import parse_utc

EXPORT_STATES = ("none", "running", "succeeded", "failed", "interrupted", "unknown")
UNLIMITED = 2**60
"""cgroup v1 reports "no limit" as a huge number (9223372036854771712); anything above this is no limit."""


def _timestamp(text: Any) -> float | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        return parse_utc(text).timestamp()
    except ValueError:
        return None


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


class ExporterStatusCollector(Collector):
    """The last export as ``status.json`` in ``DATA_DIR`` records it (start, finish, stages, rows, exit code)."""

    def __init__(self, data_dir: Path):
        self.data_dir = Path(data_dir)

    def collect(self) -> Iterator[GaugeMetricFamily]:
        status = read_status(self.data_dir) or {"state": "none"}
        state = status.get("state") if status.get("state") in EXPORT_STATES else "unknown"
        family = GaugeMetricFamily(
            "neo_export_state", "State of the last export (1 for the current one), from status.json.", labels=["state"]
        )
        for name in EXPORT_STATES:
            family.add_metric([name], 1.0 if name == state else 0.0)
        yield family
        started, finished = _timestamp(status.get("started_utc")), _timestamp(status.get("finished_utc"))
        last_success = _timestamp(status.get("last_success_utc"))
        if last_success is None and state == "succeeded":
            last_success = finished
        for name, value, text in (
            ("neo_export_last_started_timestamp_seconds", started, "When the last export started."),
            ("neo_export_last_finished_timestamp_seconds", finished, "When the last export finished."),
            ("neo_export_last_success_timestamp_seconds", last_success, "When an export last published."),
            (
                "neo_export_last_duration_seconds",
                None if started is None or finished is None else finished - started,
                "Wall time of the last export.",
            ),
            ("neo_export_last_exit_code", _number(status.get("exit_code")), "Exit code of the last export (0: ok)."),
        ):
            if value is not None:
                yield GaugeMetricFamily(name, text, value=value)
        stages = [s for s in status.get("stages") or [] if isinstance(s, dict) and isinstance(s.get("name"), str)]
        if stages:
            seconds = GaugeMetricFamily(
                "neo_export_stage_seconds", "Wall time per stage of the last export.", labels=["stage"]
            )
            rows = GaugeMetricFamily(
                "neo_export_stage_rows", "Rows produced per stage of the last export.", labels=["stage"]
            )
            for stage in stages:
                if (value := _number(stage.get("seconds"))) is not None:
                    seconds.add_metric([stage["name"]], value)
                if (value := _number(stage.get("rows"))) is not None:
                    rows.add_metric([stage["name"]], value)
            yield seconds
            yield rows
        row_counts = status.get("row_counts")
        if isinstance(row_counts, dict) and row_counts:
            family = GaugeMetricFamily("neo_export_rows", "Rows per table the last export published.", labels=["table"])
            for table, count in sorted(row_counts.items()):
                if (value := _number(count)) is not None:
                    family.add_metric([str(table)], value)
            yield family


class SnapshotCollector(Collector):
    """The snapshot the answering worker serves: age, stale threshold, rows per table; and the build."""

    def __init__(self, store: Any, *, stale_after_hours: float, release: str):
        self.store = store
        self.stale_after_hours = stale_after_hours
        self.release = release

    def collect(self) -> Iterator[GaugeMetricFamily | InfoMetricFamily]:
        yield InfoMetricFamily(
            "neo_build",
            "Version and commit of the running code.",
            value={"version": __version__, "commit": self.release},
        )
        yield GaugeMetricFamily(
            "neo_snapshot_stale_after_seconds",
            "STALE_AFTER_HOURS: a snapshot older than this is shown as stale.",
            value=self.stale_after_hours * 3600,
        )
        snapshot = self.store.current()
        yield GaugeMetricFamily(
            "neo_snapshot_available",
            "1 while a snapshot is served, 0 when none can be.",
            value=float(snapshot is not None),
        )
        if snapshot is None:
            return
        yield GaugeMetricFamily(
            "neo_snapshot_age_seconds",
            "Age of the served snapshot (since it was built).",
            value=time.time() - snapshot.created.timestamp(),
        )
        if snapshot.data_time is not None:
            yield GaugeMetricFamily(
                "neo_snapshot_data_age_seconds",
                "Age of the newest observation in the served snapshot.",
                value=time.time() - snapshot.data_time.timestamp(),
            )
        rows = GaugeMetricFamily("neo_snapshot_rows", "Rows per table of the served snapshot.", labels=["table"])
        for table, count in sorted(snapshot.row_counts.items()):
            rows.add_metric([table], float(count))
        yield rows


# --- memory -------------------------------------------------------------------------------


def _read_int(path: Path) -> int | None:
    try:
        text = path.read_text().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def _stat_value(path: Path, key: str) -> int:
    try:
        for line in path.read_text().splitlines():
            name, _, value = line.partition(" ")
            if name == key and value.strip().isdigit():
                return int(value)
    except OSError:
        pass
    return 0


def _cgroup_dirs(root: Path, proc_cgroup: Path) -> tuple[Path | None, Path | None]:
    """This process's cgroup v2 directory and cgroup v1 memory directory (either may be None)."""
    v2 = v1 = None
    try:
        lines = proc_cgroup.read_text().splitlines()
    except OSError:
        lines = []
    for line in lines:
        _, controllers, rel = line.split(":", 2)
        rel = rel.lstrip("/")
        if controllers == "" and v2 is None:
            for candidate in (root / rel, root):
                if (candidate / "memory.current").is_file():
                    v2 = candidate
                    break
        elif "memory" in controllers.split(","):
            for candidate in (root / "memory" / rel, root / "memory"):
                if (candidate / "memory.usage_in_bytes").is_file():
                    v1 = candidate
                    break
    return v2, v1


def container_memory(root: Path = Path("/sys/fs/cgroup"), proc: Path = Path("/proc")) -> tuple[int | None, int | None]:
    """(working set bytes, limit bytes) of this process's cgroup; limit None when the cgroup has none.

    Working set = usage minus inactive file cache (what the kernel cannot simply drop; the figure
    container runtimes compare with the limit).
    """
    v2, v1 = _cgroup_dirs(root, proc / "self" / "cgroup")
    if v2 is not None:
        usage = _read_int(v2 / "memory.current")
        limit = _read_int(v2 / "memory.max")  # "max" (no limit) is not a number
        inactive = _stat_value(v2 / "memory.stat", "inactive_file")
    elif v1 is not None:
        usage = _read_int(v1 / "memory.usage_in_bytes")
        limit = _read_int(v1 / "memory.limit_in_bytes")
        inactive = _stat_value(v1 / "memory.stat", "total_inactive_file")
    else:
        return None, None
    if limit is not None and limit >= UNLIMITED:
        limit = None
    return (None if usage is None else max(usage - inactive, 0)), limit


def machine_memory(proc: Path = Path("/proc")) -> int | None:
    """MemTotal of the machine in bytes."""
    try:
        for line in (proc / "meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def pss_bytes(pid: int, proc: Path = Path("/proc")) -> int | None:
    """Proportional set size of a process (shared pages divided among their users), from smaps_rollup."""
    try:
        for line in (proc / str(pid) / "smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def child_pids(pid: int, proc: Path = Path("/proc")) -> list[int]:
    """Direct children of ``pid``."""
    try:
        return [int(p) for p in (proc / str(pid) / "task" / str(pid) / "children").read_text().split()]
    except (OSError, ValueError):
        return []


class MemoryCollector(Collector):
    """Memory against the container's limit, and the PSS of the gunicorn master and its workers."""

    def __init__(self, *, under_gunicorn: bool):
        self.under_gunicorn = under_gunicorn

    def collect(self) -> Iterator[GaugeMetricFamily]:
        processes: dict[str, float] = {}
        if self.under_gunicorn:
            master = os.getppid()
            for name, pids in (("master", [master]), ("workers", child_pids(master))):
                values = [v for v in (pss_bytes(p) for p in pids) if v is not None]
                if values:
                    processes[name] = float(sum(values))
        elif (own := pss_bytes(os.getpid())) is not None:
            processes["app"] = float(own)
        working_set, limit = container_memory()
        if working_set is None and processes:  # no cgroup to read: the app's own processes are the figure
            working_set = int(sum(processes.values()))
        if working_set is not None:
            yield GaugeMetricFamily(
                "neo_container_memory_working_set_bytes",
                "Memory the container uses that the kernel cannot drop (cgroup usage minus inactive file cache; "
                "the app's PSS when no cgroup is readable).",
                value=working_set,
            )
        limit = limit if limit is not None else machine_memory()
        if limit is not None:
            yield GaugeMetricFamily(
                "neo_container_memory_limit_bytes",
                "The container's memory limit (the machine's memory when the container has none).",
                value=limit,
            )
        pss = GaugeMetricFamily(
            "neo_process_pss_bytes", "Proportional set size of the app's processes.", labels=["process"]
        )
        for name, value in processes.items():
            pss.add_metric([name], value)
        yield pss
