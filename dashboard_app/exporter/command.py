"""``neo-explorer export``: build a snapshot from PostgreSQL ``mpc_sbn`` and publish it into DATA_DIR.

Log lines go to stdout through the app's logging set-up (JSON by default: ``stage``, ``rows``,
``seconds``, ``snapshot_id`` fields; passwords redacted), progress lines to stderr when it is a
terminal, one JSON summary line to stdout at the end; the run's exit code, stages and row counts
are added to ``status.json`` (read by /metrics); with ``SENTRY_DSN`` failures are reported. The
exit code says what happened (see :data:`dashboard_app.exporter.errors.EXIT_CODES`).
Connection settings come from the environment only (``DATABASE_URL`` or libpq's
``PG*`` variables, ``DATABASE_PASSWORD_FILE``), never from arguments, so a
password cannot end up in a process list or shell history.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from dashboard_app.exporter import errors
from dashboard_app.exporter.connection import ConnectionSettings, redact
from dashboard_app.exporter.errors import ExportError, ExportSettingsError
from dashboard_app.exporter.progress import Progress
from dashboard_app.exporter.settings import ExportSettings, load_export_settings

log = logging.getLogger("dashboard_app.exporter")
outcome_log = logging.getLogger("dashboard_app.exporter.outcome")  # Sentry gets the exception, not this line


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the ``export`` options."""
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = (
        "connection: DATABASE_URL (postgresql://user@host:port/mpc_sbn) or libpq's PGHOST, PGPORT, PGUSER,\n"
        "PGDATABASE, PGPASSWORD, PGPASSFILE, PGSSLMODE; or a password in the file named by\n"
        "DATABASE_PASSWORD_FILE. Passwords are never accepted as arguments.\n\nexit codes:\n"
        + "\n".join(f"  {code}  {meaning}" for code, meaning in errors.EXIT_CODES.items())
    )
    parser.add_argument("--data-dir", type=Path, default=None, help="snapshot directory (default: DATA_DIR)")
    parser.add_argument("--keep", type=int, default=None, help="snapshots to keep (default: SNAPSHOT_KEEP)")
    parser.add_argument(
        "--max-row-drop",
        type=float,
        default=None,
        help="largest tolerated fractional drop of any table's rows against the current snapshot "
        "(default: MAX_ROW_DROP)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    parser.add_argument(
        "--print-setup-sql",
        action="store_true",
        help="print the indexes (and optional read-only role) to create once on the replica, then exit",
    )
    parser.add_argument(
        "--tier",
        choices=("default", "optional"),
        default="default",
        help="with --print-setup-sql: the default tier (small, for any replica) or also the optional one "
        "(index-only apparition probes for slow disks or little RAM; see DEPLOYMENT.md)",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="preflight: check the server, tables, privileges, statistics, indexes and plans, estimate the "
        f"export's cost, publish nothing; exit 0 when an export would work, {errors.EXIT_CHECK_FAILED} when not",
    )
    parser.add_argument(
        "--explain",
        action="store_true",
        help="print PostgreSQL's plan for each export query (nothing is published), then exit",
    )


def _settings(args: argparse.Namespace, environ: Mapping[str, str]) -> ExportSettings:
    settings = load_export_settings(environ)
    overrides = {}
    if args.data_dir is not None:
        overrides["data_dir"] = args.data_dir
    if args.keep is not None:
        if args.keep < 1:
            raise ExportSettingsError(f"--keep {args.keep} is not accepted: expected an integer ≥ 1")
        overrides["snapshot_keep"] = args.keep
    if args.max_row_drop is not None:
        if not 0 <= args.max_row_drop <= 1:
            raise ExportSettingsError(f"--max-row-drop {args.max_row_drop} is not accepted: expected 0..1")
        overrides["max_row_drop"] = args.max_row_drop
    return settings.replace(**overrides) if overrides else settings


def _summary(payload: dict) -> None:
    print(json.dumps(payload, sort_keys=True), flush=True)


def run(args: argparse.Namespace, environ: Mapping[str, str] | None = None) -> int:
    """Run the export; returns the process exit code."""
    environ = os.environ if environ is None else environ
    if args.print_setup_sql:
        from dashboard_app.exporter.setup_sql import setup_script

        print(setup_script(args.tier), end="")
        return errors.EXIT_OK
    started = time.perf_counter()
    started_utc = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    progress = Progress(quiet=args.quiet)
    connection: ConnectionSettings | None = None
    settings: ExportSettings | None = None
    try:
        settings = _settings(args, environ)
        connection = settings.connection
        if args.check:
            return _check(connection)
        if args.explain:
            from dashboard_app.exporter.plans import explain_all

            print(explain_all(connection), end="")
            return errors.EXIT_OK
        from dashboard_app.exporter.allocation import return_freed_memory
        from dashboard_app.exporter.export import export_snapshot

        return_freed_memory()  # this process only exports: freed memory goes back (peak RSS, see allocation.py)
        _report_to_logs_and_sentry(environ, connection)  # not before --explain: its plans go to stdout
        progress.say(f"exporting from {connection.describe()} into {settings.data_dir}")
        result = export_snapshot(
            settings.data_dir,
            connection,
            keep=settings.snapshot_keep,
            max_row_drop=settings.max_row_drop,
            progress=progress,
        )
    except Exception as exc:  # every failure ends as one line + a documented exit code
        code, message = _failure(exc, connection)
        print(f"neo-explorer export: error: {message}", file=sys.stderr, flush=True)
        _record_failure(exc, code, message, settings, progress, started_utc)
        _summary(
            {
                "status": "error",
                "exit_code": code,
                "error": message,
                "elapsed_s": round(time.perf_counter() - started, 3),
            }
        )
        return code
    published = result.published
    elapsed = round(time.perf_counter() - started, 3)
    peak = peak_rss_mb()
    outcome_log.info(
        "export finished: snapshot %s published in %.1f s, peak memory %.0f MB",
        published.snapshot_id,
        elapsed,
        peak,
        extra={
            "fields": {
                "snapshot_id": published.snapshot_id,
                "seconds": elapsed,
                "exit_code": errors.EXIT_OK,
                "peak_rss_mb": peak,
            }
        },
    )
    outcome = {"exit_code": errors.EXIT_OK, "stages": result.stages, "row_counts": published.row_counts}
    _record_outcome(settings.data_dir, outcome, started_utc)
    _summary(
        {
            "status": "ok",
            "exit_code": errors.EXIT_OK,
            "snapshot_id": published.snapshot_id,
            "path": str(published.path),
            "row_counts": published.row_counts,
            "source": result.source,
            "elapsed_s": round(time.perf_counter() - started, 3),
            "peak_rss_mb": peak,
            "stages": result.stages,
        }
    )
    return errors.EXIT_OK


def peak_rss_mb() -> float:
    """This process's peak resident memory so far, MB (what a container's memory limit has to hold)."""
    import resource

    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # kB on Linux


def _check(connection: ConnectionSettings) -> int:
    """Run the preflight: one line per check on stdout, then the JSON summary; exit 0 or EXIT_CHECK_FAILED."""
    from dashboard_app.exporter.preflight import run_checks

    print(f"checking {connection.describe()} (read-only; nothing is exported)", flush=True)
    report = run_checks(connection)
    for line in report.lines():
        print(line, flush=True)
    code = errors.EXIT_OK if report.ok else errors.EXIT_CHECK_FAILED
    verdict = "an export would work" if report.ok else "an export would NOT work: fix the FAIL lines above"
    print(f"verdict: {verdict}", flush=True)
    _summary({**report.summary(), "exit_code": code})
    return code


def _report_to_logs_and_sentry(environ: Mapping[str, str], connection: ConnectionSettings) -> None:
    """The app's logging set-up (LOG_LEVEL, LOG_FORMAT) with passwords redacted; Sentry when SENTRY_DSN is set."""
    from dashboard_app.observability import errors as error_reports
    from dashboard_app.settings import load_settings
    from dashboard_app.web.logs import configure_logging

    app_settings = load_settings(environ)  # already validated by _settings: cannot fail here
    secrets = tuple(s for s in (*connection.secrets(), environ.get("PGPASSWORD", "")) if s)
    configure_logging(app_settings.log_level, app_settings.log_format, redact=lambda text: redact(text, secrets))
    error_reports.init_sentry(app_settings, component="exporter", secrets=secrets)


def _record_outcome(data_dir: Path, outcome: dict, started_utc: str) -> None:
    from dashboard_app.snapshot.publish import record_run

    try:
        record_run(data_dir, outcome, started_utc=started_utc)
    except OSError as exc:  # a full disk: the failure itself is already reported
        log.error("cannot record the export's outcome in %s: %s", data_dir, exc)


def _record_failure(
    exc: Exception, code: int, message: str, settings: ExportSettings | None, progress: Progress, started_utc: str
) -> None:
    """Log the failure, add it to ``status.json`` and report it to Sentry (not for bad settings or a held lock)."""
    from dashboard_app.observability import errors as error_reports

    if settings is None:  # bad settings: logging is not set up; the line on stderr says it all
        return
    stage = progress.stages[-1].name if progress.stages else "connect"
    outcome_log.error(
        "export failed at %s (exit code %d): %s",
        stage,
        code,
        message,
        extra={"fields": {"exit_code": code, "stage": stage}},
    )
    if code in (errors.EXIT_SETTINGS, errors.EXIT_LOCKED):
        return
    outcome = {"exit_code": code, "error": message, "stage": stage, "stages": [s.as_dict() for s in progress.stages]}
    _record_outcome(settings.data_dir, outcome, started_utc)
    error_reports.capture_exception(exc)


def _failure(exc: Exception, connection: ConnectionSettings | None) -> tuple[int, str]:
    """Exit code and one-line message (passwords scrubbed) for an export failure."""
    from dashboard_app.snapshot.publish import PublishError, PublishLockedError, SnapshotRefusedError

    secrets = connection.secrets() if connection is not None else ()
    message = redact(" ".join(str(exc).split()) or type(exc).__name__, secrets)
    if isinstance(exc, ExportError):
        return exc.exit_code, message
    if isinstance(exc, PublishLockedError):
        return errors.EXIT_LOCKED, message
    if isinstance(exc, SnapshotRefusedError):
        return errors.EXIT_REFUSED, message
    if isinstance(exc, PublishError):
        return errors.EXIT_WRITE_FAILED, message
    if isinstance(exc, OSError):
        return errors.EXIT_WRITE_FAILED, f"cannot write the snapshot: {message}"
    return errors.EXIT_INTERNAL, f"unexpected {type(exc).__name__}: {message}"
