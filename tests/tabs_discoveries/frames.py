"""Small hand-made discovery frames with the columns of the loaded snapshot (see snapshot/model.py)."""

from __future__ import annotations

import pandas as pd

from dashboard_app import reference
from dashboard_app.snapshot.model import project_of


def discoveries_frame(rows: list[tuple[int, float | None, str]]) -> pd.DataFrame:
    """A ``discoveries`` frame from ``(disc_year, h, disc_stn)`` rows, with the derived columns."""
    frame = pd.DataFrame(rows, columns=["disc_year", "h", "disc_stn"])
    frame["h"] = frame["h"].astype("float64")
    frame["disc_year"] = frame["disc_year"].astype("int16")
    frame["neo_id"] = range(1, len(frame) + 1)
    frame["size_class"] = reference.size_class_orders(frame["h"])
    names = [p.name for p in reference.projects()]
    frame["project"] = pd.Categorical(frame["disc_stn"].map(project_of), categories=names)
    frame["disc_stn"] = frame["disc_stn"].astype("category")
    return frame


# 703 and G96: Catalina Survey; F51: Pan-STARRS; 704: LINEAR; T05: ATLAS (per station_projects.csv).
SMALL = [
    (2000, 17.0, "704"),  # class 1
    (2000, 21.0, "704"),  # class 2
    (2000, None, "703"),  # unknown H
    (2001, 23.0, "703"),  # class 3
    (2001, 25.0, "G96"),  # class 4
    (2001, 25.5, "F51"),  # class 4
    (2003, 28.0, "F51"),  # class 5
    (2003, 19.0, "G96"),  # class 2
    (2003, 22.1, "T05"),  # class 3
    (2004, 14.0, "704"),  # class 1, brighter than the first model bin
]
