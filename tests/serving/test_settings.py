"""Settings: every bad value stops start-up with one clear line; the documents list exactly the settings."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from dashboard_app.settings import SETTINGS, SettingsError, env_example, load_settings, markdown_table

REPO = Path(__file__).resolve().parents[2]

BAD_VALUES = {
    "DATA_DIR": ["", "   "],
    "HOST": [""],
    "PORT": ["0", "65536", "http", "80.5"],
    "WORKERS": ["0", "many", "65"],
    "THREADS": ["0", "-1"],
    "TIMEOUT": ["1", "forever"],
    "GRACEFUL_TIMEOUT": ["0", "ten"],
    "LOG_LEVEL": ["verbose", ""],
    "LOG_FORMAT": ["xml", ""],
    "RATE_LIMIT": ["lots", "", "10 per fortnight"],
    "RATE_LIMIT_STORAGE_URI": [
        "memory",
        "ftp://host",
        "async+memory://",
        "shared-memory://?slots=3",
        "memcached://host:11211",
    ],
    "TRUSTED_PROXY_COUNT": ["-1", "11", "one"],
    "FORWARDED_ALLOW_IPS": ["", "10.0.0.300", "traefik.example.org"],
    "SERVE_TLS": ["maybe", "2"],
    "SNAPSHOT_POLL_SECONDS": ["0", "-5", "nan", "soon"],
    "STALE_AFTER_HOURS": ["0", "inf", "a day"],
}
CASES = [(name, value) for name, values in BAD_VALUES.items() for value in values]


def test_defaults_load_without_any_environment():
    settings = load_settings({}, env_file=None)
    assert settings.port == 8050
    assert settings.host == "127.0.0.1"
    assert settings.log_format == "json"
    assert settings.rate_limit_storage_uri == "shared-memory://"
    assert settings.serve_tls is False


@pytest.mark.parametrize(("name", "value"), CASES, ids=[f"{n}={v!r}" for n, v in CASES])
def test_a_bad_value_names_the_variable_the_value_and_what_is_accepted(name, value):
    setting = next(s for s in SETTINGS if s.name == name)
    with pytest.raises(SettingsError) as caught:
        load_settings({name: value}, env_file=None)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{name}={value!r} is not accepted")
    assert setting.accepted in message


def test_real_environment_wins_over_the_env_file(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("PORT=9001\nWORKERS=3\nRATE_LIMIT=5 per second\n", encoding="utf-8")
    settings = load_settings({"PORT": "9002"}, env_file=env_file)
    assert settings.port == 9002
    assert settings.workers == 3
    assert settings.rate_limit == "5 per second"


def test_a_bad_value_in_the_env_file_is_reported_like_one_in_the_environment(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("LOG_FORMAT=yaml\n", encoding="utf-8")
    with pytest.raises(SettingsError, match=r"^LOG_FORMAT='yaml' is not accepted: expected json or text$"):
        load_settings({}, env_file=env_file)


def test_env_example_lists_exactly_the_settings_with_their_defaults():
    text = (REPO / ".env.example").read_text(encoding="utf-8")
    assignments = dict(re.findall(r"^([A-Z][A-Z0-9_]*)=(.*)$", text, re.M))
    assert assignments == {s.name: s.default for s in SETTINGS}
    assert text == env_example() + "\n", "regenerate: python -m dashboard_app.settings > .env.example"


def test_readme_settings_table_is_the_generated_one():
    text = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- settings:begin -->\n(.*?)\n<!-- settings:end -->", text, re.S)
    assert block is not None
    assert block.group(1) == markdown_table(), "regenerate with python -m dashboard_app.settings markdown"


def test_serve_command_prints_one_line_and_exits_2_on_a_bad_setting(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "dashboard_app", "serve", "--check"],
        env={"PATH": "/usr/bin:/bin", "WORKERS": "zero"},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "neo-explorer: WORKERS='zero' is not accepted: expected an integer 1-64"
    ]


def test_gunicorn_refuses_to_start_on_a_bad_setting_with_the_same_line(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "gunicorn", "--config", str(REPO / "gunicorn.conf.py")],
        env={"PATH": "/usr/bin:/bin", "SERVE_TLS": "perhaps"},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "neo-explorer: SERVE_TLS='perhaps' is not accepted: expected true or false" in result.stderr
    assert "Traceback" not in result.stderr


PATHS_SET = {"FRAMES_CACHE_DIR": "/f", "ASSETS_DIR": "/a", "METRICS_DIR": "/m", "DATABASE_PASSWORD_FILE": "/p"}


@pytest.mark.parametrize("environ", [{}, PATHS_SET], ids=["defaults", "paths set"])
def test_every_setting_has_a_typed_field_that_its_parsed_value_fits(environ):
    """Settings is a static dataclass (checked by mypy); each parsed value has its field's declared type."""
    import dataclasses
    import types
    import typing

    from dashboard_app.settings import Settings

    assert [f.name for f in dataclasses.fields(Settings)] == [s.field for s in SETTINGS]
    hints = typing.get_type_hints(Settings)
    settings = load_settings(environ, env_file=None)
    for name, hint in hints.items():
        allowed = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
        value = getattr(settings, name)
        assert isinstance(value, allowed) and not (hint is int and isinstance(value, bool)), (name, hint, value)


def test_the_type_checker_catches_a_misspelt_or_misused_setting(tmp_path):
    """``make test`` runs mypy: a typo in a setting's name, or a setting used as the wrong type, fails it."""
    probe = tmp_path / "probe.py"
    probe.write_text(
        "from dashboard_app.settings import load_settings\n"
        "settings = load_settings()\n"
        "settings.stale_after_hour\n"
        "settings.port.upper()\n",
        encoding="utf-8",
    )
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--follow-imports=silent", "--cache-dir", str(tmp_path / "cache"), str(probe)],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert result.returncode == 1, result.stdout
    assert '"Settings" has no attribute "stale_after_hour"' in result.stdout
    assert '"int" has no attribute "upper"' in result.stdout
