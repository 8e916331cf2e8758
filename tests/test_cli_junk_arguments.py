"""No argument of any subcommand ends in a traceback: junk is refused with one line (argparse's usage error,
exit 2, or the subcommand's own message), and ``demo`` refuses a scale it cannot hold before doing any work."""

from __future__ import annotations

import argparse
import importlib
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dashboard_app import cli
from dashboard_app.sky import demo

JUNK = [
    "",
    " ",
    "-1",
    "nan",
    "inf",
    "-inf",
    "1e308",
    "1e-320",
    "99999999999999999999999",
    "x",
    "é\u202e",
    "a" * 300,
    "/proc/no/such/dir",
    "{FILE}",
    "{DEEP}",
]


def base_args(command: str, tmp_path: Path) -> list[str]:
    """Arguments that make a valid run of ``command`` quick (junk is put in place of one of them)."""
    return {
        "demo": [str(tmp_path / "data"), "--scale", "0.001"],
        "status": [str(tmp_path / "data")],
        "export": ["--data-dir", str(tmp_path / "data")],
        "serve": ["--check"],
    }[command]


def value_actions(command: str) -> list[argparse.Action]:
    """The subcommand's arguments that take a value (flags and --help have none to get wrong)."""
    parser = argparse.ArgumentParser()
    importlib.import_module(cli.SUBCOMMANDS[command][0]).add_arguments(parser)
    return [a for a in parser._actions if a.nargs != 0]


def junk_runs(command: str, tmp_path: Path):
    """Argument vectors with one argument replaced by each junk value, for every value-taking argument."""
    base = base_args(command, tmp_path)
    for action in value_actions(command):
        for junk in JUNK:
            if action.option_strings:
                option = action.option_strings[-1]
                argv = [a for i, a in enumerate(base) if option not in (a, base[i - 1] if i else None)]
                yield [command, *argv, option, junk]
            else:  # the positional: the base's first argument
                yield [command, junk, *base[1:]]


@pytest.fixture
def quiet_environment(tmp_path, monkeypatch):
    """No .env, no database (a closed port answers at once), nothing written outside tmp_path."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:9/none")
    monkeypatch.setenv("EXPORT_CONNECT_TIMEOUT_S", "2")
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    (tmp_path / "a-file").write_text("not a directory\n")
    return tmp_path


@pytest.mark.parametrize("command", sorted(cli.SUBCOMMANDS))
def test_junk_in_any_argument_of_a_subcommand_gives_a_message_not_a_traceback(command, quiet_environment, capsys):
    tmp_path = quiet_environment
    runs = 0
    for argv in junk_runs(command, tmp_path):
        argv = [
            a.replace("{FILE}", str(tmp_path / "a-file")).replace("{DEEP}", str(tmp_path / "a-file" / "x"))
            for a in argv
        ]
        try:
            code = cli.main(argv)
        except SystemExit as exc:  # argparse's usage error
            code = exc.code
        except Exception as exc:  # the point of the test: nothing escapes
            pytest.fail(f"neo-explorer {' '.join(argv)!r:.200} raised {type(exc).__name__}: {exc}")
        out, err = capsys.readouterr()
        assert isinstance(code, int), argv
        assert "Traceback" not in out + err, f"{argv!r:.200}:\n{err[-1500:]}"
        runs += 1
    assert runs >= len(JUNK)


def test_demo_refuses_a_scale_it_cannot_hold_before_any_work_with_the_memory_it_would_need(tmp_path):
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "dashboard_app", "demo", str(tmp_path / "data"), "--scale", "300"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == demo.EXIT_FAILED
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("neo-explorer demo: --scale 300 needs about 750.3 GB of memory")
    assert "use --scale" in result.stderr
    assert not (tmp_path / "data").exists()  # nothing created, nothing generated
    assert time.monotonic() - started < 30


@pytest.mark.parametrize("scale", ["inf", "nan", "-1", "0", "1e308"])
def test_demo_refuses_a_scale_that_is_not_a_finite_positive_number(tmp_path, scale, capsys):
    with pytest.raises(SystemExit) as exited:
        cli.main(["demo", str(tmp_path / "data"), "--scale", scale])
    assert exited.value.code == 2
    assert capsys.readouterr().err.strip().splitlines()[-1].startswith("neo-explorer demo: error: argument --scale:")
    assert not (tmp_path / "data").exists()


def test_the_memory_estimate_grows_with_scale_and_refuses_only_what_does_not_fit():
    assert demo.memory_refusal(0.1, 8 * 10**9) is None
    assert demo.memory_refusal(0.1, None) is None  # unknown memory: no guessing
    message = demo.memory_refusal(4, 8 * 10**9)
    assert message is not None and "10.3 GB" in message and "use --scale 3.1 or less" in message
