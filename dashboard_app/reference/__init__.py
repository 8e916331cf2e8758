"""Reference data shipped inside the package (see ``README.md`` beside this file).

Size classes, station → survey project, project order and colours, the model
population table and band → V offsets live here so a mapping change is a code
deploy, not a re-export. Every loader reads a CSV once and returns an
immutable-by-convention object (callers must not mutate the frames).
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from functools import cache
from importlib import resources
from io import StringIO

import numpy as np
import pandas as pd

from dashboard_app.definitions import H_UNKNOWN_AT_OR_BELOW, UNKNOWN_BAND_V_OFFSET

UNKNOWN_COLOUR = "#a9a9a9"
UNKNOWN_H_COLOUR = "#9e9e9e"

POPULATION_CITATION = (
    "NEOMOD2 H distribution (Nesvorný et al. 2024, Icarus 411, 115922, doi:10.1016/j.icarus.2023.115922), "
    "as adopted by NEOMOD3 (Nesvorný et al. 2024, Icarus 417, 116110)."
)
POPULATION_CAVEAT = (
    "Bins transcribed from the reference app's table; its totals match NEOMOD2 (N(H<17.75) = 936) but the "
    "bins have not been re-checked against the paper's own table. Treat completeness as approximate."
)


def _read_csv(name: str) -> list[dict[str, str]]:
    text = resources.files(__package__).joinpath(name).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


def _read_frame(name: str, **kwargs) -> pd.DataFrame:
    text = resources.files(__package__).joinpath(name).read_text(encoding="utf-8")
    return pd.read_csv(StringIO(text), **kwargs)


def _float(value: str) -> float | None:
    return float(value) if value.strip() else None


@dataclass(frozen=True)
class SizeClass:
    """An H-magnitude size class: ``h_min <= H < h_max`` (open ends are None)."""

    order: int
    label: str
    h_min: float | None
    h_max: float | None
    colour: str
    is_unknown: bool = False


@cache
def size_classes() -> tuple[SizeClass, ...]:
    """Size classes in display order (largest first), the last being Unknown H."""
    out = []
    for row in _read_csv("size_classes.csv"):
        unknown = row["label"].strip().lower() == "unknown h"
        out.append(
            SizeClass(
                order=int(row["order"]),
                label=row["label"],
                h_min=_float(row["h_min_inclusive"]),
                h_max=_float(row["h_max_exclusive"]),
                colour=row["colour_hex"] or UNKNOWN_H_COLOUR,
                is_unknown=unknown,
            )
        )
    return tuple(sorted(out, key=lambda c: c.order))


UNKNOWN_SIZE_ORDER: int = next(c.order for c in size_classes() if c.is_unknown)
"""The ``order`` of the Unknown H class: its row of ``size_classes.csv`` is the one definition."""


def size_class_of(h: float | None) -> int:
    """Size class ``order`` of an absolute magnitude (None, NaN or a sentinel → Unknown H)."""
    if h is None or (isinstance(h, float) and math.isnan(h)) or h <= H_UNKNOWN_AT_OR_BELOW:
        return UNKNOWN_SIZE_ORDER
    for c in size_classes():
        if c.is_unknown:
            continue
        if (c.h_min is None or h >= c.h_min) and (c.h_max is None or h < c.h_max):
            return c.order
    return UNKNOWN_SIZE_ORDER


def size_class_orders(h: pd.Series) -> np.ndarray:
    """Vectorised :func:`size_class_of` over a Series of H (NaN = unknown); returns int8 orders."""
    values = h.to_numpy(dtype="float64", na_value=np.nan)
    out = np.full(values.shape, UNKNOWN_SIZE_ORDER, dtype="int8")
    known = ~np.isnan(values) & (values > H_UNKNOWN_AT_OR_BELOW)
    for c in size_classes():
        if c.is_unknown:
            continue
        mask = known.copy()
        if c.h_min is not None:
            mask &= values >= c.h_min
        if c.h_max is not None:
            mask &= values < c.h_max
        out[mask] = c.order
    return out


@dataclass(frozen=True)
class Project:
    """A survey project with its display order (1 = bottom of a stack) and colour."""

    name: str
    order: int
    colour: str
    meaning: str = ""
    """What the project is, in plain words (catch-all groups: which stations they hold)."""


@cache
def view_defaults() -> dict[str, str]:
    """Settings of the views' defaults (``view_defaults.csv``: setting → value)."""
    return {r["setting"]: r["value"] for r in _read_csv("view_defaults.csv")}


def first_default_year() -> int:
    """The first year of the default discovery-year range (when the data reach back that far)."""
    return int(view_defaults()["first_default_year"])


@cache
def projects() -> tuple[Project, ...]:
    """Survey projects in display order."""
    rows = _read_csv("project_order.csv")
    return tuple(
        sorted(
            (Project(r["project"], int(r["display_order"]), r["colour_hex"], r.get("meaning") or "") for r in rows),
            key=lambda p: p.order,
        )
    )


@cache
def station_palette() -> tuple[str, ...]:
    """Colours of the Top N stations, most distinct first (``station_palette.csv``)."""
    rows = sorted(_read_csv("station_palette.csv"), key=lambda r: int(r["order"]))
    return tuple(r["colour_hex"] for r in rows)


@cache
def project_colours() -> dict[str, str]:
    """Project name → colour."""
    return {p.name: p.colour for p in projects()}


@cache
def station_projects() -> dict[str, str]:
    """Station code → survey project for the mapped codes (the rule: ``snapshot.model.project_of``)."""
    return {r["obscode"]: r["project"] for r in _read_csv("station_projects.csv")}


@cache
def station_short_labels() -> dict[str, str]:
    """Station code → short display label where the reference mapping gives one."""
    return {r["obscode"]: r["short_label"] for r in _read_csv("station_projects.csv") if r["short_label"]}


@cache
def band_offsets() -> dict[str, float]:
    """Band code → V − band correction; key ``""`` is "no band reported"; ``"*"`` any other code."""
    return {r["band"]: float(r["v_minus_band"]) for r in _read_csv("band_to_v.csv")}


def v_offset(band: str | None) -> float:
    """Correction to add to a magnitude reported in ``band`` to get V (unknown codes → V)."""
    key = "" if band is None else band.strip()
    if key == "*":
        return UNKNOWN_BAND_V_OFFSET
    return band_offsets().get(key, UNKNOWN_BAND_V_OFFSET)


@cache
def population_model() -> pd.DataFrame:
    """The model NEO population per half-magnitude H bin (see :data:`POPULATION_CITATION`)."""
    return _read_frame("neo_population_model.csv")


@cache
def size_reference_lines() -> pd.DataFrame:
    """Diameter reference lines: label, diameter_m, H at albedo 0.14, H at the model's albedo."""
    return _read_frame("size_reference_lines.csv")


@cache
def stations() -> pd.DataFrame:
    """MPC observatory codes with name and parallax constants (codes kept as text)."""
    numeric = ("longitude_deg", "rhocosphi", "rhosinphi", "geocentric_lat_deg")
    return _read_frame(
        "stations.csv",
        dtype={"obscode": str, "name": str},
        keep_default_na=False,
        na_values={c: [""] for c in numeric},
    )


REFERENCE_SOURCES: tuple[tuple[str, str], ...] = (
    ("Observatory codes", "Minor Planet Center list of observatory codes (ObsCodes.html), 2,704 codes."),
    (
        "Station → survey project, project order and colours",
        "The reference dashboard's mapping (rlseaman/CSS_MPC_toolkit, 2026-05-29); core groups follow CNEOS.",
    ),
    ("Size classes", "H bins at albedo 0.14 (Harris & Chodas 2021, Icarus 365, 114452)."),
    ("Population model", POPULATION_CITATION),
    ("Band → V offsets", "MPC band-conversion table (BandConversion.txt), solar-colour approximations."),
)
