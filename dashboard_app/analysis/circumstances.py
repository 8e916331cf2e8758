"""Discovery circumstances: the selection, its colour groups and the per-NEO charts (sky map, rate vs H).

Pure functions over the snapshot's ``discoveries`` frame (columns in ``snapshot/schema.py``;
``size_class`` and ``project`` derived at load). Text columns may be plain strings,
Arrow strings or categoricals: everything goes through :func:`circumstance_columns`,
which turns them into arrays and integer codes once per snapshot. The binned charts
are in :mod:`dashboard_app.analysis.circumstance_bins`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from dashboard_app import reference
from dashboard_app.analysis.filters import (
    GROUP_PROJECT,
    GROUP_STATION,
    SIZE_ALL,
    SIZE_UNKNOWN,
    TOP_N_DEFAULT,
    Columns,
    Stacks,
    columns,
    size_orders,
    size_stacks,
    stacks,
)
from dashboard_app.analysis.sky_map import HAMMER, PROJECTIONS, SkyColumns, map_xy, sky_columns
from dashboard_app.definitions import TWILIGHT_CLASSES, TWILIGHT_SPACE, TWILIGHT_UNKNOWN

COLOUR_PROJECT = GROUP_PROJECT
COLOUR_STATION = GROUP_STATION
COLOUR_SIZE = "size"
COLOUR_YEAR = "year"
COLOURINGS: tuple[str, ...] = (COLOUR_PROJECT, COLOUR_SIZE, COLOUR_YEAR, COLOUR_STATION)
"""In control order: station last, next to the Top N box it enables."""
COLOURING_LABELS: dict[str, str] = {
    COLOUR_PROJECT: "Survey project",
    COLOUR_SIZE: "Size class",
    COLOUR_YEAR: "Discovery year",
    COLOUR_STATION: "Station (top N)",
}

TWILIGHT_ORDER: tuple[str, ...] = (*(label for label, _ in TWILIGHT_CLASSES), TWILIGHT_SPACE, TWILIGHT_UNKNOWN)
"""Twilight classes from darkest to brightest, then space-based and unknown sites."""
TWILIGHT_LABELS: dict[str, str] = {
    "night": "Night (Sun < −18°)",
    "astronomical": "Astronomical twilight (−18° to −12°)",
    "nautical": "Nautical twilight (−12° to −6°)",
    "civil": "Civil twilight (−6° to 0°)",
    "day": "Day (Sun ≥ 0°)",
    TWILIGHT_SPACE: "Space-based",
    TWILIGHT_UNKNOWN: "Unknown site",
}
TWILIGHT_ALL = "all"
TWILIGHT_CHOICES: tuple[str, ...] = (TWILIGHT_ALL, *TWILIGHT_ORDER)

RATE_DECIMALS = 4
H_DECIMALS = 2
MAX_YEAR_GROUPS = 10
_YEAR_SPANS = (1, 2, 5, 10, 20, 25, 50, 100)


@dataclass(frozen=True)
class Selection:
    """What a view selects and how it colours: normalised control values (hashable, a memo key)."""

    years: tuple[int, int]
    size: str = SIZE_ALL
    colour: str = COLOUR_PROJECT
    top: int = TOP_N_DEFAULT
    twilight: str = TWILIGHT_ALL

    def __post_init__(self) -> None:
        if self.colour not in COLOURINGS:
            raise ValueError(f"unknown colouring {self.colour!r}")
        if self.twilight not in TWILIGHT_CHOICES:
            raise ValueError(f"unknown twilight class {self.twilight!r}")
        if self.size == "split":
            raise ValueError("size 'split' does not apply here: colour by size class instead")
        size_orders(self.size)  # raises on an unknown class


@dataclass(frozen=True)
class CircumstanceColumns:
    """Per-NEO arrays for every chart of the tab (computed once per snapshot).

    ``twilight`` indexes :data:`TWILIGHT_ORDER`; angles in degrees; NaN where unknown.
    """

    base: Columns
    sky: SkyColumns
    v: np.ndarray
    rate: np.ndarray
    pa: np.ndarray
    nobs: np.ndarray
    elong: np.ndarray
    twilight: np.ndarray
    moon_elong: np.ndarray
    moon_illum: np.ndarray

    def __len__(self) -> int:
        return len(self.v)


def _floats(frame: pd.DataFrame, name: str) -> np.ndarray:
    return frame[name].to_numpy(dtype="float64", na_value=np.nan)


def twilight_codes(values: pd.Series) -> np.ndarray:
    """Index into :data:`TWILIGHT_ORDER` per row (strings, Arrow strings or categoricals); unknown text → unknown."""
    text = values.astype(str) if not isinstance(values.dtype, pd.CategoricalDtype) else values
    codes = pd.Categorical(np.asarray(text, dtype=object), categories=list(TWILIGHT_ORDER)).codes.astype("int64")
    return np.where(codes < 0, TWILIGHT_ORDER.index(TWILIGHT_UNKNOWN), codes)


def circumstance_columns(discoveries: pd.DataFrame) -> CircumstanceColumns:
    """Extract :class:`CircumstanceColumns` from a ``discoveries`` frame."""
    return CircumstanceColumns(
        base=columns(discoveries),
        sky=sky_columns(discoveries),
        v=_floats(discoveries, "trk_v_mag"),
        rate=_floats(discoveries, "trk_rate"),
        pa=_floats(discoveries, "trk_pa"),
        nobs=discoveries["trk_nobs"].to_numpy(dtype="int64"),
        elong=_floats(discoveries, "sun_elong"),
        twilight=twilight_codes(discoveries["twilight"]),
        moon_elong=_floats(discoveries, "moon_elong"),
        moon_illum=_floats(discoveries, "moon_illum"),
    )


@dataclass(frozen=True)
class Selected:
    """The rows a :class:`Selection` keeps (``rows``, ascending) and their colour group.

    ``group`` indexes ``groups`` (labels in legend/stack order, bottom first); only groups with at
    least one selected NEO are listed.
    """

    selection: Selection
    rows: np.ndarray
    group: np.ndarray
    groups: tuple[str, ...]
    coloured_by: str

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def empty(self) -> bool:
        return len(self.rows) == 0


def year_spans(years: tuple[int, int]) -> tuple[int, int]:
    """``(first, span)``: years grouped in spans of ``span`` aligned to multiples of it, at most ~10 groups."""
    lo, hi = years
    n = hi - lo + 1
    span = next((s for s in _YEAR_SPANS if -(-n // s) <= MAX_YEAR_GROUPS), _YEAR_SPANS[-1])
    return (lo - lo % span if span > 1 else lo, span)


def year_stacks(cols: Columns, mask: np.ndarray, years: tuple[int, int]) -> Stacks:
    """Stacks by discovery year, or by spans of years when the range is long (at most ~10 groups)."""
    first, span = year_spans(years)
    n_groups = (years[1] - first) // span + 1
    starts = [first + i * span for i in range(n_groups)]
    labels = [str(s) if span == 1 else f"{max(s, years[0])}–{min(s + span - 1, years[1])}" for s in starts]
    return Stacks((cols.year[mask] - first) // span, tuple(labels))


def select(circ: CircumstanceColumns, selection: Selection, labels: Mapping[str, str] | None = None) -> Selected:
    """The rows of ``selection`` (years, size class, twilight class) and their colour groups
    (``labels``: station code → group label when coloured by station)."""
    cols = circ.base
    lo, hi = selection.years
    mask = (cols.year >= lo) & (cols.year <= hi)
    orders = size_orders(selection.size)
    if orders is not None:
        mask &= np.isin(cols.size, orders)
    if selection.twilight != TWILIGHT_ALL:
        mask &= circ.twilight == TWILIGHT_ORDER.index(selection.twilight)
    if selection.colour == COLOUR_SIZE:
        st = size_stacks(cols, mask)
    elif selection.colour == COLOUR_YEAR:
        st = year_stacks(cols, mask, selection.years)
    else:
        st = stacks(cols, mask, selection.colour, selection.top, labels)
    present = np.flatnonzero(np.bincount(st.codes, minlength=len(st.order)))
    renumber = np.full(len(st.order), -1, dtype="int64")
    renumber[present] = np.arange(len(present))
    groups = tuple(st.order[i] for i in present)
    return Selected(
        selection=selection,
        rows=np.flatnonzero(mask),
        group=renumber[st.codes],
        groups=groups,
        coloured_by=selection.colour,
    )


# --- sky map ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SkyPoints:
    """Every selected NEO with a position, as drawn, one entry per point in drawing order.

    ``rows``: each point's row in the snapshot's ``discoveries`` (ascending within a group); ``group``
    indexes ``groups``. The per-point arrays (``designation``, ``disc_date``, ``station``, ``ra``, ``dec``
    (0.001°), ``v``, chart coordinates ``x``/``y`` in ``projection`` and ``hover`` text) are taken from
    ``sky`` when asked for: a packed chart needs only the rows. ``n_missing`` selected NEOs have no
    position. :meth:`table` is the CSV.
    """

    rows: np.ndarray
    group: np.ndarray
    sky: SkyColumns
    groups: tuple[str, ...]
    coloured_by: str
    projection: str
    n_selected: int
    n_missing: int

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def empty(self) -> bool:
        return len(self.rows) == 0

    @property
    def designation(self) -> np.ndarray:
        return self.sky.designation[self.rows]

    @property
    def disc_date(self) -> np.ndarray:
        return self.sky.disc_date[self.rows]

    @property
    def station(self) -> np.ndarray:
        return self.sky.station[self.rows]

    @property
    def ra(self) -> np.ndarray:
        return self.sky.ra[self.rows]

    @property
    def dec(self) -> np.ndarray:
        return self.sky.dec[self.rows]

    @property
    def v(self) -> np.ndarray:
        return self.sky.v[self.rows]

    @property
    def hover(self) -> np.ndarray:
        return self.sky.hover[self.rows]

    @property
    def x(self) -> np.ndarray:
        """Chart x of each point in ``projection``."""
        if self.projection == HAMMER:
            return self.sky.hammer_x[self.rows]
        return map_xy(self.ra, self.dec, self.projection)[0]

    @property
    def y(self) -> np.ndarray:
        """Chart y of each point in ``projection``."""
        if self.projection == HAMMER:
            return self.sky.hammer_y[self.rows]
        return map_xy(self.ra, self.dec, self.projection)[1]

    def table(self) -> pd.DataFrame:
        """One row per point: designation, disc_date, disc_stn, group, trk_ra, trk_dec, trk_v_mag."""
        return pd.DataFrame(
            {
                "designation": self.designation,
                "disc_date": self.disc_date,
                "disc_stn": self.station,
                "group": _labels(self.groups, self.group),
                "trk_ra": self.ra,
                "trk_dec": self.dec,
                "trk_v_mag": self.v,
            }
        )


def _labels(groups: tuple[str, ...], codes: np.ndarray) -> np.ndarray:
    return np.asarray(groups, dtype=object)[codes] if len(groups) else np.array([], dtype=object)


def sky_points(circ: CircumstanceColumns, sel: Selected, projection: str = HAMMER) -> SkyPoints:
    """The sky map's points: tracklet mean RA/Dec (J2000, 0.001°) of every selected NEO, by colour group."""
    if projection not in PROJECTIONS:
        raise ValueError(f"unknown projection {projection!r}")
    sky = circ.sky
    known = np.isfinite(sky.ra[sel.rows]) & np.isfinite(sky.dec[sel.rows])
    # stable sort by group: each group is one trace, drawn in legend order, NEOs in snapshot order within it
    order = np.argsort(sel.group[known], kind="stable")
    return SkyPoints(
        rows=sel.rows[known][order],
        group=sel.group[known][order],
        sky=sky,
        groups=sel.groups,
        coloured_by=sel.coloured_by,
        projection=projection,
        n_selected=len(sel),
        n_missing=int((~known).sum()),
    )


# --- rate of motion vs H -------------------------------------------------------------------------


@dataclass(frozen=True)
class RateVsH:
    """NEOs with a rate and a known H (arrays, one entry per point) and counts of those that cannot be placed.

    ``rows``: each point's row in the snapshot's ``discoveries`` (ascending within a group); ``names``: every
    row's designation. :meth:`table` is the CSV.
    """

    rows: np.ndarray
    names: np.ndarray
    group: np.ndarray
    h: np.ndarray
    rate: np.ndarray
    groups: tuple[str, ...]
    coloured_by: str
    n_selected: int
    n_single: int
    n_zero_span: int
    n_unknown_h: int

    def __len__(self) -> int:
        return len(self.h)

    @property
    def empty(self) -> bool:
        return len(self.h) == 0

    @property
    def designation(self) -> np.ndarray:
        """Each point's designation (from ``names``, every snapshot row's, when asked for)."""
        return self.names[self.rows]

    def table(self) -> pd.DataFrame:
        """One row per point: designation, group, h, rate_deg_per_day."""
        return pd.DataFrame(
            {
                "designation": self.designation,
                "group": _labels(self.groups, self.group),
                "h": self.h,
                "rate_deg_per_day": self.rate,
            }
        )


def rate_vs_h(circ: CircumstanceColumns, sel: Selected) -> RateVsH:
    """Rate of motion (deg/day, rounded to 4 decimals) against H (2 decimals) for the selected NEOs that have both.

    Without a rate: single-observation tracklets (``n_single``) and multi-observation ones with a
    zero time span (``n_zero_span``); with a rate but unknown H: ``n_unknown_h``.
    """
    rate, h, nobs = circ.rate[sel.rows], circ.base.h[sel.rows], circ.nobs[sel.rows]
    has_rate = np.isfinite(rate) & (rate > 0)
    keep = has_rate & np.isfinite(h)
    order = np.argsort(sel.group[keep], kind="stable")
    rows = sel.rows[keep][order]
    return RateVsH(
        rows=rows,
        names=circ.sky.designation,
        group=sel.group[keep][order],
        h=np.round(h[keep][order], H_DECIMALS),
        rate=np.round(rate[keep][order], RATE_DECIMALS),
        groups=sel.groups,
        coloured_by=sel.coloured_by,
        n_selected=len(sel),
        n_single=int(((~has_rate) & (nobs <= 1)).sum()),
        n_zero_span=int(((~has_rate) & (nobs > 1)).sum()),
        n_unknown_h=int((has_rate & ~np.isfinite(h)).sum()),
    )


def size_choices() -> list[tuple[str, str]]:
    """``(value, label)`` of the size-class control: all sizes, each class, Unknown H (no split mode)."""
    out = [(SIZE_ALL, "All sizes")]
    for c in reference.size_classes():
        out.append((SIZE_UNKNOWN if c.is_unknown else str(c.order), c.label))
    return out
