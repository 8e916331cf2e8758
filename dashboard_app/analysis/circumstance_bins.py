"""Binned counts of the Discovery Circumstances charts, per colour group, and their one-line readings.

Bins (stated on the charts and in the CSV headers):
- apparent V: 0.5 mag, ``low ≤ V < high``, edges at multiples of 0.5;
- solar elongation: 5° of true elongation, ``low ≤ |ε| < high`` (175–180 closed), on the
  morning (ε < 0, west of the Sun) or evening (ε ≥ 0, east) side;
- position angle: 15°, ``low ≤ PA < high`` (0 = N, 90 = E);
- Moon illuminated fraction: 0.1 wide (0.9–1.0 closed); Moon elongation: 10° (170–180 closed);
- twilight: the snapshot's classes, space-based and unknown sites as classes of their own.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from dashboard_app.analysis.circumstances import (
    TWILIGHT_LABELS,
    TWILIGHT_ORDER,
    CircumstanceColumns,
    Selected,
)

V_BIN = 0.5
ELONGATION_BIN = 5.0
PA_BIN = 15.0
ILLUMINATION_BIN = 0.1
MOON_ELONGATION_BIN = 10.0


@dataclass(frozen=True)
class GroupedBins:
    """Counts per bin and colour group: ``counts[g, b]``; ``bins`` describes the bins (column name → one
    value per bin: plain arrays, cheap to read; :meth:`table` makes the CSV frame).

    ``n_selected`` NEOs were selected; ``n_missing`` of them have no value and are in no bin.
    ``expected`` (optional): a reference count per bin, e.g. what no Moon effect would give.
    """

    bins: dict[str, np.ndarray]
    counts: np.ndarray
    groups: tuple[str, ...]
    coloured_by: str
    n_selected: int
    n_missing: int
    expected: np.ndarray | None = None
    expected_name: str = ""

    @property
    def totals(self) -> np.ndarray:
        return self.counts.sum(axis=0)

    @property
    def n_bins(self) -> int:
        return self.counts.shape[1]

    @property
    def empty(self) -> bool:
        return self.n_selected == self.n_missing

    def table(self) -> pd.DataFrame:
        """One row per bin: the bin columns, one count column per group, ``total`` (and ``expected``)."""
        out = pd.DataFrame(self.bins)
        for g, label in enumerate(self.groups):
            out[label] = self.counts[g].astype("int64")
        out["total"] = self.totals.astype("int64")
        if self.expected is not None:
            out[self.expected_name] = np.round(self.expected, 2)
        return out


def bin_index(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Bin of each value for ``edges[i] ≤ value < edges[i + 1]``, the last bin closed (values inside the edges)."""
    return np.clip(np.searchsorted(edges, values, side="right") - 1, 0, len(edges) - 2)


def _count(group: np.ndarray, n_groups: int, index: np.ndarray, n_bins: int) -> np.ndarray:
    flat = group * n_bins + index
    return np.bincount(flat, minlength=n_groups * n_bins).reshape(n_groups, n_bins).astype("int64")


def _values(circ_values: np.ndarray, sel: Selected) -> tuple[np.ndarray, np.ndarray, int]:
    """Selected values that are known, their groups, and how many are missing."""
    values = circ_values[sel.rows]
    known = np.isfinite(values)
    return values[known], sel.group[known], int((~known).sum())


def _grouped(
    sel: Selected, bins: dict[str, np.ndarray], group: np.ndarray, index: np.ndarray, missing: int
) -> GroupedBins:
    n_bins = len(next(iter(bins.values())))
    return GroupedBins(
        bins=bins,
        counts=_count(group, len(sel.groups), index, n_bins),
        groups=sel.groups,
        coloured_by=sel.coloured_by,
        n_selected=len(sel),
        n_missing=missing,
    )


def v_histogram(circ: CircumstanceColumns, sel: Selected) -> GroupedBins:
    """Apparent V at discovery in 0.5 mag bins (``v_low ≤ V < v_high``) from the brightest to the faintest."""
    v, group, missing = _values(circ.v, sel)
    if len(v) == 0:
        return _grouped(sel, {"v_low": np.zeros(0), "v_high": np.zeros(0)}, group, group, missing)
    k = np.floor(v / V_BIN).astype("int64")
    first = int(k.min())
    edges = np.arange(first, int(k.max()) + 2) * V_BIN
    return _grouped(sel, {"v_low": edges[:-1], "v_high": edges[1:]}, group, k - first, missing)


ELONGATION_SIDES = ("morning", "evening")


def opposition_offset(elong: np.ndarray) -> np.ndarray:
    """Chart coordinate centred on opposition: 180 − |ε| on the evening side (ε ≥ 0), |ε| − 180 on the morning."""
    e = np.asarray(elong, "float64")
    return np.where(e >= 0, 180.0 - e, np.abs(e) - 180.0)


def elongation_histogram(circ: CircumstanceColumns, sel: Selected) -> GroupedBins:
    """Signed solar elongation in 5° bins of true elongation, morning side (opposition → Sun) then evening.

    Bin rows: ``side``, ``elong_low``, ``elong_high`` (true elongation, degrees) and ``offset_low``,
    ``offset_high`` (the chart's opposition-centred coordinate: morning −180…0, evening 0…180).
    """
    e, group, missing = _values(circ.elong, sel)
    n_side = int(180 / ELONGATION_BIN)
    k = np.minimum(np.floor(np.abs(e) / ELONGATION_BIN).astype("int64"), n_side - 1)
    # morning bins first, from the Sun (−180 offset) to opposition; evening from opposition to the Sun
    index = np.where(e < 0, k, 2 * n_side - 1 - k)
    lows = np.arange(n_side) * ELONGATION_BIN
    side = np.array(["morning"] * n_side + ["evening"] * n_side, dtype=object)
    elong_low = np.concatenate([lows, lows[::-1]])
    elong_high = elong_low + ELONGATION_BIN
    offset_low = np.where(side == "morning", elong_low - 180.0, 180.0 - elong_high)
    bins = {
        "side": side,
        "elong_low": elong_low,
        "elong_high": elong_high,
        "offset_low": offset_low,
        "offset_high": offset_low + ELONGATION_BIN,
    }
    return _grouped(sel, bins, group, index, missing)


def pa_histogram(circ: CircumstanceColumns, sel: Selected) -> GroupedBins:
    """Position angle of motion in 15° bins (``pa_low ≤ PA < pa_high``); no angle for a zero time span."""
    pa, group, missing = _values(circ.pa, sel)
    n = int(360 / PA_BIN)
    k = np.mod(np.floor(pa / PA_BIN).astype("int64"), n)
    lows = np.arange(n) * PA_BIN
    return _grouped(sel, {"pa_low": lows, "pa_high": lows + PA_BIN}, group, k, missing)


def illumination_expected_share(low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Share of time the Moon's illuminated fraction k lies in [low, high), for a phase angle uniform in time.

    k = (1 − cos φ)/2 gives P(k < x) = (2/π)·asin(√x): the Moon spends more time near new and full.
    """

    def cdf(x: np.ndarray) -> np.ndarray:
        return 2.0 / np.pi * np.arcsin(np.sqrt(np.clip(x, 0.0, 1.0)))

    return cdf(np.asarray(high, "float64")) - cdf(np.asarray(low, "float64"))


def moon_illumination_histogram(circ: CircumstanceColumns, sel: Selected) -> GroupedBins:
    """Discoveries per Moon illuminated-fraction bin (0.1 wide), with what no Moon effect would give."""
    k, group, missing = _values(circ.moon_illum, sel)
    n = round(1 / ILLUMINATION_BIN)
    edges = np.round(np.arange(n + 1) * ILLUMINATION_BIN, 10)
    index = bin_index(k, edges)
    bins = {"illum_low": edges[:-1], "illum_high": edges[1:]}
    result = _grouped(sel, bins, group, index, missing)
    expected = illumination_expected_share(bins["illum_low"], bins["illum_high"]) * (len(sel) - missing)
    return replace(result, expected=expected, expected_name="expected_if_no_moon_effect")


def moon_elongation_histogram(circ: CircumstanceColumns, sel: Selected) -> GroupedBins:
    """Discoveries per 10° bin of angular distance from the Moon."""
    e, group, missing = _values(circ.moon_elong, sel)
    n = int(180 / MOON_ELONGATION_BIN)
    index = np.clip(np.floor(e / MOON_ELONGATION_BIN).astype("int64"), 0, n - 1)
    lows = np.arange(n) * MOON_ELONGATION_BIN
    bins = {"moon_elong_low": lows, "moon_elong_high": lows + MOON_ELONGATION_BIN}
    return _grouped(sel, bins, group, index, missing)


def twilight_counts(circ: CircumstanceColumns, sel: Selected) -> GroupedBins:
    """Discoveries per twilight class (:data:`TWILIGHT_ORDER`, space-based and unknown sites included)."""
    codes = circ.twilight[sel.rows]
    bins = {
        "twilight": np.array(TWILIGHT_ORDER, dtype=object),
        "label": np.array([TWILIGHT_LABELS[t] for t in TWILIGHT_ORDER], dtype=object),
    }
    return _grouped(sel, bins, sel.group, codes, 0)


ALL_SELECTED = "All selected"


@dataclass(frozen=True)
class TwilightShares:
    """The twilight chart's numbers: ``groups`` (``All selected`` first) × :data:`TWILIGHT_ORDER` classes."""

    groups: tuple[str, ...]
    counts: np.ndarray
    totals: np.ndarray
    shares: np.ndarray

    def table(self) -> pd.DataFrame:
        """Long CSV frame: one row per group × class: group, twilight, discoveries, group_total, share."""
        n_groups, n_classes = self.counts.shape
        return pd.DataFrame(
            {
                "group": np.repeat(np.array(self.groups, dtype=object), n_classes),
                "twilight": np.tile(np.array(TWILIGHT_ORDER, dtype=object), n_groups),
                "discoveries": self.counts.ravel(),
                "group_total": np.repeat(self.totals, n_classes),
                "share": self.shares.ravel(),
            }
        )


def twilight_shares(result: GroupedBins) -> TwilightShares:
    """Each group's discoveries per twilight class and their share of the group (6 decimals), all groups first."""
    counts = np.vstack([result.totals[None, :], result.counts]).astype("int64")
    totals = counts.sum(axis=1)
    shares = np.round(counts / np.where(totals > 0, totals, 1)[:, None], 6)
    return TwilightShares((ALL_SELECTED, *result.groups), counts, totals, shares)


# --- one-line readings ----------------------------------------------------------------------------


def _pct(part: float, whole: float) -> str:
    return f"{100.0 * part / whole:.1f}%" if whole else "0%"


def twilight_reading(result: GroupedBins) -> str:
    """One sentence on the light the selected NEOs were found in."""
    total = int(result.totals.sum())
    if total == 0:
        return ""
    n = dict(zip(TWILIGHT_ORDER, result.totals.tolist(), strict=True))
    twilight = n["astronomical"] + n["nautical"] + n["civil"]
    text = (
        f"Of {total:,} discoveries, {_pct(n['night'], total)} were made in full night (Sun below −18°), "
        f"{_pct(twilight, total)} in twilight and {_pct(n['day'], total)} with the Sun above the horizon"
    )
    sites = (("space", "from space"), ("unknown", "from unknown sites"))
    extra = [f"{_pct(n[k], total)} {label}" for k, label in sites if n[k]]
    return text + (f"; {' and '.join(extra)}." if extra else ".")


FULL_MOON_ILLUMINATION = 0.9
MOON_NEAR_DEG = 30.0


def moon_illumination_reading(result: GroupedBins) -> str:
    """One sentence comparing discoveries near full Moon with the time the Moon spends that full."""
    total = int(result.totals.sum())
    if total == 0 or result.expected is None:
        return ""
    full = result.bins["illum_low"] >= FULL_MOON_ILLUMINATION - 1e-9
    seen = int(result.totals[full].sum())
    expected = float(result.expected[full].sum())
    ratio = seen / expected if expected else 1.0
    verdict = (
        "surveys find fewer NEOs near full Moon"
        if ratio < 0.8
        else ("more NEOs are found near full Moon" if ratio > 1.25 else "the full Moon makes little difference")
    )
    return (
        f"{_pct(seen, total)} of discoveries were made with the Moon at least {FULL_MOON_ILLUMINATION:.0%} lit; "
        f"the Moon is that full {_pct(expected, total)} of the time, so {verdict} "
        f"({seen:,} found vs ≈{expected:,.0f} if the Moon made no difference)."
    )


def moon_elongation_reading(result: GroupedBins) -> str:
    """One sentence on how close to the Moon the selected NEOs were found."""
    totals = result.totals
    total = int(totals.sum())
    if total == 0:
        return ""
    near = int(totals[result.bins["moon_elong_high"] <= MOON_NEAR_DEG].sum())
    median_bin = int(np.searchsorted(np.cumsum(totals), total / 2.0))
    low, high = result.bins["moon_elong_low"][median_bin], result.bins["moon_elong_high"][median_bin]
    random_share = (1.0 - np.cos(np.radians(MOON_NEAR_DEG))) / 2.0
    return (
        f"{_pct(near, total)} of discoveries were within {MOON_NEAR_DEG:.0f}° of the Moon "
        f"(a random direction on the sky is {random_share:.1%} of the time); "
        f"the median distance is {low:.0f}–{high:.0f}°."
    )
