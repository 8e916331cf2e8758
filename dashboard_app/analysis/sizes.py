"""Size distribution of discovered NEOs against the model population, and completeness.

Bins are the half-magnitude H bins of ``reference.population_model()`` (h_low ≤ H < h_high).

- Differential mode counts discovered NEOs inside each bin and compares with the model's
  ``n_model_in_bin``. The model gives 1σ bounds for cumulative numbers only, so no
  completeness band is given in this mode.
- Cumulative mode counts every discovered NEO with H < h_high (including those brighter than
  the first bin) to match the model's N(<H), with a 1σ completeness band from the model's
  low/high cumulative values (completeness low = discovered / N_high, high = discovered / N_low).
- "Estimated undiscovered" = max(model − discovered, 0).
- Completeness at a size (e.g. 140 m, H = 22.0 at albedo 0.14): the discovered count is exact
  (every discovered NEO with H below that value); the model's N(<H) is interpolated inside its
  bin log-linearly in H between the bin edges' cumulative values (N grows roughly exponentially
  with H), likewise for the 1σ bounds.

Unknown-H discoveries cannot be placed in a bin; they are counted and reported, never dropped
silently.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from dashboard_app import reference
from dashboard_app.analysis.filters import TOP_N_DEFAULT, columns, selection_mask, stacks

DIFFERENTIAL = "differential"
CUMULATIVE = "cumulative"
MODES: tuple[str, ...] = (DIFFERENTIAL, CUMULATIVE)
DISCOVERED_PREFIX = "discovered: "
"""Per-stack discovered columns of :attr:`SizeDistribution.table` are named ``discovered: <stack>``."""


def h_bounds() -> tuple[float, float]:
    """The lowest and highest bin edge of the model (the H-range control's bounds)."""
    model = reference.population_model()
    return (float(model["h_low"].min()), float(model["h_high"].max()))


@dataclass(frozen=True)
class Completeness:
    """Completeness N_discovered(<H) / N_model(<H) at one H, with its 1σ range."""

    label: str
    h: float
    discovered: int
    model: float
    model_low: float
    model_high: float

    @property
    def value(self) -> float:
        return self.discovered / self.model

    @property
    def low(self) -> float:
        return self.discovered / self.model_high

    @property
    def high(self) -> float:
        return self.discovered / self.model_low


@dataclass(frozen=True)
class SizeDistribution:
    """Discovered vs model per H bin, as drawn.

    ``table``: one row per bin in the H range with ``h_low``, ``h_high``, ``h_center``,
    ``discovered`` (all stacks), ``model``, ``model_low``, ``model_high`` (1σ, cumulative mode
    only, else blank), ``undiscovered``, ``completeness``, ``completeness_low``,
    ``completeness_high`` (fractions; bounds blank in differential mode), then one
    ``discovered: <stack>`` column per stack, bottom first.
    """

    table: pd.DataFrame
    stacks: tuple[str, ...]
    stacked_by: str
    mode: str
    n_selected: int
    n_unknown_h: int
    n_outside: int
    callouts: tuple[Completeness, ...]

    @property
    def empty(self) -> bool:
        return self.table.empty or int(self.table["discovered"].sum()) == 0


def _edges() -> np.ndarray:
    """Contiguous bin edges of the model: h_low of the first bin, then every h_high."""
    model = reference.population_model()
    low, high = model["h_low"].to_numpy(dtype="float64"), model["h_high"].to_numpy(dtype="float64")
    if not np.allclose(low[1:], high[:-1]):
        raise ValueError("the population model's H bins are not contiguous")
    return np.concatenate([low[:1], high])


def _binned(h: np.ndarray, codes: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Per stack (rows) and model bin (columns): counts inside the bin, and counts with H < h_high.

    ``h`` holds known values only; ``codes`` the stack of each value (0..k-1).
    """
    edges = _edges()
    n_bins = len(edges) - 1
    # position 0: brighter than the first bin; 1..n_bins: inside bin i-1; n_bins+1: fainter than the last.
    position = np.searchsorted(edges, h, side="right")
    counts = np.bincount(codes * (n_bins + 2) + position, minlength=k * (n_bins + 2)).reshape(k, n_bins + 2)
    return counts[:, 1 : n_bins + 1], counts.cumsum(axis=1)[:, 1 : n_bins + 1]


def _in_range(h_range: tuple[float, float]) -> np.ndarray:
    model = reference.population_model()
    lo, hi = h_range
    return ((model["h_low"] >= lo - 1e-9) & (model["h_high"] <= hi + 1e-9)).to_numpy()


def model_cumulative_at(h: float) -> tuple[float, float, float]:
    """Model N(<h), N_low(<h), N_high(<h), log-linear in H between the bin edges around ``h``."""
    model = reference.population_model()
    edges = model["h_high"].to_numpy()
    if not edges[0] <= h <= edges[-1]:
        raise ValueError(f"H = {h} is outside the model's cumulative range [{edges[0]}, {edges[-1]}]")
    i = int(np.searchsorted(edges, h, side="left"))
    out = []
    for col in ("n_model_cumulative_lt_h_high", "n_cumulative_low_1sigma", "n_cumulative_high_1sigma"):
        values = model[col].to_numpy(dtype="float64")
        if edges[i] == h or i == 0:
            out.append(float(values[i]))
            continue
        t = (h - edges[i - 1]) / (edges[i] - edges[i - 1])
        out.append(math.exp(math.log(values[i - 1]) + t * (math.log(values[i]) - math.log(values[i - 1]))))
    return (out[0], out[1], out[2])


def completeness_at(h_known: np.ndarray, h: float, label: str) -> Completeness:
    """Completeness at ``h`` for the discovered H values ``h_known`` (see the module docstring)."""
    n_model, n_low, n_high = model_cumulative_at(h)
    return Completeness(label, h, int(np.count_nonzero(h_known < h)), n_model, n_low, n_high)


def callout_sizes() -> tuple[tuple[str, float], ...]:
    """``(label, H)`` of the 140 m completeness call-outs: albedo 0.14 and the model's albedo."""
    lines = reference.size_reference_lines()
    row = lines.loc[lines["diameter_m"] == 140].iloc[0]
    return (
        ("140 m at albedo 0.14", float(row["h_at_pv014"])),
        ("140 m at the model's albedo", float(row["h_neomod3_albedo"])),
    )


def size_distribution(
    discoveries: pd.DataFrame,
    years: tuple[int, int],
    h_range: tuple[float, float],
    mode: str = CUMULATIVE,
    group: str = "combined",
    top_n: int = TOP_N_DEFAULT,
    labels: Mapping[str, str] | None = None,
) -> SizeDistribution:
    """Discovered (stacked by ``group``; ``labels``: station code → stack label) vs model per H bin
    within ``h_range``, for ``years``."""
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}")
    cols = columns(discoveries)
    selected = selection_mask(cols, years)
    known = selected & ~np.isnan(cols.h)
    h_known = cols.h[known]
    st = stacks(cols, known, group, top_n, labels)
    in_bin, below = _binned(h_known, st.codes, len(st.order))
    cumulative = mode == CUMULATIVE
    keep = _in_range(h_range)
    per_stack = (below if cumulative else in_bin)[:, keep]
    bins = reference.population_model().loc[keep].reset_index(drop=True)
    discovered = per_stack.sum(axis=0)
    model = bins["n_model_cumulative_lt_h_high" if cumulative else "n_model_in_bin"].to_numpy(dtype="float64")
    nan = np.full(len(model), np.nan)
    model_low = bins["n_cumulative_low_1sigma"].to_numpy(dtype="float64") if cumulative else nan
    model_high = bins["n_cumulative_high_1sigma"].to_numpy(dtype="float64") if cumulative else nan
    shown = [i for i in range(len(st.order)) if per_stack[i].sum() > 0]
    columns_out = {
        "h_low": bins["h_low"].to_numpy(),
        "h_high": bins["h_high"].to_numpy(),
        "h_center": bins["h_center"].to_numpy(),
        "discovered": discovered.astype("int64"),
        "model": model,
        "model_low": model_low,
        "model_high": model_high,
        "undiscovered": np.maximum(model - discovered, 0.0),
        "completeness": discovered / model,
        "completeness_low": discovered / model_high,
        "completeness_high": discovered / model_low,
    }
    for i in shown:
        columns_out[DISCOVERED_PREFIX + st.order[i]] = per_stack[i].astype("int64")
    table = pd.DataFrame(columns_out)  # built once: inserting columns one by one is slow

    lo, hi = h_bounds()
    fainter = h_known >= hi
    outside = int(np.count_nonzero(fainter if cumulative else fainter | (h_known < lo)))
    callouts = tuple(completeness_at(h_known, h, label) for label, h in callout_sizes()) if cumulative else ()
    names_shown = tuple(st.order[i] for i in shown)
    return SizeDistribution(
        table=table,
        stacks=names_shown,
        stacked_by=group,
        mode=mode,
        n_selected=int(selected.sum()),
        n_unknown_h=int(selected.sum() - known.sum()),
        n_outside=outside,
        callouts=callouts,
    )


def model_table(discoveries: pd.DataFrame, years: tuple[int, int]) -> pd.DataFrame:
    """The full model table with the discovered counts and completeness per bin for ``years``.

    Columns: ``h_low``, ``h_high``, ``h_center``, ``model_in_bin``, ``discovered_in_bin``,
    ``completeness_in_bin``, ``model_cumulative``, ``model_cumulative_low``,
    ``model_cumulative_high``, ``discovered_cumulative`` (H < h_high), ``completeness_cumulative``,
    ``completeness_cumulative_low``, ``completeness_cumulative_high`` (fractions).
    """
    cols = columns(discoveries)
    known = selection_mask(cols, years) & ~np.isnan(cols.h)
    h = cols.h[known]
    model = reference.population_model()
    in_bin, below = _binned(h, np.zeros(len(h), dtype="int64"), 1)
    in_bin, cum = in_bin[0], below[0]
    return pd.DataFrame(
        {
            "h_low": model["h_low"],
            "h_high": model["h_high"],
            "h_center": model["h_center"],
            "model_in_bin": model["n_model_in_bin"],
            "discovered_in_bin": in_bin,
            "completeness_in_bin": in_bin / model["n_model_in_bin"],
            "model_cumulative": model["n_model_cumulative_lt_h_high"],
            "model_cumulative_low": model["n_cumulative_low_1sigma"],
            "model_cumulative_high": model["n_cumulative_high_1sigma"],
            "discovered_cumulative": cum,
            "completeness_cumulative": cum / model["n_model_cumulative_lt_h_high"],
            "completeness_cumulative_low": cum / model["n_cumulative_high_1sigma"],
            "completeness_cumulative_high": cum / model["n_cumulative_low_1sigma"],
        }
    )
