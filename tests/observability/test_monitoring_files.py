"""The shipped alert rules, Grafana dashboard and DEPLOYMENT.md name exactly the metrics the app exposes.

promtool is not available here: the rules file is parsed as YAML, the dashboard as JSON, and the
metric names are read out of each PromQL expression and looked up in the exposition of a real
gunicorn (2 workers) after real traffic.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from tests.observability.conftest import publish_tiny
from tests.observability.traffic import chart_callbacks, parse, post_callback, request, scrape

REPO = Path(__file__).resolve().parents[2]
ALERTS = REPO / "deploy" / "prometheus" / "alerts.yml"
DASHBOARD = REPO / "deploy" / "grafana" / "dashboard.json"
DEPLOYMENT = REPO / "DEPLOYMENT.md"
PROMETHEUS_OWN = {"up"}
"""Series Prometheus itself makes for every scrape target."""

_KEYWORDS = {"and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring", "group_left", "group_right"}
_KEYWORDS |= {"inf", "nan", "atan2"}


def metric_names(expr: str) -> set[str]:
    """Metric names in a PromQL expression (not functions, keywords, labels, durations or Grafana variables)."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'', '""', expr)  # string literals
    text = re.sub(r"\$\{?\w+\}?", "", text)  # Grafana variables
    text = re.sub(r"\{[^}]*\}", "", text)  # label matchers
    text = re.sub(r"\[[^\]]*\]", "", text)  # ranges and subqueries
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)  # label lists
    names = set()
    for match in re.finditer(r"(?<![\w.])([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?", text):
        name, call = match.group(1), match.group(2)
        if not call and name.lower() not in _KEYWORDS:
            names.add(name)
    return names


def alert_rules() -> list[dict]:
    groups = yaml.safe_load(ALERTS.read_text(encoding="utf-8"))["groups"]
    return [rule for group in groups for rule in group["rules"]]


def dashboard_exprs() -> list[str]:
    board = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    exprs = [t["expr"] for p in board["panels"] for t in p.get("targets", [])]
    exprs += [grafana_query(v["query"]) for v in board["templating"]["list"] if v["type"] == "query"]
    return exprs


def grafana_query(query: str) -> str:
    """The PromQL inside a Grafana variable query (``label_values(metric, label)`` → ``metric``)."""
    return re.sub(r"^label_values\((.+),\s*\w+\s*\)$", r"\1", query.strip())


def test_metric_names_are_read_out_of_promql_correctly():
    expr = (
        'histogram_quantile(0.95, sum by (job, tab, le) (rate(neo_callback_duration_seconds_bucket{job=~"$job",'
        'tab!="x"}[$__rate_interval]))) > 2 and on (job) neo_x / ignoring (code) neo_y offset 5m or up'
    )
    assert metric_names(expr) == {"neo_callback_duration_seconds_bucket", "neo_x", "neo_y", "up"}
    assert metric_names(grafana_query("label_values(neo_build_info, job)")) == {"neo_build_info"}


def test_alert_rules_are_well_formed_and_cover_what_operators_asked_for():
    rules = alert_rules()
    names = [r["alert"] for r in rules]
    assert len(names) == len(set(names))
    for rule in rules:
        assert rule["labels"]["severity"] in {"critical", "warning", "info"}, rule["alert"]
        assert rule["annotations"]["summary"] and rule["annotations"]["description"], rule["alert"]
    used = set().union(*(metric_names(r["expr"]) for r in rules))
    for metric in (
        "neo_snapshot_age_seconds",  # snapshot older than the stale threshold
        "neo_export_state",  # last export failed
        "neo_http_requests_total",  # 5xx rate
        "neo_callback_duration_seconds_bucket",  # callback p95
        "neo_container_memory_working_set_bytes",  # memory near the limit
    ):
        assert metric in used, metric


def test_dashboard_is_importable_grafana_json_with_one_prometheus_datasource_input():
    board = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    assert [i["name"] for i in board["__inputs"]] == ["DS_PROMETHEUS"]
    ids = [p["id"] for p in board["panels"]]
    assert len(ids) == len(set(ids))
    for panel in board["panels"]:
        if panel["type"] != "row":
            assert panel["datasource"]["uid"] == "${DS_PROMETHEUS}", panel["title"]
            assert panel["targets"], panel["title"]


@pytest.mark.slow
def test_every_metric_the_rules_and_dashboard_use_is_in_the_exposition_after_real_traffic(tmp_path, metrics_server):
    publish_tiny(tmp_path)
    (tmp_path / "status.json").write_text(  # what the exporter records after a run (see the exporter tests)
        json.dumps(
            {
                "state": "succeeded",
                "started_utc": "2026-03-29T03:30:00.000000Z",
                "finished_utc": "2026-03-29T03:30:19.000000Z",
                "exit_code": 0,
                "last_success_utc": "2026-03-29T03:30:19.000000Z",
                "stages": [{"name": "discoveries", "rows": 4, "seconds": 0.5}],
                "row_counts": {"discoveries": 4},
            }
        )
    )
    server = metrics_server(tmp_path)
    request(f"{server.url}/discoveries")
    for chart in chart_callbacks(server.url):
        post_callback(server.url, chart.body)
    text = scrape(server.metrics_url)[1]
    exposed = {name for name, _ in parse(text)} | PROMETHEUS_OWN

    families = {f.name + ("_total" if f.type == "counter" else "") for f in text_string_to_metric_families(text)}
    documented = set(re.findall(r"^\| `(neo_\w+)` \|", DEPLOYMENT.read_text(encoding="utf-8"), re.M))
    assert documented == families, "DEPLOYMENT.md's metrics table lists exactly the exposed metrics"

    used = {}
    for rule in alert_rules():
        for name in metric_names(rule["expr"]):
            used.setdefault(name, f"alert {rule['alert']}")
    for expr in dashboard_exprs():
        for name in metric_names(expr):
            used.setdefault(name, f"dashboard: {expr[:60]}")
    assert len(used) >= 20, "the extraction found the metrics"
    missing = {name: where for name, where in used.items() if name not in exposed}
    assert not missing, f"metrics used but not exposed: {missing}"
