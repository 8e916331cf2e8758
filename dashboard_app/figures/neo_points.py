"""Charts of one point per NEO whose per-NEO numbers and hover text reach the browser once per snapshot.

A chart that draws every selected NEO (the sky map, rate of motion vs H: 44,000 points at full
scale) used to carry each point's coordinates and hover text in every answer: megabytes per
control change, most of it text that never changes while the snapshot is served. Instead:

- the **points file** of a snapshot (``GET /_neo-points/<snapshot id>/<name>.json``, see
  :mod:`dashboard_app.web.neo_points`) holds one array per column, one entry per row of the
  snapshot's ``discoveries`` frame (hover text, map coordinates, …). Its URL names the snapshot,
  so the browser keeps it for a year and asks once;
- a **packed trace** in a chart's answer names its NEOs by a bit per snapshot row (``meta.rows``:
  base64 of the row mask, least significant bit first: 1 bit per NEO instead of tens of bytes) and
  the columns its ``x``, ``y`` and ``text`` come from (``layout.meta.neo_data``);
- ``assets/neo_points.js`` (a clientside callback between the answer's store and the
  ``dcc.Graph``) fetches the points file once and fills each packed trace's ``x``/``y``/``text``,
  rows in snapshot order; :func:`expand` is the same in Python (tests, benchmarks).

The drawn figure is exactly the one the server used to send: same values, same text.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

ROUTE = "/_neo-points"
"""URL prefix of the points files (``<ROUTE>/<snapshot id>/<name>.json``)."""

CLIENT_FUNCTION = ("neo_points", "expand")
"""The clientside function (namespace, name) in ``assets/neo_points.js`` that expands a packed figure."""


def points_path(snapshot_id: str, name: str) -> str:
    """The path of a snapshot's points file ``name`` (before Dash's path prefix)."""
    return f"{ROUTE}/{snapshot_id}/{name}.json"


@dataclass(frozen=True)
class PointsFile:
    """Where the browser finds the per-NEO columns: the points file's URL and its number of rows."""

    src: str
    n: int


def pack_rows(rows: np.ndarray, n: int) -> str:
    """Base64 of the bit mask of ``rows`` among ``n`` snapshot rows (bit ``r % 8`` of byte ``r // 8``)."""
    mask = np.zeros(n, dtype=bool)
    mask[np.asarray(rows, dtype="int64")] = True
    return base64.b64encode(np.packbits(mask, bitorder="little").tobytes()).decode("ascii")


def unpack_rows(packed: str, n: int) -> np.ndarray:
    """The rows (ascending) of a mask made by :func:`pack_rows`."""
    bits = np.unpackbits(np.frombuffer(base64.b64decode(packed), dtype="uint8"), bitorder="little")[:n]
    return np.flatnonzero(bits)


def packed_trace(rows: np.ndarray, n: int, **trace: Any) -> dict[str, Any]:
    """A trace of the NEOs at snapshot ``rows`` (ascending: drawn in that order), coordinates and text to come."""
    return {**trace, "meta": {"rows": pack_rows(rows, n)}}


def neo_data(source: PointsFile, x: str, y: str, text: str) -> dict[str, Any]:
    """``layout.meta.neo_data``: the points file (its URL and row count) and the columns of x, y and text.

    ``text`` may be ``"<column>:name"``: the column's text up to ``": "`` (the designation of a hover line).
    """
    return {"src": source.src, "n": source.n, "x": x, "y": y, "text": text}


def _text(values: Sequence[Any], part: str) -> list[Any]:
    return [v.split(": ")[0] for v in values] if part == "name" else list(values)


def expand(figure: Mapping[str, Any], columns: Mapping[str, Sequence[Any]]) -> dict[str, Any]:
    """The figure the browser draws: every packed trace filled from the points file's ``columns`` (its
    ``meta`` dropped), ``neo_data`` dropped from the layout's ``meta``."""
    meta = (figure.get("layout") or {}).get("meta") or {}
    spec = meta.get("neo_data") if isinstance(meta, Mapping) else None
    if not spec:
        return dict(figure)
    data = []
    for trace in figure.get("data", []):
        rows = (trace.get("meta") or {}).get("rows") if isinstance(trace.get("meta"), Mapping) else None
        if rows is None:
            data.append(trace)
            continue
        idx = unpack_rows(rows, spec["n"]).tolist()
        column, _, part = spec["text"].partition(":")
        x, y, text = columns[spec["x"]], columns[spec["y"]], columns[column]
        filled = {
            **{k: v for k, v in trace.items() if k != "meta"},
            "x": [x[i] for i in idx],
            "y": [y[i] for i in idx],
            "text": _text([text[i] for i in idx], part),
        }
        data.append(filled)
    layout = {**figure["layout"], "meta": {k: v for k, v in meta.items() if k != "neo_data"}}
    return {**figure, "data": data, "layout": layout}


def json_column(values: np.ndarray) -> list[Any]:
    """A column of the points file: floats (NaN → None, so JSON ``null``) or text."""
    if values.dtype.kind == "f":
        return [None if math.isnan(v) else v for v in values.tolist()]
    return values.tolist()
