"""The published snapshot file: its facts (SHA-256, size, schema version) and an efficient download."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from dashboard_app.api import snapshot_file as download
from dashboard_app.snapshot import frames
from dashboard_app.snapshot.schema import SCHEMA_VERSION


def test_the_facts_describe_the_file_being_served(client, api_snapshot):
    facts = client.get("/api/v1/snapshot").get_json()
    data = api_snapshot.path.read_bytes()
    assert facts["file"] == api_snapshot.path.name and facts["snapshot_id"] == api_snapshot.id
    assert facts["bytes"] == len(data)
    assert facts["sha256"] == hashlib.sha256(data).hexdigest()
    assert facts["schema_version"] == SCHEMA_VERSION and facts["media_type"] == "application/vnd.sqlite3"
    assert facts["download"].endswith(f"/api/v1/snapshot/{api_snapshot.path.name}")
    assert facts["schema"].endswith("/api/v1/docs/snapshot-schema.md")
    assert facts["row_counts"] == api_snapshot.row_counts


def test_the_download_is_the_file_streamed_from_disk_with_its_checksum(client, api_snapshot):
    path = api_snapshot.path
    response = client.get(f"/api/v1/snapshot/{path.name}")
    assert response.status_code == 200
    assert response.is_streamed  # werkzeug streams the file from disk; nothing is read into the app first
    assert response.data == path.read_bytes()
    assert response.headers["Content-Type"] == "application/vnd.sqlite3"
    assert response.headers["Content-Disposition"] == f"attachment; filename={path.name}"
    assert response.headers["Accept-Ranges"] == "bytes"
    assert "immutable" in response.headers["Cache-Control"]
    assert response.headers["X-Checksum-SHA256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert (
        "Content-Encoding"
        not in client.get(f"/api/v1/snapshot/{path.name}", headers={"Accept-Encoding": "gzip"}).headers
    )


def test_range_and_conditional_requests_resume_and_revalidate(client, api_snapshot):
    path, data = api_snapshot.path, api_snapshot.path.read_bytes()
    url = f"/api/v1/snapshot/{path.name}"
    part = client.get(url, headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.data == data[100:200]
    assert part.headers["Content-Range"] == f"bytes 100-199/{len(data)}"
    tail = client.get(url, headers={"Range": "bytes=-16"})
    assert tail.status_code == 206 and tail.data == data[-16:]
    etag = client.get(url).headers["ETag"]
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    assert client.get(url, headers={"Range": "bytes=0-9", "If-Range": etag}).status_code == 206
    assert client.get(url, headers={"Range": "bytes=0-9", "If-Range": '"old"'}).status_code == 200
    assert client.get(url, headers={"Range": f"bytes={len(data) + 10}-"}).status_code == 416


def test_only_the_snapshot_being_served_can_be_downloaded(client, api_snapshot):
    latest = client.get("/api/v1/snapshot/latest.sqlite")
    assert latest.status_code == 302 and latest.headers["Location"].endswith(api_snapshot.path.name)
    for name in ("CURRENT", "status.json", "snapshot-x.sqlite", "..%2FCURRENT", api_snapshot.path.name + ".frames"):
        response = client.get(f"/api/v1/snapshot/{name}")
        assert response.status_code == 404, name
    assert client.get("/api/v1/snapshot/..%2F..%2Fetc%2Fpasswd").status_code == 404


def test_the_checksum_is_the_publishers_record_when_it_matches_the_file(tmp_path: Path, snapshot_file: Path):
    copy = tmp_path / snapshot_file.name
    shutil.copyfile(snapshot_file, copy)
    expected = hashlib.sha256(copy.read_bytes()).hexdigest()
    assert download.recorded_sha256(snapshot_file) == expected  # the publisher wrote it beside the file
    assert download.recorded_sha256(copy) is None  # no companion beside the copy: computed instead
    shutil.copytree(frames.companion_path(snapshot_file), frames.companion_path(copy))
    assert download.recorded_sha256(copy) == expected
    with open(copy, "ab") as fh:  # a file that no longer matches the record is not vouched for
        fh.write(b"\0")
    assert download.recorded_sha256(copy) is None


def test_without_a_record_the_checksum_is_computed_once(tmp_path: Path, snapshot_file: Path):
    from dashboard_app.snapshot.model import load_snapshot

    copy = tmp_path / snapshot_file.name
    shutil.copyfile(snapshot_file, copy)
    snap = load_snapshot(copy, reader="sqlite3")
    assert download.sha256(snap) == hashlib.sha256(copy.read_bytes()).hexdigest()
    assert snap.memo_cache.stats().hits == 0
    download.sha256(snap)
    assert snap.memo_cache.stats().hits == 1
