"""Which stations the synthetic sky uses, when they were active, and what they report.

The roster is every code of the MPC observatory list (``reference.stations()``)
plus codes that observe but are missing from ``obscodes`` (a planted case).
Discovery credit follows the per-station NEO discovery counts of 2026-03-29;
each station's discoveries are spread over its active years by a piecewise
linear activity profile (survey eras: LINEAR 1998–2012, NEAT 1996–2007,
Catalina 1998–, Pan-STARRS 2010–, ATLAS 2015–, …).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from io import StringIO

import numpy as np
import pandas as pd

from dashboard_app import reference
from dashboard_app.circumstances import has_ground_site
from dashboard_app.snapshot.model import project_of

FIRST_YEAR = 1950
LAST_YEAR = 2026
YEARS = np.arange(FIRST_YEAR, LAST_YEAR + 1)

MISSING_FROM_OBSCODES: tuple[str, ...] = ("E30", "E31")
"""Codes that appear in observations but not in ``obscodes`` (free in the MPC list)."""

# Activity profiles: (year, relative weight) points, linear in between, zero outside.
PROFILES: dict[str, tuple[tuple[int, float], ...]] = {
    "G96": ((2005, 0.15), (2010, 0.55), (2016, 1.0), (2023, 1.0), (2026, 0.9)),
    "F51": ((2010, 0.15), (2013, 0.55), (2016, 1.0), (2026, 1.0)),
    "F52": ((2014, 0.05), (2018, 0.5), (2021, 1.0), (2026, 1.0)),
    "703": ((1998, 0.2), (2004, 0.7), (2005, 1.0), (2011, 1.0), (2013, 0.35), (2026, 0.3)),
    "704": ((1998, 0.8), (1999, 1.0), (2005, 1.0), (2008, 0.3), (2012, 0.08)),
    "V00": ((2018, 0.2), (2020, 1.0), (2026, 1.0)),
    "691": ((1990, 0.5), (1993, 1.0), (2004, 0.8), (2012, 0.3)),
    "T08": ((2015, 0.4), (2017, 1.0), (2026, 1.0)),
    "T05": ((2015, 0.4), (2017, 1.0), (2026, 1.0)),
    "W68": ((2018, 0.3), (2020, 1.0), (2026, 1.0)),
    "M22": ((2018, 0.3), (2020, 1.0), (2026, 1.0)),
    "R17": ((2022, 1.0), (2026, 1.0)),
    "T03": ((2022, 1.0), (2026, 1.0)),
    "T07": ((2022, 1.0), (2026, 1.0)),
    "C51": ((2010, 1.0), (2011, 0.05), (2013, 0.05), (2014, 0.8), (2024, 0.8)),
    "E12": ((2004, 1.0), (2013, 1.0)),
    "I41": ((2018, 1.0), (2026, 1.0)),
    "W84": ((2014, 0.4), (2019, 1.0), (2026, 1.0)),
    "K88": ((2019, 1.0), (2026, 1.0)),
    "W94": ((2021, 1.0), (2026, 1.0)),
    "U68": ((2019, 1.0), (2026, 1.0)),
    "U74": ((2021, 1.0), (2026, 1.0)),
    "644": ((2001, 1.0), (2007, 1.0)),
    "608": ((1996, 1.0), (2000, 1.0)),
    "566": ((1995, 1.0), (1999, 1.0)),
    "699": ((1998, 1.0), (2008, 0.5)),
    "G45": ((2014, 1.0), (2017, 1.0)),
    "P07": ((2016, 1.0), (2020, 1.0)),
    "L51": ((2019, 1.0), (2026, 1.0)),
    "675": ((1950, 0.2), (1975, 1.0), (1995, 1.0)),
    "291": ((2003, 1.0), (2015, 1.0)),
    "J75": ((2008, 1.0), (2016, 1.0)),
    "X05": ((2025, 1.0), (2026, 1.0)),
    "O18": ((2023, 1.0), (2026, 1.0)),
    "N94": ((2020, 1.0), (2026, 1.0)),
    "W16": ((2019, 1.0), (2026, 1.0)),
    "L87": ((2021, 1.0), (2026, 1.0)),
    "D29": ((2007, 1.0), (2016, 1.0)),
    "E31": ((2021, 1.0), (2026, 1.0)),
}
HISTORICAL_PROFILE = ((1960, 0.3), (1990, 1.0), (1999, 1.0))
DEFAULT_PROFILE = ((2000, 1.0), (2026, 1.0))
FOLLOWUP_PROFILE = ((1995, 0.3), (2005, 1.0), (2026, 1.0))

# Dedicated follow-up stations (relative weight), besides the surveys themselves.
FOLLOWUP_STATIONS: dict[str, float] = {
    "H21": 3.0, "Z84": 2.0, "J95": 2.0, "G40": 1.0, "Q62": 1.5, "Y00": 1.0, "L01": 1.0, "K91": 1.0,
    "E10": 1.5, "F65": 1.5, "T12": 2.0, "W88": 1.0, "807": 1.5, "I52": 2.5, "G84": 1.5, "V06": 1.0,
    "Z80": 1.0, "568": 2.0, "309": 1.0, "A17": 0.5, "B04": 0.5, "Q59": 0.5, "W85": 1.0, "W86": 1.0,
    "U69": 0.5, "926": 1.0, "I89": 1.0, "J04": 1.0, "G32": 0.5, "E13": 0.5, "T09": 0.5, "T14": 0.5,
    "L65": 0.5, "Y66": 0.5, "E30": 0.5,
}  # fmt: skip

# Band schemes: station → [(band, probability)]; band None = no band reported.
BANDS: dict[str, tuple[tuple[str | None, float], ...]] = {
    "css_old": (("V", 1.0),),
    "css_new": (("G", 0.9), ("V", 0.1)),
    "ps": (("w", 0.6), ("i", 0.12), ("r", 0.12), ("g", 0.1), ("z", 0.03), ("y", 0.03)),
    "atlas": (("o", 0.7), ("c", 0.3)),
    "ztf": (("g", 0.5), ("r", 0.5)),
    "rubin": (("r", 0.4), ("g", 0.3), ("i", 0.3)),
    "decam": (("r", 0.5), ("g", 0.3), ("i", 0.2)),
    "linear": (("R", 0.8), (None, 0.2)),
    "space": ((None, 1.0),),
    "old": ((None, 0.6), ("V", 0.2), ("R", 0.2)),
    "other": (("R", 0.4), ("V", 0.35), ("G", 0.15), ("C", 0.1)),
}
SCHEME_OF: dict[str, str] = {
    **dict.fromkeys(("G96", "703", "E12", "V00", "I52", "G84", "V06", "693"), "css"),
    **dict.fromkeys(("F51", "F52"), "ps"),
    **dict.fromkeys(("T03", "T05", "T07", "T08", "W68", "M22", "R17"), "atlas"),
    "I41": "ztf",
    "X05": "rubin",
    "W84": "decam",
    **dict.fromkeys(("704", "G45", "P07"), "linear"),
}
CSS_G_BAND_FROM_YEAR = 2016
PHOTOGRAPHIC_BEFORE_YEAR = 1998


def _profile_weights(points: tuple[tuple[int, float], ...]) -> np.ndarray:
    xs = np.array([p[0] for p in points], dtype="float64")
    ys = np.array([p[1] for p in points], dtype="float64")
    w = np.interp(YEARS, xs, ys)
    w[(xs[0] > YEARS) | (xs[-1] < YEARS)] = 0.0
    return w


@dataclass(frozen=True)
class Roster:
    """Stations known to the synthetic sky, indexed 0..n-1 (``codes[i]``)."""

    codes: np.ndarray  # str
    names: np.ndarray
    longitude: np.ndarray  # float, NaN when unknown
    rhocosphi: np.ndarray
    rhosinphi: np.ndarray
    in_obscodes: np.ndarray  # bool
    ground: np.ndarray  # bool
    activity: np.ndarray  # (n_stations, n_years) activity weights, rows sum to 1 where active
    discovery_weight: np.ndarray  # NEO discoveries credited on 2026-03-29
    followup_weight: np.ndarray
    band_scheme: np.ndarray  # str scheme key ("css" splits by year)

    def index(self, code: str) -> int:
        """Roster index of a station code."""
        hits = np.flatnonzero(self.codes == code)
        if not len(hits):
            raise KeyError(code)
        return int(hits[0])


def _read_counts() -> pd.DataFrame:
    text = (
        resources.files(reference.__name__)
        .joinpath("station_neo_discoveries_2026-03-29.csv")
        .read_text(encoding="utf-8")
    )
    return pd.read_csv(StringIO(text), dtype={"obscode": str}, keep_default_na=False)


@cache
def roster() -> Roster:
    """The station roster (built once per process from the packaged reference data)."""
    st = reference.stations()
    codes = [*st["obscode"].tolist(), *MISSING_FROM_OBSCODES]
    n_known = len(st)
    pad = np.full(len(MISSING_FROM_OBSCODES), np.nan)
    lon = np.concatenate([st["longitude_deg"].to_numpy("float64", na_value=np.nan), pad])
    rc = np.concatenate([st["rhocosphi"].to_numpy("float64", na_value=np.nan), pad])
    rs = np.concatenate([st["rhosinphi"].to_numpy("float64", na_value=np.nan), pad])
    in_obscodes = np.arange(len(codes)) < n_known
    counts = _read_counts().set_index("obscode")["neo_discoveries"].to_dict()
    activity = np.zeros((len(codes), len(YEARS)))
    disc_w = np.zeros(len(codes))
    fu_w = np.zeros(len(codes))
    schemes = []
    for i, code in enumerate(codes):
        if code in PROFILES:
            profile = PROFILES[code]
        elif project_of(code) == "Historical":
            profile = HISTORICAL_PROFILE
        elif code in FOLLOWUP_STATIONS:
            profile = FOLLOWUP_PROFILE
        else:
            profile = DEFAULT_PROFILE
        activity[i] = _profile_weights(profile)
        disc_w[i] = counts.get(code, 0)
        fu_w[i] = FOLLOWUP_STATIONS.get(code, 0.0) + 0.15 * np.sqrt(disc_w[i])
        schemes.append(SCHEME_OF.get(code, "space" if not np.isfinite(lon[i]) else "other"))
    disc_w[codes.index("E31")] = 1  # a discoverer missing from obscodes (planted case as well)
    total = activity.sum(axis=1, keepdims=True)
    activity = np.divide(activity, total, out=np.zeros_like(activity), where=total > 0)
    return Roster(
        codes=np.array(codes, dtype=object),
        names=np.array([*st["name"].tolist(), *MISSING_FROM_OBSCODES], dtype=object),
        longitude=lon,
        rhocosphi=rc,
        rhosinphi=rs,
        in_obscodes=in_obscodes,
        ground=has_ground_site(lon, rc, rs),
        activity=activity,
        discovery_weight=disc_w,
        followup_weight=fu_w,
        band_scheme=np.array(schemes, dtype=object),
    )


def observations_type(code: str, longitude: float) -> str:
    """The ``obscodes.observations_type`` of a code: optical, satellite, roving or occultation."""
    if code in ("247", "270"):
        return "roving"
    if code in ("244", "275"):
        return "occultation"
    return "optical" if np.isfinite(longitude) else "satellite"


def obscodes_frame() -> pd.DataFrame:
    """The source ``obscodes`` table: every roster code except those planted as missing."""
    r = roster()
    keep = np.flatnonzero(r.in_obscodes)
    return pd.DataFrame(
        {
            "id": np.arange(1, len(keep) + 1, dtype="int64"),
            "obscode": pd.array(r.codes[keep].tolist(), dtype="str"),
            "name": pd.array(r.names[keep].tolist(), dtype="str"),
            "longitude": r.longitude[keep],
            "rhocosphi": r.rhocosphi[keep],
            "rhosinphi": r.rhosinphi[keep],
            "observations_type": pd.array(
                [observations_type(c, lon) for c, lon in zip(r.codes[keep], r.longitude[keep], strict=True)],
                dtype="str",
            ),
        }
    )
