"""DEPLOYMENT.md cannot drift from the code: its settings table, the variables it tells an operator to set, and
the Dokploy health check / update JSON are checked against settings.py, .env.example and the Dockerfile."""

from __future__ import annotations

import json
import re

from dashboard_app.settings import SETTINGS, markdown_table
from tests.container.engine import REPO

DOC = (REPO / "DEPLOYMENT.md").read_text(encoding="utf-8")
NANOSECONDS = 1_000_000_000


def json_block_after(heading: str) -> dict:
    """The first ```json block after the line containing ``heading``."""
    start = DOC.index(heading)
    match = re.search(r"```json\n(.*?)```", DOC[start:], re.S)
    assert match, f"no JSON block after {heading!r}"
    return json.loads(match.group(1))


def dockerfile_healthcheck() -> dict[str, int]:
    text = (REPO / "Dockerfile").read_text(encoding="utf-8")
    line = next(line for line in text.splitlines() if line.startswith("HEALTHCHECK"))
    return {key: int(value) for key, value in re.findall(r"--([a-z-]+)=(\d+)s?", line)}


def test_settings_reference_is_the_generated_settings_table() -> None:
    block = DOC.split("<!-- settings:begin -->\n", 1)[1].split("<!-- settings:end -->", 1)[0]
    assert block.strip() == markdown_table().strip()


def test_settings_reference_lists_exactly_the_variables_of_env_example() -> None:
    example = (REPO / ".env.example").read_text(encoding="utf-8")
    in_example = set(re.findall(r"^([A-Z][A-Z0-9_]*)=", example, re.M))
    in_doc = set(re.findall(r"^\| `([A-Z][A-Z0-9_]*)` \|", DOC, re.M))
    assert in_doc == in_example


def test_production_environment_block_names_only_real_settings() -> None:
    block = re.search(r"Environment → Environment Settings.*?```\n(.*?)```", DOC, re.S).group(1)
    names = set(re.findall(r"^([A-Z][A-Z0-9_]*)=", block, re.M))
    assert names <= {s.name for s in SETTINGS}
    assert {"DEMO_IF_EMPTY", "TRUSTED_PROXY_COUNT", "SERVE_TLS", "RATE_LIMIT_STORAGE_URI"} <= names


def test_dokploy_health_check_is_the_image_healthcheck_in_nanoseconds() -> None:
    check = json_block_after("\n*Health Check* (")
    image = dockerfile_healthcheck()
    assert check["Test"] == ["CMD", "/app/healthcheck.sh"]
    assert check["Interval"] == image["interval"] * NANOSECONDS
    assert check["Timeout"] == image["timeout"] * NANOSECONDS
    assert check["StartPeriod"] == image["start-period"] * NANOSECONDS
    assert check["Retries"] == image["retries"]


def test_dokploy_update_starts_the_new_task_first_and_rolls_back_on_failure() -> None:
    update = json_block_after("\n*Update Config* (")
    assert update["Order"] == "start-first"
    assert update["FailureAction"] == "rollback"
    assert update["Parallelism"] == 1
    assert update["Delay"] >= NANOSECONDS and update["Monitor"] >= NANOSECONDS  # nanoseconds, not seconds
    rollback = json_block_after("\n*Rollback Config* (")
    assert rollback["Order"] == "start-first"


def test_graceful_timeout_default_fits_within_the_orchestrator_stop_grace_period() -> None:
    graceful = next(s for s in SETTINGS if s.name == "GRACEFUL_TIMEOUT")
    assert int(graceful.default) < 10  # Docker's and Swarm's default stop grace period, as DEPLOYMENT.md says
    assert "10 s stop grace period" in DOC
