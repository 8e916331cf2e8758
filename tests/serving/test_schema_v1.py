"""Upgrades without downtime: the new code keeps serving a version-1 snapshot already in the volume.

The version-1 file is what the previous exporter wrote: the same tables without ``lifetime`` and
``site_depth``, ``stations`` without ``obs_type``/``latitude`` and ``missing_discoveries`` without
``e``/``i``, ``schema_version`` 1, and no Arrow companion (older publishers wrote none), so the app
validates it and builds the companion into its cache, as it would after the upgrade.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from pathlib import Path

import pytest

from dashboard_app.app import tab_modules
from dashboard_app.snapshot.datadir import POINTER
from dashboard_app.snapshot.model import load_snapshot
from dashboard_app.snapshot.validate import validate_snapshot
from tests.serving.conftest import publish_tiny
from tests.serving.test_callbacks import update_answer


def write_version_1(v2_file: Path, data_dir: Path) -> Path:
    """A version-1 copy of a published snapshot, made the current one of ``data_dir``."""
    con = sqlite3.connect(v2_file)
    old_id = con.execute("SELECT value FROM meta WHERE key = 'snapshot_id'").fetchone()[0]
    con.close()
    snapshot_id = old_id[:-10] + "00000000f1"
    path = data_dir / f"snapshot-{snapshot_id}.sqlite"
    shutil.copyfile(v2_file, path)
    con = sqlite3.connect(path)
    for statement in (
        "DROP TABLE lifetime",
        "DROP TABLE site_depth",
        "ALTER TABLE stations DROP COLUMN obs_type",
        "ALTER TABLE stations DROP COLUMN latitude",
        "ALTER TABLE missing_discoveries DROP COLUMN e",
        "ALTER TABLE missing_discoveries DROP COLUMN i",
    ):
        con.execute(statement)
    counts = json.loads(con.execute("SELECT value FROM meta WHERE key = 'row_counts'").fetchone()[0])
    meta = {
        "schema_version": "1",
        "snapshot_id": snapshot_id,
        "row_counts": json.dumps({k: v for k, v in counts.items() if k not in ("lifetime", "site_depth")}),
    }
    con.executemany("UPDATE meta SET value = ? WHERE key = ?", [(v, k) for k, v in meta.items()])
    con.commit()
    con.execute("VACUUM")
    con.close()
    os.chmod(path, 0o444)
    (data_dir / POINTER).write_text(path.name + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def v1_dir(tmp_path_factory) -> Path:
    published = tmp_path_factory.mktemp("v2")
    publish_tiny(published)
    v2_file = next(published.glob("snapshot-*.sqlite"))
    data_dir = tmp_path_factory.mktemp("v1")
    write_version_1(v2_file, data_dir)
    return data_dir


def test_a_version_1_file_is_valid_and_loads_without_the_new_tables(v1_dir):
    path = next(v1_dir.glob("snapshot-*.sqlite"))
    assert validate_snapshot(path)["schema_version"] == "1"
    snapshot = load_snapshot(path)
    assert snapshot.schema_version == 1
    assert snapshot.lifetime is None and snapshot.site_depth is None
    assert "obs_type" not in snapshot.stations and len(snapshot.discoveries) == 4


def test_the_new_app_serves_every_tab_and_its_health_from_a_version_1_snapshot(build_app, v1_dir, tmp_path):
    app = build_app(v1_dir, FRAMES_CACHE_DIR=str(tmp_path / "frames-cache"))
    client = app.server.test_client()
    health = client.get("/health")
    assert health.status_code == 200 and health.get_json()["status"] in ("pass", "warn"), health.get_json()
    for module in tab_modules():
        page = client.get(module.PATH)
        assert page.status_code == 200, module.PATH
        if hasattr(module, "TAB"):
            answer = update_answer(client, module)
            drawn = json.dumps(answer)
            assert '"data"' in drawn or '"rowData"' in drawn, module.NAME


def test_the_follow_up_comparison_tab_says_it_needs_the_next_export_on_a_version_1_snapshot(
    build_app, v1_dir, tmp_path
):
    from dashboard_app.tabs import sites

    app = build_app(v1_dir, FRAMES_CACHE_DIR=str(tmp_path / "frames-cache"))
    client = app.server.test_client()
    page = client.get("/sites?scope=recovery&bars=chosen&paste=F51")
    assert page.status_code == 200
    drawn = json.dumps(update_answer(client, sites), ensure_ascii=False)
    # Every chart and note says why it is empty; nothing failed.
    assert drawn.count("next export publishes version 2") >= 5, drawn[:2000]
    with app.server.test_request_context():
        values = sites.VIEW.jsonable(sites.VIEW.defaults(None))
        payload = sites.TAB.download(1, sites.VIEW.csv_button_id("map"), values)
    assert "next export publishes version 2" in payload["content"]
