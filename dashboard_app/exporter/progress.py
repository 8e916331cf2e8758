"""Progress of an export: log lines (stage, rows, seconds), lines on a terminal, per-stage figures.

Every progress message is a log record of ``dashboard_app.exporter`` (JSON lines on stdout with
``stage``/``rows``/``seconds`` fields, through the app's logging set-up); when stderr is a terminal,
the same messages are also printed there as ``export [  12.3s] …`` lines for the person watching.
Each stage starts at a named checkpoint (:func:`dashboard_app.checkpoints.reached`), where the
tests' fault injection pauses an export to stop the database or kill the process.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import TextIO

from dashboard_app import checkpoints

log = logging.getLogger("dashboard_app.exporter")


@dataclass
class StageRecord:
    """What one stage did: rows produced, wall time, and time spent waiting for PostgreSQL."""

    name: str
    rows: int = 0
    seconds: float = 0.0
    db_seconds: float = 0.0

    def as_dict(self) -> dict[str, float | int | str]:
        out = asdict(self)
        out["seconds"] = round(self.seconds, 3)
        out["db_seconds"] = round(self.db_seconds, 3)
        return out


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class Progress:
    """Logs one line per finished stage (and prints it when ``stream`` is a terminal); keeps the records."""

    def __init__(self, stream: TextIO | None = None, *, quiet: bool = False, terminal: bool | None = None):
        self.stream = stream if stream is not None else sys.stderr
        self.quiet = quiet
        self.terminal = _is_terminal(self.stream) if terminal is None else terminal
        self.started = time.perf_counter()
        self.stages: list[StageRecord] = []

    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def say(self, message: str, **fields: object) -> None:
        """One progress message: a log record with ``fields``; ``export [  12.3s] message`` on a terminal."""
        log.info("%s", message, extra={"fields": fields} if fields else None)
        if self.terminal and not self.quiet:
            print(f"export [{self.elapsed():7.1f}s] {message}", file=self.stream, flush=True)

    @contextmanager
    def stage(self, name: str) -> Iterator[StageRecord]:
        """Time the block as stage ``name``; the block sets ``rows`` and ``db_seconds`` on the record."""
        checkpoints.reached("export", name)
        record = StageRecord(name)
        start = time.perf_counter()
        try:
            yield record
        finally:
            record.seconds = time.perf_counter() - start
            self.stages.append(record)
        db = f", {record.db_seconds:.1f}s waiting for PostgreSQL" if record.db_seconds else ""
        self.say(
            f"{name}: {record.rows:,} rows in {record.seconds:.1f}s{db}",
            stage=name,
            rows=record.rows,
            seconds=round(record.seconds, 3),
            db_seconds=round(record.db_seconds, 3),
        )
