"""One export: read ``mpc_sbn`` in one read-only transaction and publish the snapshot.

The whole extraction runs inside ``publish``'s ``build`` step, i.e. while the
data directory's lock is held and ``status.json`` says a refresh is running; a
second export therefore stops at once with "locked", and any failure is
recorded in the status file while the previous snapshot stays current.
"""

from __future__ import annotations

import math
import sqlite3
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from dashboard_app import checkpoints
from dashboard_app.exporter import tables
from dashboard_app.exporter.allocation import trim
from dashboard_app.exporter.connection import ConnectionSettings, read_only_session
from dashboard_app.exporter.errors import SourceDataError
from dashboard_app.exporter.progress import Progress, StageRecord
from dashboard_app.exporter.stages import Extraction, with_discoveries
from dashboard_app.snapshot.publish import PublishResult, publish

STAGES: tuple[str, ...] = (
    "connect", "neos", "discovery", "missing", "tracklets", "apparitions", "stations", "newest", "assemble", "write",
)  # fmt: skip
"""The export's stages in the order they run (``publish`` follows)."""


@dataclass
class ExportResult:
    """A finished export: what was published and what each stage cost."""

    published: PublishResult
    stages: list[dict] = field(default_factory=list)
    source: str = ""


def extract_into(con: sqlite3.Connection, settings: ConnectionSettings, progress: Progress) -> dict[str, str]:
    """Read ``mpc_sbn`` in one read-only transaction and write the snapshot's data tables into ``con``.

    Returns the meta entries the builder owns. Apparition rows are written batch by batch
    while they are read; the small tables follow at the end.
    """
    written: dict[str, int] = {}

    def write(name: str, frame: pd.DataFrame) -> None:
        write_table(con, name, frame)
        written[name] = written.get(name, 0) + len(frame)

    with ExitStack() as stack:
        with progress.stage("connect"):
            conn = stack.enter_context(read_only_session(settings))
        x = Extraction(conn, settings, progress)
        neos = x.neos()
        disc = x.discoveries(neos)
        found = with_discoveries(neos, disc)
        ids = tables.neo_ids(found)
        missing = x.missing_counts(neos, found.loc[found["disc_obs_id"].isna(), "neo_key"].to_numpy("int64"))
        tracklet_obs = x.tracklets(neos, disc)
        seen, depth = x.apparitions(neos, disc, ids, write)
        checkpoints.reached("export", "write:apparitions")
        obscodes, newest = x.small_tail()
    values = newest["newest_us"]
    if values.empty or pd.isna(values.iloc[0]):
        raise SourceDataError("obs_sbn holds no observations: nothing to export")
    with progress.stage("assemble") as record:
        trk = tables.tracklet_summary(tracklet_obs)
        del tracklet_obs
        stations = tables.stations_table(obscodes, set(found["disc_stn"].dropna()) | seen)
        data = {
            "discoveries": tables.discoveries_table(found, trk, stations, ids),
            "stations": stations,
            "missing_discoveries": tables.missing_table(found, missing),
            "site_depth": depth.table(int(values.iloc[0])),
        }
        record.rows = sum(len(f) for f in data.values())
    with progress.stage("write") as record:
        for name, frame in data.items():
            write(name, frame)
            checkpoints.reached("export", f"write:{name}")
        record.rows = sum(written.values())
    return {"newest_observation_utc": tables.iso_utc(values.astype("int64")).iloc[0]}


def _sqlite_column(values: pd.Series) -> list:
    """Python values for sqlite3 with missing values as None."""
    if pd.api.types.is_float_dtype(values.dtype):
        return [None if math.isnan(v) else v for v in values.tolist()]
    if pd.api.types.is_integer_dtype(values.dtype) and not values.hasnans:
        return values.astype("int64").tolist()
    return [None if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA else v for v in values.tolist()]


def write_table(con: sqlite3.Connection, name: str, frame: pd.DataFrame) -> None:
    """Insert ``frame`` (columns in the schema's order) into snapshot table ``name``."""
    if frame.empty:
        return
    columns = list(frame.columns)
    placeholders = ", ".join("?" for _ in columns)
    rows = zip(*(_sqlite_column(frame[c]) for c in columns), strict=True)
    con.executemany(f"INSERT INTO {name} ({', '.join(columns)}) VALUES ({placeholders})", rows)


def export_snapshot(
    data_dir: Path,
    settings: ConnectionSettings,
    *,
    keep: int,
    max_row_drop: float,
    progress: Progress,
) -> ExportResult:
    """Extract, build and publish one snapshot into ``data_dir``; raises an export or publish error."""
    source = settings.public_source()  # snapshots are public: no role, host or port (see describe())

    def build(con: sqlite3.Connection) -> dict[str, str]:
        meta = {"source": source, "synthetic": "0", **extract_into(con, settings, progress)}
        trim()  # the extraction's freed pages, before the publisher reads the snapshot back
        return meta

    start = time.perf_counter()
    result = publish(data_dir, build, keep=keep, max_row_drop=max_row_drop)
    # publish() ran the stages above inside build(); its own share is validation, fsync, rename, retention.
    own = time.perf_counter() - start - sum(s.seconds for s in progress.stages)
    record = StageRecord("publish", rows=sum(result.row_counts.values()), seconds=max(0.0, own))
    progress.stages.append(record)
    progress.say(f"publish: snapshot {result.snapshot_id} validated and published in {record.seconds:.1f}s")
    return ExportResult(result, [s.as_dict() for s in progress.stages], source)
