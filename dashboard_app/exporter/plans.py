"""PostgreSQL's plans for the export queries: what ``--explain`` prints and the plan checks use."""

from __future__ import annotations

import json

import psycopg
from psycopg import sql

from dashboard_app.exporter import queries
from dashboard_app.exporter.connection import ConnectionSettings, classify, read_only_session
from dashboard_app.exporter.stages import BATCH_NEOS


def explain(conn: psycopg.Connection, query: sql.Composable, *, analyze: bool = False) -> dict:
    """The JSON plan of ``query`` (with ANALYZE and BUFFERS when ``analyze``: the query runs)."""
    options = "ANALYZE, BUFFERS, FORMAT JSON" if analyze else "FORMAT JSON"
    row = conn.execute(sql.SQL("EXPLAIN ({}) ").format(sql.SQL(options)) + query).fetchone()
    assert row is not None  # EXPLAIN answers one row
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


def indexes_used(plan: dict, table: str) -> set[str]:
    """Names of the indexes the plan reads ``table`` through (index, index-only and bitmap scans)."""
    used = set()
    for node in plan_nodes(plan):
        if node.get("Relation Name") == table and node.get("Index Name"):
            used.add(node["Index Name"])
        if node["Node Type"] == "Bitmap Heap Scan" and node.get("Relation Name") == table:
            used |= {n["Index Name"] for n in plan_nodes({"Plan": node}) if n["Node Type"] == "Bitmap Index Scan"}
    return used


def explain_text(conn: psycopg.Connection, query: sql.Composable) -> str:
    """PostgreSQL's text plan of ``query`` (not run)."""
    rows = conn.execute(sql.SQL("EXPLAIN ") + query).fetchall()
    return "\n".join(r[0] for r in rows)


def sample_batch(conn: psycopg.Connection, size: int = BATCH_NEOS, *, spread: bool = False) -> dict[str, list]:
    """A batch of real NEO designations and numbers, as the batched stage queries get them.

    The first NEOs in designation order, or with ``spread`` a fixed pseudo-random sample
    across all years. Discovery times are set to the newest observation's (plans do not
    depend on the values).
    """
    order = sql.SQL("md5(provid)" if spread else "provid")
    query = sql.SQL("SELECT provid, permid FROM ({}) AS neo ORDER BY {} LIMIT {}").format(
        queries.compose(queries.NEOS), order, sql.Literal(size)
    )
    rows = conn.execute(query).fetchall()
    newest_row = conn.execute(queries.compose(queries.NEWEST_OBSERVATION)).fetchone()
    assert newest_row is not None  # an aggregate without GROUP BY answers one row
    newest = newest_row[0] or 0
    return {
        "keys": list(range(1, len(rows) + 1)),
        "des": [r[0] for r in rows],
        "numbers": [r[1] for r in rows],
        "times_us": [int(newest)] * len(rows),
    }


def stage_queries(conn: psycopg.Connection) -> dict[str, sql.Composed]:
    """Stage name → the query each stage runs (batched stages with a real sample batch)."""
    small = queries.small_table_queries()
    return {
        "neos": small["neos"],
        "designations": small["designations"],
        **queries.probe_queries(sample_batch(conn)),
        "stations": small["stations"],
        "newest": small["newest"],
    }


def explain_all(settings: ConnectionSettings) -> str:
    """Text plans of every stage query, as ``--explain`` prints them."""
    parts = []
    with read_only_session(settings) as conn:
        try:
            stages = stage_queries(conn)
        except psycopg.Error as exc:
            raise classify(exc, conn, settings, "reading a sample batch of NEOs") from None
        for stage, query in stages.items():
            try:
                text = explain_text(conn, query)
            except psycopg.Error as exc:
                raise classify(exc, conn, settings, f"EXPLAIN of the {stage} query") from None
            parts.append(f"-- stage {stage}\n{text}\n")
    return "\n".join(parts)
