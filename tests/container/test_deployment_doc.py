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


def production_environment_block() -> str:
    start = DOC.index("### 3. Environment variables")
    return re.search(r"```\n(.*?)```", DOC[start:], re.S).group(1)


def test_the_first_deploy_keeps_the_demo_that_step_7_expects() -> None:
    # Step 7 deploys once with the demo snapshot keeping /health green; step 3 must not switch it off before.
    env = production_environment_block()
    assert re.search(r"^DEMO_IF_EMPTY=true\b", env, re.M), env
    assert "deploy once with the default `DEMO_IF_EMPTY=true`" in " ".join(DOC.split())


def test_the_database_connection_verifies_the_servers_certificate() -> None:
    env = production_environment_block()
    url = next(line for line in env.splitlines() if line.startswith("DATABASE_URL="))
    assert "sslmode=verify-full" in url and "sslrootcert=" in url
    assert "sslmode=require" not in DOC.split("## Plain Docker")[1].split("## Local work")[0]


def test_the_read_only_docker_example_does_not_try_to_build_the_demo() -> None:
    line = next(line for line in DOC.splitlines() if line.startswith("docker run") and "/data:ro" in line)
    assert "-e DEMO_IF_EMPTY=false" in line


def test_stop_grace_period_is_explained_beside_graceful_timeout_in_nanoseconds() -> None:
    section = DOC.split("*Stop Grace Period*", 1)[1].split("Click **Save**", 1)[0]
    assert "GRACEFUL_TIMEOUT" in section and "nanoseconds" in section
    example = re.search(r"`GRACEFUL_TIMEOUT=(\d+)` with `(\d+)`", section)
    assert example and int(example.group(2)) >= (int(example.group(1)) + 2) * NANOSECONDS


def test_the_memory_limit_is_given_in_bytes() -> None:
    sizing = DOC.split("## Sizing", 1)[1].split("## Troubleshooting", 1)[0]
    assert "Memory Limit" in sizing and "**bytes**" in sizing and "`1073741824`" in sizing


def test_the_exporter_can_reach_a_database_on_the_dokploy_host_or_managed_by_dokploy() -> None:
    section = DOC.split("**Where the database is**", 1)[1].split("**What to monitor:**", 1)[0]
    assert "docker_gwbridge" in section and "Internal Host" in section
