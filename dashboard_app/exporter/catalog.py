"""What the database already has: indexes by definition (not by name), table sizes and statistics.

An index *serves* a wanted one (:class:`~dashboard_app.exporter.setup_sql.IndexSpec`)
when PostgreSQL could answer the same probes with it: a valid B-tree on the same
table whose leading key columns are the wanted keys, which carries every wanted
INCLUDE column (as a key or included), and whose partial predicate is the same or
absent. Creating a wanted index that an existing one serves would only add a
duplicate, whatever the names say.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import psycopg

from dashboard_app.exporter.setup_sql import INDEX_PREFIX, IndexSpec

_CAST = re.compile(r"::[a-z_ ]+(\(\d+\))?(\[\])?", re.I)


def normalise_predicate(text: str | None) -> str:
    """A partial-index predicate in a comparable form: no casts, parentheses or case, single spaces."""
    if not text:
        return ""
    text = _CAST.sub("", text)
    text = text.replace("(", " ").replace(")", " ")
    return " ".join(text.lower().split())


@dataclass(frozen=True)
class ExistingIndex:
    """An index found in the database."""

    name: str
    table: str
    method: str
    keys: tuple[str, ...]
    include: tuple[str, ...]
    predicate: str
    valid: bool
    size_bytes: int

    def serves(self, spec: IndexSpec) -> bool:
        """True when this index answers the probes ``spec`` is for (see the module docstring)."""
        if self.table != spec.table or self.method != "btree" or not self.valid:
            return False
        if self.keys[: len(spec.keys)] != spec.keys:
            return False
        if not set(spec.include) <= set(self.keys) | set(self.include):
            return False
        return self.predicate in ("", normalise_predicate(spec.where))

    def as_spec(self) -> IndexSpec:
        return IndexSpec(self.name, self.table, self.keys, self.include, self.predicate)

    def describe(self) -> str:
        return f"{self.name} ON {self.as_spec().definition()} ({self.size_bytes / 2**20:,.1f} MiB)"


_INDEXES = """
SELECT c.relname, t.relname, am.amname, i.indnkeyatts, pg_get_expr(i.indpred, i.indrelid), i.indisvalid,
       pg_relation_size(c.oid),
       ARRAY(SELECT pg_get_indexdef(i.indexrelid, k, true) FROM generate_series(1, i.indnatts) AS k ORDER BY k)
FROM pg_index AS i
JOIN pg_class AS c ON c.oid = i.indexrelid
JOIN pg_class AS t ON t.oid = i.indrelid
JOIN pg_am AS am ON am.oid = c.relam
WHERE t.oid = ANY(%s::regclass[])
ORDER BY t.relname, c.relname
"""


def indexes(conn: psycopg.Connection, tables: list[str]) -> list[ExistingIndex]:
    """Every index on ``tables`` (names as found in the search path)."""
    out = []
    for name, table, method, nkeys, pred, valid, size, cols in conn.execute(_INDEXES, (tables,)).fetchall():
        cols = tuple(c.strip('"') for c in cols)
        out.append(
            ExistingIndex(name, table, method, cols[:nkeys], cols[nkeys:], normalise_predicate(pred), valid, size)
        )
    return out


def serving(existing: list[ExistingIndex], spec: IndexSpec) -> list[ExistingIndex]:
    """The existing indexes that serve ``spec``, smallest first."""
    return sorted((ix for ix in existing if ix.serves(spec)), key=lambda ix: ix.size_bytes)


def redundant(existing: list[ExistingIndex]) -> list[tuple[ExistingIndex, ExistingIndex]]:
    """(redundant, kept) pairs: indexes with the same key columns and predicate where one carries all
    the other's columns (e.g. an older setup's ``(obstime)`` beside the replica's own)."""
    pairs = []
    for i, a in enumerate(existing):
        for b in existing[i + 1 :]:
            if a.table != b.table or a.keys != b.keys or a.predicate != b.predicate:
                continue
            a_serves_b, b_serves_a = a.serves(b.as_spec()), b.serves(a.as_spec())
            if a_serves_b and b_serves_a:  # twins: drop the one a setup script made (else the later name)
                ours_a, ours_b = a.name.startswith(INDEX_PREFIX), b.name.startswith(INDEX_PREFIX)
                drop_a = ours_a and not ours_b if ours_a != ours_b else a.name > b.name
                pairs.append((a, b) if drop_a else (b, a))
            elif a_serves_b:
                pairs.append((b, a))
            elif b_serves_a:
                pairs.append((a, b))
    return pairs


def table_stats(conn: psycopg.Connection, tables: list[str]) -> dict[str, dict]:
    """Per table: estimated rows, heap and total size, and when statistics were last gathered."""
    rows = conn.execute(
        """
        SELECT c.relname, c.reltuples, pg_relation_size(c.oid), pg_total_relation_size(c.oid),
               s.last_analyze, s.last_autoanalyze, s.n_mod_since_analyze
        FROM pg_class AS c LEFT JOIN pg_stat_all_tables AS s ON s.relid = c.oid
        WHERE c.oid = ANY(%s::regclass[])
        """,
        (tables,),
    ).fetchall()
    return {
        name: {
            "rows": float(reltuples),
            "heap_bytes": heap,
            "total_bytes": total,
            "analyzed": last or auto,
            "modified_since": mod or 0,
        }
        for name, reltuples, heap, total, last, auto, mod in rows
    }
