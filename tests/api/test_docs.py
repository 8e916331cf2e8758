"""docs/api.md is generated from the code and cannot drift from it."""

from __future__ import annotations

from pathlib import Path

from dashboard_app.api import charts, docs
from dashboard_app.app import tab_modules
from dashboard_app.snapshot.model import load_snapshot
from tests.harness.snapshots import SCALE, SEED

DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"


def test_the_api_page_equals_what_the_code_generates(snapshot_file):
    assert (docs.DOC_SEED, docs.DOC_SCALE) == (SEED, SCALE), "the page is generated from the tests' small sky"
    generated = docs.markdown(charts.data_tabs(tab_modules()), load_snapshot(snapshot_file))
    assert DOC.read_text(encoding="utf-8") == generated, (
        "docs/api.md is out of date: run `python -m dashboard_app.api.docs > docs/api.md`"
    )


def test_the_page_documents_every_tab_chart_parameter_and_column(snapshot_file):
    text = DOC.read_text(encoding="utf-8")
    snapshot = load_snapshot(snapshot_file)
    for tab in charts.data_tabs(tab_modules()):
        assert f"`/api/v1/{tab.slug}`" in text
        for name in tab.view.names:
            assert f"| `{name}` |" in text, (tab.slug, name)
        for chart in tab.charts:
            assert f"`/api/v1/{tab.slug}/{chart.index}.csv`" in text
            frame, _ = charts.chart_frame(chart, tab.view.defaults(snapshot), snapshot)
            for column in frame.columns:
                assert f"| `{column}` |" in text, (tab.slug, chart.index, column)


def test_the_running_site_serves_its_documentation(client):
    api = client.get("/api/v1/docs/api.md")
    assert api.status_code == 200 and api.headers["Content-Type"].startswith("text/markdown")
    assert api.get_data(as_text=True) == DOC.read_text(encoding="utf-8")  # the same small sky
    schema = client.get("/api/v1/docs/snapshot-schema.md").get_data(as_text=True)
    assert schema == (DOC.parent / "snapshot-schema.md").read_text(encoding="utf-8")
