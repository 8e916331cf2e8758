"""Naive oracles shared by tests: rules written again the slow, obvious way, one observation at a time."""

from __future__ import annotations

import statistics
from collections import defaultdict

from dashboard_app.definitions import (
    SITE_DEPTH_MAD_SCALE,
    SITE_DEPTH_MIN_OBS,
    SITE_DEPTH_RECENT_MIN_OBS,
    SITE_DEPTH_RECENT_YEARS,
    SITE_DEPTH_V_RANGE,
)

DAY_US = 86_400_000_000


def naive_site_depth(rows: list[tuple[str, int, float]], newest_us: int) -> dict[str, dict[str, object]]:
    """Depth statistics by the definitions: per station, usable V, last 5 years when it has enough there."""
    since = newest_us - round(SITE_DEPTH_RECENT_YEARS * 365.25 * DAY_US)
    per_station: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for stn, t, v in rows:
        if v == v and SITE_DEPTH_V_RANGE[0] <= v <= SITE_DEPTH_V_RANGE[1]:
            per_station[stn].append((t, v))
    out: dict[str, dict[str, object]] = {}
    for stn, seen in per_station.items():
        recent = [v for t, v in seen if t >= since]
        use_recent = len(recent) >= SITE_DEPTH_RECENT_MIN_OBS
        values = recent if use_recent else [v for _, v in seen]
        if len(values) < SITE_DEPTH_MIN_OBS:
            continue
        median = statistics.median(values)
        out[stn] = {
            "period": "last_5_years" if use_recent else "all_time",
            "n": len(values),
            "v_median": median,
            "v_robust": median + SITE_DEPTH_MAD_SCALE * statistics.median(abs(v - median) for v in values),
            "v_mean_1sd": statistics.fmean(values) + statistics.pstdev(values),
            "v_p95": statistics.quantiles(values, n=20, method="inclusive")[18],
        }
    return out
