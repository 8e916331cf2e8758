"""The schema page in docs/ is generated from the code and must not drift from it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from dashboard_app.snapshot import schema
from dashboard_app.snapshot.validate import check_snapshot

DOC = Path(__file__).resolve().parents[2] / "docs" / "snapshot-schema.md"


def test_schema_doc_page_equals_the_generated_markdown():
    assert DOC.read_text(encoding="utf-8") == schema.markdown(), (
        "docs/snapshot-schema.md is out of date: run "
        "`python -m dashboard_app.snapshot.schema > docs/snapshot-schema.md`"
    )


def test_schema_doc_page_names_every_table_and_column():
    text = DOC.read_text(encoding="utf-8")
    for table in schema.TABLES:
        assert f"## `{table.name}`" in text
        for column in table.columns:
            assert f"| `{column.name}` |" in text


@pytest.mark.parametrize("version", schema.SUPPORTED_VERSIONS)
def test_create_statements_give_the_schema_the_validator_expects(tmp_path, version):
    con = sqlite3.connect(tmp_path / "empty.sqlite")
    for statement in schema.create_statements(version):
        con.execute(statement)
    con.execute("INSERT INTO meta (key, value) VALUES ('schema_version', ?)", (str(version),))
    problems = check_snapshot(con)
    assert not [p for p in problems if "column" in p or "table" in p or "index" in p]
    # an empty file still lacks its meta keys
    assert any("meta key snapshot_id" in p for p in problems)


def test_a_version_1_file_lacks_exactly_the_tables_and_columns_marked_since_v2():
    v1 = {t.name: t.column_names for t in schema.tables_of(1)}
    v2 = {t.name: t.column_names for t in schema.tables_of(2)}
    assert set(v2) - set(v1) == {"lifetime", "site_depth"}
    assert [c for c in v2["stations"] if c not in v1["stations"]] == ["obs_type", "latitude"]
    assert [c for c in v2["missing_discoveries"] if c not in v1["missing_discoveries"]] == ["e", "i"]
    assert all(v1[t] == v2[t] for t in ("discoveries", "apparitions", "meta"))


def test_a_schema_version_this_code_does_not_know_is_refused(tmp_path):
    con = sqlite3.connect(tmp_path / "future.sqlite")
    for statement in schema.create_statements():
        con.execute(statement)
    con.execute("INSERT INTO meta (key, value) VALUES ('schema_version', '3')")
    assert check_snapshot(con) == ["schema_version is 3, this code reads 1, 2: re-export"]
