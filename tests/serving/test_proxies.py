"""Forwarded headers are believed only from the configured proxies (issue #13): the rate limit cannot be dodged."""

from __future__ import annotations

import flask
import pytest

from dashboard_app.web.proxies import TrustedProxies, parse_allowed, peer_is_trusted
from tests.serving.test_responses import post_callback


def codes(client, peer: str, forwarded: list[str]) -> list[int]:
    return [
        post_callback(client, headers={"X-Forwarded-For": f}, environ_base={"REMOTE_ADDR": peer}).status_code
        for f in forwarded
    ]


def test_a_client_reaching_gunicorn_directly_cannot_rotate_x_forwarded_for_to_dodge_the_limit(build_app, snapshot_dir):
    app = build_app(snapshot_dir, RATE_LIMIT="2 per minute", TRUSTED_PROXY_COUNT="1", FORWARDED_ALLOW_IPS="10.0.0.0/8")
    client = app.server.test_client()
    rotated = [f"198.51.100.{i}" for i in range(5)]
    assert codes(client, "203.0.113.50", rotated) == [200, 200, 429, 429, 429]


def test_through_the_configured_proxy_each_forwarded_client_has_its_own_allowance(build_app, snapshot_dir):
    app = build_app(snapshot_dir, RATE_LIMIT="2 per minute", TRUSTED_PROXY_COUNT="1", FORWARDED_ALLOW_IPS="10.0.0.0/8")
    client = app.server.test_client()
    assert codes(client, "10.0.1.7", ["198.51.100.1"] * 3) == [200, 200, 429]
    assert codes(client, "10.0.1.8", ["198.51.100.2"] * 2) == [200, 200]  # another proxy replica, another client


def test_forwarded_headers_from_an_untrusted_peer_never_reach_the_app():
    seen = {}
    echo = flask.Flask(__name__)

    @echo.route("/")
    def _peer():
        headers = flask.request.headers
        seen.update(addr=flask.request.remote_addr, scheme=flask.request.scheme, xff=headers.get("X-Forwarded-For"))
        return "ok"

    echo.wsgi_app = TrustedProxies(echo.wsgi_app, count=1, allowed="10.0.0.1")
    client = echo.test_client()
    headers = {"X-Forwarded-For": "198.51.100.1", "X-Forwarded-Proto": "https", "Forwarded": "for=198.51.100.1"}
    client.get("/", headers=headers, environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert seen == {"addr": "203.0.113.9", "scheme": "http", "xff": None}
    client.get("/", headers=headers, environ_base={"REMOTE_ADDR": "10.0.0.1"})
    assert seen["addr"] == "198.51.100.1" and seen["scheme"] == "https"


@pytest.mark.parametrize(
    ("peer", "allowed", "trusted"),
    [
        ("10.0.3.4", "10.0.0.0/8", True),
        ("10.0.3.4", "127.0.0.1,::1", False),
        ("::1", "127.0.0.1,::1", True),
        ("fe80::1%eth0", "fe80::/10", True),
        ("203.0.113.9", "*", True),
        ("not-an-address", "10.0.0.0/8", False),
        ("", "10.0.0.0/8", True),  # a Unix socket: only local processes reach it
    ],
)
def test_peer_trust_follows_the_allowed_addresses_and_networks(peer, allowed, trusted):
    assert peer_is_trusted(peer, parse_allowed(allowed)) is trusted


@pytest.mark.parametrize("text", ["", " , ", "10.0.0.300", "proxy.example.org", "10.0.0.0/33"])
def test_allowed_proxies_that_are_not_addresses_or_networks_are_refused(text):
    with pytest.raises(ValueError):
        parse_allowed(text)
