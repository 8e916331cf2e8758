"""PostgreSQL's plans for the export queries: what ``--explain`` prints and the plan checks use."""

from __future__ import annotations

import json

import psycopg
from psycopg import sql

from dashboard_app.exporter import queries
from dashboard_app.exporter.connection import ConnectionSettings, classify, read_only_session


def explain(conn: psycopg.Connection, query: sql.Composable, *, analyze: bool = False) -> dict:
    """The JSON plan of ``query`` (with ANALYZE and BUFFERS when ``analyze``: the query runs)."""
    options = "ANALYZE, BUFFERS, FORMAT JSON" if analyze else "FORMAT JSON"
    row = conn.execute(sql.SQL("EXPLAIN ({}) ").format(sql.SQL(options)) + query).fetchone()
    plan = row[0]
    return (json.loads(plan) if isinstance(plan, str) else plan)[0]


def plan_nodes(plan: dict) -> list[dict]:
    """Every node of a JSON plan, depth first."""
    out, todo = [], [plan.get("Plan", plan)]
    while todo:
        node = todo.pop()
        out.append(node)
        todo.extend(reversed(node.get("Plans", [])))
    return out


def scans_of(plan: dict, table: str) -> list[tuple[str, str | None]]:
    """(node type, index name) of every scan of ``table`` in the plan."""
    return [(n["Node Type"], n.get("Index Name")) for n in plan_nodes(plan) if n.get("Relation Name") == table]


def explain_text(conn: psycopg.Connection, query: sql.Composable) -> str:
    """PostgreSQL's text plan of ``query`` (not run)."""
    rows = conn.execute(sql.SQL("EXPLAIN ") + query).fetchall()
    return "\n".join(r[0] for r in rows)


def explain_all(settings: ConnectionSettings) -> str:
    """Text plans of every stage query, as ``--explain`` prints them."""
    parts = []
    with read_only_session(settings) as conn:
        for stage, query in queries.stage_queries().items():
            try:
                text = explain_text(conn, query)
            except psycopg.Error as exc:
                raise classify(exc, conn, settings, f"EXPLAIN of the {stage} query") from None
            parts.append(f"-- stage {stage}\n{text}\n")
    return "\n".join(parts)
