"""CSP violations are reported to the app and logged one line each; the endpoint is bounded in size and rate."""

from __future__ import annotations

import json
import logging

import pytest

from dashboard_app.web.csp_reports import (
    LOG_BUDGET_PER_MINUTE,
    MAX_BODY_BYTES,
    MAX_FIELD_CHARS,
    MAX_REPORTS_PER_REQUEST,
    REPORT_PATH,
    LogBudget,
)
from tests.serving.test_responses import assert_security_headers, csp_directives

LEGACY = {
    "csp-report": {
        "document-uri": "https://neo.example/about",
        "violated-directive": "script-src-elem",
        "effective-directive": "script-src-elem",
        "blocked-uri": "inline",
        "source-file": "https://neo.example/about",
        "line-number": 12,
        "disposition": "enforce",
    }
}
REPORTING_API = [
    {
        "type": "csp-violation",
        "url": "https://neo.example/sizes",
        "body": {
            "documentURL": "https://neo.example/sizes",
            "effectiveDirective": "img-src",
            "blockedURL": "https://evil.example/pixel.gif",
            "disposition": "enforce",
        },
    }
]


@pytest.fixture
def client(build_app, snapshot_dir):
    return build_app(snapshot_dir).server.test_client()


@pytest.fixture
def report_log():
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append
    logger = logging.getLogger("dashboard_app.web.csp_reports")
    logger.addHandler(handler)
    yield records
    logger.removeHandler(handler)


def send(client, payload, content_type="application/csp-report"):
    data = payload if isinstance(payload, str | bytes) else json.dumps(payload)
    return client.post(REPORT_PATH, data=data, content_type=content_type)


def test_the_policy_sends_reports_to_the_app_and_lists_each_hash_once(client):
    directives = csp_directives(client.get("/about"))
    assert directives["report-uri"] == [REPORT_PATH]
    hashes = directives["script-src"][1:]
    assert len(hashes) == len(set(hashes)) >= 2


def test_a_legacy_report_is_one_log_line_naming_directive_resource_and_page(client, report_log):
    response = send(client, LEGACY)
    assert response.status_code == 204
    assert_security_headers(response)
    assert [r.getMessage() for r in report_log] == [
        "CSP violation: script-src-elem blocked inline on https://neo.example/about (https://neo.example/about:12)"
    ]


def test_a_reporting_api_batch_is_one_line_per_violation(client, report_log):
    response = send(client, REPORTING_API * 3, content_type="application/reports+json")
    assert response.status_code == 204
    assert len(report_log) == 3
    assert report_log[0].getMessage() == (
        "CSP violation: img-src blocked https://evil.example/pixel.gif on https://neo.example/sizes"
    )


def test_a_large_batch_is_read_only_up_to_its_cap(client, report_log):
    send(client, REPORTING_API * (MAX_REPORTS_PER_REQUEST + 5), content_type="application/reports+json")
    assert len(report_log) == MAX_REPORTS_PER_REQUEST


def test_fields_are_cut_short_and_made_printable(client, report_log):
    report = json.loads(json.dumps(LEGACY))
    report["csp-report"]["blocked-uri"] = "https://x.example/" + "a" * 5000 + "\n{fake json}"
    send(client, report)
    message = report_log[0].getMessage()
    assert "\n" not in message and len(message) < 3 * MAX_FIELD_CHARS + 100


@pytest.mark.parametrize(
    ("body", "status"),
    [("not json", 400), ("[" * 5000, 400), ("x" * (MAX_BODY_BYTES + 1), 413), ('{"csp-report": 5}', 204)],
    ids=["not JSON", "deep", "too large", "not a report"],
)
def test_junk_is_refused_or_ignored_without_a_log_line(client, report_log, body, status):
    assert send(client, body).status_code == status
    assert report_log == []


def test_the_endpoint_is_rate_limited_per_client(client):
    codes = [send(client, LEGACY).status_code for _ in range(35)]
    assert codes[:30] == [204] * 30 and codes[-1] == 429


def test_the_log_budget_drops_reports_over_it_and_says_how_many_later():
    now = [0.0]
    budget = LogBudget(LOG_BUDGET_PER_MINUTE, clock=lambda: now[0])
    results = [budget.take() for _ in range(LOG_BUDGET_PER_MINUTE + 7)]
    assert [allowed for allowed, _ in results].count(True) == LOG_BUDGET_PER_MINUTE
    now[0] += 60
    assert budget.take() == (True, 7)
