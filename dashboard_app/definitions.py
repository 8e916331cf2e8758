"""The one home of every definition the project uses.

The exporter's SQL parameters, the synthetic sky's truth, the analyses and the
About tab all import from here, so a definition cannot be restated five ways.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

# --- NEO predicate -----------------------------------------------------------

NEO_Q_MAX_AU: float = 1.30
"""An object is a NEO when its ``mpc_orbits.q`` is at most this (inclusive)."""

NEO_PREDICATE_SQL: str = f"q <= {NEO_Q_MAX_AU:.2f}"
"""The predicate as recorded in the snapshot's ``meta`` table (derived from :data:`NEO_Q_MAX_AU`)."""


# --- Discovery, tracklet and apparition rules -----------------------------------

DISCOVERY_FLAG: str = "*"
"""``obs_sbn.disc`` value marking a discovery observation."""

DEPRECATED_FLAG: str = "X"
"""``obs_sbn.deprecated`` value of a deprecated observation (kept for history, never counted)."""

DISCOVERY_TIE_RULE: str = (
    "Two flagged observations at the same time: the one with the lower obs_sbn.id (received first) is the discovery."
)
"""How the earliest ``disc='*'`` observation is chosen when several share the earliest time."""

DUPLICATE_RULE: str = (
    "Rows of one object with the same station and obs80_bit (the observation's date and position as published) "
    "are one observation: the row with the lowest obs_sbn.id counts."
)
"""How duplicate ``obs_sbn`` rows are counted (the MPC documents duplicates in the table)."""

EMPTY_TEXT_RULE: str = (
    "Empty strings in obs_sbn's permid, provid, trkid and band mean the same as NULL (no number, no designation, "
    "no tracklet, no band); designations and numbers in the orbit and identification tables are compared without "
    "leading or trailing spaces."
)
"""How the exporter reads empty and padded text in the source tables."""

TRACKLET_HALF_WINDOW_HOURS: float = 12.0
"""Observations sharing the discovery observation's ``trkid`` within ± this many
hours of it form the discovery tracklet."""

APPARITION_HALF_WINDOW_DAYS: int = 200
"""The discovery apparition is ± this many days around the discovery time."""

APPARITION_WINDOWS_DAYS: tuple[int, ...] = (1, 7, 29, 50, 100, 150, 200)
"""Windows W (days) for the per-NEO × station counts in the snapshot."""

SITE_DEPTH_RECENT_YEARS: int = 5
"""Site depth uses a station's observations of the last this-many years before the data time …"""
SITE_DEPTH_RECENT_MIN_OBS: int = 1_000
"""… when it has at least this many there; otherwise all its observations."""
SITE_DEPTH_MIN_OBS: int = 50
"""Stations with fewer usable observations get no depth statistics."""
SITE_DEPTH_V_RANGE: tuple[float, float] = (5.0, 30.0)
"""Band-corrected V magnitudes outside this range (inclusive) are ignored for site depth."""
SITE_DEPTH_MAD_SCALE: float = 1.4826
"""Median + this × MAD: the robust depth (the MAD scaled to a normal σ)."""

H_UNKNOWN_AT_OR_BELOW: float = 0.0
"""``mpc_orbits.h`` values at or below this are sentinels (0, −9.99): H unknown."""

UNKNOWN_BAND_V_OFFSET: float = 0.0
"""Band codes missing from the band → V table are treated as V (offset 0.0)."""

# Sun-altitude twilight classes, from darkest: (label, upper limit in degrees).
TWILIGHT_CLASSES: tuple[tuple[str, float], ...] = (
    ("night", -18.0),
    ("astronomical", -12.0),
    ("nautical", -6.0),
    ("civil", 0.0),
    ("day", 90.0),
)
TWILIGHT_SPACE: str = "space"
"""Twilight class of a discovery from a space-based (or no ground site) station."""
TWILIGHT_UNKNOWN: str = "unknown"
"""Twilight class when the station is not in the observatory table."""

ALMANAC_ACCURACY_DEG: float = 0.05
"""Stated accuracy of the Sun and Moon positions used for circumstances (degrees)."""


# --- Follow-up -----------------------------------------------------------------


@dataclass(frozen=True)
class FollowupRule:
    """How a follow-up observation is recognised: ``differs_by`` names what the observer must not share
    with the discoverer (``"project"``: survey project; ``"stn"``: station code)."""

    key: str
    summary: str
    differs_by: str = "project"


FOLLOWUP_BY_PROJECT = FollowupRule(
    key="project",
    summary=(
        "An observation of the NEO by a station of a different survey project than the "
        f"discoverer's, at or after the discovery time, inside the ±{APPARITION_HALF_WINDOW_DAYS}-day apparition."
    ),
)
FOLLOWUP_BY_STATION = FollowupRule(
    key="station",
    summary=(
        "An observation of the NEO by a different station than the discovering station, at or "
        f"after the discovery time, inside the ±{APPARITION_HALF_WINDOW_DAYS}-day apparition."
    ),
    differs_by="stn",
)
FOLLOWUP_RULES: tuple[FollowupRule, ...] = (FOLLOWUP_BY_PROJECT, FOLLOWUP_BY_STATION)
"""Both follow-up rules, project rule first."""


def is_followup(
    rule: FollowupRule, discoverer: Mapping[str, str], observer: Mapping[str, str], dt_days: float | None
) -> bool:
    """True when ``observer`` (``{"stn": ..., "project": ...}``) first observed the NEO ``dt_days`` after its
    discovery by ``discoverer``, and that is a follow-up under ``rule``: at or after discovery, inside the
    apparition, by another project (or station)."""
    if dt_days is None or dt_days != dt_days:  # None or NaN: no observation at or after discovery
        return False
    inside = 0 <= dt_days <= APPARITION_HALF_WINDOW_DAYS
    return inside and observer[rule.differs_by] != discoverer[rule.differs_by]


FOLLOWUP_CENSORING = FollowupRule(
    key="censoring",
    summary=(
        "Censoring-aware shares (Kaplan–Meier) follow each NEO from its discovery until its follow-up, "
        "censoring it at the data time (the newest observation in the snapshot) or at the apparition's "
        f"end (+{APPARITION_HALF_WINDOW_DAYS} days), whichever comes first: a NEO discovered 10 days before "
        "the data time counts for 10 days instead of as never followed up."
    ),
)
"""How the Follow-up Timing tab's Kaplan–Meier estimate treats NEOs that have not had the time."""

OTHER_FOLLOWUP_PROJECT: str = "Other Follow-up"
"""Catch-all survey project for stations not in the station → project table."""


# --- Text shown on the About tab -------------------------------------------------


@dataclass(frozen=True)
class Definition:
    """One named definition, as shown on the About tab."""

    term: str
    text: str


DEFINITIONS: tuple[Definition, ...] = (
    Definition(
        "NEO",
        f"An object in the MPC orbit table (mpc_orbits) with perihelion distance q ≤ {NEO_Q_MAX_AU:.2f} au. "
        "No orbit-class fallback and no comet exclusion.",
    ),
    Definition(
        "Designation",
        "Objects are keyed by their unpacked primary provisional designation; the number and packed "
        "designation are kept beside it. Observations filed under a secondary designation belong to the object.",
    ),
    Definition(
        "Discovery observation",
        "The earliest non-deprecated observation flagged disc='*' for the object, found under its number, its "
        "primary provisional designation or a secondary designation. An observation that carries a number belongs "
        f"to the numbered object. {DISCOVERY_TIE_RULE} NEOs with none are counted and listed as missing, never "
        "dropped silently.",
    ),
    Definition("Duplicate observations", DUPLICATE_RULE),
    Definition("Empty and padded values", EMPTY_TEXT_RULE),
    Definition(
        "Discovery station and year",
        "The discovery observation's station code and UTC year.",
    ),
    Definition(
        "Discovery tracklet",
        f"Observations with the discovery observation's trkid within ±{TRACKLET_HALF_WINDOW_HOURS:g} h of it "
        "(just the discovery observation when it has no trkid). From it: mean RA/Dec, median band-corrected "
        "V magnitude, observation count, rate of motion (great-circle first→last / time span, deg/day) and "
        "position angle (0 = N, 90 = E); rate and angle are empty for a zero time span. Band codes not in the "
        "band → V table are taken as V.",
    ),
    Definition(
        "Apparition",
        f"±{APPARITION_HALF_WINDOW_DAYS} days around the discovery time. Per NEO × station: the first "
        "observation in the window, the first at or after discovery, and counts of distinct tracklets and of "
        f"observations within W ∈ {{{', '.join(str(w) for w in APPARITION_WINDOWS_DAYS)}}} days, both "
        "post-discovery (0 ≤ Δt ≤ W) and either side (|Δt| ≤ W). Observations without a trkid count as one "
        "tracklet each. Precovery: in the window but before discovery.",
    ),
    Definition(
        "Discovery circumstances",
        "From the discovery time, the tracklet's mean position and the station: signed solar elongation "
        "(+ east of the Sun, evening sky; − west, morning sky), the Sun's altitude at the station and the "
        "twilight class (night < −18°, astronomical < −12°, nautical < −6°, civil < 0°, day ≥ 0°; "
        "space-based and unknown sites named as such), the Moon's elongation and illuminated fraction. "
        f"Low-precision almanac formulae, good to about {ALMANAC_ACCURACY_DEG:g}° for the Sun and a few "
        "tenths of a degree for the Moon (geocentric Moon, no parallax correction).",
    ),
    Definition(
        "Absolute magnitude H",
        "From mpc_orbits.h; values ≤ 0 are sentinels and mean unknown. Unknown H is a class of its own, "
        "shown and never dropped.",
    ),
    Definition("Follow-up (survey project)", FOLLOWUP_BY_PROJECT.summary),
    Definition("Follow-up (station)", FOLLOWUP_BY_STATION.summary),
    Definition(
        "Recovery",
        f"A station recovered a NEO when it observed it later than its discovery apparition (more than "
        f"{APPARITION_HALF_WINDOW_DAYS} days after discovery), from the per NEO × station counts over all time.",
    ),
    Definition(
        "Site depth",
        "Per station, band-corrected V magnitudes of its observations of the snapshot's NEOs: the last "
        f"{SITE_DEPTH_RECENT_YEARS} years before the data time when it has at least {SITE_DEPTH_RECENT_MIN_OBS:,} "
        f"there, else all time; magnitudes outside {SITE_DEPTH_V_RANGE[0]:g}–{SITE_DEPTH_V_RANGE[1]:g} ignored; "
        f"stations with fewer than {SITE_DEPTH_MIN_OBS} left out. Statistics: median, median + "
        f"{SITE_DEPTH_MAD_SCALE}·MAD, mean + 1σ, 95th percentile. A proxy of how faint a site observes NEOs, not "
        "its limiting magnitude.",
    ),
    Definition("Follow-up censoring", FOLLOWUP_CENSORING.summary),
)
