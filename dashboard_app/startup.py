"""The container's start-up check (``entrypoint.sh serve`` runs ``python -m dashboard_app.startup`` first).

1. Validate the settings: a bad one is one log line and exit code 2 (as for every command), so the
   container stops with the reason instead of crash-looping inside gunicorn.
2. When ``DATA_DIR`` holds no snapshot and ``DEMO_IF_EMPTY`` is on, build the synthetic demo snapshot
   (``neo-explorer demo``). Another replica publishing into the same volume at that moment is fine:
   this one starts and serves what that one publishes. A read-only ``DATA_DIR`` (another process
   publishes) gets no demo: the app starts empty instead of crash-looping on a write it cannot make.

Every line goes to stdout through the app's log formatter (JSON unless ``LOG_FORMAT=text``), the demo
command's own output included, so a log collector reading stdout sees only JSON lines.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import sys

from dashboard_app import exit_codes
from dashboard_app.settings import SettingsError, load_settings
from dashboard_app.web.logs import configure_logging

EXIT_OK, EXIT_FAILED, EXIT_BAD_SETTINGS = exit_codes.OK, exit_codes.FAILED, exit_codes.USAGE  # the one table

log = logging.getLogger("dashboard_app.entrypoint")


class _LogLines(io.TextIOBase):
    """A text stream that logs each complete line it is given (for a command's printed output)."""

    def __init__(self, level: int) -> None:
        self.level = level
        self._pending = ""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self._pending += text
        *lines, self._pending = self._pending.split("\n")
        for line in lines:
            if line.strip():
                log.log(self.level, "%s", line)
        return len(text)

    def flush(self) -> None:
        if self._pending.strip():
            log.log(self.level, "%s", self._pending)
        self._pending = ""


def _run_logged(argv: list[str]) -> int:
    """Run ``neo-explorer ARGV`` with its stdout logged at info and its stderr at error."""
    from dashboard_app.cli import main

    out, err = _LogLines(logging.INFO), _LogLines(logging.ERROR)
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            return main(argv)
        finally:
            out.flush()
            err.flush()


def main(environ: dict[str, str] | None = None) -> int:
    """Check the settings and make sure there is something to serve; returns the exit code."""
    environ = dict(os.environ if environ is None else environ)
    try:
        settings = load_settings(environ)
    except SettingsError as exc:
        # LOG_FORMAT itself may be the bad setting: JSON unless the environment clearly asks for text.
        text = environ.get("LOG_FORMAT", "").strip().lower() == "text"
        configure_logging("info", "text" if text else "json")
        log.error("entrypoint: invalid setting: %s", exc)
        return EXIT_BAD_SETTINGS
    configure_logging(settings.log_level, settings.log_format)

    from dashboard_app.sky.demo import EXIT_LOCKED
    from dashboard_app.snapshot.publish import current_snapshot_path

    data_dir = settings.data_dir
    if current_snapshot_path(data_dir) is not None:
        return EXIT_OK
    if not settings.demo_if_empty:
        log.warning(
            "entrypoint: no snapshot in %s yet and DEMO_IF_EMPTY=false: the app starts empty (/health 503) "
            "until the exporter publishes one",
            data_dir,
        )
        return EXIT_OK
    if data_dir.is_dir() and not os.access(data_dir, os.W_OK):
        log.warning(
            "entrypoint: no snapshot in %s yet and it is read-only (mounted :ro?): no demo snapshot; the app "
            "starts empty (/health 503) and serves the first snapshot published there",
            data_dir,
        )
        return EXIT_OK
    log.info("entrypoint: no snapshot in %s: building the synthetic demo snapshot", data_dir)
    status = _run_logged(["demo", str(data_dir)])
    if status == EXIT_LOCKED:  # another replica is publishing into the same volume: serve what it publishes
        log.info("entrypoint: another process is publishing into %s: starting with what it publishes", data_dir)
        return EXIT_OK
    return status


if __name__ == "__main__":
    sys.exit(main())
