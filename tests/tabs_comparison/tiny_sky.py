"""A hand-made sky small enough to count on paper, written as a real SQLite snapshot.

Every NEO lists its observations as (station, Δt days, tracklet); the apparition
rows are derived from them by the schema's window rule (post: 0 ≤ Δt ≤ W,
any: |Δt| ≤ W), then the snapshot is loaded by the real loader, so the analyses
see exactly the dtypes the app sees.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from dashboard_app.definitions import APPARITION_HALF_WINDOW_DAYS, APPARITION_WINDOWS_DAYS
from dashboard_app.snapshot.model import Snapshot, load_snapshot
from dashboard_app.snapshot.schema import TABLES_BY_NAME, count_column, create_statements


@dataclass(frozen=True)
class Neo:
    neo_id: int
    year: int
    disc_stn: str
    h: float | None
    observations: tuple[tuple[str, float, str], ...]  # (stn, Δt days, tracklet id)


# NEO 1..4 are discovered in 2020–2021; NEO 5 in 2019. Projects: 703, G96 Catalina Survey;
# F51 Pan-STARRS; T05, T08 ATLAS; 568 Other Surveys; J95, Z99 unmapped (Other Follow-up).
TINY_NEOS: tuple[Neo, ...] = (
    Neo(
        1,
        2020,
        "703",
        18.0,
        (
            ("703", 0.0, "a"),
            ("703", 0.01, "a"),
            ("F51", 0.5, "b"),
            ("F51", 0.52, "b"),
            ("F51", 10.0, "c"),
            ("T05", -5.0, "d"),
            ("T05", 60.0, "e"),
            ("J95", 3.0, "f"),
        ),
    ),
    Neo(2, 2020, "F51", 23.0, (("F51", 0.0, "g"), ("G96", 1.0, "h"), ("T05", 200.0, "i"), ("568", -200.0, "j"))),
    Neo(3, 2021, "T05", None, (("T05", 0.0, "k"), ("T08", 0.2, "l"), ("703", 7.0, "m"), ("F51", 8.0, "n"))),
    Neo(4, 2021, "J95", 25.0, (("J95", 0.0, "o"), ("Z99", 1.0, "p"))),
    Neo(5, 2019, "703", 19.0, (("703", 0.0, "q"), ("F51", 2.0, "r"))),
)

STATION_NAMES = {
    "703": "Catalina Sky Survey",
    "G96": "Mt. Lemmon Survey",
    "F51": "Pan-STARRS 1, Haleakala",
    "T05": "ATLAS-HKO, Haleakala",
    "T08": "ATLAS-MLO, Mauna Loa",
    "568": "Mauna Kea",
    "J95": "Great Shefford",
    "Z99": "Clixby",
}


def apparition_rows(neo: Neo) -> list[dict]:
    """Apparition rows of one NEO by the schema's definitions."""
    rows = []
    for stn in sorted({o[0] for o in neo.observations}):
        obs = [(dt, trk) for s, dt, trk in neo.observations if s == stn and abs(dt) <= APPARITION_HALF_WINDOW_DAYS]
        post = [dt for dt, _ in obs if dt >= 0]
        row = {
            "neo_id": neo.neo_id,
            "stn": stn,
            "first_dt": min(dt for dt, _ in obs),
            "first_post_dt": min(post) if post else None,
        }
        for w in APPARITION_WINDOWS_DAYS:
            in_post = [(dt, t) for dt, t in obs if 0 <= dt <= w]
            in_any = [(dt, t) for dt, t in obs if abs(dt) <= w]
            row[count_column("trk", "post", w)] = len({t for _, t in in_post})
            row[count_column("obs", "post", w)] = len(in_post)
            row[count_column("trk", "any", w)] = len({t for _, t in in_any})
            row[count_column("obs", "any", w)] = len(in_any)
        rows.append(row)
    return rows


def _discovery_row(neo: Neo) -> dict:
    values = {
        c.name: (0.0 if c.sql_type == "REAL" else 0 if c.sql_type == "INTEGER" else "")
        for c in TABLES_BY_NAME["discoveries"].columns
    }
    values.update(
        neo_id=neo.neo_id,
        provid=f"2018 AB{neo.neo_id:03d}",  # neo_id follows provid order, as the schema requires
        packed_provid=f"K18A{neo.neo_id:02d}B",
        permid=None,
        q=1.0,
        h=neo.h,
        disc_obs_id=neo.neo_id * 100,
        disc_time=f"{neo.year}-03-01T00:00:00.000000Z",
        disc_year=neo.year,
        disc_stn=neo.disc_stn,
        disc_trkid=None,
        trk_nobs=1,
        twilight="night",
    )
    return values


def fill(con: sqlite3.Connection, neos: tuple[Neo, ...] = TINY_NEOS) -> dict[str, str]:
    """Insert the tiny sky into an open snapshot with the schema created; returns the source meta."""
    tables = {
        "discoveries": [_discovery_row(n) for n in neos],
        "apparitions": [r for n in neos for r in apparition_rows(n)],
        "stations": [
            {
                "stn": s,
                "name": name,
                "longitude": None,
                "rhocosphi": None,
                "rhosinphi": None,
                "ground": 1,
                "in_obscodes": 1,
                "obs_type": "optical",
                "latitude": 20.0,
            }
            for s, name in STATION_NAMES.items()
        ],
        # One NEO without a discovery observation: listed, never counted by the tabs.
        "missing_discoveries": [
            {
                "provid": "2021 ZZ9",
                "packed_provid": "K21Z09Z",
                "permid": None,
                "q": 1.1,
                "h": 21.0,
                "n_obs": 3,
                "e": 0.5,
                "i": 10.0,
            }
        ],
    }
    for name, rows in tables.items():
        cols = TABLES_BY_NAME[name].column_names
        con.executemany(
            f"INSERT INTO {name} ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)})",
            [tuple(r[c] for c in cols) for r in rows],
        )
    return {
        "source": "hand-made tiny sky",
        "synthetic": "1",
        "newest_observation_utc": "2025-12-31T00:00:00.000000Z",
    }


def write_snapshot(path: Path, neos: tuple[Neo, ...] = TINY_NEOS) -> Path:
    """Write a schema-valid snapshot holding ``neos`` to ``path`` (no publishing: for analysis tests)."""
    con = sqlite3.connect(path)
    for statement in create_statements():
        con.execute(statement)
    meta = fill(con, neos)
    counts = {t: con.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in TABLES_BY_NAME if t != "meta"}
    meta |= {
        "snapshot_id": f"tiny-{path.stem}",
        "created_utc": "2026-01-01T00:00:00.000000Z",
        "row_counts": json.dumps(counts),
    }
    con.executemany("INSERT INTO meta (key, value) VALUES (?, ?)", meta.items())
    con.commit()
    con.close()
    return path


def publish_tiny(data_dir: Path) -> Path:
    """Publish the tiny sky into ``data_dir`` through the real ``publish`` (for served-app tests)."""
    from dashboard_app.snapshot.publish import publish

    return publish(data_dir, fill, max_row_drop=None).path


def tiny_snapshot(tmp_dir: Path) -> Snapshot:
    """The tiny sky loaded by the real snapshot loader."""
    return load_snapshot(write_snapshot(Path(tmp_dir) / "tiny.sqlite"))
