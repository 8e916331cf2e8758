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
from dashboard_app.analysis.filters import TOP_N_DEFAULT, select_discoveries, stacks

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
    colours: Mapping[str, str]
    mode: str
    n_selected: int
    n_unknown_h: int
    n_outside: int
    callouts: tuple[Completeness, ...]

    @property
    def empty(self) -> bool:
        return self.table.empty or int(self.table["discovered"].sum()) == 0


def _model_bins(h_range: tuple[float, float]) -> pd.DataFrame:
    model = reference.population_model()
    lo, hi = h_range
    keep = (model["h_low"] >= lo - 1e-9) & (model["h_high"] <= hi + 1e-9)
    return model.loc[keep].reset_index(drop=True)


def _counts(h: np.ndarray, model: pd.DataFrame, mode: str) -> np.ndarray:
    """Discovered counts per bin: inside the bin, or H < h_high (cumulative)."""
    h = np.sort(h)
    upper = np.searchsorted(h, model["h_high"].to_numpy(), side="left")
    if mode == CUMULATIVE:
        return upper.astype("int64")
    lower = np.searchsorted(h, model["h_low"].to_numpy(), side="left")
    return (upper - lower).astype("int64")


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
    names: Mapping[str, str] | None = None,
) -> SizeDistribution:
    """Discovered (stacked by ``group``) vs model per H bin within ``h_range``, for ``years``."""
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}")
    rows = select_discoveries(discoveries, years)
    h_all = rows["h"].to_numpy(dtype="float64", na_value=np.nan)
    known = rows.loc[~np.isnan(h_all)]
    h_known = h_all[~np.isnan(h_all)]
    bins = _model_bins(h_range)
    st = stacks(known, group, top_n, names)

    per_stack: dict[str, np.ndarray] = {}
    labels = st.labels.to_numpy()
    for s in st.order:
        counts = _counts(h_known[labels == s], bins, mode)
        if counts.sum() > 0:
            per_stack[s] = counts
    discovered = _counts(h_known, bins, mode)

    cumulative = mode == CUMULATIVE
    model = bins["n_model_cumulative_lt_h_high" if cumulative else "n_model_in_bin"].to_numpy(dtype="float64")
    table = pd.DataFrame(
        {
            "h_low": bins["h_low"],
            "h_high": bins["h_high"],
            "h_center": bins["h_center"],
            "discovered": discovered,
            "model": model,
            "model_low": bins["n_cumulative_low_1sigma"].astype("float64") if cumulative else np.nan,
            "model_high": bins["n_cumulative_high_1sigma"].astype("float64") if cumulative else np.nan,
            "undiscovered": np.maximum(model - discovered, 0.0),
            "completeness": discovered / model,
        }
    )
    table["completeness_low"] = table["discovered"] / table["model_high"]
    table["completeness_high"] = table["discovered"] / table["model_low"]
    for s, counts in per_stack.items():
        table[DISCOVERED_PREFIX + s] = counts

    lo, hi = h_bounds()
    outside = (
        int(np.count_nonzero((h_known < lo) | (h_known >= hi)))
        if not cumulative
        else int(np.count_nonzero(h_known >= hi))
    )
    callouts = tuple(completeness_at(h_known, h, label) for label, h in callout_sizes()) if cumulative else ()
    return SizeDistribution(
        table=table,
        stacks=tuple(per_stack),
        colours={s: st.colours.get(s, reference.UNKNOWN_COLOUR) for s in per_stack},
        mode=mode,
        n_selected=len(rows),
        n_unknown_h=int(len(rows) - len(known)),
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
    rows = select_discoveries(discoveries, years)
    h = rows["h"].to_numpy(dtype="float64", na_value=np.nan)
    h = h[~np.isnan(h)]
    model = reference.population_model()
    in_bin = _counts(h, model, DIFFERENTIAL)
    cum = _counts(h, model, CUMULATIVE)
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
