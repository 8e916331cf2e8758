"""Container figures: image size, build time (cold and warm), time from `run` to healthy, idle memory.

Run from the repository root: ``python -m bench.container [--skip-cold]``. Uses the same engine driver as the
container tests (Docker if running, else podman). Prints the figures and writes the ``container`` section of
``bench/results.md``. Takes several minutes (the cold build downloads every wheel again).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from bench.results_file import write_section
from dashboard_app import __version__
from tests.container.engine import CHECKOUT_ID, REPO, Engine, container_name, find_engine
from tests.harness.server import find_free_port

TAG = f"localhost/neo-explorer:bench-{CHECKOUT_ID}"  # per checkout, like the test image
MB = 1_000_000


def timed_build(engine: Engine, *, cold: bool) -> float:
    """Seconds for a build; ``cold`` ignores every cached layer (dependencies downloaded and installed again)."""
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True).stdout.strip()
    return engine.build(TAG, build_args={"VERSION": __version__, "GIT_COMMIT": commit}, no_cache=cold)


def run_until_healthy(engine: Engine, name: str, run_args: list[str]) -> tuple[float, str]:
    """Start a container; return (seconds from `run` to healthy, its base URL)."""
    port = find_free_port()
    started = time.monotonic()
    engine.run_detached(name, ["-p", f"127.0.0.1:{port}:8050", "--read-only", "--tmpfs", "/tmp", *run_args], TAG)
    engine.wait_healthy(name, timeout=600)
    return time.monotonic() - started, f"http://127.0.0.1:{port}"


def idle_memory(engine: Engine, name: str, url: str) -> int:
    """Memory of the container after one page and /health request and a few quiet seconds."""
    with requests.Session() as session:
        session.trust_env = False
        session.get(url + "/", timeout=60).raise_for_status()
        session.get(url + "/health", timeout=60).raise_for_status()
    time.sleep(5)
    return engine.memory_bytes(name)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-cold", action="store_true", help="skip the cold (no cache) build")
    args = parser.parse_args(argv)
    engine, reason = find_engine()
    if engine is None:
        print(f"bench.container: {reason}", file=sys.stderr)
        return 1

    cold = None if args.skip_cold else timed_build(engine, cold=True)
    warm = timed_build(engine, cold=False)
    size = engine.image_size_bytes(TAG)

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "data"
        data_dir.mkdir(mode=0o755)
        data_dir.chmod(0o755)
        subprocess.run([sys.executable, "-m", "dashboard_app", "demo", str(data_dir)], check=True, capture_output=True)
        cases = {
            "empty volume (builds the demo snapshot first)": [],
            "snapshot directory mounted read-only": ["-v", f"{data_dir}:/data:ro"],
        }
        for i, (label, run_args) in enumerate(cases.items()):
            name = container_name(f"bench-{i}")
            try:
                seconds, url = run_until_healthy(engine, name, run_args)
                memory = idle_memory(engine, name, url)
            finally:
                engine.remove(name)
            rows.append((label, seconds, memory))

    engine_name = Path(engine.binary).name
    lines = [
        f"Engine: {engine_name}; image `{TAG}` (default demo scale, 2 gunicorn workers, read-only root).",
        "",
        "| Figure | Value |",
        "|---|---|",
        f"| Image size | {size / MB:.0f} MB |",
    ]
    if cold is not None:
        lines.append(f"| Build, cold (no layer cache, wheels downloaded) | {cold:.0f} s |")
    lines.append(f"| Build, warm (layer cache: rebuilds only the layers whose inputs changed) | {warm:.1f} s |")
    for label, seconds, memory in rows:
        lines.append(f"| `run` → healthy, {label} | {seconds:.1f} s |")
        lines.append(f"| Idle memory, {label} | {memory / MB:.0f} MB |")
    body = "\n".join(lines)
    print(body)
    write_section("container", body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
