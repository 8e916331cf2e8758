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
import psycopg
import pyarrow as pa

from dashboard_app.exporter import queries, tables
from dashboard_app.exporter.connection import ConnectionSettings, classify, read_only_session
from dashboard_app.exporter.errors import SourceDataError
from dashboard_app.exporter.fetch import copy_frame
from dashboard_app.exporter.progress import Progress, StageRecord, pause_here
from dashboard_app.snapshot.publish import PublishResult, publish

_T = pa.string()
_I = pa.int64()
_F = pa.float64()

COLUMNS: dict[str, dict[str, pa.DataType]] = {
    "neos": {
        "neo_key": _I, "provid": _T, "packed_provid": _T, "permid": _T, "q": _F, "e": _F, "i": _F, "h": _F,
        "disc_obs_id": _I, "disc_us": _I, "disc_stn": _T, "disc_trkid": _T,
    },
    "missing": {"neo_key": _I, "n_obs": _I},
    "tracklets": {
        "neo_key": _I, "id": _I, "t_us": _I, "ra": _F, "dec": _F, "mag": _F, "band": _T, "disc_ra": _F,
    },
    "apparitions": {"neo_key": _I, "stn": _T, "trkid": _T, "id": _I, "dt_us": _I},
    "stations": {"stn": _T, "name": _T, "longitude": _F, "rhocosphi": _F, "rhosinphi": _F},
    "newest": {"newest_us": _I},
}  # fmt: skip
"""Each stage query's output columns with their Arrow types."""


STAGES: tuple[str, ...] = ("neos", "missing", "tracklets", "apparitions", "stations", "newest")
"""The query stages, in the order they run."""


@dataclass
class ExportResult:
    """A finished export: what was published and what each stage cost."""

    published: PublishResult
    stages: list[dict] = field(default_factory=list)
    source: str = ""


def _fetch(conn: psycopg.Connection, settings: ConnectionSettings, progress: Progress, stage: str) -> pd.DataFrame:
    with progress.stage(stage) as record:
        try:
            fetched = copy_frame(conn, queries.stage_queries()[stage], COLUMNS[stage])
        except psycopg.Error as exc:
            raise classify(exc, conn, settings, f"the {stage} query") from None
        record.rows = len(fetched.frame)
        record.db_seconds = fetched.wait_s
    return fetched.frame


def extract(settings: ConnectionSettings, progress: Progress) -> dict[str, pd.DataFrame]:
    """Run every stage query in one read-only transaction; stage name → frame."""
    with ExitStack() as stack:
        with progress.stage("connect"):
            conn = stack.enter_context(read_only_session(settings))
        frames = {stage: _fetch(conn, settings, progress, stage) for stage in STAGES}
    if frames["neos"]["provid"].duplicated().any():
        dup = frames["neos"].loc[frames["neos"]["provid"].duplicated(), "provid"].iloc[0]
        raise SourceDataError(
            f"mpc_orbits or numbered_identifications list the designation {dup!r} more than once; "
            "the export needs one row per object"
        )
    return frames


def snapshot_tables(frames: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The snapshot's data tables from the extracted frames (pure)."""
    neos = frames["neos"]
    ids = tables.neo_ids(neos)
    apparitions = tables.apparitions_table(frames.pop("apparitions"), ids)  # the largest frame: free it early
    tracklets = tables.tracklet_summary(frames["tracklets"])
    referenced = set(neos["disc_stn"].dropna()) | set(apparitions["stn"])
    stations = tables.stations_table(frames["stations"], referenced)
    return {
        "discoveries": tables.discoveries_table(neos, tracklets, stations, ids),
        "apparitions": apparitions,
        "stations": stations,
        "missing_discoveries": tables.missing_table(neos, frames["missing"]),
    }


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
    source = f"PostgreSQL mpc_sbn at {settings.describe()}"

    def build(con: sqlite3.Connection) -> dict[str, str]:
        frames = extract(settings, progress)
        with progress.stage("assemble") as record:
            data = snapshot_tables(frames)
            record.rows = sum(len(f) for f in data.values())
        with progress.stage("write") as record:
            for name, frame in data.items():
                write_table(con, name, frame)
                record.rows += len(frame)
                pause_here(f"write:{name}", progress.stream)
        newest = frames["newest"]["newest_us"]
        if newest.empty or pd.isna(newest.iloc[0]):
            raise SourceDataError("obs_sbn holds no observations: nothing to export")
        return {
            "source": source,
            "synthetic": "0",
            "newest_observation_utc": tables.iso_utc(newest.astype("int64")).iloc[0],
        }

    start = time.perf_counter()
    result = publish(data_dir, build, keep=keep, max_row_drop=max_row_drop)
    # publish() ran the stages above inside build(); its own share is validation, fsync, rename, retention.
    own = time.perf_counter() - start - sum(s.seconds for s in progress.stages)
    record = StageRecord("publish", rows=sum(result.row_counts.values()), seconds=max(0.0, own))
    progress.stages.append(record)
    progress.say(f"publish: snapshot {result.snapshot_id} validated and published in {record.seconds:.1f}s")
    return ExportResult(result, [s.as_dict() for s in progress.stages], source)
