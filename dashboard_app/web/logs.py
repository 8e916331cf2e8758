"""Logging: JSON lines (or plain text) on stdout, with a request id on every request.

The app's (and the exporter's) log records and gunicorn's access and error logs go through
:class:`JsonLineFormatter`; a record's ``extra={"fields": {...}}`` become fields of its line
(``stage``, ``rows``, ``seconds`` …); for gunicorn's access log the formatter reads the
request atoms gunicorn passes as the record's arguments (method, path, status,
duration, the response's ``X-Request-ID``). ``gunicorn.conf.py`` wires it up with
:func:`gunicorn_logconfig`.
"""

from __future__ import annotations

import json
import logging
import logging.config
import re
import sys
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, g, has_request_context, request

REQUEST_ID_HEADER = "X-Request-ID"
_INCOMING_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
_TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class JsonLineFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message and request fields when known."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "pid": record.process,  # which gunicorn worker (or the master) wrote it
        }
        if record.name == "gunicorn.access" and isinstance(record.args, dict):
            line.update(_access_fields(record.args))
            line["message"] = f"{line['method']} {line['path']} {line['status']}"
        else:
            line["message"] = record.getMessage()
            line.update(getattr(record, "request_fields", None) or {})
            line.update(getattr(record, "fields", None) or {})
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:  # already formatted (and redacted) by a filter
            line["exception"] = record.exc_text
        return json.dumps(line, ensure_ascii=False, default=str)


def _access_fields(atoms: dict[str, Any]) -> dict[str, Any]:
    """Fields of one gunicorn access-log line from its atoms (``D`` is the duration in µs; ``-`` is unknown)."""

    def atom(key: str) -> Any:
        value = atoms[key]  # gunicorn's SafeAtoms: case-insensitive header atoms, "-" when missing
        return None if value in ("-", "") else value

    status = atom("s")
    return {
        "method": atom("m"),
        "path": atom("U"),
        "query": atom("q"),
        "status": int(status) if str(status).isdigit() else status,
        "duration_ms": round(int(atoms["D"]) / 1000, 3) if str(atoms["D"]).isdigit() else None,
        "bytes": atom("B"),
        "remote": atom("h"),
        "request_id": atom("{x-request-id}o"),
        "user_agent": atom("a"),
    }


class RequestFieldsFilter(logging.Filter):
    """Attach the current request's id, method and path to app log records made inside a request."""

    def filter(self, record: logging.LogRecord) -> bool:
        if has_request_context() and not hasattr(record, "request_fields"):
            record.request_fields = {
                "request_id": g.get("request_id"),
                "method": request.method,
                "path": request.path,
            }
        return True


class TextLineFormatter(logging.Formatter):
    """Plain lines (``LOG_FORMAT=text``), with a record's ``fields`` appended as ``key=value``."""

    def __init__(self) -> None:
        super().__init__(_TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        fields = getattr(record, "fields", None)
        return text + "".join(f" {k}={v}" for k, v in fields.items()) if fields else text


class RedactingFilter(logging.Filter):
    """Pass every record's text (message, exception, fields) through ``redact`` before it is written."""

    def __init__(self, redact: Callable[[str], str]):
        super().__init__()
        self.redact = redact

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = self.redact(record.getMessage()), None
        if record.exc_info:
            record.exc_text = self.redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        fields = getattr(record, "fields", None)
        if fields:
            record.fields = {k: self.redact(v) if isinstance(v, str) else v for k, v in fields.items()}
        return True


def _handler(log_format: str, redact: Callable[[str], str] | None = None) -> logging.Handler:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonLineFormatter() if log_format == "json" else TextLineFormatter())
    handler.addFilter(RequestFieldsFilter())
    if redact is not None:
        handler.addFilter(RedactingFilter(redact))
    return handler


def configure_logging(level: str, log_format: str, *, redact: Callable[[str], str] | None = None) -> None:
    """Send the app's log records (the ``dashboard_app`` loggers) to stdout in ``log_format``.

    ``redact`` (the exporter passes one) rewrites every line's text, e.g. to remove passwords.
    """
    logger = logging.getLogger("dashboard_app")
    logger.handlers[:] = [_handler(log_format, redact)]
    logger.setLevel(level.upper())
    logger.propagate = False


def gunicorn_logconfig(level: str, log_format: str) -> dict[str, Any]:
    """A ``logging.config`` dict for gunicorn's ``logconfig_dict``: error and access logs on stdout."""
    formatter = {"()": f"{__name__}.JsonLineFormatter"} if log_format == "json" else {"format": _TEXT_FORMAT}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"line": formatter},
        "handlers": {"stdout": {"class": "logging.StreamHandler", "formatter": "line", "stream": "ext://sys.stdout"}},
        "root": {"level": level.upper(), "handlers": ["stdout"]},
        "loggers": {
            "gunicorn.error": {"level": level.upper(), "handlers": ["stdout"], "propagate": False},
            "gunicorn.access": {"level": "INFO", "handlers": ["stdout"], "propagate": False},
        },
    }


def install_request_ids(server: Flask) -> None:
    """Give every request an id (a sane incoming ``X-Request-ID`` or a new one) and echo it in the response."""

    @server.before_request
    def _assign_request_id() -> None:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = incoming if _INCOMING_ID.match(incoming) else uuid.uuid4().hex

    @server.after_request
    def _echo_request_id(response: Response) -> Response:
        response.headers[REQUEST_ID_HEADER] = g.get("request_id") or uuid.uuid4().hex
        return response
