"""The schema page in docs/ is generated from the code and must not drift from it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

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


def test_create_statements_give_the_schema_the_validator_expects(tmp_path):
    con = sqlite3.connect(tmp_path / "empty.sqlite")
    for statement in schema.create_statements():
        con.execute(statement)
    problems = check_snapshot(con)
    assert not [p for p in problems if "column" in p or "table" in p or "index" in p]
    # an empty file still lacks its meta keys
    assert any("meta key snapshot_id" in p for p in problems)
