"""Multi-survey comparison: which groups (survey projects or stations) saw each eligible NEO.

A NEO is *eligible* when its discovery year and size class match the selection.
Group G *saw* it within window W when some station of G has ``n_obs_post_W > 0``
(post-discovery only, 0 ≤ Δt ≤ W) or ``n_obs_any_W > 0`` (precoveries included,
|Δt| ≤ W). The discovering station counts: its discovery observation is at Δt = 0.
Everything here is a pure function of the snapshot frames and plain parameters.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Literal

import numpy as np
import pandas as pd

from dashboard_app import reference
from dashboard_app.analysis.filters import OTHERS, select_discoveries
from dashboard_app.definitions import APPARITION_WINDOWS_DAYS, OTHER_FOLLOWUP_PROJECT
from dashboard_app.snapshot.model import project_of
from dashboard_app.snapshot.schema import CountSide, count_column

GroupBy = Literal["project", "station"]
Metric = Literal["neos", "tracklets", "observations"]

GROUP_BY_OPTIONS: tuple[str, ...] = ("project", "station")
METRICS: tuple[str, ...] = ("neos", "tracklets", "observations")
METRIC_LABELS: dict[str, str] = {"neos": "NEOs", "tracklets": "Tracklets", "observations": "Observations"}
DEFAULT_WINDOW = 200

CATCH_ALL_GROUPS: tuple[str, ...] = ("Other Surveys", OTHER_FOLLOWUP_PROJECT, OTHERS)
"""Catch-all groups, pinned at the bottom of ranked charts."""

REACH_TOP_STATIONS = 20
MATRIX_TOP_STATIONS = 15
ANNUAL_TOP_STATIONS = 8
DETAIL_TOP_STATIONS = 25


@dataclass(frozen=True)
class SurveySelection:
    """Normalised parameters that decide the comparison sets (hashable: a memo key)."""

    years: tuple[int, int]
    sizes: tuple[int, ...] | None = None  # size-class orders kept, None = all sizes
    group_by: GroupBy = "project"
    window: int = DEFAULT_WINDOW
    precovery: bool = False

    def __post_init__(self) -> None:
        if self.window not in APPARITION_WINDOWS_DAYS:
            raise ValueError(f"window must be one of {APPARITION_WINDOWS_DAYS}, not {self.window!r}")
        if self.group_by not in GROUP_BY_OPTIONS:
            raise ValueError(f"group_by must be one of {GROUP_BY_OPTIONS}, not {self.group_by!r}")

    @property
    def side(self) -> str:
        """``any`` when precoveries count, else ``post``."""
        return "any" if self.precovery else "post"


@dataclass(frozen=True)
class Sightings:
    """Who saw which eligible NEO: the base of every comparison chart.

    ``eligible``: neo_id, disc_year, disc_stn, project of the eligible NEOs (sorted by neo_id; the text
    columns categorical).
    ``stations``: one row per eligible NEO × station that saw it: neo_id, stn, project, n_trk, n_obs.
    ``pairs``: one row per eligible NEO × group that saw it: neo_id, group, n_trk, n_obs.
    """

    selection: SurveySelection
    eligible: pd.DataFrame
    stations: pd.DataFrame
    pairs: pd.DataFrame

    @property
    def n_eligible(self) -> int:
        return len(self.eligible)

    @cached_property
    def totals(self) -> pd.DataFrame:
        """Per group that saw at least one NEO: neos, tracklets, observations (index: group name)."""
        return group_totals(self.pairs)


def window_columns(window: int, precovery: bool) -> tuple[str, str]:
    """The apparition count columns (tracklets, observations) a window and side refer to."""
    side: CountSide = "any" if precovery else "post"
    return count_column("trk", side, window), count_column("obs", side, window)


def max_neo_id(*frames: pd.DataFrame) -> int:
    """One more than the largest neo_id in the frames (the size of an id-indexed lookup)."""
    return max((int(f["neo_id"].max()) for f in frames if len(f)), default=0) + 1


def neo_id_lookup(neo_ids: pd.Series, size: int) -> np.ndarray:
    """Boolean array indexed by neo_id: True for the given ids (vectorised membership test)."""
    lookup = np.zeros(size, dtype=bool)
    lookup[neo_ids.to_numpy()] = True
    return lookup


def sightings(discoveries: pd.DataFrame, apparitions: pd.DataFrame, selection: SurveySelection) -> Sightings:
    """Build the comparison sets for a selection (vectorised; one pass over the apparition rows).

    Station and project columns stay categorical (integer codes): no per-row Python strings.
    """
    needed = discoveries[["neo_id", "disc_year", "size_class", "disc_stn", "project"]]  # no text columns copied
    chosen = select_discoveries(needed, selection.years, selection.sizes)
    eligible = pd.DataFrame(
        {
            "neo_id": chosen["neo_id"].to_numpy(),
            "disc_year": chosen["disc_year"].to_numpy(),
            "disc_stn": _categorical(chosen["disc_stn"]),
            "project": _categorical(chosen["project"]),
        }
    )
    trk_col, obs_col = window_columns(selection.window, selection.precovery)
    lookup = neo_id_lookup(eligible["neo_id"], max_neo_id(discoveries, apparitions))
    keep = lookup[apparitions["neo_id"].to_numpy()] & (apparitions[obs_col].to_numpy() > 0)
    stations = pd.DataFrame(
        {
            "neo_id": apparitions["neo_id"].to_numpy()[keep],
            "stn": _categorical(apparitions["stn"])[keep],
            "project": _categorical(apparitions["project"])[keep],
            "n_trk": apparitions[trk_col].to_numpy(dtype="int64")[keep],
            "n_obs": apparitions[obs_col].to_numpy(dtype="int64")[keep],
        }
    )
    stations = _with_discoverers(stations, eligible)
    if selection.group_by == "station":
        pairs = stations[["neo_id", "stn", "n_trk", "n_obs"]].rename(columns={"stn": "group"})
    else:
        pairs = _per_project(stations)
    return Sightings(selection, eligible, stations.reset_index(drop=True), pairs.reset_index(drop=True))


def _per_project(stations: pd.DataFrame) -> pd.DataFrame:
    """Sum the station rows per NEO × project (bincount over integer keys: no hashing, no sorting)."""
    names = [p.name for p in reference.projects()]
    codes = label_codes(stations["project"], names)
    if (codes < 0).any():  # a project outside the reference list (never from the loader): count it anyway
        names = sorted(set(names) | set(stations["project"].astype(str)))
        codes = label_codes(stations["project"], names)
    key = stations["neo_id"].to_numpy(dtype=np.int64) * len(names) + codes
    size = int(key.max()) + 1 if len(key) else 0
    present = np.flatnonzero(np.bincount(key, minlength=size))
    return pd.DataFrame(
        {
            "neo_id": (present // len(names)).astype(np.int32),
            "group": pd.Categorical.from_codes(present % len(names), categories=names),
            "n_trk": np.bincount(key, weights=stations["n_trk"].to_numpy(), minlength=size)[present].astype(np.int64),
            "n_obs": np.bincount(key, weights=stations["n_obs"].to_numpy(), minlength=size)[present].astype(np.int64),
        }
    )


def _categorical(column: pd.Series) -> pd.Categorical:
    """The column as a ``Categorical`` of strings (the loader's dtype; plain text columns are converted)."""
    values = column.array
    if isinstance(values, pd.Categorical):
        return values
    return pd.Categorical(column.astype(str))


def _with_discoverers(stations: pd.DataFrame, eligible: pd.DataFrame) -> pd.DataFrame:
    """Add (NEO, discovering station) where the apparition rows lack it: the discoverer always saw it."""
    categories = stations["stn"].cat.categories
    size = max_neo_id(stations, eligible)
    disc_code = np.full(size, -2, dtype=np.int64)  # -2: never equal to a row's code
    disc_code[eligible["neo_id"].to_numpy()] = label_codes(eligible["disc_stn"], list(categories))
    neo = stations["neo_id"].to_numpy()
    seen_by_discoverer = np.zeros(size, dtype=bool)
    seen_by_discoverer[neo[disc_code[neo] == stations["stn"].cat.codes.to_numpy()]] = True
    missing = ~seen_by_discoverer[eligible["neo_id"].to_numpy()]
    if not missing.any():
        return stations
    extra = pd.DataFrame(
        {
            "neo_id": eligible["neo_id"].to_numpy()[missing],
            "stn": eligible["disc_stn"].to_numpy(dtype=object)[missing],
            "project": eligible["project"].to_numpy(dtype=object)[missing],  # the discovery's project
            "n_trk": 0,
            "n_obs": 0,
        }
    )
    out = pd.concat([stations.astype({"stn": str, "project": str}), extra], ignore_index=True)
    out = out.sort_values(["neo_id", "stn"], kind="stable", ignore_index=True)
    return out.astype({"stn": "category", "project": "category"})


def _ranked(values: pd.Series) -> list[str]:
    """Groups by value descending (ties by name), catch-all groups last."""
    groups = [str(g) for g in values.index]
    ranked = sorted(
        zip(groups, values.tolist(), strict=True), key=lambda gv: (gv[0] in CATCH_ALL_GROUPS, -gv[1], gv[0])
    )
    return [g for g, _ in ranked]


def group_totals(pairs: pd.DataFrame, by: str = "group") -> pd.DataFrame:
    """NEOs, tracklets and observations per value of column ``by`` (bincount over its category codes)."""
    column = _categorical(pairs[by])
    codes = column.codes
    n = len(column.categories)
    out = pd.DataFrame(
        {
            "neos": np.bincount(codes, minlength=n),
            "tracklets": np.bincount(codes, weights=pairs["n_trk"].to_numpy(), minlength=n).astype(np.int64),
            "observations": np.bincount(codes, weights=pairs["n_obs"].to_numpy(), minlength=n).astype(np.int64),
        },
        index=pd.Index(column.categories.astype(str), name=by),
    )
    return out.loc[out["neos"] > 0]


def neos_per_group(s: Sightings) -> pd.Series:
    """Number of eligible NEOs each group saw, largest first."""
    return s.totals["neos"].sort_values(ascending=False, kind="stable")


def top_groups(s: Sightings, n_stations: int) -> list[str]:
    """Groups to show in matrices and lines: every project, or the top stations by NEOs seen."""
    counts = neos_per_group(s)
    ordered = _ranked(counts)
    if s.selection.group_by == "station":
        return ordered[:n_stations]
    return ordered


def reach(s: Sightings, metric: Metric) -> pd.DataFrame:
    """Reach per group (NEOs, tracklets or observations), ranked, catch-alls pinned last.

    Columns: group, project, neos, tracklets, observations, value (the chosen metric).
    Station mode keeps the top stations by the metric and folds the rest into "Others".
    """
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {METRICS}, not {metric!r}")
    per = s.totals.copy()
    if s.selection.group_by == "station" and len(per) > REACH_TOP_STATIONS:
        keep = _ranked(per[metric])[:REACH_TOP_STATIONS]
        rest = s.pairs.loc[~s.pairs["group"].isin(keep)]  # categorical isin: by codes, fast
        per = per.loc[keep]
        per.loc[OTHERS] = [rest["neo_id"].nunique(), rest["n_trk"].sum(), rest["n_obs"].sum()]
    per["value"] = per[metric]
    ordered = _ranked(per["value"])
    out = per.loc[ordered].reset_index(names="group")
    out["project"] = _project_of_groups(out["group"], s.selection.group_by)
    return out[["group", "project", "neos", "tracklets", "observations", "value"]]


def group_project(group: str, group_by: str) -> str:
    """The survey project a group belongs to (itself in project mode; "Others" stays "Others")."""
    if group_by == "project" or group == OTHERS:
        return group
    return project_of(group)


def _project_of_groups(groups: pd.Series, group_by: str) -> list[str]:
    return [group_project(g, group_by) for g in groups]


def _positions(s: Sightings) -> np.ndarray:
    """Array indexed by neo_id giving the row of that NEO in ``s.eligible`` (-1 elsewhere)."""
    ids = s.eligible["neo_id"].to_numpy()
    size = max(int(ids.max()) if len(ids) else 0, int(s.pairs["neo_id"].max()) if len(s.pairs) else 0) + 1
    position = np.full(size, -1, dtype=np.int64)
    position[ids] = np.arange(len(ids))
    return position


def label_codes(column: pd.Series, labels: list[str]) -> np.ndarray:
    """Index of each row's value in ``labels`` (-1 if absent); a categorical is mapped per category, not per row."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        per_category = pd.Index(labels).get_indexer(column.cat.categories.astype(str))
        codes = column.cat.codes.to_numpy()
        return np.where(codes >= 0, per_category[codes], -1)
    return pd.Index(labels).get_indexer(column.astype(str))


def _membership(s: Sightings, groups: list[str]) -> np.ndarray:
    """Boolean matrix eligible NEO × group (rows in ``s.eligible`` order)."""
    matrix = np.zeros((s.n_eligible, len(groups)), dtype=bool)
    codes = label_codes(s.pairs["group"], groups)
    inside = codes >= 0
    matrix[_positions(s)[s.pairs["neo_id"].to_numpy()[inside]], codes[inside]] = True
    return matrix


def co_detection(s: Sightings, groups: list[str]) -> pd.DataFrame:
    """Pairwise co-detection of the given groups, long form.

    Columns: row_group, col_group, n_row (NEOs the row group saw), n_both (NEOs both saw),
    pct_of_row (100 · n_both / n_row; NaN when the row group saw none). On the diagonal n_both = n_row.
    """
    member = _membership(s, groups).astype(np.int32)
    both = member.T @ member
    n_row = np.diag(both)
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = np.where(n_row[:, None] > 0, 100.0 * both / n_row[:, None], np.nan)
    k = len(groups)
    return pd.DataFrame(
        {
            "row_group": np.repeat(groups, k),
            "col_group": np.tile(groups, k),
            "n_row": np.repeat(n_row, k).astype("int64"),
            "n_both": both.ravel().astype("int64"),
            "pct_of_row": pct.ravel(),
        }
    )


def groups_per_neo(s: Sightings) -> pd.Series:
    """Number of groups that saw each eligible NEO (index neo_id, zeros included)."""
    counts = s.pairs.groupby("neo_id").size()
    return counts.reindex(s.eligible["neo_id"].to_numpy(), fill_value=0)


def overlap_summary(s: Sightings) -> pd.DataFrame:
    """Summary rows (measure, value): eligible NEOs, seen by any group, by exactly 1/2/≥3, mean and median."""
    per = groups_per_neo(s).to_numpy()
    one, many = ("station", "stations") if s.selection.group_by == "station" else ("survey", "surveys")
    rows = [
        ("Eligible NEOs", s.n_eligible),
        (f"Seen by any {one}", int((per >= 1).sum())),
        (f"Seen by exactly one {one}", int((per == 1).sum())),
        (f"Seen by exactly two {many}", int((per == 2).sum())),
        (f"Seen by three or more {many}", int((per >= 3).sum())),
        (f"Mean {many} per NEO", round(float(per.mean()), 2) if len(per) else None),
        (f"Median {many} per NEO", float(np.median(per)) if len(per) else None),
    ]
    return pd.DataFrame(rows, columns=["measure", "value"], dtype=object)


def venn_regions(s: Sightings, groups: list[str]) -> pd.DataFrame:
    """Counts of eligible NEOs in every region of the Venn diagram of 1–3 groups.

    Columns: mask (bit i set = seen by groups[i]), region (e.g. "A ∩ B only"), neos, pct_of_eligible.
    Every mask 1 .. 2^k − 1 appears (zero counts included), then mask 0 ("none of them").
    """
    if not 1 <= len(groups) <= 3:
        raise ValueError("a Venn diagram needs 1 to 3 groups")
    member = _membership(s, groups)
    masks = (member * (1 << np.arange(len(groups)))).sum(axis=1)
    counts = np.bincount(masks, minlength=1 << len(groups))
    order = [*range(1, 1 << len(groups)), 0]
    rows = []
    for mask in order:
        inside = [g for i, g in enumerate(groups) if mask >> i & 1]
        if not inside:
            region = "None of them"
        elif len(inside) == len(groups):
            region = " ∩ ".join(inside) if len(groups) > 1 else f"{inside[0]}"
        else:
            region = " ∩ ".join(inside) + " only"
        n = int(counts[mask])
        rows.append((mask, region, n, 100.0 * n / s.n_eligible if s.n_eligible else float("nan")))
    return pd.DataFrame(rows, columns=["mask", "region", "neos", "pct_of_eligible"])


def annual_reach(s: Sightings, groups: list[str]) -> pd.DataFrame:
    """NEOs seen per group per discovery year, with that year's eligible count and the percentage.

    Columns: disc_year, group, neos, eligible, pct_of_eligible (every year × group, zeros included).
    """
    per_year = s.eligible.groupby("disc_year").size()
    years = per_year.index.to_numpy()
    codes = label_codes(s.pairs["group"], groups)
    inside = codes >= 0
    year_index = np.searchsorted(years, s.eligible["disc_year"].to_numpy())
    rows = year_index[_positions(s)[s.pairs["neo_id"].to_numpy()[inside]]]
    counts = np.zeros((len(years), len(groups)), dtype=np.int64)
    np.add.at(counts, (rows, codes[inside]), 1)
    out = pd.DataFrame(
        {
            "disc_year": np.repeat(years, len(groups)),
            "group": np.tile(np.asarray(groups, dtype=object), len(years)),
            "neos": counts.ravel(),
        }
    )
    out["eligible"] = np.repeat(per_year.to_numpy(), len(groups))
    out["pct_of_eligible"] = 100.0 * out["neos"] / out["eligible"]
    out["disc_year"] = out["disc_year"].astype("int64")
    return out


def station_detail(s: Sightings, groups: list[str], metric: Metric, names: dict[str, str]) -> pd.DataFrame:
    """Per-station reach behind the chosen groups (all stations when none are chosen), top stations first.

    Columns: stn, name, project, neos, tracklets, observations, discovered (eligible NEOs it discovered), value.
    """
    rows = s.stations
    if groups:
        key = "stn" if s.selection.group_by == "station" else "project"
        rows = rows.loc[rows[key].isin(groups)]
    per = group_totals(rows, by="stn")
    disc_stn = _categorical(s.eligible["disc_stn"])
    discovered = pd.Series(
        np.bincount(disc_stn.codes[disc_stn.codes >= 0], minlength=len(disc_stn.categories)),
        index=disc_stn.categories.astype(str),
    )
    per["discovered"] = discovered.reindex(per.index, fill_value=0).to_numpy()
    per["value"] = per[metric]
    per = per.sort_values(["value", "neos"], ascending=False, kind="stable").head(DETAIL_TOP_STATIONS)
    out = per.reset_index(names="stn")
    out["name"] = [names.get(c, c) for c in out["stn"]]
    out["project"] = [project_of(c) for c in out["stn"]]
    return out[["stn", "name", "project", "neos", "tracklets", "observations", "discovered", "value"]]


def default_venn_groups(s: Sightings, k: int = 3) -> list[str]:
    """The k groups that saw the most NEOs, catch-alls last: a sensible first Venn."""
    return _ranked(neos_per_group(s))[:k]
