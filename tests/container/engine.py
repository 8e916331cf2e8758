"""A thin driver for the container engine the tests and ``bench/container.py`` use: Docker when a Docker engine
runs, otherwise podman (set up by ``scripts/container-engine.sh``). Only the few commands the checks need."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# One tag and one set of container names per checkout: test runs from different clones or worktrees never
# overwrite (or remove) each other's image or containers.
CHECKOUT_ID = hashlib.sha1(str(REPO).encode()).hexdigest()[:10]
IMAGE = f"localhost/neo-explorer:test-{CHECKOUT_ID}"
HOST_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")


def container_name(role: str) -> str:
    """A container name for ``role`` (``"demo"``, ``"bench-1"``, …) that is unique to this checkout."""
    return f"neo-{role}-{CHECKOUT_ID}"


class EngineError(RuntimeError):
    """A container engine command failed; the message holds the command and its output."""


@dataclass(frozen=True)
class Engine:
    """One container engine CLI (``docker`` or ``podman``) with the flags this project needs on it."""

    binary: str

    @property
    def is_podman(self) -> bool:
        return Path(self.binary).name == "podman"

    def command(self, *args: str, timeout: float = 120, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run ``ENGINE ARGS`` and return the finished process; raise :class:`EngineError` on failure if ``check``."""
        proc = subprocess.run([self.binary, *args], capture_output=True, text=True, timeout=timeout, check=False)
        if check and proc.returncode != 0:
            raise EngineError(f"{self.binary} {' '.join(args)} exited {proc.returncode}:\n{proc.stdout}{proc.stderr}")
        return proc

    def host_ca_mount(self) -> list[str]:
        """The host's CA bundle, read-only, for steps that reach PyPI through the TLS-intercepting proxy."""
        if self.is_podman and HOST_CA_BUNDLE.is_file():
            return ["-v", f"{HOST_CA_BUNDLE}:{HOST_CA_BUNDLE}:ro"]
        return []

    def build(
        self,
        tag: str = IMAGE,
        *,
        context: Path = REPO,
        build_args: dict[str, str] | None = None,
        no_cache: bool = False,
    ) -> float:
        """Build the Dockerfile in ``context`` (cached layers reused unless ``no_cache``); return the seconds."""
        args = ["build", "-t", tag, *self.host_ca_mount()]
        if self.is_podman:
            args += ["--pull=never", "--format", "docker", "--layers"]
        if no_cache:
            args.append("--no-cache")
        for key, value in (build_args or {}).items():
            args += ["--build-arg", f"{key}={value}"]
        started = time.monotonic()
        self.command(*args, str(context), timeout=1800)
        return time.monotonic() - started

    def run_detached(self, name: str, args: Sequence[str], image: str = IMAGE, command: Sequence[str] = ()) -> None:
        """Start container ``name`` in the background (any old one of that name is removed first)."""
        self.remove(name)
        self.command("run", "-d", "--name", name, *args, image, *command)

    def run(self, args: Sequence[str], image: str = IMAGE, command: Sequence[str] = (), timeout: float = 300):
        """Run a container to completion (removed afterwards); return the finished process, whatever its code."""
        return self.command("run", "--rm", *args, image, *command, timeout=timeout, check=False)

    def remove(self, name: str) -> None:
        """Remove container ``name`` and its anonymous volumes (the image's ``VOLUME /data`` makes one per run)."""
        self.command("rm", "-f", "-v", name, check=False)

    def volumes(self, name: str) -> list[str]:
        """Names of the volumes mounted into container ``name``."""
        out = self.inspect(name, "{{range .Mounts}}{{if .Name}}{{.Name}} {{end}}{{end}}")
        return out.split()

    def volume_exists(self, volume: str) -> bool:
        return self.command("volume", "inspect", volume, check=False).returncode == 0

    def inspect(self, name: str, template: str) -> str:
        return self.command("inspect", "--format", template, name).stdout.strip()

    def inspect_image(self, image: str, template: str) -> str:
        return self.command("image", "inspect", "--format", template, image).stdout.strip()

    def logs(self, name: str) -> str:
        proc = self.command("logs", name, check=False)
        return proc.stdout + proc.stderr

    def wait_healthy(self, name: str, timeout: float = 120) -> float:
        """Wait until the HEALTHCHECK reports healthy; return seconds waited. podman without systemd does not
        schedule health checks, so each round runs one (as ``container-base.sh wait-healthy`` does)."""
        started = time.monotonic()
        while True:
            if self.is_podman:
                self.command("healthcheck", "run", name, check=False, timeout=30)
            status = self.inspect(name, "{{.State.Health.Status}}")
            if status == "healthy":
                return time.monotonic() - started
            if self.inspect(name, "{{.State.Running}}") != "true":
                raise EngineError(f"container {name} stopped while '{status}':\n{self.logs(name)[-3000:]}")
            if time.monotonic() - started > timeout:
                raise EngineError(
                    f"container {name} still '{status}' after {timeout:.0f} s:\n{self.logs(name)[-3000:]}"
                )
            time.sleep(1)

    def memory_bytes(self, name: str) -> int:
        """Current memory use of a running container (``stats --no-stream``)."""
        out = self.command("stats", "--no-stream", "--format", "json", name).stdout
        row = json.loads(out)
        row = row[0] if isinstance(row, list) else row
        text = row.get("mem_usage") or row.get("MemUsage")
        return parse_size(text.split("/")[0])

    def memory_stat(self, name: str) -> dict[str, int]:
        """The running container's cgroup ``memory.stat`` (cgroup v1 or v2 keys, as the kernel names them): read
        on the host when the engine names the cgroup (cheap enough to sample), else inside the container."""
        path = self.command("inspect", "--format", "{{.State.CgroupPath}}", name, check=False).stdout.strip()
        for stat in (Path(f"/sys/fs/cgroup/memory{path}/memory.stat"), Path(f"/sys/fs/cgroup{path}/memory.stat")):
            if path.startswith("/") and stat.is_file():
                return parse_memory_stat(stat.read_text(encoding="ascii"))
        script = "cat /sys/fs/cgroup/memory.stat 2>/dev/null || cat /sys/fs/cgroup/memory/memory.stat"
        return parse_memory_stat(self.command("exec", name, "sh", "-c", script).stdout)

    def image_size_bytes(self, tag: str = IMAGE) -> int:
        return int(self.inspect_image(tag, "{{.Size}}"))


def parse_size(text: str) -> int:
    """``'123.4MB'`` (decimal, as podman prints), ``'1.2GiB'`` (binary, as Docker prints), ``'512kB'`` → bytes."""
    match = re.fullmatch(r"\s*([0-9.]+)\s*([kKMGT]?)(i?)B?\s*", text)
    if match is None:
        raise ValueError(f"not a size: {text!r}")
    number, prefix, binary = match.groups()
    base = 1024 if binary else 1000
    return int(float(number) * base ** " KMGT".index(prefix.upper() or " "))


def parse_memory_stat(text: str) -> dict[str, int]:
    """``memory.stat``'s ``key value`` lines as a mapping (lines of another shape are skipped)."""
    stat = {}
    for line in text.splitlines():
        key, _, value = line.partition(" ")
        if value.strip().isdigit():
            stat[key] = int(value)
    return stat


@dataclass(frozen=True)
class MemoryParts:
    """What a container's memory holds, in bytes: its processes' own memory (``anon``), files in tmpfs mounts
    (``shmem``: never reclaimed while the files exist) and the page cache of other files (``cache``: the kernel
    reclaims it before it kills anything)."""

    anon: int
    shmem: int
    cache: int

    @classmethod
    def of(cls, stat: dict[str, int]) -> MemoryParts:
        """From ``memory.stat`` of cgroup v2 (``anon``, ``file``) or v1 (``total_rss``/``rss``, ``total_cache``/
        ``cache``); in both the file pages include tmpfs (``shmem``)."""
        if "anon" in stat:
            anon, files, shmem = stat["anon"], stat.get("file", 0), stat.get("shmem", 0)
        else:
            anon = stat.get("total_rss", stat.get("rss", 0))
            files = stat.get("total_cache", stat.get("cache", 0))
            shmem = stat.get("total_shmem", stat.get("shmem", 0))
        return cls(anon=anon, shmem=shmem, cache=max(files - shmem, 0))


def find_engine() -> tuple[Engine | None, str]:
    """The engine to use and why: a running Docker engine first, then a working podman; else ``None`` + reason."""
    override = os.environ.get("CONTAINER_ENGINE")
    candidates = [override] if override else ["docker", "podman"]
    reasons = []
    for name in candidates:
        binary = shutil.which(name)
        if binary is None:
            reasons.append(f"{name}: not installed")
            continue
        proc = subprocess.run([binary, "info"], capture_output=True, text=True, timeout=60, check=False)
        if proc.returncode == 0:
            return Engine(binary), f"{name} ({binary})"
        reasons.append(f"{name}: `{name} info` failed ({(proc.stderr.strip().splitlines() or ['?'])[-1][:120]})")
    hint = "run `bash scripts/container-engine.sh` as root, or start a Docker engine"
    return None, "no container engine can run here: " + "; ".join(reasons) + f" — {hint}"
