"""A real gunicorn with gunicorn.conf.py on 127.0.0.1: serves the page and /health, logs JSON, stops on SIGTERM."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.error
import urllib.request

import gunicorn
import pytest

from dashboard_app.settings import load_settings
from tests.harness.server import find_free_port, server_env

pytestmark = pytest.mark.slow


def fetch(url: str) -> tuple[int, dict[str, str], bytes]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, dict(response.headers), response.read()


def server_headers(url: str) -> list[str]:
    """Every ``Server`` header line a client receives (duplicates kept)."""
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.headers.get_all("Server") or []


def test_gunicorn_serves_the_page_and_health_and_stops_cleanly_on_sigterm(start_server, snapshot_dir):
    server = start_server(snapshot_dir, WORKERS="2", GIT_COMMIT="feedc0de")
    status, headers, body = fetch(f"{server.url}/about")
    assert status == 200
    assert b'<html lang="en">' in body
    # gunicorn names itself without a version (no setting removes the header; we do not patch gunicorn)
    assert server_headers(f"{server.url}/about") == ["gunicorn"]
    assert gunicorn.__version__ not in json.dumps(headers)
    assert "script-src 'self' 'sha256-" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"

    status, headers, body = fetch(f"{server.url}/health")
    health = json.loads(body)
    assert (status, health["status"], health["releaseId"]) == (200, "pass", "feedc0de")
    assert headers["Content-Type"] == "application/health+json"

    code, seconds = server.stop()
    grace = load_settings({}, env_file=None).graceful_timeout
    assert code == 0, server.log()[-2000:]
    assert seconds < grace, f"shutdown took {seconds:.1f} s, longer than GRACEFUL_TIMEOUT={grace}"


def test_access_log_lines_are_json_with_method_path_status_duration_and_request_id(start_server, snapshot_dir):
    server = start_server(snapshot_dir)
    request = urllib.request.Request(f"{server.url}/health", headers={"X-Request-ID": "test-request-0001"})
    urllib.request.urlopen(request, timeout=10).read()
    server.stop()
    lines = [json.loads(line) for line in server.log().splitlines() if line.startswith("{")]
    access = [line for line in lines if line["logger"] == "gunicorn.access" and line["path"] == "/health"]
    assert access, server.log()[-2000:]
    # ours, by its id: the harness's readiness checks are /health requests too, and workers log in any order
    ours = [line for line in access if line["request_id"] == "test-request-0001"]
    assert len(ours) == 1, access[-3:]
    line = ours[0]
    assert line["method"] == "GET" and line["status"] == 200
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert {"time", "level", "message"} <= set(line)
    assert any(line["logger"] == "gunicorn.error" and "Booting worker" in line["message"] for line in lines)


def test_text_logs_for_local_work(start_server, snapshot_dir):
    server = start_server(snapshot_dir, LOG_FORMAT="text")
    urllib.request.urlopen(f"{server.url}/health", timeout=10).read()
    server.stop()
    assert not any(line.startswith("{") for line in server.log().splitlines())
    assert '"GET /health HTTP/1.1" 200' in server.log()


def test_gunicorn_starts_without_a_snapshot_and_reports_503(start_server, tmp_path):
    server = start_server(tmp_path)
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(f"{server.url}/health", timeout=10)
    assert caught.value.code == 503
    assert json.loads(caught.value.read())["status"] == "fail"


def test_the_serve_command_becomes_gunicorn_so_sigterm_reaches_it(snapshot_dir, tmp_path):
    port = find_free_port()
    log_path = tmp_path / "serve.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "dashboard_app", "serve"],
            cwd=tmp_path,
            env=server_env(snapshot_dir, port, {}),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                status, _, _ = fetch(f"http://127.0.0.1:{port}/health")
                break
            except OSError:
                assert process.poll() is None, log_path.read_text()
                time.sleep(0.3)
        assert status == 200
        process.terminate()  # SIGTERM to the pid we started: gunicorn's master after the exec
        assert process.wait(30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
    output = log_path.read_text()
    assert f"neo-explorer: serving on http://127.0.0.1:{port}/" in output
    assert "Shutting down" in output or "Handling signal: term" in output
