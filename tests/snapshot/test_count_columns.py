"""The window-count column names ``n_{kind}_{side}_{W}`` are spelt by one function, ``schema.count_column``."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dashboard_app.definitions import APPARITION_WINDOWS_DAYS
from dashboard_app.snapshot import schema
from dashboard_app.snapshot.schema import COUNT_KINDS, COUNT_SIDES, count_column

REPO = Path(__file__).resolve().parents[2]

# An f-string, %-format, str.format or concatenation that builds a count column name outside count_column:
# f"n_{kind}_…", f"n_obs_{side}_…", f"n_trk_post_{w}", "n_obs_post_%d", "n_obs_any_{}".format(…), "n_obs_any_" + …
SPELLED = re.compile(
    r"""\bf["'][^"'\n]*\bn_(\{|(trk|obs)_\{|(trk|obs)_(post|any)_\{)"""
    r"""|["']n_(trk|obs)_(post|any)_(%|\{\}|["']\s*\+)"""
)


def test_count_column_names_every_count_column_of_the_apparitions_table():
    counts = [c.name for c in schema.TABLES_BY_NAME["apparitions"].columns if c.unit == "count"]
    expected = [count_column(k, s, w) for w in APPARITION_WINDOWS_DAYS for s in COUNT_SIDES for k in COUNT_KINDS]
    assert counts == expected
    assert count_column("obs", "post", 7) == "n_obs_post_7"
    assert count_column("trk", "any", 200) == "n_trk_any_200"


def test_a_kind_or_side_the_schema_has_not_is_refused():
    with pytest.raises(ValueError, match="no count column"):
        count_column("obj", "post", 7)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="no count column"):
        count_column("obs", "pre", 7)  # type: ignore[arg-type]


def test_the_detector_finds_each_way_of_spelling_the_pattern():
    for line in (
        'f"n_{kind}_{side}_{w}"',
        "f'n_obs_{side}_{w}'",
        'out[f"n_trk_post_{w}"] = 1',
        'f"SELECT a.n_obs_any_{half} FROM apparitions"',
        '"n_obs_post_%d" % w',
        '"n_obs_any_{}".format(w)',
        '"n_trk_post_" + str(w)',
    ):
        assert SPELLED.search(line), line
    for line in ('row["n_obs_post_7"]', 'f"{count_column(kind, side, w)} >= 0"', 'c.startswith("n_")'):
        assert not SPELLED.search(line), line


def test_no_code_outside_count_column_spells_the_count_column_pattern():
    home = REPO / "dashboard_app" / "snapshot" / "schema.py"
    found = []
    for top in ("dashboard_app", "tests", "bench", "scripts"):
        for path in sorted((REPO / top).rglob("*.py")):
            if path in (home, Path(__file__).resolve()):
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if SPELLED.search(line):
                    found.append(f"{path.relative_to(REPO)}:{number}: {line.strip()}")
    home_hits = [line for line in home.read_text(encoding="utf-8").splitlines() if SPELLED.search(line)]
    assert len(home_hits) == 1, home_hits  # count_column's own return
    assert found == [], "build count column names with schema.count_column:\n" + "\n".join(found)
