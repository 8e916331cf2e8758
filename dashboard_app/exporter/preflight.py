"""``neo-explorer export --check``: will an export work against this database, and what will it cost?

Connects with the export's own settings and read-only session, exports nothing, and
reports: the server version; the five tables and the columns the queries read; the
role's privileges (read-only is enough); whether statistics exist and are fresh; the
indexes the export needs and the setup tiers, found by *definition* (any name), with
their sizes, the setup statements that would only duplicate an existing index, and
redundant indexes already there; row estimates; whether each stage's plan avoids a
scan of ``obs_sbn``; and a measured estimate of the export's cost: a sample of NEOs
is exported for real (``EXPLAIN (ANALYZE, BUFFERS)``), its pages per NEO times the
number of NEOs, at the random-read times of an SSD and of a hard disk.
Exit 0 only when every check passes or merely warns.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import psycopg
from psycopg import sql
from psycopg.abc import Params, QueryNoTemplate

from dashboard_app.exporter import catalog, plans, queries
from dashboard_app.exporter.connection import ConnectionSettings, classify, read_only_session
from dashboard_app.exporter.setup_sql import (
    DEFAULT_TIER,
    OPTIONAL_TIER,
    RECOMMENDED_REPLICA_INDEXES,
    REPLICA_INDEXES,
)
from dashboard_app.exporter.stages import BATCH_NEOS

MIN_SERVER_VERSION = 120000
"""PostgreSQL 12: covering indexes (11) and row estimates for unnest of constant arrays (12)."""
SAMPLE_NEOS = 20
SECONDS_PER_READ = {"SSD": 0.0002, "HDD": 0.008}
"""Random 8 KiB read times assumed for a cold cache (one outstanding read, as an index probe issues)."""
STALE_FRACTION = 0.2
STALE_MIN_ROWS = 1000
SMALL_TABLE_BYTES = 1 << 20
"""Below this obs_sbn heap size a sequential scan is what PostgreSQL should do (a test database, not a replica)."""
RUNTIME_CLASSES = ((300, "under 5 minutes"), (1800, "5–30 minutes"), (7200, "30 minutes to 2 hours"))


@dataclass
class Check:
    """One line of the report."""

    name: str
    status: str  # ok | warn | fail
    detail: str


@dataclass
class Report:
    """Every check, plus the figures behind them (for the JSON summary)."""

    checks: list[Check] = field(default_factory=list)
    facts: dict = field(default_factory=dict)

    def add(self, name: str, status: str, detail: str) -> None:
        self.checks.append(Check(name, status, detail))

    @property
    def ok(self) -> bool:
        return not any(c.status == "fail" for c in self.checks)

    def lines(self) -> list[str]:
        return [f"{c.status.upper():<4} {c.name}: {c.detail}" for c in self.checks]

    def summary(self) -> dict:
        return {"status": "ok" if self.ok else "fail", "checks": [asdict(c) for c in self.checks], **self.facts}


def run_checks(settings: ConnectionSettings) -> Report:
    """Run every check against the database of ``settings`` (raises only if it cannot connect)."""
    report = Report()
    with read_only_session(settings) as conn:
        try:
            _checks(conn, settings, report)
        except psycopg.Error as exc:
            report.add("database", "fail", str(classify(exc, conn, settings, "the check")))
    return report


def _one_row(conn: psycopg.Connection, query: QueryNoTemplate, params: Params | None = None) -> tuple[Any, ...]:
    """The row of a query that always answers exactly one (SHOW, an aggregate, a SELECT without FROM)."""
    row = conn.execute(query, params).fetchone()
    assert row is not None, "the query answers one row"
    return row


def _checks(conn: psycopg.Connection, settings: ConnectionSettings, report: Report) -> None:
    version_num = int(_one_row(conn, "SHOW server_version_num")[0])
    version = _one_row(conn, "SHOW server_version")[0]
    report.facts["server_version"] = version
    report.add(
        "server",
        "ok" if version_num >= MIN_SERVER_VERSION else "fail",
        f"PostgreSQL {version}" + ("" if version_num >= MIN_SERVER_VERSION else " (the export needs 12 or later)"),
    )
    tables = _tables(conn, report)
    if not tables:
        return
    if not _privileges(conn, tables, report) or not _columns(conn, tables, report):
        return
    stats = catalog.table_stats(conn, list(tables.values()))
    _statistics(stats, tables, report)
    existing = catalog.indexes(conn, list(tables.values()))
    _indexes(existing, stats, report)
    n_neo = _one_row(conn, sql.SQL("SELECT count(*) FROM ({}) AS neo").format(queries.compose(queries.NEOS)))
    report.facts["neos"] = int(n_neo[0])
    report.add(
        "rows",
        "ok" if n_neo[0] else "fail",
        f"{n_neo[0]:,} NEOs; estimated rows: "
        + ", ".join(f"{t} {stats[t]['rows']:,.0f}" for t in tables.values() if t in stats),
    )
    if not n_neo[0]:
        return
    _plans(conn, report, small=_heap_bytes(stats) < SMALL_TABLE_BYTES)
    _cost(conn, settings, int(n_neo[0]), report)


def _tables(conn: psycopg.Connection, report: Report) -> dict[str, str]:
    found = {}
    for table in queries.REQUIRED_COLUMNS:
        try:
            reg = _one_row(conn, "SELECT to_regclass(%s)::text", (table,))[0]
        except psycopg.errors.InsufficientPrivilege:
            conn.rollback()
            reg = None
        if reg is None:
            schema = _one_row(conn, "SELECT current_schemas(false)::text")[0]
            report.add(f"table {table}", "fail", f"not found in the search path {schema} (wrong database or schema?)")
        else:
            found[table] = reg
    if len(found) == len(queries.REQUIRED_COLUMNS):
        report.add("tables", "ok", ", ".join(found.values()))
    return found if len(found) == len(queries.REQUIRED_COLUMNS) else {}


def _privileges(conn: psycopg.Connection, tables: dict[str, str], report: Report) -> bool:
    ok = True
    for table, reg in tables.items():
        readable, writable = _one_row(
            conn,
            "SELECT has_table_privilege(%s, 'SELECT'), has_table_privilege(%s, 'INSERT, UPDATE, DELETE')",
            (reg, reg),
        )
        if not readable:
            ok = False
            report.add(
                f"privilege {table}", "fail", f"{conn.info.user} may not SELECT from {reg}: GRANT SELECT ON {reg}"
            )
        elif writable:
            report.add(
                f"privilege {table}", "warn", f"{conn.info.user} may also write {reg}; a read-only role is enough"
            )
    if ok:
        report.add("privileges", "ok", f"{conn.info.user} can read the five tables (the session is read-only)")
    return ok


def _columns(conn: psycopg.Connection, tables: dict[str, str], report: Report) -> bool:
    ok = True
    for table, wanted in queries.REQUIRED_COLUMNS.items():
        have = {
            r[0]
            for r in conn.execute(
                "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped",
                (tables[table],),
            )
        }
        missing = [c for c in wanted if c not in have]
        if missing:
            ok = False
            report.add(f"schema {table}", "fail", f"{tables[table]} has no column {', '.join(missing)} (wrong schema?)")
    if ok:
        report.add("schema", "ok", "every column the export reads is present")
    return ok


def _statistics(stats: dict[str, dict], tables: dict[str, str], report: Report) -> None:
    for table, reg in tables.items():
        s = stats.get(reg)
        if s is None:
            continue
        if s["analyzed"] is None or s["rows"] < 0:
            report.add(
                f"statistics {table}",
                "fail",
                f"{reg} has never been analyzed: the planner cannot choose index probes; run ANALYZE {reg}",
            )
        elif s["modified_since"] > max(STALE_FRACTION * s["rows"], STALE_MIN_ROWS):
            report.add(
                f"statistics {table}",
                "warn",
                f"{s['modified_since']:,} rows changed since the last ANALYZE of {reg} ({s['analyzed']:%Y-%m-%d}); "
                f"run ANALYZE {reg}",
            )
    if not any(c.name.startswith("statistics") for c in report.checks):
        report.add("statistics", "ok", "every table has been analyzed recently")


def _indexes(existing: list[catalog.ExistingIndex], stats: dict[str, dict], report: Report) -> None:
    for spec in REPLICA_INDEXES:
        found = catalog.serving(existing, spec)
        if found:
            report.add(f"index {spec.name}", "ok", f"{spec.purpose}: {found[0].describe()}")
        else:
            report.add(
                f"index {spec.name}",
                "fail",
                f"missing ({spec.purpose}); without it PostgreSQL would read all of {spec.table}: "
                f"CREATE INDEX CONCURRENTLY ON {spec.definition()}",
            )
    for spec in RECOMMENDED_REPLICA_INDEXES:
        found = catalog.serving(existing, spec)
        status, detail = ("ok", found[0].describe()) if found else ("warn", f"missing: {spec.purpose} needs a scan")
        report.add(f"index {spec.name}", status, detail)
    heap = _heap_bytes(stats)
    tier_level = "none"
    for tier, specs in (("default", DEFAULT_TIER), ("optional", OPTIONAL_TIER)):
        present = []
        for spec in specs:
            found = catalog.serving(existing, spec)
            if not found:
                report.add(f"setup {spec.name}", "warn" if tier == "default" else "ok", f"absent ({spec.purpose})")
                continue
            present.append(spec)
            ix = found[0]
            share = f", {ix.size_bytes / heap:.2%} of the obs_sbn heap" if heap else ""
            if ix.name == spec.name:
                report.add(f"setup {spec.name}", "ok", f"present ({ix.size_bytes / 2**20:,.1f} MiB{share})")
            else:
                report.add(
                    f"setup {spec.name}",
                    "ok",
                    f"served by {ix.describe()}: skip this statement of the setup SQL, it would only add a duplicate",
                )
        if len(present) == len(specs) and tier_level == ("none" if tier == "default" else "default"):
            tier_level = tier
    report.facts["tier"] = tier_level
    for drop, keep in catalog.redundant(existing):
        report.add(
            f"redundant {drop.name}",
            "warn",
            f"duplicates {keep.name}; DROP INDEX CONCURRENTLY {drop.name} frees {drop.size_bytes / 2**20:,.1f} MiB "
            "and its write cost",
        )


def _heap_bytes(stats: dict[str, dict]) -> int:
    return next((s["heap_bytes"] for name, s in stats.items() if name.split(".")[-1] == "obs_sbn"), 0)


def _plans(conn: psycopg.Connection, report: Report, *, small: bool) -> None:
    scanned = []
    for stage, query in plans.stage_queries(conn).items():
        plan = plans.explain(conn, query)
        if any(node == "Seq Scan" for node, _ in plans.scans_of(plan, "obs_sbn")):
            scanned.append(stage)
    if scanned and small:
        report.add("plans", "warn", f"stage(s) {', '.join(scanned)} read obs_sbn whole: fine for so small a table")
    elif scanned:
        report.add("plans", "fail", f"stage(s) {', '.join(scanned)} would read all of obs_sbn: see the index checks")
    else:
        report.add("plans", "ok", "no stage scans obs_sbn (index probes only)")


def _buffers(plan: dict) -> int:
    top = plan.get("Plan", plan)
    return int(top.get("Shared Hit Blocks", 0)) + int(top.get("Shared Read Blocks", 0))


def _cost(conn: psycopg.Connection, settings: ConnectionSettings, n_neo: int, report: Report) -> None:
    """Export a sample of NEOs for real and extrapolate its page reads to every NEO."""
    sample = plans.sample_batch(conn, SAMPLE_NEOS, spread=True)
    batch = queries.probe_queries(sample)
    pages = _buffers(plans.explain(conn, batch["discovery"], analyze=True))
    disc = conn.execute(batch["discovery"]).fetchall()  # neo_key, id, t_us, stn, trkid, …
    if disc:
        times = {row[0]: row[2] for row in disc}
        found = dict(sample, times_us=[times.get(k, 0) for k in sample["keys"]])
        found = {
            name: [v for v, k in zip(values, sample["keys"], strict=True) if k in times]
            for name, values in found.items()
        }
        probes = queries.probe_queries(found)
        pages += _buffers(plans.explain(conn, probes["apparitions"], analyze=True))
        with_trk = [r for r in disc if r[4]]
        if with_trk:
            trk = queries.compose(
                queries.TRACKLETS,
                keys=queries.array([r[0] for r in with_trk]),
                trkids=queries.array([r[4] for r in with_trk]),
                times=queries.timestamps([r[2] for r in with_trk]),
            )
            pages += _buffers(plans.explain(conn, trk, analyze=True))
    per_neo = pages / max(len(sample["keys"]), 1)
    total = per_neo * n_neo
    seconds = {disk: total * s for disk, s in SECONDS_PER_READ.items()}
    batch_s = {disk: per_neo * BATCH_NEOS * s for disk, s in SECONDS_PER_READ.items()}
    report.facts |= {"pages_per_neo": round(per_neo, 1), "estimated_page_reads": round(total)}
    report.facts |= {f"estimated_cold_s_{disk}": round(s) for disk, s in seconds.items()}
    report.add(
        "cost",
        "ok",
        f"{per_neo:,.0f} pages per NEO in a sample of {len(sample['keys'])} → ~{total / 1e6:,.2f} M page reads; "
        f"cold cache ≈ {_runtime_class(seconds['SSD'])} on SSD, {_runtime_class(seconds['HDD'])} on HDD "
        f"(at {SECONDS_PER_READ['SSD'] * 1e3:g} / {SECONDS_PER_READ['HDD'] * 1e3:g} ms per read; warm: far less)",
    )
    timeout = settings.statement_timeout_s
    for disk in ("SSD", "HDD"):
        if batch_s[disk] > timeout:
            report.add(
                f"timeout {disk}",
                "warn",
                f"a batch of {BATCH_NEOS:,} NEOs may take ~{batch_s[disk]:,.0f} s cold on {disk}, over "
                f"EXPORT_STATEMENT_TIMEOUT_S={timeout:g}: add the optional setup tier or raise the timeout",
            )


def _runtime_class(seconds: float) -> str:
    for limit, label in RUNTIME_CLASSES:
        if seconds < limit:
            return label
    return "over 2 hours"
