"""CSV downloads: the payload for ``dcc.Download`` from the same frame a chart was drawn from."""

from __future__ import annotations

from typing import Any

import pandas as pd


def csv_payload(frame: pd.DataFrame, file_name: str, comment: str | None = None) -> dict[str, Any]:
    """``dcc.Download`` data for ``frame`` as UTF-8 CSV (no index), optionally led by ``# comment`` lines.

    The comment lines document the columns and filters; CSV readers skip them with
    ``comment="#"`` (pandas) and spreadsheet users see them as the first rows.
    """
    text = frame.to_csv(index=False, lineterminator="\n")
    if comment:
        head = "".join(f"# {line}\n" for line in comment.strip().splitlines())
        text = head + text
    return {"content": text, "filename": file_name, "type": "text/csv", "base64": False}
