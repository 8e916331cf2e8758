"""Benchmark (issue #11): what a gunicorn worker's private memory is made of under the recorded traffic model.

    python -m bench.memory_probe [--scale 1.0 | --stage DIR] [--workers 1] [--users 20] [--seconds 100]
                                 [--env NAME=VALUE,...] [--no-write]

Runs the production gunicorn (``gunicorn.conf.py``, 4 threads, behind a trusted proxy) through
:data:`PROBE_CONFIG`, which is that file plus a SIGUSR2 handler in each worker (this benchmark's only,
never the app's): on the signal a worker writes its memory facts to a JSON file — glibc's
``mallinfo2`` (heap in use, free but kept, mapped blocks), pyarrow's pool, and the memo cache's
bytes per entry name. They are taken after start and after ``--seconds`` of ``--users`` locust
users replaying the recorded traffic model, beside each process's USS/PSS and the worker's private
memory by mapping (anonymous, heap, Arrow files, shared libraries) from ``/proc/PID/smaps``, how
much of its anonymous memory is still the master's, copies of the master's pages (the worker wrote
to them: reference counts and caches of objects the master made, or its own new objects placed in
memory the master had freed) or new since fork (``/proc/PID/pagemap``: needs root), and how many
modules the worker imported itself (every worker pays for a module the master did not import).
``--env`` runs the same with other settings or allocator variables (e.g.
``MALLOC_MMAP_THRESHOLD_=33554432`` to see glibc's default behaviour again, ``MEMO_MAX_MB=16``);
``--env PROBE_TRACEMALLOC=1`` also traces what each worker allocates after it starts (slower) and
lists the lines holding the most.
Writes the section "Memory: what a worker holds (issue #11)" of ``bench/results.md`` unless ``--no-write``.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import struct
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

PROBE_CONFIG = Path(__file__).with_name("memory_probe_gunicorn.py")
SECTION = "Memory: what a worker holds (issue #11)"
MB = 2**20


def private_by_mapping(pid: int) -> dict[str, float]:
    """Private (clean + dirty) MB of one process by kind of mapping."""
    out: dict[str, float] = {}
    kind = "anonymous"
    for line in Path(f"/proc/{pid}/smaps").read_text().splitlines():
        parts = line.split()
        if parts and "-" in parts[0] and not parts[0].endswith(":"):
            name = parts[5] if len(parts) > 5 else ""
            kind = (
                "Arrow files"
                if name.endswith(".arrow")
                else "heap (brk)"
                if name == "[heap]"
                else "shared libraries"
                if ".so" in name
                else "other files"
                if name.startswith("/")
                else "anonymous"
            )
        elif parts and parts[0] in ("Private_Clean:", "Private_Dirty:"):
            out[kind] = out.get(kind, 0.0) + int(parts[1]) / 1024
    return out


def _anonymous_ranges(pid: int) -> list[tuple[int, int]]:
    """Writable anonymous mappings (and the brk heap) of a process: where Python objects and arrays live."""
    ranges = []
    for line in Path(f"/proc/{pid}/maps").read_text().splitlines():
        parts = line.split()
        name = parts[5] if len(parts) > 5 else ""
        if "w" in parts[1] and name in ("", "[heap]"):
            start, end = (int(x, 16) for x in parts[0].split("-"))
            ranges.append((start, end))
    return ranges


def _frames(pid: int, start: int, end: int) -> list[int | None]:
    """Physical frame of each page of ``[start, end)`` (None: not in memory), from ``/proc/PID/pagemap`` (root)."""
    page = os.sysconf("SC_PAGE_SIZE")
    with open(f"/proc/{pid}/pagemap", "rb") as f:
        data = os.pread(f.fileno(), (end - start) // page * 8, start // page * 8)
    entries = struct.unpack(f"{len(data) // 8}Q", data)
    return [e & ((1 << 55) - 1) if e >> 63 else None for e in entries]


def copy_on_write(master: int, worker: int) -> dict[str, float] | None:
    """MB of a worker's anonymous memory still shared with the master, copied from the master's pages (the
    worker wrote to them), and new since fork. None without access to frame numbers."""
    page_mb = os.sysconf("SC_PAGE_SIZE") / MB
    shared = copied = new = 0
    try:
        for start, end in _anonymous_ranges(worker):
            mine, theirs = _frames(worker, start, end), _frames(master, start, end)
            theirs += [None] * (len(mine) - len(theirs))
            for frame, parent in zip(mine, theirs, strict=True):
                if frame is None:
                    continue
                shared += frame == parent
                copied += parent is not None and frame != parent
                new += parent is None
    except (PermissionError, FileNotFoundError):
        return None
    if shared + copied == 0:  # frame numbers read as 0 without CAP_SYS_ADMIN: nothing to tell
        return None
    return {"shared": shared * page_mb, "copied": copied * page_mb, "new": new * page_mb}


def probe(pids: list[int], directory: Path, timeout_s: float = 60) -> dict[int, dict[str, Any]]:
    """Ask each worker for its memory facts (SIGUSR2) and read what it wrote."""
    for pid in pids:
        (directory / f"probe-{pid}.json").unlink(missing_ok=True)
        os.kill(pid, signal.SIGUSR2)
    facts: dict[int, dict[str, Any]] = {}
    deadline = time.monotonic() + timeout_s
    for pid in pids:
        path = directory / f"probe-{pid}.json"
        while time.monotonic() < deadline:
            try:
                facts[pid] = json.loads(path.read_text())
                break
            except (FileNotFoundError, ValueError):
                time.sleep(0.1)
    return facts


def _table(rows: list[tuple[str, ...]]) -> list[str]:
    return (
        ["| " + " | ".join(r) + " |" for r in rows[:1]]
        + ["|" + "---|" * len(rows[0])]
        + ["| " + " | ".join(r) + " |" for r in rows[1:]]
    )


def run(args: argparse.Namespace) -> str:
    import tests.harness.server as harness
    from bench.load import run_users
    from bench.memory import _skies
    from bench.memory_procs import REALISTIC, children, cold_start, install, load_avg, spawn, tree_memory

    env = dict(kv.split("=", 1) for kv in args.env.split(",") if kv)
    with tempfile.TemporaryDirectory(prefix="neo-bench-probe-") as tmp_name:
        tmp = Path(tmp_name)
        a, _b = _skies(args, tmp)
        data_dir = tmp / "data"
        data_dir.mkdir()
        install(a, data_dir)
        harness.GUNICORN_CONF = PROBE_CONFIG  # the production configuration plus the probe's signal handler
        server = spawn(
            data_dir, tmp / "gunicorn.log", **REALISTIC, WORKERS=str(args.workers), PROBE_DIR=str(tmp), **env
        )
        try:
            cold_start(server)
            time.sleep(2)
            master = server.process.pid
            workers = children(master)
            start = probe(workers, tmp)
            start_memory = tree_memory(master)
            start_load = load_avg()
            stats = run_users(server.url, args.users, args.seconds, after_during_s=1.0)
            end_memory = tree_memory(master)
            end_load = load_avg()
            mappings = {pid: private_by_mapping(pid) for pid in workers}
            cow = {pid: copy_on_write(master, pid) for pid in workers}
            end = probe(workers, tmp)
        finally:
            server.stop()
    callbacks = [r for r in stats.records if r.kind == "callback"]
    lines = [
        f"{args.workers} worker(s), {args.users} users replaying the recorded traffic model for {args.seconds:g} s "
        f"({len(callbacks)} callbacks, {sum(1 for r in callbacks if r.error)} failed); settings beside the "
        f"defaults: {env or 'none'}. Load average 1 / 5 min: {start_load} at start, {end_load} at the end.",
        "",
    ]
    rows = [("Process", "USS at start", "USS after load", "PSS after load")]
    for pid in [master, *workers]:
        name = "master" if pid == master else f"worker {pid}"
        s, e = start_memory.get(pid), end_memory.get(pid)
        rows.append(
            (
                name,
                f"{s['uss'] / 1024:.0f}" if s else "–",
                f"{e['uss'] / 1024:.0f}" if e else "–",
                f"{e['pss'] / 1024:.0f}" if e else "–",
            )
        )
    lines += ["Memory per process (MB):", "", *_table(rows), ""]
    rows = [("Worker: after load (MB)", *[str(p) for p in workers])]
    kinds = sorted({k for m in mappings.values() for k in m})
    rows += [(f"private: {k}", *[f"{mappings[p].get(k, 0.0):.1f}" for p in workers]) for k in kinds]
    if all(cow.values()):
        for label, key in (
            ("anonymous: still shared with the master", "shared"),
            ("anonymous: copies of the master's pages", "copied"),
            ("anonymous: new since fork", "new"),
        ):
            rows.append((label, *[f"{cow[p][key]:.1f}" for p in workers]))  # type: ignore[index]
    for label, key in (
        ("malloc: in use (heap)", "uordblks"),
        ("malloc: free, kept", "fordblks"),
        ("malloc: mapped blocks", "hblkhd"),
    ):
        rows.append((label, *[f"{end.get(p, {}).get('malloc', {}).get(key, float('nan')):.1f}" for p in workers]))
    rows.append(
        (
            "malloc: free, kept — at start",
            *[f"{start.get(p, {}).get('malloc', {}).get('fordblks', float('nan')):.1f}" for p in workers],
        )
    )
    rows.append(("pyarrow pool: peak", *[f"{end.get(p, {}).get('arrow_peak', float('nan')):.1f}" for p in workers]))
    rows.append(("memo cache (estimated)", *[f"{end.get(p, {}).get('memo', float('nan')):.1f}" for p in workers]))
    imported = [str(len(end.get(p, {}).get("new_modules", []))) for p in workers]
    rows.append(("modules the worker imported itself", *imported))
    lines += [*_table(rows), ""]
    names: dict[str, float] = {}
    for facts in end.values():
        for name, size in facts.get("memo_by_name", {}).items():
            names[name] = max(names.get(name, 0.0), size)
    top = sorted(names.items(), key=lambda kv: -kv[1])[:8]
    lines.append(
        "Largest memo entries by name (MB, the largest worker): " + ", ".join(f"{n} {s:.1f}" for n, s in top) + "."
    )
    late = sorted({m for facts in end.values() for m in facts.get("new_modules", [])})
    lines.append(f"Modules a worker imported itself: {', '.join(f'`{m}`' for m in late) or 'none'}.")
    traced = [(pid, f) for pid, f in end.items() if "traced_top" in f]
    if traced:
        pid, facts = max(traced, key=lambda pf: pf[1]["traced_mb"])
        top_lines = [(f"`{t[0]}`", f"{t[1]:.2f}", f"{t[2]}") for t in facts["traced_top"]]
        lines += [
            "",
            f"Python allocations still alive in worker {pid} that it made after it started (tracemalloc, "
            f"`PROBE_TRACEMALLOC`): {facts['traced_mb']} MB; the largest by line:",
            "",
            *_table([("Line", "MB", "blocks"), *top_lines]),
        ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--stage", type=Path, default=None, help="as bench.memory: reuse the published skies there")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=100)
    parser.add_argument("--env", default="", help="NAME=VALUE,... set for gunicorn")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    body = run(args)
    command = "python -m bench.memory_probe " + " ".join(argv if argv is not None else sys.argv[1:])
    body = f"`{command.strip()}`\n\n{body}"
    print(body)
    if not args.no_write:
        from bench.results_file import write_section

        write_section(SECTION, body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
