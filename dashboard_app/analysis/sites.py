"""Follow-up sites: which stations followed up the NEOs discovered in chosen years, how much and how deep.

Pure functions over the snapshot's frames (no Dash, no I/O). Follow-up is by **station**
(:data:`dashboard_app.definitions.FOLLOWUP_BY_STATION`): a station's observations of a NEO count
only when another station discovered it. What is counted depends on the scope:

- ``apparition``: the ``apparitions`` counts inside the window W, after discovery (0 ≤ Δt ≤ W) or,
  with precoveries, either side (|Δt| ≤ W); with W = 200 and no precoveries this is the rule itself;
- ``alltime``: the ``lifetime`` table (every observation of the NEO, any time);
- ``recovery``: stations that observed the NEO later than its apparition (last Δt > 200 d); their
  tracklets and observations outside the apparition (``lifetime`` minus the apparition's |Δt| ≤ 200).

Station codes are held as integer indexes into one sorted tuple of codes (:class:`SiteRows`), so a new
selection is a few masks and ``bincount`` calls over arrays, not a pandas group-by.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from dashboard_app.definitions import APPARITION_HALF_WINDOW_DAYS, APPARITION_WINDOWS_DAYS, SITE_DEPTH_V_RANGE
from dashboard_app.snapshot.schema import CountKind, CountSide, count_column

SCOPE_APPARITION = "apparition"
SCOPE_ALL_TIME = "alltime"
SCOPE_RECOVERY = "recovery"
SCOPES: tuple[str, ...] = (SCOPE_APPARITION, SCOPE_ALL_TIME, SCOPE_RECOVERY)
SCOPE_LABELS: dict[str, str] = {
    SCOPE_APPARITION: "Discovery apparition",
    SCOPE_ALL_TIME: "All time",
    SCOPE_RECOVERY: "Recovery only (later than the apparition)",
}

METRICS: tuple[str, ...] = ("neos", "tracklets", "observations")
METRIC_LABELS: dict[str, str] = {"neos": "NEOs", "tracklets": "Tracklets", "observations": "Observations"}

DEPTH_STATS: dict[str, str] = {
    "v_median": "Median V",
    "v_robust": "Median + 1.4826·MAD",
    "v_mean_1sd": "Mean + 1σ",
    "v_p95": "95th percentile",
}
"""Site-depth statistics of the ``site_depth`` table (column → label)."""
DEPTH_BOUNDS: tuple[float, float] = SITE_DEPTH_V_RANGE

TYPE_ALL = "all"
TYPE_UNKNOWN = "unknown"
SITE_TYPES: tuple[str, ...] = ("optical", "satellite", "radar", "occultation", "roving")
"""``stations.obs_type`` values (obscodes' observations_type); NULL is :data:`TYPE_UNKNOWN`."""

SHOWN_ACTIVE = "active"
SHOWN_ALL = "all"


@dataclass(frozen=True)
class SiteSelection:
    """The NEOs (discovery years) and the observations counted (scope; window and precovery in the apparition)."""

    years: tuple[int, int]
    scope: str = SCOPE_APPARITION
    window: int = APPARITION_HALF_WINDOW_DAYS
    precovery: bool = False

    def normalised(self) -> SiteSelection:
        """Equal selections compare equal: window and precovery mean nothing outside the apparition scope."""
        if self.scope not in SCOPES:
            raise ValueError(f"scope must be one of {SCOPES}, not {self.scope!r}")
        if self.window not in APPARITION_WINDOWS_DAYS:
            raise ValueError(f"window must be one of {APPARITION_WINDOWS_DAYS}, not {self.window!r}")
        years = (int(self.years[0]), int(self.years[1]))
        if self.scope != SCOPE_APPARITION:
            return SiteSelection(years, self.scope)
        return replace(self, years=years)


@dataclass(frozen=True)
class SiteFilter:
    """Which sites are shown: observatory type, NEO-active only or all, and a V-depth range on one statistic."""

    site_type: str = TYPE_ALL
    shown: str = SHOWN_ACTIVE
    depth_stat: str = "v_robust"
    depth_range: tuple[float, float] = DEPTH_BOUNDS


@dataclass(frozen=True)
class StationIndex:
    """What a snapshot needs computed once (a few MB at full scale, memoised by the tab): every station code
    (sorted), each frame's categorical station codes mapped to indexes into them, each NEO's discovery
    year and station, and for each ``lifetime`` row the ``apparitions`` row of the same NEO × station."""

    codes: tuple[str, ...]
    disc_year: np.ndarray  # by neo_id (0 unused: ids start at 1)
    disc_stn: np.ndarray  # by neo_id: index into codes (−1: none)
    app_stn: np.ndarray  # int16 per apparitions row: index into codes
    life_stn: np.ndarray  # int16 per lifetime row: index into codes
    life_app_row: np.ndarray  # int32: the apparitions row of each lifetime row, −1 when none


@dataclass(frozen=True)
class SiteRows:
    """The snapshot's NEO × station rows as arrays (mostly views of the frames: cheap to build per request);
    stations as indexes into ``codes``."""

    codes: tuple[str, ...]
    disc_year: np.ndarray
    disc_stn: np.ndarray
    app_neo: np.ndarray
    app_stn: np.ndarray
    apparitions: pd.DataFrame  # its window-count columns, read when a selection needs them
    life_neo: np.ndarray
    life_stn: np.ndarray
    life_last_dt: np.ndarray
    life_obs: np.ndarray
    life_trk: np.ndarray
    life_app_row: np.ndarray

    def app_counts(self, kind: CountKind, side: CountSide, window: int) -> np.ndarray:
        """A window-count column of ``apparitions`` as an array (a view of the frame's column)."""
        return self.apparitions[count_column(kind, side, window)].to_numpy()

    def life_app_counts(self, kind: CountKind) -> np.ndarray:
        """Each lifetime row's apparition count of ``kind`` (|Δt| ≤ 200 d), 0 when it has none."""
        counts = self.app_counts(kind, "any", APPARITION_HALF_WINDOW_DAYS)
        row = self.life_app_row
        return np.where(row >= 0, counts[np.maximum(row, 0)] if len(counts) else 0, 0)


def _categories(values: pd.Series) -> pd.Series:
    return values if isinstance(values.dtype, pd.CategoricalDtype) else values.astype(str).astype("category")


def _category_map(codes: pd.Index, values: pd.Series) -> np.ndarray:
    """Index into ``codes`` of each category of ``values`` (categorical)."""
    return codes.get_indexer(_categories(values).cat.categories.astype(str)).astype("int64")


def _stn(mapping: np.ndarray, values: pd.Series) -> np.ndarray:
    cat = _categories(values).cat.codes.to_numpy()
    return np.where(cat >= 0, mapping[np.maximum(cat, 0)] if len(mapping) else -1, -1)


def station_index(
    discoveries: pd.DataFrame, apparitions: pd.DataFrame, lifetime: pd.DataFrame, stations: pd.DataFrame
) -> StationIndex:
    """Build the :class:`StationIndex` of a snapshot's frames (``lifetime`` from schema v2)."""
    universe = set(stations["stn"].astype(str))
    for frame, column in ((discoveries, "disc_stn"), (apparitions, "stn"), (lifetime, "stn")):
        universe.update(str(c) for c in _categories(frame[column]).cat.categories)
    codes = pd.Index(sorted(universe))
    neo_ids = discoveries["neo_id"].to_numpy(dtype="int64")
    size = int(neo_ids.max()) + 1 if len(neo_ids) else 1
    disc_year = np.zeros(size, dtype="int16")
    disc_year[neo_ids] = discoveries["disc_year"].to_numpy()
    disc_stn = np.full(size, -1, dtype="int32")
    disc_stn[neo_ids] = _stn(_category_map(codes, discoveries["disc_stn"]), discoveries["disc_stn"])
    small = "int16" if len(codes) < np.iinfo(np.int16).max else "int32"
    app_stn = _stn(_category_map(codes, apparitions["stn"]), apparitions["stn"]).astype(small)
    life_stn = _stn(_category_map(codes, lifetime["stn"]), lifetime["stn"]).astype(small)
    # The apparitions row of each lifetime row, by the key neo_id × station.
    n = len(codes)
    app_key = apparitions["neo_id"].to_numpy(dtype="int64") * n + app_stn
    life_key = lifetime["neo_id"].to_numpy(dtype="int64") * n + life_stn
    life_app_row = np.full(len(life_key), -1, dtype="int32")
    if len(app_key):
        order = np.argsort(app_key, kind="stable")
        pos = np.minimum(np.searchsorted(app_key[order], life_key), len(order) - 1)
        found = app_key[order][pos] == life_key
        life_app_row[found] = order[pos[found]]
    return StationIndex(tuple(codes), disc_year, disc_stn, app_stn, life_stn, life_app_row)


def site_rows(index: StationIndex, apparitions: pd.DataFrame, lifetime: pd.DataFrame) -> SiteRows:
    """The :class:`SiteRows` of a snapshot's frames and their :class:`StationIndex`."""
    return SiteRows(
        codes=index.codes,
        disc_year=index.disc_year,
        disc_stn=index.disc_stn,
        app_neo=apparitions["neo_id"].to_numpy(),
        app_stn=index.app_stn,
        apparitions=apparitions,
        life_neo=lifetime["neo_id"].to_numpy(),
        life_stn=index.life_stn,
        life_last_dt=lifetime["last_dt"].to_numpy(dtype="float64"),
        life_obs=lifetime["n_obs"].to_numpy(),
        life_trk=lifetime["n_trk"].to_numpy(),
        life_app_row=index.life_app_row,
    )


@dataclass(frozen=True)
class Followups:
    """Follow-up of the selected NEOs by station: the NEO × station pairs and per-station totals.

    ``pair_neo``/``pair_stn`` list every NEO × station pair with follow-up in the scope (the station did not
    discover the NEO); per-station arrays are indexed like :attr:`SiteRows.codes`.
    """

    selection: SiteSelection
    n_neos: int
    neo_ids: np.ndarray  # the selected NEOs
    pair_neo: np.ndarray
    pair_stn: np.ndarray
    neos: np.ndarray
    tracklets: np.ndarray
    observations: np.ndarray
    discovered: np.ndarray  # selected NEOs each station discovered (never its follow-up)

    def without_pairs(self) -> Followups:
        """The per-station totals without the pair arrays and NEO ids (the part worth memoising: a few kB, not
        megabytes); :func:`sites_per_neo` needs the whole result."""
        empty = np.zeros(0, dtype="int64")
        return replace(self, pair_neo=empty, pair_stn=empty, neo_ids=empty)

    def metric(self, name: str) -> np.ndarray:
        """Per-station values of ``name`` (:data:`METRICS`)."""
        if name not in METRICS:
            raise ValueError(f"metric must be one of {METRICS}, not {name!r}")
        return {"neos": self.neos, "tracklets": self.tracklets, "observations": self.observations}[name]


def followups(rows: SiteRows, selection: SiteSelection) -> Followups:
    """Follow-up by station of the NEOs discovered in ``selection.years``, in its scope (module docstring)."""
    sel = selection.normalised()
    lo, hi = sel.years
    chosen = (rows.disc_year >= lo) & (rows.disc_year <= hi)
    chosen[0] = False  # neo_id 0 is never used
    n = len(rows.codes)
    if sel.scope == SCOPE_APPARITION:
        side: CountSide = "any" if sel.precovery else "post"
        obs = rows.app_counts("obs", side, sel.window)
        trk = rows.app_counts("trk", side, sel.window)
        neo, stn = rows.app_neo, rows.app_stn
        keep = obs > 0
    else:
        neo, stn = rows.life_neo, rows.life_stn
        if sel.scope == SCOPE_ALL_TIME:
            obs, trk = rows.life_obs, rows.life_trk
            keep = obs > 0
        else:
            keep = rows.life_last_dt > APPARITION_HALF_WINDOW_DAYS
            obs = rows.life_obs.astype("int64") - rows.life_app_counts("obs")
            trk = rows.life_trk.astype("int64") - rows.life_app_counts("trk")
    keep = keep & chosen[neo] & (stn != rows.disc_stn[neo]) & (stn >= 0)
    pair_neo, pair_stn = neo[keep], stn[keep]
    selected = np.flatnonzero(chosen)
    disc = rows.disc_stn[selected]
    return Followups(
        selection=sel,
        n_neos=len(selected),
        neo_ids=selected,
        pair_neo=pair_neo,
        pair_stn=pair_stn,
        neos=np.bincount(pair_stn, minlength=n),
        tracklets=np.bincount(pair_stn, weights=trk[keep], minlength=n).astype("int64"),
        observations=np.bincount(pair_stn, weights=obs[keep], minlength=n).astype("int64"),
        discovered=np.bincount(disc[disc >= 0], minlength=n),
    )


# --- sites: the stations table, filtered --------------------------------------------------------------


def site_info(rows: SiteRows, stations: pd.DataFrame, site_depth: pd.DataFrame) -> pd.DataFrame:
    """One row per code of ``rows.codes``: name, type, longitude (−180..180), latitude, whether it observed
    any NEO at any time (``active``), and its depth statistics (NaN when ``site_depth`` has none)."""
    info = pd.DataFrame({"stn": list(rows.codes)})
    st = stations.assign(stn=stations["stn"].astype(str)).set_index("stn")
    at = st.reindex(info["stn"])
    info["name"] = at["name"].astype(object).where(at["name"].notna(), info["stn"].to_numpy()).to_numpy()
    kind = at["obs_type"].astype(object).to_numpy()
    info["obs_type"] = np.where(pd.isna(kind), TYPE_UNKNOWN, kind)
    lon = at["longitude"].to_numpy(dtype="float64")
    ground = at["ground"].fillna(0).to_numpy(dtype="int64") == 1
    lat = at["latitude"].to_numpy(dtype="float64")
    info["longitude"] = np.where(ground, (lon + 180.0) % 360.0 - 180.0, np.nan)
    info["latitude"] = np.where(ground, lat, np.nan)
    active = np.zeros(len(rows.codes), dtype=bool)
    active[rows.life_stn[rows.life_stn >= 0]] = True
    active[rows.app_stn[rows.app_stn >= 0]] = True
    info["active"] = active
    depth = site_depth.assign(stn=site_depth["stn"].astype(str)).set_index("stn").reindex(info["stn"])
    for column in (*DEPTH_STATS, "n", "period"):
        info[f"depth_{column}" if column in ("n", "period") else column] = depth[column].to_numpy()
    return info


def shown_sites(info: pd.DataFrame, flt: SiteFilter) -> np.ndarray:
    """Boolean mask over ``info`` rows of the sites shown; sites without depth data pass the depth range."""
    mask = np.ones(len(info), dtype=bool)
    if flt.shown == SHOWN_ACTIVE:
        mask &= info["active"].to_numpy()
    elif flt.shown != SHOWN_ALL:
        raise ValueError(f"shown must be {SHOWN_ACTIVE!r} or {SHOWN_ALL!r}, not {flt.shown!r}")
    if flt.site_type != TYPE_ALL:
        mask &= info["obs_type"].to_numpy() == flt.site_type
    if flt.depth_stat not in DEPTH_STATS:
        raise ValueError(f"depth statistic must be one of {tuple(DEPTH_STATS)}, not {flt.depth_stat!r}")
    lo, hi = flt.depth_range
    if (lo, hi) != DEPTH_BOUNDS:
        depth = info[flt.depth_stat].to_numpy(dtype="float64")
        mask &= np.isnan(depth) | ((depth >= lo) & (depth <= hi))
    return mask


SITE_COLUMNS: tuple[str, ...] = (
    "stn",
    "name",
    "obs_type",
    "longitude",
    "latitude",
    "neos",
    "tracklets",
    "observations",
    "value",
    "discovered",
    "depth",
    "depth_n",
    "depth_period",
)


def site_table(info: pd.DataFrame, fu: Followups, flt: SiteFilter, metric: str) -> pd.DataFrame:
    """The sites shown, most ``metric`` first (then by code): :data:`SITE_COLUMNS`; ``value`` is the metric,
    ``depth`` the chosen depth statistic (NaN: no depth data); longitude/latitude NaN off the ground."""
    mask = shown_sites(info, flt)
    value = fu.metric(metric)[mask]
    stn = info["stn"].to_numpy(dtype=object)[mask]
    order = np.lexsort((stn, -value))
    kept = np.flatnonzero(mask)[order]

    def text(column: str) -> pd.Series:  # plain object strings: Arrow-backed ones are slow to take and iterate
        return pd.Series(info[column].to_numpy(dtype=object)[kept], dtype=object)

    frame = pd.DataFrame(
        {
            "stn": text("stn"),
            "name": text("name"),
            "obs_type": text("obs_type"),
            "longitude": info["longitude"].to_numpy()[kept],
            "latitude": info["latitude"].to_numpy()[kept],
            "neos": fu.neos[kept],
            "tracklets": fu.tracklets[kept],
            "observations": fu.observations[kept],
            "value": fu.metric(metric)[kept],
            "discovered": fu.discovered[kept],
            "depth": info[flt.depth_stat].to_numpy(dtype="float64")[kept],
            "depth_n": pd.array(info["depth_n"].to_numpy()[kept], dtype="Int64"),
            "depth_period": text("depth_period"),
        }
    )
    return frame


def sites_per_neo(fu: Followups, info: pd.DataFrame, flt: SiteFilter) -> np.ndarray:
    """For each selected NEO, how many of the sites shown followed it up (0 when none); ``fu`` with its pairs."""
    mask = shown_sites(info, flt)
    keep = mask[fu.pair_stn]
    if not len(fu.neo_ids):
        return np.zeros(0, dtype="int64")
    return np.bincount(fu.pair_neo[keep], minlength=int(fu.neo_ids.max()) + 1)[fu.neo_ids]


SUMMARY_MEASURES: tuple[str, ...] = (
    "Sites shown",
    "Sites shown on the map (ground coordinates)",
    "Sites with follow-up",
    "Sites shown without depth data",
    "NEOs in the selection",
    "NEOs followed up by a site shown",
    "Median follow-up sites per NEO",
)


def summary(table: pd.DataFrame, per_neo: np.ndarray) -> pd.DataFrame:
    """The summary card: ``measure``, ``value`` (:data:`SUMMARY_MEASURES`; the median may be a half)."""
    median: float | int = float(np.median(per_neo)) if len(per_neo) else float("nan")
    if len(per_neo) and median == int(median):
        median = int(median)
    values = [
        len(table),
        int(table["latitude"].notna().sum()),
        int((table["value"] > 0).sum()),
        int(table["depth"].isna().sum()),
        len(per_neo),
        int((per_neo > 0).sum()),
        median,
    ]
    return pd.DataFrame({"measure": list(SUMMARY_MEASURES), "value": values})


def parse_codes(text: str) -> tuple[str, ...]:
    """Station codes typed or pasted: split on commas, semicolons and white space, upper-cased, in order, once."""
    tokens = [t.strip().upper() for t in text.replace(",", " ").replace(";", " ").split()]
    return tuple(dict.fromkeys(t for t in tokens if t))


def chosen_sites(table: pd.DataFrame, codes: Iterable[str]) -> pd.DataFrame:
    """The rows of ``table`` (sites shown) for ``codes``, in the table's order (most follow-up first)."""
    wanted = set(codes)
    return table.loc[table["stn"].isin(wanted)].reset_index(drop=True)


def top_sites(table: pd.DataFrame, n: int) -> pd.DataFrame:
    """The ``n`` sites shown with the most follow-up (sites with none left out)."""
    followed = int((table["value"].to_numpy() > 0).sum())  # the table is ranked: they come first
    return table.iloc[: min(n, followed)].reset_index(drop=True)
