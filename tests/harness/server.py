"""Test harness: a real gunicorn started with ``gunicorn.conf.py`` on 127.0.0.1 (shared by several test areas).

Fixtures:
- ``free_port`` — a TCP port nothing listens on right now.
- ``start_server`` — ``start_server(data_dir, **settings_env) -> RunningServer``: gunicorn with the
  project's ``gunicorn.conf.py`` against ``data_dir``, waits until ``/health`` answers and its workers
  booted, stopped with SIGTERM at teardown. Settings come only from the arguments (plus 1 worker, 2 threads, JSON logs):
  the test's own environment and any ``.env`` never leak in.

``RunningServer.stop()`` sends SIGTERM and returns the exit code and how long the shutdown took.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from dashboard_app.settings import SETTINGS

REPO = Path(__file__).resolve().parents[2]
GUNICORN_CONF = REPO / "gunicorn.conf.py"
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 30.0
BOOT_WAIT_S = 15.0
SERVER_DEFAULTS = {"WORKERS": "1", "THREADS": "2", "LOG_FORMAT": "json", "LOG_LEVEL": "info"}


def find_free_port() -> int:
    """A port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class RunningServer:
    """One gunicorn process: its URL, log file and how to stop it."""

    process: subprocess.Popen
    port: int
    data_dir: Path
    log_path: Path
    env: dict[str, str] = field(repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        """Everything gunicorn and the app wrote so far (stdout and stderr)."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self, timeout_s: float = STOP_TIMEOUT_S) -> tuple[int, float]:
        """SIGTERM, wait; returns (exit code, seconds taken). Kills the process group if it hangs."""
        if self.process.poll() is not None:
            return self.process.returncode, 0.0
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            code = self.process.wait(10)
        return code, time.monotonic() - started


def server_env(data_dir: Path, port: int, overrides: dict[str, str]) -> dict[str, str]:
    """The process environment: the test's own minus every setting, then defaults and ``overrides``."""
    names = {s.name for s in SETTINGS}
    env = {k: v for k, v in os.environ.items() if k not in names}
    env |= SERVER_DEFAULTS | {"DATA_DIR": str(data_dir), "HOST": "127.0.0.1", "PORT": str(port)}
    env |= {k: str(v) for k, v in overrides.items()}
    return env


def launch(
    data_dir: Path, log_path: Path, port: int | None = None, *, app: str | None = None, **settings_env: str
) -> RunningServer:
    """Start gunicorn and wait until ``/health`` answers (any status), then until each of its ``WORKERS`` has
    booted (up to :data:`BOOT_WAIT_S` more: the master computes the default views before forking the second);
    fail with the log if ``/health`` does not answer.

    ``app`` (``module:variable``) serves another WSGI target than ``gunicorn.conf.py``'s (test apps).
    """
    port = port or find_free_port()
    env = server_env(data_dir, port, settings_env)
    log_file = log_path.open("w", encoding="utf-8")
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--config", str(GUNICORN_CONF), *([app] if app else [])],
        cwd=log_path.parent,  # no .env there: settings come from env only
        env=env,
        stdout=log_file,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    log_file.close()
    server = RunningServer(process, port, Path(data_dir), log_path, env)
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode} while starting:\n{server.log()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{server.url}/health", timeout=2):
                return _booted(server)
        except urllib.error.HTTPError:
            return _booted(server)  # 503 is an answer: the app is up without a snapshot
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"gunicorn did not answer /health within {START_TIMEOUT_S:g} s:\n{server.log()[-3000:]}")


def _booted(server: RunningServer) -> RunningServer:
    """``server`` once its log shows every one of its ``WORKERS`` booting, or after :data:`BOOT_WAIT_S` (a test
    that needs them all says so itself)."""
    workers = int(server.env.get("WORKERS", "1"))
    deadline = time.monotonic() + BOOT_WAIT_S
    while server.log().count("Booting worker with pid") < workers and time.monotonic() < deadline:
        time.sleep(0.1)
    return server


@pytest.fixture
def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    return find_free_port()


@pytest.fixture
def start_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., RunningServer]]:
    """``start_server(data_dir, **settings_env)`` → a running gunicorn; every one is stopped at teardown."""
    servers: list[RunningServer] = []

    def _start(data_dir: Path, **settings_env: str) -> RunningServer:
        log_path = tmp_path_factory.mktemp("gunicorn") / "server.log"
        server = launch(Path(data_dir), log_path, **settings_env)
        servers.append(server)
        return server

    yield _start
    for server in servers:
        server.stop()
