"""Selections shared by the tabs: discovery-year bounds, size-class choice, grouping into stacks.

Pure functions over the snapshot's ``discoveries`` frame (columns as documented in
``dashboard_app/snapshot/model.py``): ``disc_year``, ``h``, ``size_class`` (order,
``reference.UNKNOWN_SIZE_ORDER`` = Unknown H), ``disc_stn``, ``project``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from dashboard_app import reference

if TYPE_CHECKING:
    from dashboard_app.snapshot.model import Snapshot

SIZE_ALL = "all"
SIZE_SPLIT = "split"
SIZE_UNKNOWN = "unknown"

GROUP_COMBINED = "combined"
GROUP_PROJECT = "project"
GROUP_STATION = "station"
GROUPINGS: tuple[str, ...] = (GROUP_COMBINED, GROUP_PROJECT, GROUP_STATION)
GROUPING_LABELS: dict[str, str] = {
    GROUP_COMBINED: "Combined",
    GROUP_PROJECT: "Survey project",
    GROUP_STATION: "Station (top N)",
}

ALL_NEOS = "All NEOs"
OTHERS = "Others"
"""Station grouping: every station outside the top N, as one stack."""
TOP_N_DEFAULT = 10
TOP_N_MAX = 30


def discovery_year_bounds(discoveries: pd.DataFrame) -> tuple[int, int]:
    """First and last discovery year in the frame (current UTC year twice when it is empty)."""
    if discoveries.empty:
        year = datetime.now(UTC).year
        return (year, year)
    years = discoveries["disc_year"]
    return (int(years.min()), int(years.max()))


def year_bounds(snapshot: Snapshot | None) -> tuple[int, int]:
    """Discovery-year bounds of a snapshot (slider bounds and default range); a fallback without one."""
    if snapshot is None:
        year = datetime.now(UTC).year
        return (year, year)
    return snapshot.memo("filters.year_bounds", (), lambda: discovery_year_bounds(snapshot.discoveries))


def default_years(snapshot: Snapshot | None) -> tuple[int, int]:
    """The default year range: from the reference data's first default year (or the data's first year,
    if later) to the data's last year; the slider still reaches every year of the data."""
    lo, hi = year_bounds(snapshot)
    first = max(lo, reference.first_default_year())
    return (first if first <= hi else lo, hi)


def size_options() -> list[tuple[str, str]]:
    """``(value, label)`` choices of the size-class control: all, split, each class, Unknown H."""
    out = [(SIZE_ALL, "All sizes"), (SIZE_SPLIT, "Split by size")]
    for c in reference.size_classes():
        out.append((SIZE_UNKNOWN if c.is_unknown else str(c.order), c.label))
    return out


def size_choice_values() -> tuple[str, ...]:
    """Every accepted value of the size-class control."""
    return tuple(v for v, _ in size_options())


def size_orders(size: str) -> tuple[int, ...] | None:
    """Size-class orders a size choice keeps (None = every class, also for split mode)."""
    if size in (SIZE_ALL, SIZE_SPLIT):
        return None
    if size == SIZE_UNKNOWN:
        return (reference.UNKNOWN_SIZE_ORDER,)
    order = int(size)
    if order not in {c.order for c in reference.size_classes()}:
        raise ValueError(f"unknown size class {size!r}")
    return (order,)


def select_discoveries(
    discoveries: pd.DataFrame, years: tuple[int, int], orders: tuple[int, ...] | None = None
) -> pd.DataFrame:
    """Rows discovered in ``years`` (inclusive) and, when given, in the size classes ``orders``."""
    lo, hi = years
    mask = discoveries["disc_year"].between(lo, hi)
    if orders is not None:
        mask &= discoveries["size_class"].isin(orders)
    return discoveries.loc[mask]


@dataclass(frozen=True)
class Columns:
    """The few discovery columns the counting analyses need, as plain arrays (fast to mask and count).

    ``project`` indexes ``reference.projects()`` order; ``station`` indexes ``station_codes``;
    ``h`` is NaN when unknown.
    """

    year: np.ndarray
    size: np.ndarray
    project: np.ndarray
    station: np.ndarray
    station_codes: tuple[str, ...]
    h: np.ndarray

    def __len__(self) -> int:
        return len(self.year)


def _codes(values: pd.Series) -> tuple[np.ndarray, tuple[str, ...]]:
    if not isinstance(values.dtype, pd.CategoricalDtype):
        values = values.astype(str).astype("category")
    return values.cat.codes.to_numpy(dtype="int64"), tuple(str(c) for c in values.cat.categories)


def columns(discoveries: pd.DataFrame) -> Columns:
    """Extract :class:`Columns` from a ``discoveries`` frame (derived ``size_class`` and ``project`` included)."""
    project_names = [p.name for p in reference.projects()]
    project = discoveries["project"]
    if not (isinstance(project.dtype, pd.CategoricalDtype) and list(project.cat.categories) == project_names):
        project = pd.Series(pd.Categorical(project.astype(str), categories=project_names), index=project.index)
    station, codes = _codes(discoveries["disc_stn"])
    return Columns(
        year=discoveries["disc_year"].to_numpy(dtype="int64"),
        size=discoveries["size_class"].to_numpy(dtype="int64"),
        project=project.cat.codes.to_numpy(dtype="int64"),
        station=station,
        station_codes=codes,
        h=discoveries["h"].to_numpy(dtype="float64", na_value=np.nan),
    )


def selection_mask(cols: Columns, years: tuple[int, int], orders: tuple[int, ...] | None = None) -> np.ndarray:
    """Rows discovered in ``years`` (inclusive) and, when given, in the size classes ``orders``."""
    mask = (cols.year >= years[0]) & (cols.year <= years[1])
    if orders is not None:
        mask &= np.isin(cols.size, orders)
    return mask


@dataclass(frozen=True)
class Stacks:
    """How the selected rows fall into stacks: a stack index per row and the stack labels (bottom first).

    Colours are the figures' business (:mod:`dashboard_app.figures.colours`).
    """

    codes: np.ndarray
    order: tuple[str, ...]


def ranked_stations(cols: Columns, mask: np.ndarray) -> list[tuple[str, int]]:
    """``(code, discoveries)`` of the selected rows' stations with any discovery, by count then code."""
    counts = np.bincount(cols.station[mask], minlength=len(cols.station_codes))
    found = np.flatnonzero(counts)
    return sorted(((cols.station_codes[i], int(counts[i])) for i in found), key=lambda kv: (-kv[1], kv[0]))


def top_stations(cols: Columns, mask: np.ndarray, top_n: int) -> list[str]:
    """The ``top_n`` discovery stations of the selected rows by count (ties by code), largest first."""
    return [code for code, _ in ranked_stations(cols, mask)[:top_n]]


def stacks(
    cols: Columns,
    mask: np.ndarray,
    group: str,
    top_n: int = TOP_N_DEFAULT,
    labels: Mapping[str, str] | None = None,
) -> Stacks:
    """Group the selected rows into stacks: one combined stack, survey projects (reference order) or
    the top N stations (by rank, named by ``labels``: code → display label, else the code) plus "Others"."""
    if group == GROUP_PROJECT:
        return Stacks(cols.project[mask], tuple(p.name for p in reference.projects()))
    if group == GROUP_STATION:
        labels = labels or {}
        top = top_stations(cols, mask, top_n)
        index_of = {code: i for i, code in enumerate(top)}
        lookup = np.array([index_of.get(code, len(top)) for code in cols.station_codes], dtype="int64")
        return Stacks(lookup[cols.station[mask]], (*(labels.get(code, code) for code in top), OTHERS))
    if group != GROUP_COMBINED:
        raise ValueError(f"unknown grouping {group!r}")
    return Stacks(np.zeros(int(mask.sum()), dtype="int64"), (ALL_NEOS,))


def size_stacks(cols: Columns, mask: np.ndarray) -> Stacks:
    """Stacks by size class (largest first, Unknown H last)."""
    classes = reference.size_classes()
    position = np.zeros(max(c.order for c in classes) + 1, dtype="int64")
    for i, c in enumerate(classes):
        position[c.order] = i
    return Stacks(position[cols.size[mask]], tuple(c.label for c in classes))


def ranked_values(column: pd.Series) -> list[str]:
    """The column's distinct values as text, most rows first (ties by value). A categorical column is
    counted by its integer codes: no string per row (400,000 apparition rows: 2 ms, not 45)."""
    counts = column.value_counts(sort=False)
    counts = counts[counts > 0]
    ranked = sorted(zip((-counts.to_numpy()).tolist(), counts.index.astype(str), strict=True))
    return [text for _minus_n, text in ranked]


def station_names(snapshot: Snapshot) -> dict[str, str]:
    """Station code → name from the snapshot's stations table (memoised)."""
    return snapshot.memo(
        "filters.station_names",
        (),
        lambda: dict(zip(snapshot.stations["stn"].astype(str), snapshot.stations["name"].astype(str), strict=True)),
    )
