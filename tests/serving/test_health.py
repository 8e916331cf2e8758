"""/health: 200 pass, 200 warn (stale data, failed refresh), 503 fail (nothing to serve), in the IETF shape."""

from __future__ import annotations

import json

import pytest

from dashboard_app import __version__
from dashboard_app.snapshot.publish import PublishError, publish
from tests.serving.conftest import publish_tiny

OPERATOR_TOKEN = "op-" + "0123456789abcdef" * 3


def get_health(app, headers=None):
    response = app.server.test_client().get("/health", headers=headers or {})
    assert response.mimetype == "application/health+json"
    assert response.headers["Cache-Control"] == "no-store"
    return response.status_code, response.get_json()


def test_a_fresh_snapshot_is_a_pass_with_its_facts(build_app, tmp_path):
    snapshot_id = publish_tiny(tmp_path, age_hours=2)
    code, body = get_health(build_app(tmp_path, GIT_COMMIT="abc1234"))
    assert code == 200
    assert body["status"] == "pass"
    assert body["version"] == __version__
    assert body["releaseId"] == "abc1234"
    assert body["serviceId"] == "neo-explorer"
    age = body["checks"]["snapshot:age"][0]
    assert age["componentId"] == snapshot_id
    assert age["status"] == "pass"
    assert 1.9 < age["observedValue"] < 2.2
    assert age["synthetic"] is True
    rows = body["checks"]["snapshot:rows"][0]
    assert rows["tables"]["discoveries"] == 4
    assert rows["observedValue"] == sum(rows["tables"].values())
    assert body["checks"]["snapshot:refresh"][0]["observedValue"] == "succeeded"
    uptime = body["checks"]["uptime"][0]
    assert uptime["observedUnit"] == "s" and uptime["observedValue"] >= 0 and uptime["pid"] > 0


def test_stale_data_is_a_warn_but_still_http_200(build_app, tmp_path):
    publish_tiny(tmp_path, age_hours=100)
    code, body = get_health(build_app(tmp_path, STALE_AFTER_HOURS="48"))
    assert code == 200
    assert body["status"] == "warn"
    assert body["checks"]["snapshot:age"][0]["status"] == "warn"
    assert any("older than STALE_AFTER_HOURS=48" in note for note in body["notes"])


LIBPQ_ERROR = (
    'connection to server at "db.internal" (10.0.0.5), port 5433 failed: FATAL: password authentication '
    'failed for user "neo_reader" (database mpc_sbn)'
)


def fail_a_refresh(data_dir):
    def broken_build(con):
        raise PublishError(LIBPQ_ERROR)

    with pytest.raises(PublishError):
        publish(data_dir, broken_build)


def test_a_failed_refresh_is_a_warn_while_the_previous_snapshot_is_served(build_app, tmp_path):
    snapshot_id = publish_tiny(tmp_path)
    fail_a_refresh(tmp_path)
    code, body = get_health(build_app(tmp_path))
    assert code == 200
    assert body["status"] == "warn"
    refresh = body["checks"]["snapshot:refresh"][0]
    assert refresh["observedValue"] == "failed"
    assert refresh["status"] == "warn"
    assert any(note.startswith("Last refresh failed at 20") for note in body["notes"])
    assert body["checks"]["snapshot:age"][0]["componentId"] == snapshot_id


def test_the_public_health_document_names_no_user_host_port_database_or_error_text(build_app, tmp_path):
    publish_tiny(tmp_path, synthetic="0")
    fail_a_refresh(tmp_path)
    _, body = get_health(build_app(tmp_path, OPERATOR_TOKEN=OPERATOR_TOKEN))
    text = json.dumps(body)
    for secret in ("db.internal", "10.0.0.5", "5433", "neo_reader", "mpc_sbn", "password", "FATAL", "hand-made"):
        assert secret not in text, secret
    assert "error" not in body["checks"]["snapshot:refresh"][0]


def test_an_operator_token_gets_the_error_text_and_the_snapshot_source(build_app, tmp_path):
    publish_tiny(tmp_path, synthetic="0")
    fail_a_refresh(tmp_path)
    app = build_app(tmp_path, OPERATOR_TOKEN=OPERATOR_TOKEN)
    code, body = get_health(app, {"Authorization": f"Bearer {OPERATOR_TOKEN}"})
    assert code == 200
    assert body["checks"]["snapshot:refresh"][0]["error"].endswith(LIBPQ_ERROR)
    assert any(LIBPQ_ERROR in note for note in body["notes"])
    assert body["checks"]["snapshot:age"][0]["source"].startswith("hand-made test rows")


@pytest.mark.parametrize("configured", ["", OPERATOR_TOKEN])
def test_a_wrong_bearer_token_gets_401_and_no_details(build_app, tmp_path, configured):
    publish_tiny(tmp_path)
    fail_a_refresh(tmp_path)
    response = (
        build_app(tmp_path, OPERATOR_TOKEN=configured)
        .server.test_client()
        .get("/health", headers={"Authorization": "Bearer not-the-token"})
    )
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert LIBPQ_ERROR not in response.get_data(as_text=True)


def test_no_snapshot_is_a_fail_with_503(build_app, tmp_path):
    code, body = get_health(build_app(tmp_path))
    assert code == 503
    assert body["status"] == "fail"
    assert body["checks"]["snapshot:age"][0]["componentId"] is None
    assert any("No snapshot can be served" in note for note in body["notes"])


def test_health_answers_head_requests_too(build_app, snapshot_dir):
    response = build_app(snapshot_dir).server.test_client().head("/health")
    assert response.status_code == 200
