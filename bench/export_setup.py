"""What the exporter costs on a replica of the real shape: setup indexes per tier, export time, pages read.

    python -m bench.export_setup [--scale 0.1] [--background 1.0] [--seed 1] [--no-write]

Builds, in a private PostgreSQL server on this machine's disk, the synthetic sky at
``--scale`` with a background of other objects at ``--background`` × the real replica's
proportions (1.0 = 35 other objects per NEO, 100 of their observations per NEO
observation; see ``dashboard_app.sky.background``), interleaved in ingestion order,
with the replica's own indexes. Then, for each setup tier in turn (replica indexes
only, default, optional; ``dashboard_app.exporter.setup_sql``):

- builds the tier's indexes with ``CREATE INDEX CONCURRENTLY`` (as an operator would),
  reporting size and build time per million rows, and the WAL a batch of inserts writes;
- runs ``neo-explorer export`` twice, **cold** and **warm**, reading ``pg_statio``
  before and after: heap and index pages read from outside PostgreSQL's buffers
  ("read") and found in them ("hit"), with ``track_io_timing``'s read time.

Cold is approximated without dropping the whole OS cache (not allowed here): PostgreSQL
is restarted (empty shared buffers) and every file of the database is evicted from the
OS page cache with ``posix_fadvise(DONTNEED)`` after ``fdatasync``, so a cold export's
reads come from the disk. Warm is the same export again right after.

The extrapolation to the real replica (530 M rows, 213–239 GB of heap) scales page reads
with the number of NEOs and index sizes with the number of rows, and prices page reads
at a random 8 KiB read time of an SSD and a hard disk (the model is printed with the
figures). Results go to ``bench/results.md``, section ``export-setup``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.results_file import load_average, write_section  # noqa: E402

REAL_ROWS = 530e6
REAL_HEAP_GB = (213, 239)
REAL_NEOS = 41_516
SECONDS_PER_READ = {"SSD": 0.0002, "HDD": 0.008}
"""Random 8 KiB read, one request at a time (as an index probe issues them): SSD 0.1–0.2 ms, 7,200 rpm disk 8 ms."""
STATEMENT_TIMEOUT_S = 900
BATCHED = ("discovery", "missing", "tracklets", "apparitions", "assemble")
"""Stages whose work grows with the number of NEOs (the rest is start-up and small tables)."""
WAL_PROBE_ROWS = 20_000
SERVER_OPTIONS = "-c track_io_timing=on -c shared_buffers=256MB -c max_wal_size=4GB -c checkpoint_timeout=30min"


@dataclass
class Run:
    """One export: wall time, stages, peak memory and the pages it read."""

    wall_s: float
    peak_mb: float
    stages: list[dict]
    heap_read: int
    heap_hit: int
    idx_read: int
    idx_hit: int
    read_ms: float
    by_index: dict[str, tuple[int, int]] = field(default_factory=dict)

    @property
    def reads(self) -> int:
        return self.heap_read + self.idx_read

    @property
    def accesses(self) -> int:
        return self.reads + self.heap_hit + self.idx_hit


def _disk(path: Path) -> str:
    src, fstype = subprocess.run(
        ["findmnt", "-no", "SOURCE,FSTYPE", "-T", str(path)], capture_output=True, text=True
    ).stdout.split()[:2]
    dev = Path(src).name
    rotational = Path(f"/sys/block/{dev}/queue/rotational")
    flag = rotational.read_text().strip() if rotational.exists() else "?"
    kind = {"0": "reported non-rotational", "1": "reported rotational"}.get(flag, "?")
    free = os.statvfs(path)
    return f"{src} ({fstype}, {kind}; {free.f_bavail * free.f_frsize / 2**30:,.0f} GiB free at the start)"


def _random_read_ms(directory: Path, size: int = 256 << 20, reads: int = 3000) -> float:
    """Milliseconds per random 8 KiB read of a file not in the page cache, on the disk of ``directory``."""
    import random

    path = directory / "random-read-probe"
    with open(path, "wb") as f:
        for _ in range(size >> 20):
            f.write(os.urandom(1 << 20))
        f.flush()
        os.fdatasync(f.fileno())
    fd = os.open(path, os.O_RDONLY)
    try:
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_RANDOM)
        rng = random.Random(1)
        t0 = time.perf_counter()
        for _ in range(reads):
            os.pread(fd, 8192, rng.randrange(size // 8192) * 8192)
        return (time.perf_counter() - t0) / reads * 1e3
    finally:
        os.close(fd)
        path.unlink()


def _evict(server, dbname: str) -> int:
    """Drop every file of ``dbname`` from the OS page cache; returns the number of files."""
    with server.connect(dbname) as con:
        oid = con.execute("SELECT oid FROM pg_database WHERE datname = current_database()").fetchone()[0]
    files = [p for p in (server.data_dir / "base" / str(oid)).iterdir() if p.is_file()]
    for path in files:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fdatasync(fd)
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)
    return len(files)


_STATIO = """
SELECT (SELECT heap_blks_read FROM pg_statio_user_tables WHERE relname = 'obs_sbn'),
       (SELECT heap_blks_hit FROM pg_statio_user_tables WHERE relname = 'obs_sbn'),
       (SELECT json_object_agg(indexrelname, json_build_array(idx_blks_read, idx_blks_hit))
          FROM pg_statio_user_indexes WHERE relname = 'obs_sbn'),
       (SELECT sum(blk_read_time) FROM pg_stat_database WHERE datname = current_database())
"""


def _statio(server, dbname: str) -> tuple[int, int, dict, float]:
    with server.connect(dbname) as con:
        heap_read, heap_hit, idx, read_ms = con.execute(_STATIO).fetchone()
    idx = idx if isinstance(idx, dict) else json.loads(idx or "{}")
    return int(heap_read or 0), int(heap_hit or 0), {k: tuple(v) for k, v in idx.items()}, float(read_ms or 0)


def _export(server, dbname: str) -> Run:
    before = _statio(server, dbname)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PG", "DATABASE_", "NEO_"))}
    env.update(server.reader_env(dbname), PYTHONPATH=str(REPO), EXPORT_STATEMENT_TIMEOUT_S="3600")
    with tempfile.TemporaryDirectory(prefix="neo-bench-setup-") as tmp:
        t0 = time.perf_counter()
        proc = subprocess.run(
            ["/usr/bin/time", "-f", "maxrss_kb=%M", sys.executable, "-m", "dashboard_app", "export",
             "--data-dir", str(Path(tmp) / "data"), "--quiet"],
            env=env, capture_output=True, text=True, timeout=4 * 3600, cwd=REPO,
        )  # fmt: skip
        wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"export failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    time.sleep(1.0)  # the export's backend flushes its statistics as it exits
    after = _statio(server, dbname)
    rss = [line for line in proc.stderr.splitlines() if line.startswith("maxrss_kb=")]
    by_index = {
        name: (after[2][name][0] - before[2].get(name, (0, 0))[0], after[2][name][1] - before[2].get(name, (0, 0))[1])
        for name in after[2]
    }
    return Run(
        wall_s=wall,
        peak_mb=int(rss[-1].split("=")[1]) / 1024 if rss else float("nan"),
        stages=json.loads(proc.stdout.strip().splitlines()[-1])["stages"],
        heap_read=after[0] - before[0],
        heap_hit=after[1] - before[1],
        idx_read=sum(r for r, _ in by_index.values()),
        idx_hit=sum(h for _, h in by_index.values()),
        read_ms=after[3] - before[3],
        by_index={k: v for k, v in by_index.items() if v != (0, 0)},
    )


def _wal_per_row(server, dbname: str) -> float:
    """WAL bytes per inserted obs_sbn row (rolled back), with the indexes present now."""
    with server.connect(dbname, autocommit=False) as con:
        start = con.execute("SELECT pg_current_wal_insert_lsn()").fetchone()[0]
        con.execute(
            "INSERT INTO obs_sbn (id, trkid, obs80_bit, permid, provid, stn, obstime, ra, dec, mag, band, disc, "
            "status) "
            "SELECT 9000000000000 + g, 'W' || g, lpad(g::text, 41, '0'), "
            "CASE WHEN g %% 2 = 0 THEN (g %% 500000)::text END, '2020 AA' || (g %% 9000), 'G96', "
            "timestamp '2020-01-01' + g * interval '1 minute', 10, 10, 20, 'G', "
            "CASE WHEN g %% 100 = 0 THEN '*' END, 'P' FROM generate_series(1, %s) AS g",
            (WAL_PROBE_ROWS,),
        )
        end = con.execute("SELECT pg_current_wal_insert_lsn()").fetchone()[0]
        wal = con.execute("SELECT pg_wal_lsn_diff(%s, %s)", (end, start)).fetchone()[0]
        con.rollback()
    return float(wal) / WAL_PROBE_ROWS


def _build(server, dbname: str, statements: list[tuple[str, str]]) -> list[dict]:
    """Run ``(name, CREATE INDEX …)`` one by one (autocommit, like psql -f); size and time of each."""
    out = []
    with server.connect(dbname) as con:
        con.execute("SET maintenance_work_mem = '1GB'")
        for name, statement in statements:
            t0 = time.perf_counter()
            con.execute(statement)
            seconds = time.perf_counter() - t0
            size = con.execute("SELECT pg_relation_size(%s::regclass)", (name,)).fetchone()[0]
            out.append({"name": name, "seconds": seconds, "bytes": size})
    return out


def run(scale: float, background: float, seed: int, write: bool) -> int:
    from dashboard_app.exporter.setup_sql import DEFAULT_TIER, OPTIONAL_TIER
    from dashboard_app.sky import generate
    from dashboard_app.sky.source_schema import index_ddl
    from tests.harness.postgres import load_sky, start_server

    t0 = time.perf_counter()
    sky = generate(seed, scale)
    gen_s = time.perf_counter() - t0
    n_neo = len(sky.truth["discoveries"]) + len(sky.truth["missing_discoveries"])
    server = start_server(options=SERVER_OPTIONS)
    disk = f"{_disk(server.root)}, {_random_read_ms(server.root):.2f} ms per random 8 KiB read (measured)"
    print(f"sky seed={seed} scale={scale:g}: {n_neo:,} NEOs in {gen_s:.0f} s; server on {disk}", flush=True)
    try:
        t0 = time.perf_counter()
        load = load_sky(server, "mpc_sbn", sky, tier="none", background=background, replica_indexes=False)
        print("loaded: " + ", ".join(f"{k} {v:.0f}s" for k, v in load.items()), flush=True)
        with server.connect("mpc_sbn") as con:
            con.execute("GRANT SELECT ON ALL TABLES IN SCHEMA public TO neo_reader")
            rows, heap = con.execute("SELECT count(*), pg_relation_size('obs_sbn') FROM obs_sbn").fetchone()
        replica = _build(server, "mpc_sbn", [(stmt.split()[2], stmt) for stmt in index_ddl() if " obs_sbn " in stmt])
        with server.connect("mpc_sbn") as con:
            pkey = con.execute("SELECT pg_relation_size('obs_sbn_pkey')").fetchone()[0]
            sky_pages = con.execute(  # heap pages holding the sky's (mostly NEO) observations: read once at best
                "SELECT count(DISTINCT (ctid::text::point)[0]) FROM obs_sbn WHERE id <= %s",
                (int(sky.source["obs_sbn"]["id"].max()),),
            ).fetchone()[0]
            for stmt in index_ddl():
                if " obs_sbn " not in stmt:
                    con.execute(stmt)
            con.execute("VACUUM ANALYZE")
        replica.append({"name": "obs_sbn_pkey (id)", "seconds": float("nan"), "bytes": pkey})
        load_s = time.perf_counter() - t0
        print(f"obs_sbn: {rows:,} rows, heap {heap / 2**30:.2f} GiB; replica indexes built", flush=True)
        tiers: dict[str, dict] = {}
        built: list[dict] = []
        for tier, specs in (("none", ()), ("default", DEFAULT_TIER), ("optional", OPTIONAL_TIER)):
            new = _build(server, "mpc_sbn", [(s.name, s.statement()) for s in specs])
            for item, spec in zip(new, specs, strict=True):
                item["tier"], item["definition"] = tier, spec.definition()
            built += new
            with server.connect("mpc_sbn") as con:
                con.execute("ANALYZE obs_sbn")
            wal = _wal_per_row(server, "mpc_sbn")
            server.stop()
            server.start()
            files = _evict(server, "mpc_sbn")
            cold = _export(server, "mpc_sbn")
            warm = _export(server, "mpc_sbn")
            tiers[tier] = {"cold": cold, "warm": warm, "wal": wal, "evicted": files}
            print(
                f"tier {tier}: cold {cold.wall_s:.0f} s ({cold.reads:,} pages read, "
                f"{cold.read_ms / 1e3:.0f} s reading), "
                f"warm {warm.wall_s:.0f} s; WAL {wal:.0f} B/row",
                flush=True,
            )
    finally:
        server.destroy()
    body = _report(scale, background, seed, disk, n_neo, rows, heap, load, load_s, gen_s, replica, built, tiers)
    body += (
        f"\n\nThe sky's {len(sky.source['obs_sbn']):,} observations lie on {sky_pages:,} heap pages of obs_sbn; "
        f"a cold export read {tiers['none']['cold'].heap_read:,} heap pages with the replica's indexes only "
        f"({tiers['none']['cold'].heap_read / sky_pages:.2f} per page) and {tiers['default']['cold'].heap_read:,} "
        f"with the default tier ({tiers['default']['cold'].heap_read / sky_pages:.2f}): the discovery step runs once, "
        "so each page holding a NEO's observations is read about once (the previous exporter re-ran it in every "
        "stage; issue #14 measured about five reads per page)."
    )
    print(body)
    if write:
        write_section("export-setup", body)
    return 0


def _runtime(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _report(scale, background, seed, disk, n_neo, rows, heap, load, load_s, gen_s, replica, built, tiers) -> str:
    k_rows = REAL_ROWS / rows
    k_neo = REAL_NEOS / n_neo
    real_heap = sum(REAL_HEAP_GB) / 2 * 2**30
    lines = [
        f"`python -m bench.export_setup --scale {scale:g} --background {background:g} --seed {seed}` "
        f"({load_average()} at the end). Disk: {disk}; {os.cpu_count()} cores shared with other work.",
        "",
        f"- Synthetic replica: {n_neo:,} NEOs, obs_sbn {rows:,} rows ({rows / REAL_ROWS:.1%} of the real 530 M), "
        f"heap {heap / 2**30:.2f} GiB ({heap / rows:.0f} B/row; the real heap is "
        f"{REAL_HEAP_GB[0]}–{REAL_HEAP_GB[1]} GB, "
        f"~{real_heap / REAL_ROWS:.0f} B/row). Generated in {gen_s:.0f} s; loaded and indexed like the replica in "
        f"{load_s / 60:.0f} min ({', '.join(f'{k} {v:.0f} s' for k, v in load.items())}).",
        f"- Extrapolation: index sizes × {k_rows:,.1f} (rows), page reads × {k_neo:,.1f} (NEOs: each probe reads "
        "a NEO's own pages, scattered among other objects' rows, so reads follow the NEO count, not the table size; "
        "B-tree depth grows by about one level, ignored). Cold time = page reads × random-read time "
        f"({SECONDS_PER_READ['SSD'] * 1e3:g} ms SSD, {SECONDS_PER_READ['HDD'] * 1e3:g} ms HDD) + the warm run's "
        f"per-NEO stages ({', '.join(BATCHED)}) × {k_neo:,.1f} + the rest of the warm run. Build time scales with rows "
        f"(× {k_rows:,.1f}); the real heap's rows are "
        f"~{real_heap / REAL_ROWS / (heap / rows):.1f}× wider, so its two heap passes take longer still.",
        "",
        "Indexes (replica's own for comparison; setup tiers built with CREATE INDEX CONCURRENTLY):",
        "",
        "| Index | Tier | Size MiB | B/row | % of heap | Build s | s per M rows | At 530 M rows: size | "
        "% of real heap | build |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for item in [*({**r, "tier": "replica"} for r in replica), *built]:
        size_real = item["bytes"] * k_rows
        secs = item["seconds"]
        known = secs == secs  # NaN: built during the load (the primary key), no time of its own
        build = (f"{secs:.1f}", f"{secs / rows * 1e6:.2f}", _runtime(secs * k_rows)) if known else ("—",) * 3
        lines.append(
            f"| {item['name']} | {item['tier']} | {item['bytes'] / 2**20:,.1f} | {item['bytes'] / rows:.1f} | "
            f"{item['bytes'] / heap:.2%} | {build[0]} | {build[1]} | "
            f"{size_real / 2**30:,.1f} GiB | {size_real / real_heap:.2%} | {build[2]} |"
        )
    lines += [
        "",
        "Exports per tier (each tier adds to the one before; pages of obs_sbn and its indexes from pg_statio; "
        "read = not in PostgreSQL's buffers):",
        "",
        "| Tier | New indexes (% heap) | WAL per insert | Cold s | Cold heap / index pages read | Read time s | "
        "Warm s | Warm pages (hit + read) | Peak RSS MB | At 530 M: page reads | cold SSD | cold HDD | "
        "slowest batch HDD |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    cumulative = 0
    for tier, t in tiers.items():
        cold, warm = t["cold"], t["warm"]
        cumulative += sum(i["bytes"] for i in built if i["tier"] == tier)
        reads = cold.reads * k_neo
        per_neo = sum(st["seconds"] for st in warm.stages if st["name"] in BATCHED)
        cpu = per_neo * k_neo + (warm.wall_s - per_neo)
        est = {disk: reads * s + cpu for disk, s in SECONDS_PER_READ.items()}
        batches = max(n_neo * k_neo / 1000, 1)
        batch_hdd = max(_batch_reads(cold, stage) for stage in ("apparitions", "discovery", "tracklets")) * k_neo
        batch_hdd = batch_hdd / batches * SECONDS_PER_READ["HDD"]
        lines.append(
            f"| {tier} | {cumulative / heap:.2%} | {t['wal']:.0f} B | {cold.wall_s:.0f} | "
            f"{cold.heap_read:,} / {cold.idx_read:,} | {cold.read_ms / 1e3:.0f} | {warm.wall_s:.0f} | "
            f"{warm.accesses:,} | {max(cold.peak_mb, warm.peak_mb):.0f} | {reads / 1e6:,.2f} M | "
            f"{_runtime(est['SSD'])} | {_runtime(est['HDD'])} | "
            f"{_runtime(batch_hdd)}{' (over the 900 s timeout)' if batch_hdd > STATEMENT_TIMEOUT_S else ''} |"
        )
    lines += ["", "Pages read per index in the cold runs:", ""]
    for tier, t in tiers.items():
        parts = ", ".join(f"{name} {r:,}" for name, (r, _h) in sorted(t["cold"].by_index.items()))
        lines.append(f"- {tier}: heap {t['cold'].heap_read:,}; {parts}")
    lines += ["", "Stage times of the cold runs (s, waiting for PostgreSQL in brackets):", ""]
    for tier, t in tiers.items():
        parts = ", ".join(f"{s['name']} {s['seconds']:.1f} ({s['db_seconds']:.1f})" for s in t["cold"].stages)
        lines.append(f"- {tier}: {parts}")
    return "\n".join(lines)


def _batch_reads(run: Run, stage: str) -> float:
    """Pages read by ``stage`` in a cold run, estimated from its share of the time spent waiting."""
    waited = sum(s["db_seconds"] for s in run.stages) or 1.0
    share = sum(s["db_seconds"] for s in run.stages if s["name"] == stage) / waited
    return run.reads * share


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=0.1, help="NEO sky size (1.0 = 41,516 NEOs; default 0.1)")
    parser.add_argument("--background", type=float, default=1.0, help="other objects, × the real proportions")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-write", action="store_true", help="print only; do not update bench/results.md")
    args = parser.parse_args(argv)
    return run(args.scale, args.background, args.seed, not args.no_write)


if __name__ == "__main__":
    sys.exit(main())
