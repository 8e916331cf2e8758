"""bench.warmer_priority runs each task kind end to end and reports every spinner case against none."""

from __future__ import annotations

import re

import pytest

from bench import warmer_priority


@pytest.mark.parametrize("task", warmer_priority.TASKS)
def test_each_task_kind_reports_three_spinner_cases_against_none(task, capsys):
    assert warmer_priority.main(["--seconds", "0.5", "--rounds", "1", "--task", task, "--no-write"]) == 0
    out = capsys.readouterr().out
    rows = re.findall(r"^\| (none|nice 19|SCHED_IDLE) \| (\d+) \| [\d.]+ ms \(([\d.]+)\) \|", out, re.MULTILINE)
    assert [case for case, _, _ in rows] == list(warmer_priority.CASES)
    assert all(int(tasks) > 5 for _, tasks, _ in rows)  # two processes, ~45 tasks each in 0.5 s
    assert rows[0][2] == "1.00"  # the baseline's own ratio
    assert warmer_priority.TASK_TEXT[task] in out
