"""Small hand-made snapshot contents that satisfy the contract, for publishing and store tests.

``tiny_build(n_neos, tag)`` returns a ``build`` callable for ``publish``: ``n_neos``
discoveries by G96 each seen again by F51 (one precovery), three stations (one not in
obscodes) and one NEO without a discovery observation. ``tag`` lands in ``meta.source``
and in one H value, so two tags give two different snapshots.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Callable
from pathlib import Path

from dashboard_app.definitions import APPARITION_WINDOWS_DAYS
from dashboard_app.snapshot import schema
from dashboard_app.snapshot.schema import count_column
from dashboard_app.snapshot.validate import DATA_TABLES


def _insert(con: sqlite3.Connection, table: str, rows: list[dict]) -> None:
    columns = schema.TABLES_BY_NAME[table].column_names
    marks = ", ".join("?" for _ in columns)
    con.executemany(
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",
        [tuple(row[c] for c in columns) for row in rows],
    )


def _counts(post: list[tuple[float, int]], pre: list[tuple[float, int]]) -> dict[str, int]:
    """Window counts from (Δt, tracklet number) observations after and before discovery."""
    out = {}
    for w in APPARITION_WINDOWS_DAYS:
        p = [(dt, trk) for dt, trk in post if 0 <= dt <= w]
        a = p + [(dt, trk) for dt, trk in pre if abs(dt) <= w]
        out |= {
            count_column("trk", "post", w): len({t for _, t in p}),
            count_column("obs", "post", w): len(p),
            count_column("trk", "any", w): len({t for _, t in a}),
            count_column("obs", "any", w): len(a),
        }
    return out


def tiny_rows(n_neos: int = 4, tag: int = 0) -> dict[str, list[dict]]:
    """Rows of every data table (see the module docstring)."""
    discoveries, apparitions, lifetime = [], [], []
    for i in range(1, n_neos + 1):
        discoveries.append(
            {
                "neo_id": i,
                "provid": f"2024 AA{i:05d}",
                "packed_provid": f"K24A{i:02d}A",
                "permid": str(500000 + i) if i % 2 else None,
                "q": 0.9 + (i % 400) / 1000,
                "e": 0.4,
                "i": 7.5,
                "h": None if i == 3 else 20.0 + i / 10 + tag / 1000,
                "disc_obs_id": 1000 + i,
                "disc_time": f"2024-01-{i % 28 + 1:02d}T07:12:33.120000Z",
                "disc_year": 2024,
                "disc_stn": "G96",
                "disc_trkid": f"trk{i}",
                "trk_nobs": 4,
                "trk_ra": 120.5,
                "trk_dec": 10.25,
                "trk_v_mag": 19.5,
                "trk_rate": 0.8,
                "trk_pa": 250.0,
                "sun_elong": -150.0,
                "sun_alt": -35.0,
                "twilight": "night",
                "moon_elong": 80.0,
                "moon_illum": 0.3,
            }
        )
        disc_obs = [(0.0, 0)] * 2 + [(0.01, 0)] * 2 + [(30.0, 1)] * 3
        apparitions.append({"neo_id": i, "stn": "G96", "first_dt": 0.0, "first_post_dt": 0.0} | _counts(disc_obs, []))
        follow = [(2.5, 0)] * 3 + [(120.0, 1)]
        precovery = [(-3.0, 9)]
        apparitions.append(
            {"neo_id": i, "stn": "F51", "first_dt": -3.0, "first_post_dt": 2.5} | _counts(follow, precovery)
        )
        # All time: G96 saw the NEO once more a year later, F51 nothing beyond the apparition.
        lifetime.append({"neo_id": i, "stn": "G96", "first_dt": 0.0, "last_dt": 400.0, "n_obs": 8, "n_trk": 3})
        lifetime.append({"neo_id": i, "stn": "F51", "first_dt": -3.0, "last_dt": 120.0, "n_obs": 5, "n_trk": 3})
    stations = [
        {"stn": "F51", "name": "Pan-STARRS 1, Haleakala", "longitude": 203.744, "rhocosphi": 0.93624,
         "rhosinphi": 0.35154, "ground": 1, "in_obscodes": 1, "obs_type": "optical",
         "latitude": math.degrees(math.atan2(0.35154, 0.93624))},
        {"stn": "G96", "name": "Mt. Lemmon Survey", "longitude": 249.211, "rhocosphi": 0.845, "rhosinphi": 0.5336,
         "ground": 1, "in_obscodes": 1, "obs_type": "optical", "latitude": math.degrees(math.atan2(0.5336, 0.845))},
        {"stn": "X99", "name": "X99", "longitude": None, "rhocosphi": None, "rhosinphi": None, "ground": 0,
         "in_obscodes": 0, "obs_type": None, "latitude": None},
    ]  # fmt: skip
    missing = [
        {"provid": "2023 ZZ9", "packed_provid": "K23Z09Z", "permid": None, "q": 1.1, "h": None, "n_obs": 2,
         "e": 0.5, "i": 12.0}
    ]  # fmt: skip
    depth = [
        {"stn": "G96", "period": "all_time", "n": 8 * n_neos + 50, "v_median": 20.5, "v_robust": 21.2,
         "v_mean_1sd": 21.0, "v_p95": 21.6}
    ]  # fmt: skip
    return {
        "discoveries": discoveries,
        "apparitions": apparitions,
        "stations": stations,
        "missing_discoveries": missing,
        "lifetime": lifetime,
        "site_depth": depth,
    }


def tiny_build(
    n_neos: int = 4, tag: int = 0, *, synthetic: str = "1", tamper: Callable[[sqlite3.Connection], None] | None = None
) -> Callable[[sqlite3.Connection], dict[str, str]]:
    """A ``publish`` build callable inserting :func:`tiny_rows`; ``tamper(con)`` may then break things."""

    def build(con: sqlite3.Connection) -> dict[str, str]:
        for table, rows in tiny_rows(n_neos, tag).items():
            _insert(con, table, rows)
        if tamper is not None:
            tamper(con)
        return {
            "source": f"hand-made test rows tag={tag}",
            "synthetic": synthetic,
            "newest_observation_utc": "2024-06-01T00:00:00.000000Z",
        }

    return build


def table_contents(path: Path) -> dict[str, list[tuple]]:
    """Every data table's rows of the snapshot at ``path``, in a stable order."""
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        present = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        return {t: con.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall() for t in DATA_TABLES if t in present}
    finally:
        con.close()
