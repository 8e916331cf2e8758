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
    columns,
    ranked_stations,
    selection_mask,
    size_orders,
    size_stacks,
    stacks,
)
from dashboard_app.snapshot.model import project_of

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
    labels: Mapping[str, str] | None = None,
) -> YearlyCounts:
    """Count discoveries per year in ``years`` for the size choice, stacked by ``group``.

    In split mode the stacks are the size classes, Unknown H included, so the split totals
    equal the all-sizes totals; ``group`` then does not apply. ``labels``: station code → stack
    label when stacked by station.
    """
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}")
    cols = columns(discoveries)
    mask = selection_mask(cols, years, size_orders(size))
    if size == SIZE_SPLIT:
        st: Stacks = size_stacks(cols, mask)
        stacked_by = "size"
    else:
        st = stacks(cols, mask, group, top_n, labels)
        stacked_by = group
    n_years, k = years[1] - years[0] + 1, len(st.order)
    flat = (cols.year[mask] - years[0]) * k + st.codes
    grid = np.bincount(flat, minlength=n_years * k).reshape(n_years, k)
    kept = np.flatnonzero(grid.sum(axis=0) > 0)
    grid = grid[:, kept]
    value_column = "discoveries"
    if mode == CUMULATIVE:
        grid = grid.cumsum(axis=0)
        value_column = "cumulative_discoveries"
    order = tuple(st.order[i] for i in kept)
    table = pd.DataFrame(
        {
            "year": np.tile(np.arange(years[0], years[1] + 1, dtype="int64"), len(order)),
            "series": np.repeat(np.array(order, dtype=object), n_years),
            value_column: grid.T.ravel().astype("int64"),
        }
    )
    return YearlyCounts(
        table=table,
        order=order,
        value_column=value_column,
        stacked_by=stacked_by,
        n_selected=int(mask.sum()),
    )


def size_mix(discoveries: pd.DataFrame, years: tuple[int, int], size: str) -> pd.DataFrame:
    """Discoveries of the selection per size class, every class listed (Unknown H included).

    Columns: ``size_class`` (label), ``h_min``, ``h_max`` (bin edges, blank when open),
    ``discoveries``; rows in size-class order.
    """
    cols = columns(discoveries)
    mask = selection_mask(cols, years, size_orders(size))
    classes = reference.size_classes()
    counts = np.bincount(cols.size[mask], minlength=max(c.order for c in classes) + 1)
    return pd.DataFrame(
        {
            "size_class": [c.label for c in classes],
            "h_min": [c.h_min for c in classes],
            "h_max": [c.h_max for c in classes],
            "discoveries": [int(counts[c.order]) for c in classes],
        }
    )


def top_sites(
    discoveries: pd.DataFrame,
    years: tuple[int, int],
    size: str,
    names: Mapping[str, str] | None = None,
    limit: int | None = 20,
) -> pd.DataFrame:
    """The discovery sites of the selection with the most discoveries.

    Columns: ``rank``, ``code``, ``name``, ``project``, ``discoveries``; at most ``limit``
    rows (None: all), by count (ties by code).
    """
    cols = columns(discoveries)
    ranked = ranked_stations(cols, selection_mask(cols, years, size_orders(size)))[:limit]
    names = names or {}
    return pd.DataFrame(
        {
            "rank": np.arange(1, len(ranked) + 1, dtype="int64"),
            "code": [c for c, _ in ranked],
            "name": [names.get(c, c) for c, _ in ranked],
            "project": [project_of(c) for c, _ in ranked],
            "discoveries": np.array([n for _, n in ranked], dtype="int64"),
        }
    )
