"""Follow-up timing: how soon after discovery a *different survey project* observes a NEO.

Rule (``definitions.FOLLOWUP_BY_PROJECT``): a follow-up is an observation at or after
the discovery time, inside the apparition, by a station of a different survey project
than the discoverer's. Per NEO × project the delay is the smallest ``first_post_dt``
over that project's stations; ranking those delays per NEO gives the 1st, 2nd, 3rd
different project. Pure functions, vectorised over the apparition rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from dashboard_app import reference
from dashboard_app.analysis.comparison import label_codes, max_neo_id, neo_id_lookup
from dashboard_app.analysis.filters import select_discoveries
from dashboard_app.analysis.survival import followup_km
from dashboard_app.definitions import APPARITION_HALF_WINDOW_DAYS

NO_FOLLOWUP = "No follow-up"
"""Column of the discovery × follow-up matrix for NEOs no other project observed."""
RANKS: tuple[int, ...] = (1, 2, 3)
MIN_BOX_VALUES = 10
MIN_YEAR_NEOS = 5
DEFAULT_MAX_DAYS = 30


@dataclass(frozen=True)
class FollowupSelection:
    """Normalised selection of the Follow-up Timing tab (hashable: a memo key)."""

    years: tuple[int, int]
    sizes: tuple[int, ...] | None = None  # size-class orders kept, None = all sizes


def followup_delays(discoveries: pd.DataFrame, apparitions: pd.DataFrame) -> pd.DataFrame:
    """Delay to each different project's first post-discovery observation, for every NEO.

    Columns: neo_id, project (the follow-up project), delay (days ≥ 0), rank (1 = first
    different project; ties broken by project order). Sorted by neo_id, rank.
    """
    names = [p.name for p in reference.projects()]
    size = max_neo_id(discoveries, apparitions)
    disc_code = np.full(size, -1, dtype=np.int16)
    disc_code[discoveries["neo_id"].to_numpy()] = label_codes(discoveries["project"], names)
    delay = apparitions["first_post_dt"].to_numpy(dtype="float64", na_value=np.nan)
    code = label_codes(apparitions["project"], names)
    neo = apparitions["neo_id"].to_numpy()
    keep = (delay >= 0) & (delay <= APPARITION_HALF_WINDOW_DAYS) & (code != disc_code[neo])
    frame = pd.DataFrame({"neo_id": neo[keep], "code": code[keep], "delay": delay[keep]})
    per = frame.groupby(["neo_id", "code"], as_index=False, sort=False)["delay"].min()
    per = per.sort_values(["neo_id", "delay", "code"], kind="stable", ignore_index=True)
    per["rank"] = per.groupby("neo_id").cumcount().astype("int16") + 1
    per["project"] = pd.Categorical.from_codes(per["code"].to_numpy(), categories=names)
    return per[["neo_id", "project", "delay", "rank"]]


def eligible_followups(
    discoveries: pd.DataFrame, delays: pd.DataFrame, selection: FollowupSelection
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The eligible discoveries (neo_id, disc_year, project) and their follow-up delays.

    ``project`` stays categorical (integer codes), as in the snapshot: no per-row strings.
    """
    needed = discoveries[["neo_id", "disc_year", "size_class", "project"]]  # no text columns copied
    chosen = select_discoveries(needed, selection.years, selection.sizes)
    eligible = pd.DataFrame(
        {
            "neo_id": chosen["neo_id"].to_numpy(),
            "disc_year": chosen["disc_year"].to_numpy().astype("int64"),
            "project": chosen["project"].to_numpy() if _is_text(chosen["project"]) else chosen["project"].array,
        }
    )
    lookup = neo_id_lookup(eligible["neo_id"], max_neo_id(discoveries, delays))
    return eligible, delays.loc[lookup[delays["neo_id"].to_numpy()]].reset_index(drop=True)


def _is_text(column: pd.Series) -> bool:
    return not isinstance(column.dtype, pd.CategoricalDtype)


def curve_days(max_days: float) -> np.ndarray:
    """Time grid of the response curves: fine near zero (log-spaced from ~15 min), linear beyond."""
    linear = np.linspace(0.0, max_days, 201)
    fine = np.geomspace(min(0.01, max_days), max_days, 120)
    return np.unique(np.round(np.concatenate([linear, fine]), 4))


def response_curves(delays: pd.DataFrame, n_eligible: int, max_days: float) -> pd.DataFrame:
    """Share of ALL eligible NEOs followed up within t days by the 1st, 2nd and 3rd different project.

    Columns: rank, days, neos (followed up by at least ``rank`` projects within ``days``),
    pct_of_eligible. NEOs never followed up keep every curve below 100 %.
    """
    days = curve_days(max_days)
    parts = []
    for rank in RANKS:
        values = np.sort(delays.loc[delays["rank"] == rank, "delay"].to_numpy())
        within = np.searchsorted(values, days, side="right")
        pct = 100.0 * within / n_eligible if n_eligible else np.full(days.shape, np.nan)
        parts.append(pd.DataFrame({"rank": rank, "days": days, "neos": within, "pct_of_eligible": pct}))
    return pd.concat(parts, ignore_index=True)


def response_curves_km(
    eligible: pd.DataFrame, delays: pd.DataFrame, censor_by_id: np.ndarray, max_days: float
) -> pd.DataFrame:
    """:func:`response_curves` beside the censoring-aware (Kaplan–Meier) share of each rank.

    ``censor_by_id[neo_id]``: days each NEO could be followed up (``survival.censor_by_neo_id``:
    data time − discovery, at most the apparition). Adds columns at_risk, km_pct, km_low95, km_high95
    (pointwise 95 % band) to every row.
    """
    plain = response_curves(delays, len(eligible), max_days)  # rank by rank, each over curve_days()
    days = curve_days(max_days)
    km = [followup_km(eligible, delays, censor_by_id, days, rank) for rank in RANKS]
    for column in ("at_risk", "km_pct", "km_low95", "km_high95"):
        plain[column] = np.concatenate([part[column].to_numpy() for part in km])
    return plain


def project_response_boxes(delays: pd.DataFrame, min_values: int = MIN_BOX_VALUES) -> pd.DataFrame:
    """Box statistics of each follow-up project's response time (its first observation of each NEO).

    Projects with at least ``min_values`` delays, sorted by median. Whiskers reach the most
    extreme delays within 1.5 IQR of the box (Tukey). Columns: project, n, minimum, lower_fence,
    q1, median, q3, upper_fence, maximum.
    """
    columns = ["project", "n", "minimum", "lower_fence", "q1", "median", "q3", "upper_fence", "maximum"]
    names = [p.name for p in reference.projects()]
    codes = label_codes(delays["project"], names)
    order = np.lexsort((delays["delay"].to_numpy(), codes))
    values, sorted_codes = delays["delay"].to_numpy()[order], codes[order]
    edges = np.searchsorted(sorted_codes, np.arange(len(names) + 1))
    rows = []
    for i, name in enumerate(names):  # one vectorised slice per project (≤ 17), not per row
        part = values[edges[i] : edges[i + 1]]
        if len(part) < min_values or len(part) == 0:
            continue
        q1, median, q3 = np.quantile(part, [0.25, 0.5, 0.75])
        iqr = q3 - q1
        low = part[np.searchsorted(part, q1 - 1.5 * iqr, side="left")]
        high = part[np.searchsorted(part, q3 + 1.5 * iqr, side="right") - 1]
        rows.append((name, len(part), part[0], low, q1, median, q3, high, part[-1]))
    stats = pd.DataFrame(rows, columns=columns).astype({"n": "int64"})
    stats = stats.astype({c: "float64" for c in columns[2:]})
    return stats.sort_values(["median", "n"], ascending=[True, False], kind="stable", ignore_index=True)


def first_followup_matrix(eligible: pd.DataFrame, delays: pd.DataFrame) -> pd.DataFrame:
    """Discovering project × first follow-up project: NEO count and median delay.

    Columns: disc_project, followup_project (``NO_FOLLOWUP`` for NEOs no other project observed),
    neos, median_delay (NaN for ``NO_FOLLOWUP``). Only non-empty cells; projects in reference order.
    Counted over integer project codes (bincount and one sort), not strings.
    """
    names = [p.name for p in reference.projects()]
    disc_names = list(dict.fromkeys([*names, *_labels(eligible["project"])]))
    labels = [*disc_names, NO_FOLLOWUP]
    none = len(labels) - 1
    first = delays.loc[delays["rank"] == 1]
    size = max_neo_id(eligible, first)
    follow_code = np.full(size, none, dtype=np.int64)
    follow_delay = np.full(size, np.nan)
    first_ids = first["neo_id"].to_numpy()
    follow_code[first_ids] = label_codes(first["project"], disc_names)
    follow_delay[first_ids] = first["delay"].to_numpy(dtype="float64")
    ids = eligible["neo_id"].to_numpy()
    key = label_codes(eligible["project"], disc_names).astype(np.int64) * len(labels) + follow_code[ids]
    delay = follow_delay[ids]
    order = np.lexsort((delay, key))  # by cell, then delay (NaN last): medians from the sorted runs
    key, delay = key[order], delay[order]
    cells, starts, counts = np.unique(key, return_index=True, return_counts=True)
    known = np.concatenate([[0], np.cumsum(~np.isnan(delay))])
    valid = known[starts + counts] - known[starts]  # delays per cell (NaN: not followed up)
    lower = delay[starts + np.maximum(valid - 1, 0) // 2]
    upper = delay[starts + valid // 2]
    median = np.where(valid > 0, (lower + upper) / 2, np.nan)
    rank = {p.name: p.order for p in reference.projects()} | {NO_FOLLOWUP: len(reference.projects()) + 1}
    out = pd.DataFrame(
        {
            # an empty selection keeps the dtypes it always had (object; text once there are rows)
            "disc_project": pd.Series([labels[c // len(labels)] for c in cells], dtype=None if len(cells) else object),
            "followup_project": pd.Series([labels[c % len(labels)] for c in cells], dtype="str"),
            "neos": counts.astype("int64"),
            "median_delay": median,
        }
    )
    return out.sort_values(
        ["disc_project", "followup_project"], key=lambda c: c.map(rank), kind="stable", ignore_index=True
    )


def _labels(column: pd.Series) -> list[str]:
    """Distinct labels of a project column (its categories when categorical)."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        return [str(c) for c in column.cat.categories]
    return sorted({str(v) for v in column.dropna()})


def annual_first_followup(eligible: pd.DataFrame, delays: pd.DataFrame, min_neos: int = MIN_YEAR_NEOS) -> pd.DataFrame:
    """Median days to first follow-up per discovery year with the interquartile range.

    Only NEOs that were followed up enter the quartiles; years with fewer than ``min_neos`` of them
    are left out. Columns: disc_year, eligible, followed, q1, median, q3.
    """
    first = delays.loc[delays["rank"] == 1, ["neo_id", "delay"]]
    merged = eligible[["neo_id", "disc_year"]].merge(first, on="neo_id", how="left")
    if merged["delay"].count() == 0:
        return pd.DataFrame(columns=["disc_year", "eligible", "followed", "q1", "median", "q3"])
    grouped = merged.groupby("disc_year")["delay"]
    out = grouped.quantile([0.25, 0.5, 0.75]).unstack()
    out.columns = ["q1", "median", "q3"]
    out.insert(0, "followed", grouped.count())
    out.insert(0, "eligible", grouped.size())
    out = out.loc[out["followed"] >= min_neos].reset_index()
    out[["eligible", "followed"]] = out[["eligible", "followed"]].astype("int64")
    return out


def followup_summary(eligible: pd.DataFrame, delays: pd.DataFrame) -> pd.DataFrame:
    """Headline rows (measure, value): eligible NEOs, followed up by ≥ 1/2/3 projects, median first delay."""
    first = delays.loc[delays["rank"] == 1, "delay"]
    n_by_rank = delays.groupby("rank").size()
    rows: list[tuple[str, float | None]] = [("Eligible NEOs", len(eligible))]
    rows += [
        (f"Followed up by at least {r} other project{'s' if r > 1 else ''}", int(n_by_rank.get(r, 0))) for r in RANKS
    ]
    rows.append(("Median days to first follow-up", round(float(first.median()), 3) if len(first) else None))
    return pd.DataFrame(rows, columns=["measure", "value"], dtype=object)
