"""A hand-made sky of three NEOs and five stations, small enough to count on paper.

Each NEO lists its observations as (station, Δt days, tracklet or None: a tracklet of its own). The
``apparitions`` and ``lifetime`` rows are derived from them by the schema's rules (apparition:
post 0 ≤ Δt ≤ W, any |Δt| ≤ W; lifetime: every observation), and the counts the tests expect are
written out by hand in ``test_hand_counted.py``.

Stations: A (optical, discovered N1), B (optical, discovered N2), C (radar, discovered N3),
D (satellite, no ground coordinates), E (optical, never observed a NEO).
"""

from __future__ import annotations

import pandas as pd

from dashboard_app.definitions import APPARITION_HALF_WINDOW_DAYS, APPARITION_WINDOWS_DAYS
from dashboard_app.snapshot.schema import count_column

Obs = tuple[str, float, str | None]

NEOS: dict[int, tuple[int, str, tuple[Obs, ...]]] = {
    1: (
        2020,
        "A",
        (
            ("A", 0.0, "t1"),
            ("A", 0.01, "t1"),
            ("B", 1.0, "t2"),
            ("B", 1.02, "t2"),
            ("B", 30.0, None),
            ("C", -10.0, "t3"),
            ("B", 400.0, "t4"),
            ("B", 400.01, "t4"),
            ("C", 500.0, None),
        ),
    ),
    2: (2021, "B", (("B", 0.0, "t5"), ("A", 5.0, "t6"), ("A", 250.0, "t7"), ("C", 3.0, "t8"), ("D", 2.0, "t9"))),
    3: (2015, "C", (("C", 0.0, "t10"), ("A", 1.0, "t11"))),
}

STATIONS = pd.DataFrame(
    {
        "stn": ["A", "B", "C", "D", "E"],
        "name": ["Alpha", "Bravo", "Charlie", "Delta (space)", "Echo"],
        "longitude": [250.0, 10.0, 300.0, None, 0.0],
        "ground": [1, 1, 1, 0, 1],
        "obs_type": ["optical", "optical", "radar", "satellite", "optical"],
        "latitude": [32.0, 45.0, -30.0, None, 51.0],
    }
)

SITE_DEPTH = pd.DataFrame(
    {
        "stn": ["A", "B"],
        "period": ["all_time", "last_5_years"],
        "n": [60, 1200],
        "v_median": [19.5, 21.0],
        "v_robust": [21.0, 23.5],
        "v_mean_1sd": [20.5, 22.5],
        "v_p95": [21.5, 24.0],
    }
)


def _tracklets(obs: list[tuple[int, float, str | None]]) -> int:
    return len({trk if trk is not None else f"own-{i}" for i, _dt, trk in obs})


def frames() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(discoveries, apparitions, lifetime) of the hand-made sky."""
    discoveries = pd.DataFrame(
        {
            "neo_id": list(NEOS),
            "disc_year": [y for y, _, _ in NEOS.values()],
            "disc_stn": pd.Categorical([s for _, s, _ in NEOS.values()]),
        }
    )
    app_rows, life_rows = [], []
    for neo_id, (_year, _disc, observations) in NEOS.items():
        numbered = [(i, stn, dt, trk) for i, (stn, dt, trk) in enumerate(observations)]
        for stn in sorted({o[1] for o in numbered}):
            mine = [(i, dt, trk) for i, s, dt, trk in numbered if s == stn]
            dts = [dt for _, dt, _ in mine]
            life_rows.append(
                {
                    "neo_id": neo_id,
                    "stn": stn,
                    "first_dt": min(dts),
                    "last_dt": max(dts),
                    "n_obs": len(mine),
                    "n_trk": _tracklets(mine),
                }
            )
            inside = [o for o in mine if abs(o[1]) <= APPARITION_HALF_WINDOW_DAYS]
            if not inside:
                continue
            row: dict = {"neo_id": neo_id, "stn": stn}
            for w in APPARITION_WINDOWS_DAYS:
                post = [o for o in inside if 0 <= o[1] <= w]
                either = [o for o in inside if abs(o[1]) <= w]
                row |= {
                    count_column("trk", "post", w): _tracklets(post),
                    count_column("obs", "post", w): len(post),
                    count_column("trk", "any", w): _tracklets(either),
                    count_column("obs", "any", w): len(either),
                }
            app_rows.append(row)
    apparitions = pd.DataFrame(app_rows)
    apparitions["stn"] = apparitions["stn"].astype("category")
    lifetime = pd.DataFrame(life_rows)
    lifetime["stn"] = lifetime["stn"].astype("category")
    return discoveries, apparitions, lifetime
