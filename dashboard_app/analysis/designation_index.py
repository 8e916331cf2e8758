"""The designation index of one snapshot: exact look-ups and suggestions as a person types.

Built once per snapshot (the app memoises it on the snapshot) from ``discoveries`` and
``missing_discoveries``, as sorted NumPy arrays: a look-up or a suggestion is a binary search
(microseconds), never a scan of the frames. Pure: frames in, small results out.

Every object is an *owner*: ``o >= 0`` is row ``o`` of ``discoveries``; ``o < 0`` is row ``-1 - o``
of ``missing_discoveries`` (NEOs without a discovery observation).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from dashboard_app.designations import SEARCH_IGNORED, DesignationError, clean, parse, search_key, url_slug

SUGGESTIONS_MAX = 8
"""Suggestions returned by default: what fits under a search box on a phone."""
PREFIX_SCAN_MAX = 400
"""Candidates ranked per suggestion request (the first in key order); bounds the work of a short prefix."""


@dataclass(frozen=True)
class Hit:
    """One object found: its owner code (see the module docstring) and display texts."""

    owner: int
    designation: str  # display: '(99942) 2004 MN4' or '2024 YR4'
    provid: str
    permid: str | None
    slug: str  # path segment of its page: '99942' or '2024_YR4'

    @property
    def discovered(self) -> bool:
        """True for a NEO with a discovery observation (a ``discoveries`` row)."""
        return self.owner >= 0

    @property
    def row(self) -> int:
        """Row position in ``discoveries`` (discovered) or ``missing_discoveries`` (not)."""
        return self.owner if self.owner >= 0 else -1 - self.owner


@dataclass(frozen=True)
class DesignationIndex:
    """Sorted keys → owners. Build with :func:`build_index`."""

    provid: np.ndarray  # object array of provisional designations as stored, per owner position
    permid: np.ndarray  # object array, None when unnumbered
    owners: np.ndarray  # int32: owner code per position (discoveries first, then missing)
    exact_keys: np.ndarray  # sorted UTF-8 bytes: 'P:<provid>', 'K:<packed>', 'N:<number>'
    exact_pos: np.ndarray  # int32 positions for exact_keys
    search_keys: np.ndarray  # sorted UTF-8 bytes: search_key() of provid, packed and number
    search_pos: np.ndarray  # int32 positions for search_keys

    def __len__(self) -> int:
        return len(self.owners)

    def hit(self, pos: int) -> Hit:
        """The object at position ``pos``."""
        provid, permid = str(self.provid[pos]), self.permid[pos]
        display = f"({permid}) {provid}" if permid else provid
        return Hit(int(self.owners[pos]), display, provid, permid, url_slug(permid or provid))


def _text_column(frame: pd.DataFrame, name: str) -> np.ndarray:
    if name not in frame.columns:
        return np.full(len(frame), None, dtype=object)
    values = frame[name].astype(object).to_numpy()
    return np.array([None if (v is None or v != v or str(v) == "") else str(v) for v in values], dtype=object)


def _sorted(keys: list[str], pos: list[int]) -> tuple[np.ndarray, np.ndarray]:
    array = np.array([k.encode() for k in keys], dtype=bytes)  # UTF-8 bytes: a quarter of NumPy's UCS-4 text
    order = np.argsort(array, kind="stable")
    return array[order], np.asarray(pos, dtype=np.int32)[order]


def build_index(discoveries: pd.DataFrame, missing: pd.DataFrame) -> DesignationIndex:
    """The index of every NEO of a snapshot, discovered or not."""
    provid = np.concatenate([_text_column(discoveries, "provid"), _text_column(missing, "provid")])
    packed = np.concatenate([_text_column(discoveries, "packed_provid"), _text_column(missing, "packed_provid")])
    permid = np.concatenate([_text_column(discoveries, "permid"), _text_column(missing, "permid")])
    owners = np.concatenate([np.arange(len(discoveries), dtype=np.int32), -1 - np.arange(len(missing), dtype=np.int32)])
    exact: list[str] = []
    exact_pos: list[int] = []
    search: list[str] = []
    positions = np.arange(len(owners))
    for prefix, values in (("P:", provid), ("K:", packed), ("N:", permid)):
        present = np.array([v is not None for v in values], dtype=bool)
        texts = values[present].tolist()
        exact += [prefix + t for t in texts]
        exact_pos += positions[present].tolist()
        search += pd.Series(texts, dtype=object).str.replace(SEARCH_IGNORED, "", regex=True).str.upper().tolist()
    exact_keys, exact_positions = _sorted(exact, exact_pos)
    search_keys, search_positions = _sorted(search, exact_pos)
    return DesignationIndex(provid, permid, owners, exact_keys, exact_positions, search_keys, search_positions)


def _exact(index: DesignationIndex, text: str) -> int | None:
    key = text.encode()
    i = int(np.searchsorted(index.exact_keys, key, side="left"))
    if i < len(index.exact_keys) and index.exact_keys[i] == key:
        return int(index.exact_pos[i])
    return None


def find(index: DesignationIndex, text: str) -> Hit | None:
    """The object ``text`` names in any accepted form (number, provisional, packed), or None.

    Text that is no designation the parser knows still finds an object stored under exactly that
    text (spacing and case aside), so an unusual designation in the data stays reachable.
    """
    try:
        d = parse(text)
    except DesignationError:
        d = None
    if d is not None:
        keys = [f"N:{d.number}"] if d.number is not None else [f"P:{d.text}", f"K:{d.packed}"]
        for key in keys:
            pos = _exact(index, key)
            if pos is not None:
                return index.hit(pos)
        return None
    wanted = search_key(clean(text)).encode()
    i = int(np.searchsorted(index.search_keys, wanted, side="left"))
    if wanted and i < len(index.search_keys) and index.search_keys[i] == wanted:
        return index.hit(int(index.search_pos[i]))
    return None


def suggest(index: DesignationIndex, text: str, limit: int = SUGGESTIONS_MAX) -> list[Hit]:
    """Objects whose designation, packed designation or number starts with ``text`` (spacing and case aside).

    The object ``text`` names exactly comes first; then numbered objects by number; then the rest by
    designation (shorter first). At most ``limit``; none for empty text.
    """
    key = search_key(text).encode()
    if not key or limit <= 0:
        return []
    lo = int(np.searchsorted(index.search_keys, key, side="left"))
    hi = int(np.searchsorted(index.search_keys, key + b"\xff", side="left"))  # no UTF-8 byte is 0xff
    positions = list(dict.fromkeys(int(p) for p in index.search_pos[lo : min(hi, lo + PREFIX_SCAN_MAX)]))
    exact = find(index, text)
    ranked = sorted(positions, key=lambda p: _rank(index, p))
    hits = [exact] if exact is not None else []
    for pos in ranked:
        if len(hits) >= limit:
            break
        if exact is None or int(index.owners[pos]) != exact.owner:
            hits.append(index.hit(pos))
    return hits


def _rank(index: DesignationIndex, pos: int) -> tuple[int, int, int, str]:
    permid = index.permid[pos]
    if permid and str(permid).isdigit():
        return (0, int(permid), 0, "")
    provid = str(index.provid[pos])
    return (1, 0, len(provid), provid)
