"""A minimal stand-in for ``dashboard_app.snapshot.store.SnapshotStore`` with the same interface.

Used by the factory only when the real store module is not installed: loads the
snapshot named by ``DATA_DIR/CURRENT`` once, no watcher, no hot swap.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dashboard_app.snapshot.model import Snapshot, SnapshotError, load_snapshot


class InterimSnapshotStore:
    """Serve the snapshot the pointer of ``data_dir`` names (loaded by :meth:`load_initial`)."""

    def __init__(self, data_dir: Path, poll_interval_s: float = 5.0, *, stale_after_hours: float | None = None):
        self.data_dir = Path(data_dir)
        self.poll_interval_s = poll_interval_s
        self._snapshot: Snapshot | None = None
        self._error: str | None = None

    def load_initial(self) -> Snapshot | None:
        try:
            name = (self.data_dir / "CURRENT").read_text(encoding="utf-8").strip()
            self._snapshot = load_snapshot(self.data_dir / name)
        except (OSError, SnapshotError) as exc:
            self._error = str(exc)
        return self._snapshot

    def start(self) -> None:
        """No watcher in the interim store."""

    def current(self) -> Snapshot | None:
        return self._snapshot

    def health(self) -> dict[str, Any]:
        snap = self._snapshot
        facts: dict[str, Any] = {
            "snapshot_id": None,
            "created_utc": None,
            "age_hours": None,
            "row_counts": None,
            "synthetic": None,
            "refresh": None,
            "last_error": {"message": self._error} if self._error else None,
        }
        if snap is not None:
            facts.update(
                snapshot_id=snap.id,
                created_utc=snap.meta.get("created_utc"),
                age_hours=(datetime.now(UTC) - snap.created).total_seconds() / 3600,
                row_counts=snap.row_counts,
                synthetic=snap.synthetic,
            )
        return facts
