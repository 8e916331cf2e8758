"""Settings from the environment and an optional ``.env`` file, validated once at start-up.

:data:`SETTINGS` is the one declarative table (variable, default, parser, what is
accepted, meaning). :class:`Settings` is the frozen, statically typed dataclass of the
parsed values: adding a setting is adding one row and its typed field (an import-time
check fails when they differ). ``.env.example`` and the README's settings
table are checked against this table by the tests
(``python -m dashboard_app.settings`` prints both).

An invalid value raises :class:`SettingsError` with one line naming the
variable, the value and what is accepted; the CLI and gunicorn print that line
and exit non-zero.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dotenv import dotenv_values


class SettingsError(ValueError):
    """A setting has a value that is not accepted; the message is one line a person can act on."""


@dataclass(frozen=True)
class Setting:
    """One environment variable: its default (as text), how it is parsed and what it means."""

    name: str
    default: str
    parse: Callable[[str], Any]
    accepted: str
    help: str

    @property
    def field(self) -> str:
        """Attribute name on :class:`Settings` (the variable name in lower case)."""
        return self.name.lower()


# --- parsers: each raises ValueError when the text is not accepted -------------------


def _int_range(low: int, high: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        value = int(text)
        if not low <= value <= high:
            raise ValueError(text)
        return value

    return parse


def _float_range(low: float, high: float, *, low_included: bool = False) -> Callable[[str], float]:
    def parse(text: str) -> float:
        value = float(text)
        above = low <= value if low_included else low < value
        if not (above and value <= high):  # NaN fails both comparisons
            raise ValueError(text)
        return value

    return parse


def _choice(*choices: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        value = text.strip().lower()
        if value not in choices:
            raise ValueError(text)
        return value

    return parse


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _bool(text: str) -> bool:
    value = text.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(text)


def _text(text: str) -> str:
    return text.strip()


def _nonempty(text: str) -> str:
    if not text.strip():
        raise ValueError(text)
    return text.strip()


def _path(text: str) -> Path:
    return Path(_nonempty(text)).expanduser()


def _optional_path(text: str) -> Path | None:
    return Path(text.strip()).expanduser() if text.strip() else None


def _fraction(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 1:  # NaN fails too
        raise ValueError(text)
    return value


def _rate_limit_storage(text: str) -> str:
    from limits.storage import SCHEMES, MovingWindowSupport  # imported lazily: only needed to validate

    from dashboard_app.web import rate_counters  # registers shared-memory://

    scheme = text.strip().split("://", 1)[0]
    if "://" not in text or scheme not in SCHEMES or scheme.startswith("async+"):
        raise ValueError(text)
    if not issubclass(SCHEMES[scheme], MovingWindowSupport):  # the strategy web/limits.py uses
        raise ValueError(text)
    if scheme == rate_counters.SCHEME:
        rate_counters.check_uri(text)
    return text.strip()


def _forwarded_allow_ips(text: str) -> str:
    from dashboard_app.web.proxies import parse_allowed

    parse_allowed(text)  # raises ValueError on an entry that is neither an address nor a network
    return ",".join(e.strip() for e in text.split(",") if e.strip())


def _token(text: str) -> str:
    value = text.strip()
    if value and (len(value) < 32 or any(c.isspace() for c in value)):
        raise ValueError(text)
    return value


def _sentry_dsn(text: str) -> str:
    from urllib.parse import urlsplit

    value = text.strip()
    if value:
        url = urlsplit(value)
        if url.scheme not in ("http", "https") or not url.username or not url.hostname or not url.path.strip("/"):
            raise ValueError(text)
    return value


def _rate_limit(text: str) -> str:
    from limits import parse_many

    if not text.strip():
        raise ValueError(text)
    parse_many(text)  # raises ValueError on a malformed limit string
    return text.strip()


# --- the table -------------------------------------------------------------------------

SETTINGS: tuple[Setting, ...] = (
    Setting(
        "DATA_DIR",
        "./data",
        _path,
        "a directory path",
        "Directory holding the snapshots and the CURRENT pointer (a volume in the container).",
    ),
    Setting(
        "DEMO_IF_EMPTY",
        "true",
        _bool,
        "true or false (1/0, yes/no, on/off)",
        "Container start-up builds the synthetic demo snapshot when DATA_DIR holds none (false in production).",
    ),
    Setting("HOST", "127.0.0.1", _nonempty, "an address or host name", "Address gunicorn binds to."),
    Setting("PORT", "8050", _int_range(1, 65535), "an integer 1-65535", "Port gunicorn binds to."),
    Setting("WORKERS", "2", _int_range(1, 64), "an integer 1-64", "gunicorn worker processes."),
    Setting("THREADS", "4", _int_range(1, 64), "an integer 1-64", "Threads per worker (gthread worker)."),
    Setting(
        "TIMEOUT",
        "60",
        _int_range(5, 3600),
        "an integer 5-3600 (seconds)",
        "A worker silent for this long is killed and replaced.",
    ),
    Setting(
        "GRACEFUL_TIMEOUT",
        "8",
        _int_range(1, 600),
        "an integer 1-600 (seconds)",
        "Time workers get to finish requests after SIGTERM; keep it below the orchestrator's stop grace (10 s).",
    ),
    Setting(
        "LOG_LEVEL",
        "info",
        _choice("debug", "info", "warning", "error", "critical"),
        "debug, info, warning, error or critical",
        "Lowest level of log lines written to stdout.",
    ),
    Setting(
        "LOG_FORMAT",
        "json",
        _choice("json", "text"),
        "json or text",
        "json: one JSON object per line (production); text: plain lines for local work.",
    ),
    Setting(
        "RATE_LIMIT",
        "180 per minute",
        _rate_limit,
        'a limit like "180 per minute" or "10/second;500/hour"',
        "Requests allowed per client address, all workers together: chart updates (POST /_dash-update-component) "
        "and, each counted apart, page loads (GET /_dash-layout naming a page: it draws the first charts) and the "
        "data API (/api/v1); the most active recorded visitor sends 54 chart updates a minute (bench/results.md, "
        "Load).",
    ),
    Setting(
        "RATE_LIMIT_STORAGE_URI",
        "shared-memory://",
        _rate_limit_storage,
        "shared-memory://, redis://host:port/0, redis+unix:///path/redis.sock, memory://, …",
        "Where rate-limit counters live: shared-memory:// is one count per client for all workers of this "
        "container; use redis:// when several replicas serve the site (memory:// counts per worker).",
    ),
    Setting(
        "TRUSTED_PROXY_COUNT",
        "0",
        _int_range(0, 10),
        "an integer 0-10",
        "Reverse proxies in front of the app that append to X-Forwarded-For (1 behind Traefik/Dokploy); the client "
        "address (rate limit, logs) is the entry that many places from the end.",
    ),
    Setting(
        "FORWARDED_ALLOW_IPS",
        "127.0.0.1,::1",
        _forwarded_allow_ips,
        "comma-separated addresses or networks (10.0.0.0/8), or *",
        "Peers whose X-Forwarded-For/-Proto are believed (the proxy's address or network); headers from any other "
        "peer are dropped. * believes every peer: only when nothing but the proxy can reach the app.",
    ),
    Setting(
        "SERVE_TLS",
        "false",
        _bool,
        "true or false (1/0, yes/no, on/off)",
        "The site is reached over HTTPS (at the proxy): send Strict-Transport-Security.",
    ),
    Setting(
        "CALLBACK_MAX_BYTES",
        "65536",
        _int_range(4096, 16 * 1024 * 1024),
        "an integer 4096-16777216 (bytes)",
        "Largest callback request body accepted (413 beyond); real ones are ~2 kB.",
    ),
    Setting(
        "SNAPSHOT_POLL_SECONDS",
        "5",
        _float_range(0, 3600),
        "a number of seconds > 0 and ≤ 3600",
        "How often each worker checks DATA_DIR for a newly published snapshot.",
    ),
    Setting(
        "SWAP_WARM_SECONDS",
        "3",
        _float_range(0, 30, low_included=True),
        "a number of seconds 0-30 (0: off)",
        "After a new snapshot is published, one low-priority process computes the views visitors asked for "
        "lately on it for up to this long, and the workers load those results before they switch (a new "
        "snapshot is served this much later, without a minute of slow first answers).",
    ),
    Setting(
        "SWAP_REFRESH_WORKERS",
        "true",
        _bool,
        "true or false (1/0, yes/no, on/off)",
        "After a swap has been served in place, replace the workers one at a time, one poll interval each, by "
        "fresh forks of the master: they share its memory again instead of each keeping what the old snapshot's "
        "results left (DEPLOYMENT.md, Sizing). The configured number of workers serves throughout.",
    ),
    Setting(
        "MEMO_MAX_MB",
        "128",
        _int_range(0, 65536),
        "an integer 0-65536 (MB; 0 keeps nothing)",
        "Memory all workers together may keep of computed chart results: each worker keeps up to MEMO_MAX_MB ÷ "
        "WORKERS (least recently used dropped first), so more workers share the same budget.",
    ),
    Setting(
        "FRAMES_CACHE_DIR",
        "",
        _optional_path,
        "a directory path, or empty",
        "Writable directory for what the app builds once per machine and every worker maps: the Arrow frames "
        "of snapshots published without them (older exporters), values derived from the served snapshot "
        "(~30 MB at full scale) and records of the snapshot files' checksums, so one process per machine "
        "hashes them; empty: a per-user folder in the temp directory.",
    ),
    Setting(
        "STALE_AFTER_HOURS",
        "48",
        _float_range(0, 24 * 365),
        "a number of hours > 0",
        "Snapshots older than this are shown as stale (banner, /health warn).",
    ),
    Setting(
        "ASSETS_DIR",
        "",
        _optional_path,
        "a directory path, or empty",
        "CSS/JS assets folder; empty means the assets/ folder of the source tree.",
    ),
    Setting(
        "GIT_COMMIT",
        "",
        _text,
        "any text",
        "Commit the running code was built from (shown by /health); set by the image build.",
    ),
    # --- operations: metrics and error reports ---
    Setting(
        "OPERATOR_TOKEN",
        "",
        _token,
        "empty, or a token of at least 32 characters without spaces",
        "Bearer token (Authorization: Bearer …) for operator answers on the public port: /metrics and the "
        "/health detail. Empty: none there. Generate one with `openssl rand -hex 32`.",
    ),
    Setting(
        "METRICS_PORT",
        "0",
        _int_range(0, 65535),
        "an integer 0-65535 (0: none)",
        "A second port on HOST answering only /metrics and /health, for a scraper on the internal network "
        "(Traefik does not route it). 0: none.",
    ),
    Setting(
        "METRICS_DIR",
        "",
        _optional_path,
        "a directory path, or empty",
        "Where gunicorn's workers keep their metric files (emptied at start); empty: neo-explorer-metrics-PORT "
        "in the temp directory (the container's tmpfs /tmp).",
    ),
    Setting(
        "MAX_REQUESTS",
        "0",
        _int_range(0, 10_000_000),
        "an integer ≥ 0 (0: never)",
        "A worker is replaced after about this many requests (± 10 %). Not needed for memory, which "
        "MEMO_MAX_MB bounds (DEPLOYMENT.md, Sizing); a value like 50000 is insurance against a leak.",
    ),
    Setting(
        "SENTRY_DSN",
        "",
        _sentry_dsn,
        "empty, or a Sentry DSN (https://KEY@HOST/PROJECT)",
        "Send unhandled errors of the app and the exporter to Sentry (no IP addresses, cookies or "
        "personal data). Empty: nothing is sent.",
    ),
    Setting(
        "SENTRY_ENVIRONMENT",
        "production",
        _nonempty,
        "any non-empty text",
        "Environment name on Sentry events (production, staging, …).",
    ),
    Setting(
        "SENTRY_SAMPLE_RATE",
        "1.0",
        _fraction,
        "a fraction 0-1",
        "Share of errors sent to Sentry.",
    ),
    Setting(
        "SENTRY_TRACES_SAMPLE_RATE",
        "0",
        _fraction,
        "a fraction 0-1",
        "Share of requests sent to Sentry as performance traces (0: none).",
    ),
    # --- the exporter (neo-explorer export) ---
    Setting(
        "DATABASE_URL",
        "",
        _text,
        "a postgresql:// URL or libpq conninfo, or empty",
        "The mpc_sbn database the exporter reads; empty: libpq's PG* variables (PGHOST, PGPORT, PGUSER, "
        "PGDATABASE, PGPASSFILE, …). Keep the password out of it (PGPASSFILE, DATABASE_PASSWORD_FILE).",
    ),
    Setting(
        "DATABASE_PASSWORD_FILE",
        "",
        _optional_path,
        "a file path, or empty",
        "File holding the exporter's database password (a container secret); empty: libpq's own lookup.",
    ),
    Setting(
        "EXPORT_CONNECT_TIMEOUT_S",
        "10",
        _int_range(2, 600),
        "an integer 2-600 (seconds)",
        "How long the exporter waits to connect to the database (exit code 3 when it cannot).",
    ),
    Setting(
        "EXPORT_STATEMENT_TIMEOUT_S",
        "900",
        _float_range(0, 86400),
        "a number of seconds > 0 and ≤ 86400",
        "Longest time one export query may run before it is cancelled (exit code 4).",
    ),
    Setting(
        "EXPORT_APPLICATION_NAME",
        "neo-explorer-export",
        _nonempty,
        "any non-empty text",
        "application_name of the exporter's database session (shown in pg_stat_activity).",
    ),
    Setting(
        "SNAPSHOT_KEEP",
        "5",
        _int_range(1, 1000),
        "an integer 1-1000",
        "Snapshots the exporter keeps in DATA_DIR (the current one and the one before are always kept).",
    ),
    Setting(
        "MAX_ROW_DROP",
        "0.5",
        _fraction,
        "a fraction 0-1",
        "The exporter refuses a snapshot that loses more than this fraction of any table's rows "
        "against the current one (exit code 5).",
    ),
)


@dataclass(frozen=True)
class Settings:
    """Validated settings, one attribute per row of :data:`SETTINGS` (lower-case variable name).

    Typed by hand so a type checker catches a misspelt or misused setting; the check below (and
    ``tests/serving/test_settings.py``) keeps the fields and the table in step.
    """

    data_dir: Path
    demo_if_empty: bool
    host: str
    port: int
    workers: int
    threads: int
    timeout: int
    graceful_timeout: int
    log_level: str
    log_format: str
    rate_limit: str
    rate_limit_storage_uri: str
    trusted_proxy_count: int
    forwarded_allow_ips: str
    serve_tls: bool
    callback_max_bytes: int
    snapshot_poll_seconds: float
    swap_warm_seconds: float
    swap_refresh_workers: bool
    memo_max_mb: int
    frames_cache_dir: Path | None
    stale_after_hours: float
    assets_dir: Path | None
    git_commit: str
    operator_token: str
    metrics_port: int
    metrics_dir: Path | None
    max_requests: int
    sentry_dsn: str
    sentry_environment: str
    sentry_sample_rate: float
    sentry_traces_sample_rate: float
    database_url: str
    database_password_file: Path | None
    export_connect_timeout_s: int
    export_statement_timeout_s: float
    export_application_name: str
    snapshot_keep: int
    max_row_drop: float


_FIELDS = [f.name for f in dataclasses.fields(Settings)]
if [s.field for s in SETTINGS] != _FIELDS:  # adding a row to SETTINGS means adding its typed field here
    raise RuntimeError(f"Settings fields {_FIELDS} differ from the SETTINGS table {[s.field for s in SETTINGS]}")


def parse_setting(setting: Setting, text: str) -> Any:
    """Parse one variable's text; raise :class:`SettingsError` naming variable, value and what is accepted."""
    try:
        return setting.parse(text)
    except (ValueError, TypeError):
        raise SettingsError(f"{setting.name}={text!r} is not accepted: expected {setting.accepted}") from None


def load_settings(environ: Mapping[str, str] | None = None, *, env_file: str | Path | None = ".env") -> Settings:
    """Build :class:`Settings` from ``environ`` (default ``os.environ``) over the optional ``env_file``.

    Real environment variables win over ``.env`` entries; unset variables take their default.
    """
    import os

    environ = os.environ if environ is None else environ
    file_values: dict[str, str | None] = {}
    if env_file is not None and Path(env_file).is_file():
        file_values = dotenv_values(env_file)
    values = {}
    for setting in SETTINGS:
        text = environ.get(setting.name)
        if text is None:
            text = file_values.get(setting.name)
        values[setting.field] = parse_setting(setting, setting.default if text is None else text)
    return Settings(**values)


def env_example() -> str:
    """The text of ``.env.example``: every variable with its meaning and default."""
    lines = [
        "# NEO Discovery Statistics Explorer: every setting with its default.",
        "# Copy to .env (or set real environment variables, which win) and change what you need.",
        "# Generated by `python -m dashboard_app.settings env`; a test keeps it in step with the code.",
        "",
    ]
    for s in SETTINGS:
        lines += [f"# {s.help} Accepted: {s.accepted}.", f"{s.name}={s.default}", ""]
    return "\n".join(lines)


def markdown_table() -> str:
    """The settings as a Markdown table (README, DEPLOYMENT.md)."""
    rows = ["| Variable | Default | Accepted | Meaning |", "|---|---|---|---|"]
    for s in SETTINGS:
        default = f"`{s.default}`" if s.default else "(empty)"
        rows.append(f"| `{s.name}` | {default} | {s.accepted} | {s.help} |")
    return "\n".join(rows)


if __name__ == "__main__":  # pragma: no cover - documentation generator
    print(markdown_table() if sys.argv[1:] == ["markdown"] else env_example())
