"""Single NEOs: find one by any designation, suggest as a person types, and gather its facts.

The snapshot-level layer over the pure :mod:`~dashboard_app.analysis.designation_index` and
:mod:`~dashboard_app.analysis.neo_object`: the index is built once per snapshot and memoised on it
(:meth:`Snapshot.memo`), so a keystroke or a page is a binary search, never a scan of the frames.
The object page (:mod:`.page`), the search box (:mod:`.search`) and the API all go through here.
"""

from __future__ import annotations

from typing import Any

from dashboard_app.analysis import designation_index, neo_object
from dashboard_app.analysis.designation_index import DesignationIndex, Hit
from dashboard_app.designations import MAX_INPUT_CHARS
from dashboard_app.snapshot.model import Snapshot

PATH_PREFIX = "/neo/"
"""Object pages live at ``/neo/<designation>`` (any accepted form; links use :attr:`Hit.slug`)."""


def index(snapshot: Snapshot) -> DesignationIndex:
    """The snapshot's designation index (built on first use, then memoised on the snapshot)."""
    return snapshot.memo(
        "objects.index", (), lambda: designation_index.build_index(snapshot.discoveries, snapshot.missing)
    )


def station_info(snapshot: Snapshot) -> dict[str, tuple[str, str]]:
    """Station code → (name, survey project), memoised on the snapshot."""

    def build() -> dict[str, tuple[str, str]]:
        s = snapshot.stations
        return {str(c): (str(n), str(p)) for c, n, p in zip(s["stn"], s["name"], s["project"], strict=True)}

    return snapshot.memo("objects.stations", (), build)


def find(snapshot: Snapshot, text: str) -> Hit | None:
    """The NEO ``text`` names (number, provisional or packed designation, any spacing and case), or None."""
    if not isinstance(text, str) or len(text) > MAX_INPUT_CHARS * 3:
        return None
    return designation_index.find(index(snapshot), text)


def suggest(snapshot: Snapshot, text: str, limit: int = designation_index.SUGGESTIONS_MAX) -> list[Hit]:
    """Suggestions for what a person typed so far (see :func:`designation_index.suggest`)."""
    if not isinstance(text, str) or len(text) > MAX_INPUT_CHARS:
        return []
    return designation_index.suggest(index(snapshot), text, limit)


def record(snapshot: Snapshot, hit: Hit) -> dict[str, Any]:
    """Everything the snapshot says about the NEO of ``hit`` (JSON-ready), memoised per object."""
    return snapshot.memo(
        "objects.record",
        hit.owner,
        lambda: neo_object.object_record(
            hit, snapshot.discoveries, snapshot.apparitions, snapshot.missing, station_info(snapshot)
        ),
    )


def page_path(hit: Hit) -> str:
    """The object page's path, e.g. ``/neo/99942`` or ``/neo/2024_YR4`` (without Dash's path prefix)."""
    return PATH_PREFIX + hit.slug
