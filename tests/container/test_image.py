"""The image, built and run for real: health, headers, non-root, read-only root, a mounted snapshot directory,
new snapshots picked up without a restart, a bad setting, and a graceful stop on SIGTERM."""

from __future__ import annotations

import fcntl
import json
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from dashboard_app import __version__
from dashboard_app.snapshot.publish import LOCK_FILE, current_snapshot_path
from tests.container.engine import REPO, Engine, MemoryParts, container_name
from tests.harness.server import find_free_port

pytestmark = [pytest.mark.container, pytest.mark.slow]

READ_ONLY = ("--read-only", "--tmpfs", "/tmp:rw,size=64m")
STOP_TIMEOUT_S = 15


def get(url: str) -> requests.Response:
    with requests.Session() as session:
        session.trust_env = False  # never through an HTTP proxy: the container is on 127.0.0.1
        return session.get(url, timeout=30)


def publish_demo(data_dir: Path, seed: int) -> str:
    """Publish a small synthetic snapshot into ``data_dir`` from the host; return its snapshot id."""
    subprocess.run(
        [sys.executable, "-m", "dashboard_app", "demo", str(data_dir), "--seed", str(seed), "--scale", "0.005"],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return snapshot_id(data_dir)


def snapshot_id(data_dir: Path) -> str:
    path = current_snapshot_path(data_dir)
    assert path is not None, f"nothing published in {data_dir}"
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as con:
        return con.execute("select value from meta where key = 'snapshot_id'").fetchone()[0]


def served_snapshot_id(base_url: str) -> str | None:
    return get(f"{base_url}/health").json()["checks"]["snapshot:age"][0]["componentId"]


def served_by(base_url: str) -> tuple[int, str | None]:
    """(worker pid, snapshot id) of one /health answer, on a new connection (so any worker may answer)."""
    checks = get(f"{base_url}/health").json()["checks"]
    return checks["uptime"][0]["pid"], checks["snapshot:age"][0]["componentId"]


def wait_until_every_worker_serves(
    engine: Engine, name: str, base_url: str, snapshot: str, workers: int, timeout_s: float
) -> dict[int, float]:
    """Poll /health until ``workers`` distinct workers have answered with ``snapshot`` and the last 10 answers all
    did; return each worker's seconds until its first such answer. Workers poll the pointer independently, so one
    may switch up to a poll interval after another: a single answer proves one worker, not the service."""
    started = time.monotonic()
    last: dict[int, str | None] = {}
    switched: dict[int, float] = {}
    streak = 0
    while time.monotonic() - started < timeout_s:
        pid, served = served_by(base_url)
        last[pid] = served
        if served == snapshot:
            switched.setdefault(pid, time.monotonic() - started)
            streak += 1
            if len(switched) >= workers and streak >= 10:
                return switched
        else:
            streak = 0
        time.sleep(0.1)
    store_lines = [line for line in engine.logs(name).splitlines() if "snapshot" in line]
    raise AssertionError(
        f"not every worker served {snapshot} within {timeout_s:.0f} s; last answer per worker {last}, first new "
        f"answer per worker {switched}; the container's snapshot log lines:\n" + "\n".join(store_lines[-30:])
    )


def start(engine: Engine, image: str, name: str, *run_args: str) -> str:
    port = find_free_port()
    engine.run_detached(name, ["-p", f"127.0.0.1:{port}:8050", *run_args], image)
    return f"http://127.0.0.1:{port}"


# ------------------------------------------------------------------ the image as built


def test_image_declares_port_healthcheck_non_root_user_and_build_labels(
    engine: Engine, image: str, git_commit: str
) -> None:
    config = json.loads(engine.inspect_image(image, "{{json .Config}}"))
    assert "8050/tcp" in config["ExposedPorts"]
    assert config["User"] == "10001:0"
    healthcheck = json.loads(engine.inspect_image(image, "{{json .Config.Healthcheck}}"))
    assert healthcheck["Test"] == ["CMD", "/app/healthcheck.sh"]
    assert config["Entrypoint"] == ["tini", "--", "/app/entrypoint.sh"]
    assert "/data" in config["Volumes"]
    labels = config["Labels"]
    assert labels["org.opencontainers.image.revision"] == git_commit
    assert labels["org.opencontainers.image.version"] == __version__
    assert labels["org.opencontainers.image.source"]


def test_without_the_build_argument_the_commit_is_read_from_the_checkout(
    engine: Engine, image: str, tmp_path: Path
) -> None:
    # A fresh clone, as Dokploy builds one: it has a .git directory (a git worktree, where tests may run, has
    # only a .git file pointing elsewhere, outside the build context).
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", "--local", str(REPO), str(clone)], check=True, timeout=120)
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=clone, capture_output=True, text=True).stdout.strip()
    tag = f"{image}-commit-from-git"
    engine.build(tag, context=clone)  # no GIT_COMMIT build argument; the dependency layers come from the cache
    try:
        built = engine.run(["--entrypoint", "cat"], tag, ["/app/GIT_COMMIT"]).stdout.strip()
    finally:
        engine.command("rmi", tag, check=False)
    assert built == head


def test_image_holds_no_tests_git_or_compiler(engine: Engine, image: str) -> None:
    proc = engine.run(
        ["--entrypoint", "sh"],
        image,
        ["-c", "ls /app; ls -a /app /opt | grep -c -e '^.git$' -e '^tests$'; command -v gcc cc || echo none"],
    )
    lines = proc.stdout.split()
    assert "entrypoint.sh" in lines and "assets" in lines
    assert lines[-2:] == ["0", "none"], proc.stdout


def test_a_bad_setting_stops_the_container_with_one_clear_line(engine: Engine, image: str) -> None:
    proc = engine.run(["-e", "WORKERS=lots"], image, timeout=120)
    assert proc.returncode == 2  # a bad setting, as for every command (dashboard_app/exit_codes.py)
    lines = [json.loads(line) for line in proc.stdout.splitlines() if "WORKERS" in line]
    assert [line["message"] for line in lines] == [
        "entrypoint: invalid setting: WORKERS='lots' is not accepted: expected an integer 1-64"
    ]


def test_the_runtime_image_has_no_package_installer(engine: Engine, image: str) -> None:
    script = (
        "command -v pip pip3 || echo no-pip-command; "
        "python -m pip --version >/dev/null 2>&1 || echo no-pip-module; "
        "python -m ensurepip --version >/dev/null 2>&1 || echo no-ensurepip; "
        "/usr/bin/python3 -m pip --version >/dev/null 2>&1 || echo no-system-pip"
    )
    out = engine.run(["--entrypoint", "sh"], image, ["-c", script]).stdout.split()
    assert out == ["no-pip-command", "no-pip-module", "no-ensurepip", "no-system-pip"]


def layer_sizes(engine: Engine, tag: str) -> dict[str, int]:
    """Layer digest → bytes: the image's layers (oldest first) paired with the history entries that made them."""
    layers = json.loads(engine.inspect_image(tag, "{{json .RootFS.Layers}}"))
    if engine.is_podman:  # podman's {{.Size}} is always humanised; its JSON has bytes
        sizes = [int(e["size"]) for e in json.loads(engine.command("history", "--format", "json", tag).stdout)]
    else:
        out = engine.command("history", "--human=false", "--format", "{{.Size}}", tag).stdout
        sizes = [int(x) for x in out.split()]
    made = [size for size in reversed(sizes) if size > 0]
    assert len(made) == len(layers), (made, layers)
    return dict(zip(layers, made, strict=True))


def test_a_code_change_ships_kilobytes_not_the_dependency_layer(
    engine: Engine, image: str, git_commit: str, tmp_path: Path
) -> None:
    files = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True).stdout.split(b"\0")
    context = tmp_path / "context"
    for name in filter(None, files):
        source = REPO / os.fsdecode(name)
        if source.is_file():
            (context / os.fsdecode(name)).parent.mkdir(parents=True, exist_ok=True)
            (context / os.fsdecode(name)).write_bytes(source.read_bytes())
    changed = context / "dashboard_app" / "theme.py"
    changed.write_text(changed.read_text() + "\n# a one-line code change\n")
    tag = f"{image}-code-change"
    engine.build(tag, context=context, build_args={"VERSION": __version__, "GIT_COMMIT": git_commit})
    try:
        before, after = layer_sizes(engine, image), layer_sizes(engine, tag)
    finally:
        engine.command("rmi", tag, check=False)
    shipped = {layer: size for layer, size in after.items() if layer not in before}
    largest = max(before, key=before.__getitem__)
    assert largest in after, "the dependency layer was rebuilt"
    assert before[largest] > 300_000_000  # the locked dependencies
    assert 0 < sum(shipped.values()) < 10_000_000, shipped  # the package (~2 MB) and a few small files


# ------------------------------------------------------------------ default run: demo snapshot, read-only root


@pytest.fixture(scope="module")
def demo_app(engine: Engine, image: str) -> Iterator[tuple[str, str]]:
    """The image run as an operator first would (no snapshot, no settings), with a read-only root."""
    name = container_name("test-demo")
    url = start(engine, image, name, *READ_ONLY)
    try:
        engine.wait_healthy(name, timeout=240)
        yield name, url
    finally:
        engine.remove(name)


def test_default_run_builds_the_demo_snapshot_and_becomes_healthy(engine: Engine, demo_app) -> None:
    name, url = demo_app
    assert engine.inspect(name, "{{.State.Health.Status}}") == "healthy"
    assert "building the synthetic demo snapshot" in engine.logs(name)
    health = get(f"{url}/health")
    assert health.status_code == 200
    assert health.json()["checks"]["snapshot:age"][0]["synthetic"] in (True, "1", 1)


def test_page_and_health_carry_the_security_headers(demo_app) -> None:
    _, url = demo_app
    for path in ("/", "/health"):
        response = get(url + path)
        assert response.status_code == 200, path
        csp = response.headers["Content-Security-Policy"]
        assert "'unsafe-eval'" not in csp and "script-src 'self'" in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"]
        assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
        assert response.headers.get("Server") == "gunicorn"  # the product, no version (DEPLOYMENT.md step 6)
        assert "Strict-Transport-Security" not in response.headers  # SERVE_TLS is off by default
    assert "<html" in get(url + "/").text


def test_health_shows_the_version_and_commit_the_image_was_built_from(demo_app, git_commit: str) -> None:
    _, url = demo_app
    body = get(f"{url}/health").json()
    assert body["version"] == __version__
    assert git_commit in body["releaseId"]


def test_every_line_the_container_writes_to_stdout_is_json(engine: Engine, demo_app) -> None:
    name, url = demo_app
    get(f"{url}/health")
    stdout = engine.command("logs", name).stdout  # podman and docker keep the container's stderr apart
    lines = [line for line in stdout.splitlines() if line.strip()]
    assert len(lines) >= 5
    for line in lines:
        assert line.startswith("{"), line
        record = json.loads(line)
        assert {"time", "level", "logger", "message"} <= set(record), line
    messages = [json.loads(line)["message"] for line in lines]
    assert any(m.startswith("published synthetic snapshot ") for m in messages)  # the demo's own output


def test_removing_a_test_container_removes_its_anonymous_data_volume(engine: Engine, image: str, demo_app) -> None:
    name, _ = demo_app
    (volume,) = engine.volumes(name)  # the image's VOLUME /data, anonymous in this run
    assert engine.volume_exists(volume)
    probe = container_name("test-volume-probe")
    engine.run_detached(probe, ["--entrypoint", "sleep"], image, command=["60"])
    (probe_volume,) = engine.volumes(probe)
    engine.remove(probe)
    assert not engine.volume_exists(probe_volume)


def test_runs_as_uid_10001_on_a_read_only_root_with_a_writable_tmp(engine: Engine, demo_app) -> None:
    name, _ = demo_app
    script = "id -u; id -g; touch /app/probe 2>/dev/null && echo root-writable; touch /tmp/probe && echo tmp-ok"
    out = engine.command("exec", name, "sh", "-c", script).stdout.split()
    assert out == ["10001", "0", "tmp-ok"]


def test_the_containers_memory_splits_into_processes_tmpfs_and_page_cache(engine: Engine, demo_app) -> None:
    """What ``bench.memory --container`` reports beside podman's or Docker's total: the cgroup's own counters."""
    name, _ = demo_app
    parts = MemoryParts.of(engine.memory_stat(name))
    tmp_bytes = int(engine.command("exec", name, "du", "-sb", "/tmp").stdout.split()[0])
    assert parts.anon > 100 * 2**20  # gunicorn's master and workers with the app loaded
    assert parts.shmem >= tmp_bytes * 0.9  # the /tmp tmpfs: the demo's derived values and caches live there
    assert parts.anon + parts.shmem + parts.cache <= engine.memory_bytes(name) * 1.1


# ------------------------------------------------------------------ a snapshot directory mounted read-only


@pytest.fixture(scope="module")
def mounted_snapshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data_dir = tmp_path_factory.mktemp("container-data") / "data"
    data_dir.mkdir(mode=0o755)
    data_dir.chmod(0o755)
    publish_demo(data_dir, seed=1)
    return data_dir


def test_arbitrary_uid_serves_a_read_only_mounted_directory_and_picks_up_a_new_snapshot(
    engine: Engine, image: str, mounted_snapshots: Path
) -> None:
    name = container_name("test-mounted")
    first = snapshot_id(mounted_snapshots)
    url = start(
        engine,
        image,
        name,
        *READ_ONLY,
        "--user",
        "12345:0",
        "-e",
        "SNAPSHOT_POLL_SECONDS=1",
        "-e",
        "WORKERS=2",
        "-v",
        f"{mounted_snapshots}:/data:ro",
    )
    try:
        engine.wait_healthy(name, timeout=180)
        assert engine.command("exec", name, "id", "-u").stdout.strip() == "12345"
        assert served_snapshot_id(url) == first
        assert "building the synthetic demo snapshot" not in engine.logs(name)
        started_at = engine.inspect(name, "{{.State.StartedAt}}")

        second = publish_demo(mounted_snapshots, seed=2)  # on the host, into the mounted directory
        assert second != first
        switched = wait_until_every_worker_serves(engine, name, url, second, workers=2, timeout_s=60)
        # Two workers answered with the new snapshot, and the last ten answers all did. A third pid is a fresh
        # fork of the master already replacing one of the first two (SWAP_REFRESH_WORKERS: the small snapshot's
        # warm-up is over within a poll or two), which serves the new snapshot from its first answer.
        assert len(switched) >= 2, switched
        if len(switched) > 2:  # a planned replacement, never a worker that died
            logs = engine.logs(name)
            assert f"workers forked before snapshot {second} by fresh forks" in logs, logs[-3000:]
            assert "WORKER TIMEOUT" not in logs and "Traceback" not in logs, logs[-3000:]
        assert engine.inspect(name, "{{.State.StartedAt}}") == started_at  # no restart
        assert get(url + "/").status_code == 200
    finally:
        engine.remove(name)


def test_the_documented_read_only_example_starts_on_an_empty_directory_and_serves_the_first_snapshot(
    engine: Engine, image: str, tmp_path: Path
) -> None:
    doc = (REPO / "DEPLOYMENT.md").read_text(encoding="utf-8")
    line = next(line for line in doc.splitlines() if line.startswith("docker run") and "/data:ro" in line)
    words = line.split()[2:-1]  # without `docker run` and the image name
    host_dir = next(w.split(":")[0] for w in words if w.endswith(":/data:ro"))
    data_dir = tmp_path / "data"
    data_dir.mkdir(mode=0o755)
    data_dir.chmod(0o755)
    port = find_free_port()
    args = [
        w.replace(host_dir, str(data_dir)).replace("8050:8050", f"127.0.0.1:{port}:8050")
        for w in words
        if w not in ("-d",)
    ]
    name = container_name("test-doc-read-only")
    engine.run_detached(name, [*args, "-e", "SNAPSHOT_POLL_SECONDS=1"], image)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        status = None
        while status != 503 and time.monotonic() < deadline:
            assert engine.inspect(name, "{{.State.Running}}") == "true", engine.logs(name)[-2000:]
            try:
                status = get(f"{url}/health").status_code
            except requests.ConnectionError:
                time.sleep(1)
        assert status == 503  # up and honest: nothing to serve yet, no crash loop
        published = publish_demo(data_dir, seed=4)
        engine.wait_healthy(name, timeout=120)  # one worker's /health: the other may switch a poll later
        wait_until_every_worker_serves(engine, name, url, published, workers=2, timeout_s=60)
    finally:
        engine.remove(name)


def test_sigterm_stops_gunicorn_gracefully_within_the_timeout(
    engine: Engine, image: str, mounted_snapshots: Path
) -> None:
    name = container_name("test-stop")
    start(engine, image, name, *READ_ONLY, "-v", f"{mounted_snapshots}:/data:ro")
    try:
        engine.wait_healthy(name, timeout=180)
        began = time.monotonic()
        engine.command("stop", "-t", str(STOP_TIMEOUT_S), name, timeout=STOP_TIMEOUT_S + 30)
        elapsed = time.monotonic() - began
        assert elapsed < STOP_TIMEOUT_S, f"took {elapsed:.1f} s: SIGTERM did not stop it, SIGKILL did"
        assert engine.inspect(name, "{{.State.ExitCode}}") == "0"
        logs = engine.logs(name)
        assert "Handling signal: term" in logs and "Shutting down: Master" in logs, logs[-2000:]
    finally:
        engine.remove(name)


def test_a_replica_that_finds_another_publishing_the_demo_starts_and_serves_what_that_one_publishes(
    engine: Engine, image: str, writable_data_dir: Path
) -> None:
    data_dir = writable_data_dir
    lock = os.open(data_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o666)
    os.fchmod(lock, 0o666)
    fcntl.flock(lock, fcntl.LOCK_EX)  # as a second replica publishing its demo into the shared volume would
    name = container_name("test-locked")
    url = start(engine, image, name, "-e", "SNAPSHOT_POLL_SECONDS=1", "-v", f"{data_dir}:/data")
    try:
        deadline = time.monotonic() + 240
        while "another process is publishing" not in engine.logs(name) and time.monotonic() < deadline:
            assert engine.inspect(name, "{{.State.Running}}") == "true", engine.logs(name)
            time.sleep(1)
        assert "another process is publishing into /data" in engine.logs(name)
        os.close(lock)
        lock = -1
        published = publish_demo(data_dir, seed=3)
        engine.wait_healthy(name, timeout=120)  # one worker's /health: the other may switch a poll later
        wait_until_every_worker_serves(engine, name, url, published, workers=2, timeout_s=60)
    finally:
        if lock >= 0:
            os.close(lock)
        engine.remove(name)
