"""Fixtures of the observability tests: small real snapshots and real gunicorn servers with metrics on."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from dashboard_app.snapshot.publish import publish
from tests.harness.server import RunningServer, find_free_port, launch
from tests.observability.traffic import TOKEN, parse, scrape, total
from tests.snapshot.rows import tiny_build


def publish_tiny(data_dir: Path, *, tag: int = 0, age_hours: float = 1.0) -> str:
    """Publish a tiny hand-made snapshot built ``age_hours`` ago; returns its snapshot id."""
    built = datetime.now(UTC) - timedelta(hours=age_hours)
    return publish(data_dir, tiny_build(4, tag), clock=lambda: built, max_row_drop=None).snapshot_id


def _wait_for_workers(metrics_url: str, n: int, timeout_s: float = 60.0) -> None:
    """gunicorn answers once its first worker is up; wait until all ``n`` have booted."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        status, text = scrape(metrics_url)
        if status == 200 and total(parse(text), "neo_workers") == n:
            return
        time.sleep(0.2)
    raise AssertionError(f"{n} workers did not all boot within {timeout_s:g} s")


@pytest.fixture
def metrics_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., RunningServer]]:
    """``metrics_server(data_dir, **env)``: gunicorn (2 workers) with OPERATOR_TOKEN, METRICS_PORT, METRICS_DIR set.

    The server's ``metrics_url`` and ``metrics_dir`` attributes say where to scrape and where its files live.
    """
    servers: list[RunningServer] = []

    def _start(data_dir: Path, **env: str) -> RunningServer:
        folder = tmp_path_factory.mktemp("obs")
        metrics_port = find_free_port()
        settings = {
            "WORKERS": "2",
            "OPERATOR_TOKEN": TOKEN,
            "METRICS_PORT": str(metrics_port),
            "METRICS_DIR": str(folder / "metrics"),
            "SNAPSHOT_POLL_SECONDS": "0.5",
        } | env
        server = launch(Path(data_dir), folder / "server.log", **settings)
        servers.append(server)
        server.metrics_url = f"http://127.0.0.1:{settings['METRICS_PORT']}/metrics"  # type: ignore[attr-defined]
        server.metrics_dir = Path(settings["METRICS_DIR"])  # type: ignore[attr-defined]
        _wait_for_workers(server.metrics_url, int(settings["WORKERS"]))
        return server

    yield _start
    for server in servers:
        server.stop()
