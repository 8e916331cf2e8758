"""Discoveries by year: counts per year (or cumulative) stacked by project, station or size class.

Pure functions over the snapshot's ``discoveries`` frame. Every result carries the
frame the chart is drawn from; the CSV download is that same frame.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from dashboard_app import reference
from dashboard_app.analysis.filters import (
    SIZE_SPLIT,
    TOP_N_DEFAULT,
    Stacks,
    select_discoveries,
    size_orders,
    size_stacks,
    stacks,
)

PER_YEAR = "per_year"
CUMULATIVE = "cumulative"
MODES: tuple[str, ...] = (PER_YEAR, CUMULATIVE)


@dataclass(frozen=True)
class YearlyCounts:
    """Discoveries per year and stack.

    ``table`` (one row per year in the range × stack with a non-zero total, years ascending,
    stacks bottom first) has columns ``year``, ``series`` and ``discoveries`` (per year) or
    ``cumulative_discoveries`` (from the first year of the range through ``year``).
    """

    table: pd.DataFrame
    order: tuple[str, ...]
    colours: Mapping[str, str]
    value_column: str
    stacked_by: str
    n_selected: int

    @property
    def empty(self) -> bool:
        return self.n_selected == 0


def yearly_counts(
    discoveries: pd.DataFrame,
    years: tuple[int, int],
    size: str,
    group: str,
    top_n: int = TOP_N_DEFAULT,
    mode: str = PER_YEAR,
    names: Mapping[str, str] | None = None,
) -> YearlyCounts:
    """Count discoveries per year in ``years`` for the size choice, stacked by ``group``.

    In split mode the stacks are the size classes, Unknown H included, so the split totals
    equal the all-sizes totals; ``group`` then does not apply.
    """
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}")
    rows = select_discoveries(discoveries, years, size_orders(size))
    if size == SIZE_SPLIT:
        st: Stacks = size_stacks(rows)
        stacked_by = "size"
    else:
        st = stacks(rows, group, top_n, names)
        stacked_by = group
    all_years = np.arange(years[0], years[1] + 1)
    counts = (
        pd.crosstab(rows["disc_year"].to_numpy(), st.labels.to_numpy())
        if len(rows)
        else pd.DataFrame(index=pd.Index([], dtype="int64"))
    )
    order = tuple(s for s in st.order if s in counts.columns and counts[s].sum() > 0)
    grid = counts.reindex(index=all_years, columns=list(order), fill_value=0)
    value_column = "discoveries"
    if mode == CUMULATIVE:
        grid = grid.cumsum()
        value_column = "cumulative_discoveries"
    grid.index.name = "year"
    grid.columns.name = "series"
    table = grid.T.stack().rename(value_column).reset_index()[["year", "series", value_column]]
    table = table.astype({"year": "int64", value_column: "int64"})
    return YearlyCounts(
        table=table,
        order=order,
        colours={s: st.colours.get(s, reference.UNKNOWN_COLOUR) for s in order},
        value_column=value_column,
        stacked_by=stacked_by,
        n_selected=len(rows),
    )


def size_mix(discoveries: pd.DataFrame, years: tuple[int, int], size: str) -> pd.DataFrame:
    """Discoveries of the selection per size class, every class listed (Unknown H included).

    Columns: ``size_class`` (label), ``h_min``, ``h_max`` (bin edges, blank when open),
    ``discoveries``; rows in size-class order.
    """
    rows = select_discoveries(discoveries, years, size_orders(size))
    counts = rows["size_class"].value_counts()
    classes = reference.size_classes()
    return pd.DataFrame(
        {
            "size_class": [c.label for c in classes],
            "h_min": [c.h_min for c in classes],
            "h_max": [c.h_max for c in classes],
            "discoveries": [int(counts.get(c.order, 0)) for c in classes],
        }
    )


def top_sites(
    discoveries: pd.DataFrame,
    years: tuple[int, int],
    size: str,
    names: Mapping[str, str] | None = None,
    limit: int = 20,
) -> pd.DataFrame:
    """The discovery sites of the selection with the most discoveries.

    Columns: ``rank``, ``code``, ``name``, ``project``, ``discoveries``; at most ``limit``
    rows, by count (ties by code).
    """
    rows = select_discoveries(discoveries, years, size_orders(size))
    names = names or {}
    counts = rows["disc_stn"].astype(str).value_counts()
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
    ranked = [(code, n) for code, n in ranked if n > 0]
    return pd.DataFrame(
        {
            "rank": np.arange(1, len(ranked) + 1, dtype="int64"),
            "code": [c for c, _ in ranked],
            "name": [names.get(c, c) for c, _ in ranked],
            "project": [reference.project_of(c) for c, _ in ranked],
            "discoveries": np.array([n for _, n in ranked], dtype="int64"),
        }
    )
