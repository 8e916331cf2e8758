"""The parts behind /metrics, one at a time: labels, folding dead workers' files, scrape-time facts, access."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest
from prometheus_client.mmap_dict import MmapedDict, mmap_key
from prometheus_client.multiprocess import MultiProcessCollector

from dashboard_app.app import create_app
from dashboard_app.observability.callbacks import CallbackLabeller, labels_for
from dashboard_app.observability.collectors import ExporterStatusCollector, container_memory
from dashboard_app.observability.multiprocess import fold_dead_worker
from dashboard_app.observability.recorder import Recorder
from dashboard_app.settings import SettingsError, load_settings
from dashboard_app.snapshot.store import StoreStats
from tests.observability.conftest import publish_tiny
from tests.observability.traffic import TOKEN, parse, total

# --- callback labels ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("output", "function", "expected"),
    [
        (
            '..{"index":"main","tab":"sizes","type":"view-graph"}.figure...'
            '{"index":"main","tab":"sizes","type":"view-note"}.children..',
            "update",
            ("sizes", "update", "main"),
        ),
        (
            '{"index":"venn","tab":"comparison","type":"view-download"}.data',
            "download",
            ("comparison", "download", "venn"),
        ),
        (
            "..discoveries-group.options...discoveries-top.disabled..",
            "update_control_states",
            ("discoveries", "update_control_states", ""),
        ),
        ("comparison-venn1.value@4cb7ed85a14c", "choices", ("comparison", "choices", "")),
        (
            '..{"index":"a","tab":"followup","type":"view-graph"}.figure...'
            '{"index":"b","tab":"followup","type":"view-graph"}.figure..',
            "update_view",
            ("followup", "update_view", "all"),
        ),
        ('..shell-tab-queries.data...{"index":["ALL"],"type":"shell-tab"}.href..', "tabs", ("shell", "tabs", "all")),
        ("_pages_content.children", None, ("pages", "callback", "")),
    ],
)
def test_callback_labels_name_the_tab_callback_and_chart_not_the_output_id(output, function, expected):
    fn = (lambda: None) if function else None
    if fn is not None:
        fn.__name__ = function
    assert tuple(labels_for(output, fn)) == expected


def test_a_match_download_is_labelled_with_the_requested_chart_only_if_the_app_declares_it():
    def download():
        pass

    def update():
        pass

    graph = '{"index":"%s","tab":"sizes","type":"view-graph"}.figure'
    callback_map = {
        f"..{graph % 'main'}...{graph % 'model'}..": {"callback": update, "inputs": [], "state": []},
        '{"index":["MATCH"],"tab":"sizes","type":"view-download"}.data': {
            "callback": download,
            "inputs": [{"id": '{"index":["MATCH"],"tab":"sizes","type":"view-csv"}', "property": "n_clicks"}],
            "state": [],
        },
    }
    label = CallbackLabeller(callback_map)
    output = '{"index":["MATCH"],"tab":"sizes","type":"view-download"}.data'

    def request_for(index):
        return {"output": output, "outputs": {"id": {"index": index, "tab": "sizes", "type": "view-download"}}}

    assert tuple(label(request_for("model"))) == ("sizes", "download", "model")
    assert tuple(label(request_for("x" * 40))) == ("sizes", "download", "other"), "no label value from the client"
    assert tuple(label({"output": next(iter(callback_map))})) == ("sizes", "update", "all")
    assert label({"output": "no-such.children"}) is None


# --- folding a dead worker's files -----------------------------------------------------------------


def _write(path: Path, values: dict[str, float]) -> None:
    f = MmapedDict(str(path))
    for key, value in values.items():
        f.write_value(key, value, 0.0)
    f.close()


def _collect(folder: Path) -> dict:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for m in MultiProcessCollector(None, str(folder)).collect()
        for s in m.samples
    }


def test_folding_dead_workers_keeps_every_total_and_leaves_one_file_per_type(tmp_path):
    requests = mmap_key("neo_x", "neo_x_total", ["route"], ["/a"], "x")
    bucket = mmap_key("neo_h", "neo_h_bucket", ["le"], ["0.5"], "h")
    inf = mmap_key("neo_h", "neo_h_bucket", ["le"], ["+Inf"], "h")
    hsum = mmap_key("neo_h", "neo_h_sum", [], [], "h")
    live = mmap_key("neo_w", "neo_w", [], [], "w")
    for pid, n in ((101, 3.0), (102, 5.0), (103, 7.0)):
        _write(tmp_path / f"counter_{pid}.db", {requests: n})
        _write(tmp_path / f"histogram_{pid}.db", {bucket: n, inf: 1.0, hsum: n / 10})
        _write(tmp_path / f"gauge_livesum_{pid}.db", {live: 1.0})
    everything = _collect(tmp_path)

    fold_dead_worker(tmp_path, 101)
    fold_dead_worker(tmp_path, 102)

    folded = _collect(tmp_path)
    assert folded[("neo_x_total", (("route", "/a"),))] == 15.0
    assert folded[("neo_h_bucket", (("le", "0.5"),))] == 15.0
    assert folded[("neo_h_count", ())] == everything[("neo_h_count", ())] == 18.0
    assert folded[("neo_h_sum", ())] == pytest.approx(1.5)
    assert folded[("neo_w", ())] == 1.0, "the dead workers' live gauges are gone"
    assert sorted(p.name for p in tmp_path.glob("*.db")) == [
        "counter_103.db", "counter_archive.db", "gauge_livesum_103.db", "histogram_103.db", "histogram_archive.db",
    ]  # fmt: skip


# --- the exporter's status file ----------------------------------------------------------------------


def _status_samples(data_dir: Path) -> dict:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for m in ExporterStatusCollector(data_dir).collect()
        for s in m.samples
    }


def test_exporter_facts_come_from_status_json(tmp_path):
    (tmp_path / "status.json").write_text(
        json.dumps(
            {
                "state": "failed",
                "started_utc": "2026-03-29T03:30:00.000000Z",
                "finished_utc": "2026-03-29T03:30:19.500000Z",
                "exit_code": 3,
                "last_success_utc": "2026-03-28T03:30:21.000000Z",
                "stages": [
                    {"name": "discoveries", "rows": 44007, "seconds": 4.25},
                    {"name": "stations", "rows": 2500, "seconds": 0.5},
                ],
                "row_counts": {"discoveries": 44007, "apparitions": 370000},
            }
        )
    )
    got = _status_samples(tmp_path)
    assert got[("neo_export_state", (("state", "failed"),))] == 1
    assert got[("neo_export_state", (("state", "succeeded"),))] == 0
    assert got[("neo_export_last_exit_code", ())] == 3
    assert got[("neo_export_last_duration_seconds", ())] == pytest.approx(19.5)
    assert got[("neo_export_last_success_timestamp_seconds", ())] == 1774668621.0
    assert got[("neo_export_stage_seconds", (("stage", "discoveries"),))] == 4.25
    assert got[("neo_export_stage_rows", (("stage", "stations"),))] == 2500
    assert got[("neo_export_rows", (("table", "apparitions"),))] == 370000


def test_no_status_file_is_state_none_and_an_unreadable_one_is_unknown(tmp_path):
    assert _status_samples(tmp_path)[("neo_export_state", (("state", "none"),))] == 1
    (tmp_path / "status.json").write_text("{ half written")
    got = _status_samples(tmp_path)
    assert got[("neo_export_state", (("state", "unknown"),))] == 1
    assert ("neo_export_last_exit_code", ()) not in got


# --- memory against the cgroup limit --------------------------------------------------------------------


def _cgroup(tmp_path: Path, version: int, usage: int, limit: str, inactive: int) -> tuple[Path, Path]:
    root, proc = tmp_path / "cgroup", tmp_path / "proc"
    (proc / "self").mkdir(parents=True)
    if version == 2:
        (proc / "self" / "cgroup").write_text("0::/app.slice/neo\n")
        folder = root / "app.slice" / "neo"
        folder.mkdir(parents=True)
        (folder / "memory.current").write_text(f"{usage}\n")
        (folder / "memory.max").write_text(f"{limit}\n")
        (folder / "memory.stat").write_text(f"anon 1\ninactive_file {inactive}\nactive_file 9\n")
    else:
        (proc / "self" / "cgroup").write_text("5:cpu:/x\n4:memory:/docker/abc\n0::/\n")
        folder = root / "memory" / "docker" / "abc"
        folder.mkdir(parents=True)
        (folder / "memory.usage_in_bytes").write_text(f"{usage}\n")
        (folder / "memory.limit_in_bytes").write_text(f"{limit}\n")
        (folder / "memory.stat").write_text(f"cache 5\ntotal_inactive_file {inactive}\n")
    return root, proc


@pytest.mark.parametrize(
    ("version", "limit", "expected_limit"),
    [(2, "1073741824", 2**30), (2, "max", None), (1, "536870912", 2**29), (1, "9223372036854771712", None)],
)
def test_container_memory_is_the_working_set_of_this_process_cgroup(tmp_path, version, limit, expected_limit):
    root, proc = _cgroup(tmp_path, version, usage=700_000_000, limit=limit, inactive=200_000_000)
    assert container_memory(root, proc) == (500_000_000, expected_limit)


# --- the store's and memo cache's counters become metric increments -------------------------------------


class _Store:
    """What the recorder reads from a snapshot store (and its memo cache)."""

    def __init__(self) -> None:
        self.snapshot = SimpleNamespace(id="s1", created=SimpleNamespace(timestamp=lambda: 1000.0))
        self.numbers = StoreStats(0, 0, 0, 0.25)
        self.memo = SimpleNamespace(entries=2, bytes=4096, max_bytes=2**20, hits=5, misses=2, evictions=0)
        self.memo_cache = SimpleNamespace(stats=lambda: self.memo)

    def stats(self) -> StoreStats:
        return self.numbers

    def current(self):
        return self.snapshot


def test_recorder_turns_store_and_memo_counters_into_increments_since_it_was_created():
    store = _Store()
    recorder = Recorder(store, {})
    store.memo = SimpleNamespace(entries=3, bytes=8192, max_bytes=2**20, hits=9, misses=4, evictions=1)
    store.numbers = StoreStats(1, 2, 1, 0.5)
    store.snapshot = SimpleNamespace(id="s2", created=SimpleNamespace(timestamp=lambda: 2000.0))
    recorder.sync_worker()
    recorder.sync_worker()  # a second look adds nothing
    from prometheus_client import generate_latest

    got = parse(generate_latest(recorder.families().registry).decode())
    assert total(got, "neo_memo_hits_total") == 4 and total(got, "neo_memo_misses_total") == 2
    assert total(got, "neo_memo_evictions_total") == 1
    assert (total(got, "neo_memo_bytes"), total(got, "neo_memo_entries")) == (8192, 3)
    assert total(got, "neo_snapshot_swaps_total") == 1 and total(got, "neo_snapshot_refusals_total") == 2
    assert total(got, "neo_snapshot_served", snapshot_id="s2") == 1
    assert total(got, "neo_snapshot_created_timestamp_seconds") == 2000.0
    assert total(got, "neo_snapshot_load_seconds") == 0.5


# --- one process (no gunicorn): the same endpoint, values in the process ------------------------------------


@pytest.fixture
def app_with_token(tmp_path):
    publish_tiny(tmp_path)
    app = create_app(
        load_settings({"DATA_DIR": str(tmp_path), "LOG_FORMAT": "text", "OPERATOR_TOKEN": TOKEN}, env_file=None)
    )
    yield app
    app.server.extensions["neo_store"].stop()


def test_a_single_process_app_counts_its_requests_and_hides_metrics_without_the_token(app_with_token):
    client = app_with_token.server.test_client()
    for _ in range(3):
        assert client.get("/health").status_code == 200
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer " + "y" * 40}).status_code == 401
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=")
    got = parse(response.get_data(as_text=True))
    assert total(got, "neo_http_requests_total", route="/health", status="2xx") == 3
    assert total(got, "neo_http_requests_total", route="/metrics", status="4xx") == 2
    assert total(got, "neo_http_requests_total", route="/_dash-dependencies") == 0, (
        "the factory's warm-up is not counted"
    )
    assert total(got, "neo_process_pss_bytes", process="app") > 0


@pytest.mark.parametrize(
    ("name", "value"),
    [("OPERATOR_TOKEN", "short"), ("OPERATOR_TOKEN", "a" * 20 + " " + "b" * 20), ("SENTRY_DSN", "not a dsn"),
     ("SENTRY_DSN", "https://sentry.example/1"), ("SENTRY_SAMPLE_RATE", "1.5"), ("METRICS_PORT", "70000")],
)  # fmt: skip
def test_operator_and_sentry_settings_refuse_unsafe_or_malformed_values(name, value):
    with pytest.raises(SettingsError, match=name):
        load_settings({name: value}, env_file=None)
