"""Publish a small, hand-made, valid snapshot (through the real ``publish``) for app-level tests.

Rows are ``(disc_year, h, disc_stn)``; everything else is filled with plausible constants.
The numbers the tabs should show are then easy to work out by hand.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from dashboard_app.definitions import APPARITION_WINDOWS_DAYS
from dashboard_app.snapshot.publish import publish

STATIONS = {
    "703": "Catalina Sky Survey",
    "704": "Lincoln Laboratory ETS, New Mexico",
    "F51": "Pan-STARRS 1, Haleakala",
    "G96": "Mt. Lemmon Survey",
    "T05": "ATLAS-HKO, Haleakala",
}


def _provid(i: int, year: int) -> str:
    return f"{year} A{i:03d}"


def publish_small(data_dir: Path, rows: list[tuple[int, float | None, str]]) -> Path:
    """Publish ``rows`` as a snapshot in ``data_dir``; returns the published file."""

    def build(con: sqlite3.Connection) -> dict[str, str]:
        for stn, name in STATIONS.items():
            con.execute(
                "INSERT INTO stations VALUES (?, ?, 200.0, 0.85, 0.5, 1, 1, 'optical', 30.4655)",  # v2: type, latitude
                (stn, name),
            )
        ordered = sorted(enumerate(rows), key=lambda ir: _provid(ir[0], ir[1][0]))
        counts = ", ".join(["1"] * (4 * len(APPARITION_WINDOWS_DAYS)))
        for neo_id, (i, (year, h, stn)) in enumerate(ordered, start=1):
            provid = _provid(i, year)
            con.execute(
                "INSERT INTO discoveries VALUES (?, ?, ?, NULL, 1.1, 0.5, 10.0, ?, ?, ?, ?, ?, NULL, 1, "
                "100.0, 10.0, 19.5, NULL, NULL, 120.0, -30.0, 'night', 90.0, 0.5)",
                (neo_id, provid, f"K{i:05d}", h, 1000 + neo_id, f"{year}-03-01T05:00:00.000000Z", year, stn),
            )
            con.execute(f"INSERT INTO apparitions VALUES (?, ?, 0.0, 0.0, {counts})", (neo_id, stn))
        return {
            "source": "hand-made test rows",
            "synthetic": "1",
            "newest_observation_utc": "2005-01-01T00:00:00.000000Z",
        }

    return publish(data_dir, build, max_row_drop=None).path
