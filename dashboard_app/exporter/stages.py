"""The export's extraction: small tables once, the discovery step once, then ``obs_sbn`` in NEO batches.

Each stage streams its rows with ``COPY`` (``fetch.copy_frame``) inside the export's
one read-only REPEATABLE READ transaction. The exporter numbers the NEOs itself
(``neo_key``) and hands them back to PostgreSQL a batch at a time as literal
arrays, so no stage recomputes another's result and memory stays bounded by the
batch: the apparition rows of one batch are counted and written to the snapshot
before the next batch is read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd
import psycopg
import pyarrow as pa
from psycopg import sql

from dashboard_app.exporter import all_time, queries, tables
from dashboard_app.exporter.connection import ConnectionSettings, classify
from dashboard_app.exporter.errors import SourceDataError
from dashboard_app.exporter.fetch import copy_frame
from dashboard_app.exporter.progress import Progress, StageRecord

BATCH_NEOS = 1_000
"""NEOs per batched query: bounds each statement's time on a cold replica and the exporter's memory."""
DUPLICATE_TIME_TOLERANCE_US = 1_000_000
"""Rows of one object and station this close in time may be duplicates (their ``obs80_bit`` is looked up)."""

_T, _I, _F = pa.string(), pa.int64(), pa.float64()
COLUMNS: dict[str, dict[str, pa.DataType]] = {
    "neos": {"provid": _T, "packed_provid": _T, "permid": _T, "q": _F, "e": _F, "i": _F, "h": _F},
    "designations": {"provid": _T, "des": _T},
    "discovery": {
        "neo_key": _I, "id": _I, "t_us": _I, "stn": _T, "trkid": _T, "ra": _F, "dec": _F, "mag": _F, "band": _T,
    },
    "missing": {"neo_key": _I, "id": _I, "stn": _T, "t_us": _I, "obs80_bit": _T},
    "tracklets": {
        "neo_key": _I, "id": _I, "t_us": _I, "stn": _T, "ra": _F, "dec": _F, "mag": _F, "band": _T, "obs80_bit": _T,
    },
    "apparitions": {"neo_key": _I, "id": _I, "stn": _T, "trkid": _T, "dt_us": _I, "mag": _F, "band": _T},
    "duplicates": {"id": _I, "obs80_bit": _T},
    "stations": {"stn": _T, "name": _T, "longitude": _F, "rhocosphi": _F, "rhosinphi": _F, "obs_type": _T},
    "newest": {"newest_us": _I},
}  # fmt: skip
"""Each query's output columns with their Arrow types."""


@dataclass
class Neos:
    """The NEOs with client-side keys, their names and (once found) their discovery observations."""

    frame: pd.DataFrame  # neo_key, provid, packed_provid, permid, q, e, i, h [+ disc_* columns]
    names: pd.DataFrame  # neo_key, des: the primary and every secondary designation, unique

    def batches(self, keys: np.ndarray, size: int = BATCH_NEOS) -> Iterator[np.ndarray]:
        """``keys`` in consecutive slices of at most ``size``."""
        for start in range(0, len(keys), size):
            yield keys[start : start + size]

    def probe_arrays(self, keys: np.ndarray, times_us: pd.Series | None = None) -> dict[str, sql.Composable]:
        """The literal arrays of :func:`queries._probes` for a batch of ``keys`` (with discovery times)."""
        names = self.names[self.names["neo_key"].isin(keys)]
        numbered = self.frame[self.frame["neo_key"].isin(keys) & self.frame["permid"].notna()]
        out: dict[str, sql.Composable] = {
            "des_keys": queries.array(names["neo_key"].to_numpy("int64")),
            "des": queries.array(names["des"].astype(object).tolist()),
            "num_keys": queries.array(numbered["neo_key"].to_numpy("int64")),
            "numbers": queries.array(numbered["permid"].astype(object).tolist()),
        }
        if times_us is not None:
            out["des_times"] = queries.timestamps(times_us.reindex(names["neo_key"]).to_numpy("int64"))
            out["num_times"] = queries.timestamps(times_us.reindex(numbered["neo_key"]).to_numpy("int64"))
        return out


class Extraction:
    """Runs the stage queries on one read-only connection and keeps a record per stage."""

    def __init__(self, conn: psycopg.Connection, settings: ConnectionSettings, progress: Progress):
        self.conn, self.settings, self.progress = conn, settings, progress

    def fetch(self, record: StageRecord, stage: str, query: sql.Composable) -> pd.DataFrame:
        """Rows of ``query`` (columns of ``stage``), counted into ``record``."""
        try:
            fetched = copy_frame(self.conn, query, COLUMNS[stage])
        except psycopg.Error as exc:
            raise classify(exc, self.conn, self.settings, f"the {stage} query") from None
        record.rows += len(fetched.frame)
        record.db_seconds += fetched.wait_s
        return fetched.frame

    def neos(self) -> Neos:
        """Stage ``neos``: every NEO numbered 1..N in binary designation order, with all its names."""
        with self.progress.stage("neos") as record:
            small = queries.small_table_queries()
            frame = self.fetch(record, "neos", small["neos"])
            secondary = self.fetch(record, "designations", small["designations"])
        dup = frame["provid"].duplicated()
        if dup.any():
            raise SourceDataError(
                f"mpc_orbits or numbered_identifications list the designation {frame['provid'][dup].iloc[0]!r} "
                "more than once; the export needs one row per object"
            )
        encoded = [str(p).encode() for p in frame["provid"].tolist()]  # binary (C collation) order
        order = sorted(range(len(frame)), key=encoded.__getitem__)
        frame = frame.iloc[order].reset_index(drop=True)
        frame.insert(0, "neo_key", np.arange(1, len(frame) + 1, dtype="int64"))
        key_of = pd.Series(frame["neo_key"].to_numpy(), index=frame["provid"].astype(object))
        secondary = secondary[secondary["provid"].isin(key_of.index)]
        names = pd.concat(
            [
                pd.DataFrame({"neo_key": frame["neo_key"], "des": frame["provid"].astype(object)}),
                pd.DataFrame(
                    {"neo_key": key_of.reindex(secondary["provid"]).to_numpy(), "des": secondary["des"].astype(object)}
                ),
            ],
            ignore_index=True,
        ).drop_duplicates()
        return Neos(frame, names.sort_values(["neo_key", "des"]).reset_index(drop=True))

    def discoveries(self, neos: Neos) -> pd.DataFrame:
        """Stage ``discovery``: each NEO's discovery observation (one row per NEO that has one)."""
        parts = []
        with self.progress.stage("discovery") as record:
            for keys in neos.batches(neos.frame["neo_key"].to_numpy("int64")):
                query = queries.compose(queries.DISCOVERY, **neos.probe_arrays(keys))
                parts.append(self.fetch(record, "discovery", query))
        return _concat(parts, "discovery")

    def missing_counts(self, neos: Neos, keys: np.ndarray) -> pd.DataFrame:
        """Stage ``missing``: live observation counts (duplicates once) of the NEOs in ``keys``."""
        parts = []
        with self.progress.stage("missing") as record:
            for batch in neos.batches(keys):
                parts.append(
                    self.fetch(
                        record, "missing", queries.compose(queries.MISSING_OBSERVATIONS, **neos.probe_arrays(batch))
                    )
                )
        obs = tables.drop_duplicates(_concat(parts, "missing"))
        return obs.groupby("neo_key").size().rename("n_obs").reset_index()

    def tracklets(self, neos: Neos, disc: pd.DataFrame) -> pd.DataFrame:
        """Stage ``tracklets``: the discovery tracklets' observations (the discovery alone without trkid)."""
        parts = []
        with self.progress.stage("tracklets") as record:
            with_trkid = disc[disc["trkid"].notna()]
            for keys in neos.batches(with_trkid["neo_key"].to_numpy("int64")):
                rows = with_trkid[with_trkid["neo_key"].isin(keys)]
                query = queries.compose(
                    queries.TRACKLETS,
                    keys=queries.array(rows["neo_key"].to_numpy("int64")),
                    trkids=queries.array(rows["trkid"].astype(object).tolist()),
                    times=queries.timestamps(rows["t_us"].to_numpy("int64")),
                )
                parts.append(tables.drop_duplicates(self.fetch(record, "tracklets", query)))
            alone = disc[disc["trkid"].isna()].assign(obs80_bit=None)[list(COLUMNS["tracklets"])]
            obs = pd.concat([*parts, alone], ignore_index=True) if parts else alone
            record.rows += len(alone)
        ra = disc.set_index("neo_key")["ra"]
        return obs.assign(disc_ra=ra.reindex(obs["neo_key"]).to_numpy("float64"))

    def apparitions(
        self, neos: Neos, disc: pd.DataFrame, ids: pd.Series, write: Callable[[str, pd.DataFrame], None]
    ) -> tuple[set[str], all_time.DepthSample]:
        """Stage ``apparitions``: every observation of each batch of NEOs, all time.

        Each batch's ``apparitions`` rows (within ±200 days) and ``lifetime`` rows (all time) are
        counted and ``write``-n (table name, rows) before the next batch is read; the observations'
        band-corrected magnitudes are kept compactly for ``site_depth``. Returns the stations seen.
        """
        times = disc.set_index("neo_key")["t_us"]
        stations: set[str] = set()
        depth = all_time.DepthSample()
        with self.progress.stage("apparitions") as record:
            for keys in neos.batches(disc["neo_key"].to_numpy("int64")):
                query = queries.compose(queries.OBSERVATIONS, **neos.probe_arrays(keys, times))
                obs = self._without_duplicates(record, self.fetch(record, "apparitions", query), times)
                inside = obs["dt_us"].abs().to_numpy() <= tables.APPARITION_HALF_WINDOW_US
                rows = tables.apparitions_table(obs[inside], ids)
                write("apparitions", rows)
                life = all_time.lifetime_table(obs, ids)
                write("lifetime", life)
                t_us = obs["dt_us"].to_numpy("int64") + times.reindex(obs["neo_key"]).to_numpy("int64")
                depth.add(obs["stn"], t_us, tables.v_magnitudes(obs["mag"], obs["band"]).to_numpy())
                stations.update(life["stn"].tolist())
                del obs, rows, life
        return stations, depth

    def _without_duplicates(self, record: StageRecord, obs: pd.DataFrame, times: pd.Series) -> pd.DataFrame:
        t_us = obs["dt_us"].to_numpy("int64") + times.reindex(obs["neo_key"]).to_numpy("int64")
        maybe = tables.possible_duplicates(
            obs["neo_key"].to_numpy("int64"), obs["stn"], t_us, DUPLICATE_TIME_TOLERANCE_US
        )
        if not maybe.any():
            return obs
        bits = self.fetch(
            record,
            "duplicates",
            queries.compose(queries.OBS80_BITS, ids=queries.array(obs["id"][maybe].to_numpy("int64"))),
        )
        candidates = obs[maybe].merge(bits, on="id", how="left")
        kept = tables.drop_duplicates(candidates)
        dropped = set(candidates["id"]) - set(kept["id"])
        return obs[~obs["id"].isin(dropped).to_numpy()] if dropped else obs

    def small_tail(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Stages ``stations`` and ``newest``."""
        small = queries.small_table_queries()
        with self.progress.stage("stations") as record:
            stations = self.fetch(record, "stations", small["stations"])
        with self.progress.stage("newest") as record:
            newest = self.fetch(record, "newest", small["newest"])
        return stations, newest


def _concat(parts: list[pd.DataFrame], stage: str) -> pd.DataFrame:
    if parts:
        return pd.concat(parts, ignore_index=True)
    return pd.DataFrame({name: pd.Series([], dtype=t.to_pandas_dtype()) for name, t in COLUMNS[stage].items()})


def with_discoveries(neos: Neos, disc: pd.DataFrame) -> pd.DataFrame:
    """The NEO frame with its discovery columns (``disc_obs_id``, ``disc_us``, ``disc_stn``, ``disc_trkid``)."""
    cols = {"id": "disc_obs_id", "t_us": "disc_us", "stn": "disc_stn", "trkid": "disc_trkid"}
    found = disc[["neo_key", *cols]].rename(columns=cols)
    found = found.astype({"disc_obs_id": "Int64", "disc_us": "Int64"})
    return neos.frame.merge(found, on="neo_key", how="left", validate="one_to_one")
