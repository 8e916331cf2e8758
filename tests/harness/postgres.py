"""Test harness: a real PostgreSQL server and ``mpc_sbn`` databases loaded with a synthetic sky.

Fixtures (registered as a pytest plugin by ``tests/conftest.py``):

- ``postgres_server`` (session): a PostgreSQL server from Debian's binaries
  (``/usr/lib/postgresql/<newest>/bin``), run as an unprivileged OS user when the
  tests run as root, its data directory in a temp dir, listening on 127.0.0.1 on
  a free port and on a Unix socket in a temp dir, ``fsync`` off. Stopped and
  removed at the end of the session.
- ``private_postgres`` (function): a second server of the same kind for tests that
  stop or break it.
- ``mpc_sbn_factory`` (session): ``mpc_sbn_factory(seed, scale)`` creates (once per
  seed and scale) a database with the source tables of
  :func:`dashboard_app.sky.source_schema.ddl`, loads the synthetic sky with
  ``COPY``, runs the exporter's setup SQL and returns a :class:`SourceDatabase`.
- ``mpc_sbn``: the factory's database for seed 1, scale 0.01.

The exporter connects as the read-only role :data:`READER_ROLE` with a password
over TCP (scram-sha-256); the harness itself connects as the superuser over the
Unix socket. The container engineer can reuse :func:`start_server` and
:func:`load_sky` for ``docker run … export``.
"""

from __future__ import annotations

import contextlib
import glob
import io
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

OS_USER = "neo-pg-test"
SUPERUSER = "neo_admin"
READER_ROLE = "neo_reader"
READER_PASSWORD = "reader-secret-9f3e"  # a test-only password; never a real credential
START_TIMEOUT_S = 60


def postgres_bin_dir() -> Path:
    """The newest installed PostgreSQL server's ``bin`` directory (Debian layout)."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name))
    if not candidates:
        raise RuntimeError("no PostgreSQL server binaries under /usr/lib/postgresql/*/bin (apt-get install postgresql)")
    return Path(candidates[-1])


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ensure_os_user() -> str | None:
    """Name of the unprivileged OS user to run the server as (None when not root)."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(OS_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", OS_USER],
            check=True,
            capture_output=True,
        )
    return OS_USER


@dataclass
class PostgresServer:
    """A running (or stopped) test PostgreSQL server."""

    bin_dir: Path
    root: Path
    port: int
    os_user: str | None
    host: str = "127.0.0.1"
    options: str = ""  # extra server options (``-c name=value …``), e.g. for a benchmark
    _databases: set[str] = field(default_factory=set)

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def socket_dir(self) -> Path:
        return self.root / "sock"

    @property
    def log_file(self) -> Path:
        return self.root / "server.log"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        cmd = [str(self.bin_dir / args[0]), *args[1:]]
        if self.os_user:
            cmd = ["runuser", "-u", self.os_user, "--", *cmd]
        return subprocess.run(cmd, check=check, capture_output=True, text=True, timeout=START_TIMEOUT_S + 30)

    def admin_conninfo(self, dbname: str = "postgres") -> str:
        """libpq conninfo for the superuser over the Unix socket (trust)."""
        return f"host={self.socket_dir} port={self.port} user={SUPERUSER} dbname={dbname}"

    def reader_env(self, dbname: str) -> dict[str, str]:
        """libpq ``PG*`` variables for the read-only role over TCP, password in ``PGPASSWORD``."""
        return {
            "PGHOST": self.host,
            "PGPORT": str(self.port),
            "PGUSER": READER_ROLE,
            "PGDATABASE": dbname,
            "PGPASSWORD": READER_PASSWORD,
        }

    def reader_url(self, dbname: str, *, with_password: bool = True) -> str:
        """``postgresql://`` URL for the read-only role over TCP."""
        auth = f"{READER_ROLE}:{READER_PASSWORD}" if with_password else READER_ROLE
        return f"postgresql://{auth}@{self.host}:{self.port}/{dbname}"

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        opts = (
            f"-c listen_addresses={self.host} -p {self.port} -k {self.socket_dir} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            "-c max_connections=40 -c shared_buffers=128MB " + self.options
        )
        self._run(
            "pg_ctl",
            "-D",
            str(self.data_dir),
            "-l",
            str(self.log_file),
            "-o",
            opts,
            "-w",
            "-t",
            str(START_TIMEOUT_S),
            "start",
        )

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (``mode``: smart | fast | immediate); no error when already stopped."""
        self._run("pg_ctl", "-D", str(self.data_dir), "-m", mode, "-w", "stop", check=False)

    def is_running(self) -> bool:
        return self._run("pg_ctl", "-D", str(self.data_dir), "status", check=False).returncode == 0

    def connect(self, dbname: str = "postgres", autocommit: bool = True):
        """A psycopg connection as the superuser."""
        import psycopg

        return psycopg.connect(self.admin_conninfo(dbname), autocommit=autocommit)

    def create_database(self, dbname: str) -> None:
        """Create an empty database readable by :data:`READER_ROLE` (dropped first if it exists)."""
        with self.connect() as con:
            con.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
            con.execute(f'CREATE DATABASE "{dbname}"')
        with self.connect(dbname) as con:
            con.execute(f"GRANT USAGE ON SCHEMA public TO {READER_ROLE}")
            con.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO {READER_ROLE}")
        self._databases.add(dbname)

    def destroy(self) -> None:
        """Stop the server and remove its files."""
        self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


def start_server(options: str = "") -> PostgresServer:
    """initdb + start a fresh server in a new temp dir; the caller must call ``destroy()``.

    ``options``: extra ``-c name=value`` server options (later ones win over the defaults).
    """
    user = _ensure_os_user()
    # Not under pytest's tmp dirs: those are private to root and the server user must reach its files.
    root = Path(tempfile.mkdtemp(prefix="neo-pg-"))
    os.chmod(root, 0o755)
    (root / "sock").mkdir()
    if user:
        pw = pwd.getpwnam(user)
        for p in (root, root / "sock"):
            os.chown(p, pw.pw_uid, pw.pw_gid)
    server = PostgresServer(bin_dir=postgres_bin_dir(), root=root, port=_free_port(), os_user=user, options=options)
    server._run(
        "initdb",
        "-D",
        str(server.data_dir),
        "-U",
        SUPERUSER,
        "--auth-local=trust",
        "--auth-host=scram-sha-256",
        "-E",
        "UTF8",
        "--locale=C",
        "--no-sync",
    )
    hba = server.data_dir / "pg_hba.conf"
    hba.write_text(
        f"local all all trust\nhost all {SUPERUSER} 127.0.0.1/32 trust\nhost all all 127.0.0.1/32 scram-sha-256\n",
        encoding="utf-8",
    )
    for attempt in range(3):
        try:
            server.start()
            break
        except subprocess.CalledProcessError:
            if attempt == 2:
                raise RuntimeError(f"PostgreSQL did not start:\n{_tail(server.log_file)}") from None
            server.port = _free_port()  # the free port was taken in between: try another
    with server.connect() as con:
        con.execute(f"CREATE ROLE {READER_ROLE} LOGIN PASSWORD '{READER_PASSWORD}'")
    return server


def _tail(path: Path, n: int = 30) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-n:])
    except OSError:
        return "(no server log)"


# --- loading a synthetic sky ------------------------------------------------------


def _copy_frame(cur, table: str, frame) -> None:
    """COPY a DataFrame into ``table`` (columns by name) as CSV written by pyarrow (NaN/None → NULL)."""
    import pyarrow as pa
    from pyarrow import csv as pacsv

    data = pa.Table.from_pandas(frame, preserve_index=False)
    buf = io.BytesIO()
    pacsv.write_csv(data, buf, write_options=pacsv.WriteOptions(include_header=False))
    cols = ", ".join(frame.columns)
    with cur.copy(f"COPY {table} ({cols}) FROM STDIN WITH (FORMAT csv, NULL '')") as copy:
        view = buf.getbuffer()
        for start in range(0, len(view), 1 << 22):
            copy.write(view[start : start + (1 << 22)])
        del view


def load_sky(
    server: PostgresServer,
    dbname: str,
    sky,
    *,
    tier: str = "default",
    background: float = 0.0,
    replica_indexes: bool = True,
) -> dict[str, float]:
    """Create ``dbname`` with the source tables, COPY ``sky.source`` into it, add indexes; seconds per step.

    ``tier``: the setup tier the operator ran ("none", "default" or "optional"; see ``setup_sql``).
    ``background``: other objects and their observations at that factor of the real replica's
    proportions (:mod:`dashboard_app.sky.background`), interleaved with the sky's observations.
    ``replica_indexes=False``: only the tables and their rows (a benchmark builds and times the
    indexes itself, then runs VACUUM ANALYZE).
    """
    from dashboard_app.sky import background as bg
    from dashboard_app.sky.source_schema import SOURCE_TABLES, ddl, index_ddl

    timings: dict[str, float] = {}
    server.create_database(dbname)
    with server.connect(dbname, autocommit=False) as con, con.cursor() as cur:
        for stmt in ddl():
            cur.execute(stmt)
        t0 = time.perf_counter()
        for table in SOURCE_TABLES:
            if table.name != "obs_sbn" or not background:
                _copy_frame(cur, table.name, sky.source[table.name][list(table.column_names)])
        con.commit()
        timings["copy_s"] = time.perf_counter() - t0
        if background:
            timings |= _load_with_background(con, sky, bg.plan(background, sky))
        if not replica_indexes:
            return timings
        t0 = time.perf_counter()
        for stmt in index_ddl():
            cur.execute(stmt)
        con.commit()
        timings["index_s"] = time.perf_counter() - t0
    with server.connect(dbname) as con:
        t0 = time.perf_counter()
        from dashboard_app.exporter.setup_sql import setup_statements

        for stmt in setup_statements(tier):  # as the operator runs it: one statement at a time, CONCURRENTLY
            con.execute(stmt)
        timings["setup_sql_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        con.execute("VACUUM ANALYZE")
        timings["analyze_s"] = time.perf_counter() - t0
    return timings


def _load_with_background(con, sky, plan) -> dict[str, float]:
    """Background objects into the small tables; sky + background observations into obs_sbn in ingest order.

    Month by month of ingestion time, so the only extra disk is the sky's rows and one row per
    background tracklet (never a second copy of the whole table).
    """
    from dashboard_app.sky import background as bg
    from dashboard_app.sky.source_schema import SOURCE_TABLES_BY_NAME

    cols = list(SOURCE_TABLES_BY_NAME["obs_sbn"].column_names)
    timings = {}
    with con.cursor() as cur:
        cur.execute("SET work_mem = '256MB'")
        cur.execute("SET maintenance_work_mem = '1GB'")
        cur.execute("SET jit = off")  # compiling each chunk's statement costs seconds and saves nothing
        cur.execute("CREATE UNLOGGED TABLE sky_stage (LIKE obs_sbn, ingest_us bigint)")
        obs = sky.source["obs_sbn"]
        _copy_frame(cur, "sky_stage", obs.assign(ingest_us=ingest_order(obs))[[*cols, "ingest_us"]])
        cur.execute("CREATE INDEX ON sky_stage (ingest_us)")
        t0 = time.perf_counter()
        for stmt in [*bg.object_statements(plan), *bg.tracklet_statements(plan)]:
            cur.execute(stmt)
        con.commit()
        timings["background_plan_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        lo, hi = cur.execute(
            "SELECT least((SELECT min(ingest_us) FROM sky_stage), (SELECT min(ingest_us) FROM bg_trk)), "
            "greatest((SELECT max(ingest_us) FROM sky_stage), (SELECT max(ingest_us) FROM bg_trk)) + 100"
        ).fetchone()
        # The primary key is built once at the end: maintained row by row in ingestion order (not id order)
        # it would cost a random index page per row.
        cur.execute("ALTER TABLE obs_sbn DROP CONSTRAINT obs_sbn_pkey")
        # About a million rows per statement (the recent years are denser), at least a month of time.
        step = max((hi - lo) * 1_000_000 // max(plan.observations + len(obs), 1), 30 * 86_400_000_000)
        chunk = bg.chunk_statement(plan, "sky_stage", cols)
        for start in range(lo, hi, step):
            cur.execute(chunk, {"lo": start, "hi": min(start + step, hi)})
        cur.execute("DROP TABLE sky_stage")
        cur.execute("DROP TABLE bg_trk")
        cur.execute("ALTER TABLE obs_sbn ADD PRIMARY KEY (id)")
        con.commit()
        timings["background_rows_s"] = time.perf_counter() - t0
    return timings


def ingest_order(obs):
    """A key that orders the sky's observations as ingestion would: by tracklet (first time + 1 day), then id."""
    import numpy as np

    t = obs["obstime"].to_numpy().astype("datetime64[us]").astype("int64")
    trkid = obs["trkid"].where(obs["trkid"].notna() & (obs["trkid"] != ""), None)
    first = obs.assign(t=t, key=trkid.fillna("id:" + obs["id"].astype(str))).groupby("key")["t"].transform("min")
    return first.to_numpy("int64") + 86_400_000_000 + np.arange(len(obs)) % 8


@dataclass
class SourceDatabase:
    """An ``mpc_sbn``-shaped database loaded with one synthetic sky."""

    server: PostgresServer
    dbname: str
    seed: int
    scale: float
    sky: object

    def reader_env(self) -> dict[str, str]:
        """``PG*`` variables for the exporter's read-only role."""
        return self.server.reader_env(self.dbname)

    def reader_url(self, *, with_password: bool = True) -> str:
        return self.server.reader_url(self.dbname, with_password=with_password)


@contextlib.contextmanager
def running_server() -> Iterator[PostgresServer]:
    """A fresh server for the duration of the block."""
    server = start_server()
    try:
        yield server
    finally:
        server.destroy()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A real PostgreSQL server for the whole test session."""
    with running_server() as server:
        yield server


@pytest.fixture
def private_postgres() -> Iterator[PostgresServer]:
    """A PostgreSQL server of its own, for a test that stops or breaks it."""
    with running_server() as server:
        yield server


@pytest.fixture(scope="session")
def sky_factory() -> Callable[[int, float], object]:
    """``sky_factory(seed, scale)``: the synthetic sky, generated once per seed and scale."""
    from dashboard_app.sky import generate

    cache: dict[tuple[int, float], object] = {}

    def make(seed: int, scale: float) -> object:
        if (seed, scale) not in cache:
            cache[(seed, scale)] = generate(seed, scale)
        return cache[(seed, scale)]

    return make


@pytest.fixture(scope="session")
def mpc_sbn_factory(postgres_server, sky_factory) -> Callable[..., SourceDatabase]:
    """``mpc_sbn_factory(seed, scale, tier="default", background=0.0)``: a loaded database (cached).

    ``tier`` is the setup tier; ``background`` adds other objects and their observations
    (:mod:`dashboard_app.sky.background`; 1.0 = the real replica's proportions).
    """
    cache: dict[tuple, SourceDatabase] = {}

    def make(seed: int, scale: float, *, tier: str = "default", background: float = 0.0) -> SourceDatabase:
        key = (seed, scale, tier, background)
        if key not in cache:
            sky = sky_factory(seed, scale)
            dbname = f"mpc_sbn_s{seed}_{str(scale).replace('.', '_')}_{tier}_b{str(background).replace('.', '_')}"
            load_sky(postgres_server, dbname, sky, tier=tier, background=background)
            cache[key] = SourceDatabase(postgres_server, dbname, seed, scale, sky)
        return cache[key]

    return make


@pytest.fixture(scope="session")
def mpc_sbn(mpc_sbn_factory) -> SourceDatabase:
    """The default loaded ``mpc_sbn`` database: seed 1, scale 0.01."""
    return mpc_sbn_factory(1, 0.01)
