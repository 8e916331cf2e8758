"""How the object page writes its numbers: units, signs, and words for values that are unknown or absent."""

from __future__ import annotations

from datetime import datetime

NOT_IN_SNAPSHOT = "not in this snapshot"
"""Shown for a column the snapshot being served does not have (an older schema version)."""
UNKNOWN = "unknown"
NO_MOTION = "none (the tracklet has no time span)"
MINUS = "−"


def number(value: float | None, decimals: int, suffix: str = "", *, empty: str = UNKNOWN) -> str:
    """``value`` with ``decimals`` decimals and ``suffix``; ``empty`` when None."""
    if value is None:
        return empty
    return f"{value:,.{decimals}f}".replace("-", MINUS) + suffix


def utc(text: str | None) -> str:
    """An ISO 8601 UTC time as ``2024-12-27 05:12:33 UTC``."""
    if not text:
        return UNKNOWN
    return datetime.fromisoformat(text.replace("Z", "+00:00")).strftime("%Y-%m-%d %H:%M:%S UTC")


def days(value: float | None) -> str:
    """A duration: hours below a day, else days (``5.3 hours``, ``12.4 days``)."""
    if value is None:
        return UNKNOWN
    if abs(value) < 1:
        return f"{abs(value) * 24:.1f} hours"
    return f"{abs(value):,.1f} days"


def signed_days(value: float | None) -> str:
    """A signed offset from discovery in days (``+1.06``, ``−3.00``, ``0``); ``–`` when None."""
    if value is None:
        return "–"
    if value == 0:
        return "0"
    return f"{value:+,.2f}".replace("-", MINUS)


def yes_no(flag: bool) -> str:
    return "yes" if flag else "no"


def tracklet_size(n_obs: int | None, trkid: str | None) -> str:
    if n_obs is None:
        return UNKNOWN
    text = f"{n_obs} observation{'s' if n_obs != 1 else ''}"
    return text + (f" (trkid {trkid})" if trkid else " (no trkid: the discovery observation alone)")


def position(ra: float | None, dec: float | None) -> str:
    if ra is None or dec is None:
        return UNKNOWN
    return f"RA {ra:.3f}°, Dec {dec:+.3f}° (J2000)".replace("-", MINUS)


def elongation(value: float | None, sky: str | None) -> str:
    """Signed solar elongation with the sky it means (evening = east of the Sun)."""
    if value is None:
        return UNKNOWN
    return f"{value:+.1f}° ({sky} sky)".replace("-", MINUS)


def twilight(sun_altitude: float | None, twilight_class: str | None) -> str:
    """The Sun's altitude and the twilight class; space-based and unknown sites named as such."""
    if twilight_class == "space":
        return "space-based station (no twilight)"
    if sun_altitude is None:
        return f"{twilight_class or UNKNOWN} (station position unknown)"
    label = "daylight" if twilight_class == "day" else f"{twilight_class} twilight"
    if twilight_class == "night":
        label = "night (Sun below −18°)"
    return f"Sun at {sun_altitude:+.1f}°, {label}".replace("-", MINUS)


def moon(elongation_deg: float | None, illuminated: float | None) -> str:
    if elongation_deg is None or illuminated is None:
        return UNKNOWN
    return f"{elongation_deg:.1f}° away, {illuminated:.0%} illuminated"
