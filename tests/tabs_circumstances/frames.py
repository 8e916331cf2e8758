"""Seven hand-made discoveries whose binned counts are worked out on paper in the tests.

Stations: F51 → Pan-STARRS, G96 and 703 → Catalina Survey, C51 → NEOWISE (space-based),
"ZZZ" → not in any table (Other Follow-up, twilight "unknown"). Values sit on bin edges on
purpose (V 20.0, elongation 180 and −90, PA 359.99, illumination 0.3 and 1.0, Moon 170).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dashboard_app import reference
from dashboard_app.snapshot.model import project_of

NAN = float("nan")
COLUMNS = [
    "provid",
    "permid",
    "disc_time",
    "disc_stn",
    "h",
    "trk_v_mag",
    "trk_ra",
    "trk_dec",
    "trk_rate",
    "trk_pa",
    "trk_nobs",
    "sun_elong",
    "twilight",
    "moon_elong",
    "moon_illum",
]
ROWS = (
    (
        "2020 AA",
        "1001",
        "2020-03-01T04:00:00.000000Z",
        "F51",
        18.0,
        19.74,
        10.0,
        5.0,
        0.5,
        0.0,
        4,
        -100.0,
        "night",
        45.0,
        0.05,
    ),
    (
        "2020 AB",
        None,
        "2020-11-30T23:59:59.500000Z",
        "F51",
        23.0,
        20.0,
        200.0,
        -30.0,
        2.0,
        14.999,
        3,
        180.0,
        "astronomical",
        10.0,
        0.95,
    ),
    (
        "2021 AC",
        None,
        "2021-01-01T00:00:00.000000Z",
        "G96",
        NAN,
        21.25,
        359.9996,
        60.0,
        NAN,
        NAN,
        1,
        90.0,
        "night",
        170.0,
        1.0,
    ),
    (
        "2021 AD",
        "1002",
        "2021-06-15T12:00:00.000000Z",
        "C51",
        19.0,
        NAN,
        90.0,
        0.0,
        1.0,
        359.99,
        2,
        -90.0,
        "space",
        90.0,
        0.5,
    ),
    (
        "2022 AE",
        None,
        "2022-02-02T02:02:02.000000Z",
        "703",
        25.0,
        19.5,
        300.0,
        -10.0,
        NAN,
        NAN,
        3,
        60.5,
        "civil",
        29.99,
        0.3,
    ),
    (
        "2019 AF",
        None,
        "2019-05-05T05:05:05.000000Z",
        "F51",
        20.0,
        18.0,
        150.0,
        20.0,
        0.3,
        180.0,
        5,
        120.0,
        "nautical",
        60.0,
        0.7,
    ),
    (
        "2022 AG",
        None,
        "2022-08-08T08:08:08.000000Z",
        "ZZZ",
        26.0,
        22.0,
        45.0,
        -45.0,
        5.5,
        90.0,
        2,
        -170.0,
        "unknown",
        120.0,
        0.0,
    ),
)


def hand_frame(categorical: bool = False) -> pd.DataFrame:
    """The discoveries frame as the snapshot loader shapes it (text as categories, or as plain strings)."""
    frame = pd.DataFrame(list(ROWS), columns=COLUMNS)
    frame.insert(0, "neo_id", np.arange(1, len(frame) + 1, dtype="int32"))
    frame["disc_time"] = pd.to_datetime(frame["disc_time"], utc=True, format="ISO8601")
    frame["disc_year"] = frame["disc_time"].dt.year.astype("int16")
    frame["trk_nobs"] = frame["trk_nobs"].astype("int16")
    frame["size_class"] = reference.size_class_orders(frame["h"])
    projects = [p.name for p in reference.projects()]
    frame["project"] = pd.Categorical(
        [project_of(s) for s in frame["disc_stn"]],
        categories=projects,
    )
    if categorical:
        for col in ("disc_stn", "twilight", "provid"):
            frame[col] = frame[col].astype("category")
    else:
        frame["project"] = frame["project"].astype(str)
        frame["provid"] = frame["provid"].astype("str")
    return frame
