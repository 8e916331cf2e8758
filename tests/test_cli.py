"""The neo-explorer command line: every subcommand is reachable and only its own module loads."""

from __future__ import annotations

import subprocess
import sys

from dashboard_app.cli import SUBCOMMANDS


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dashboard_app", *args], capture_output=True, text=True, timeout=120, check=False
    )


def test_help_lists_every_subcommand():
    result = run_cli("--help")
    assert result.returncode == 0
    for name in SUBCOMMANDS:
        assert name in result.stdout


def test_each_subcommand_has_its_own_help():
    for name in SUBCOMMANDS:
        result = run_cli(name, "--help")
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith(f"usage: neo-explorer {name}")


def test_status_does_not_load_the_exporter_or_the_generator(tmp_path):
    code = (
        "import sys; from dashboard_app.cli import main; rc = main(['status', sys.argv[1]]); "
        "print(sorted(m for m in ('psycopg', 'dashboard_app.sky.generator') if m in sys.modules)); sys.exit(rc)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.stdout.strip().endswith("[]"), result.stdout
    assert result.returncode == 1  # an empty data directory has no usable snapshot


def test_an_unknown_subcommand_is_a_usage_error():
    result = run_cli("frobnicate")
    assert result.returncode == 2
    assert "invalid choice" in result.stderr
