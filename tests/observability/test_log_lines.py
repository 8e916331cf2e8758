"""Log lines carry structured fields and can be redacted before they are written (the exporter uses both)."""

from __future__ import annotations

import io
import json
import logging

import pytest

from dashboard_app.web import logs


@pytest.fixture
def captured():
    """``captured(format, redact)`` → (logger, stream): the app's logging set up, writing to a string buffer."""
    logger = logging.getLogger("dashboard_app.test_log_lines")

    def _setup(log_format: str, redact=None):
        logs.configure_logging("info", log_format, redact=redact)
        stream = io.StringIO()
        logging.getLogger("dashboard_app").handlers[0].setStream(stream)  # the handler writes to stdout
        return logger, stream

    yield _setup
    logging.getLogger("dashboard_app").handlers[:] = []


def test_fields_become_json_keys_and_text_key_values(captured):
    logger, stream = captured("json")
    logger.info(
        "stage %s done", "discoveries", extra={"fields": {"stage": "discoveries", "rows": 44007, "seconds": 1.5}}
    )
    line = json.loads(stream.getvalue())
    assert (line["message"], line["stage"], line["rows"], line["seconds"]) == (
        "stage discoveries done",
        "discoveries",
        44007,
        1.5,
    )

    logger, stream = captured("text")
    logger.info("stage done", extra={"fields": {"stage": "stations", "rows": 3}})
    assert stream.getvalue().rstrip().endswith("stage done stage=stations rows=3")


def test_redaction_reaches_messages_arguments_exceptions_and_fields(captured):
    logger, stream = captured("json", redact=lambda text: text.replace("hunter2", "***"))
    logger.warning("connecting with %s", "postgresql://u:hunter2@db/x", extra={"fields": {"url": "hunter2@db"}})
    try:
        raise RuntimeError("password hunter2 refused")
    except RuntimeError:
        logger.exception("failed")
    text = stream.getvalue()
    assert "hunter2" not in text
    first, second = (json.loads(line) for line in text.splitlines())
    assert first["message"] == "connecting with postgresql://u:***@db/x" and first["url"] == "***@db"
    assert "RuntimeError: password *** refused" in second["exception"]
