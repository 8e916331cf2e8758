"""Which peer's forwarded headers are believed: X-Forwarded-For/-Proto only from the configured proxies.

The rate limit and the logs key on the client address. Behind Traefik (Dokploy) the
client address is the last ``X-Forwarded-For`` entry Traefik appended, but only a
request that really came through Traefik may set it: werkzeug's ProxyFix alone
trusts the last ``TRUSTED_PROXY_COUNT`` entries from *any* peer, so a client that
reaches gunicorn directly could rotate the header and never be rate-limited
(issue #13). :class:`TrustedProxies` applies ProxyFix only when the peer
(``REMOTE_ADDR``) is one of ``FORWARDED_ALLOW_IPS`` — the same list gunicorn uses
for the forwarded protocol — and removes the forwarded headers of any other peer.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

from werkzeug.middleware.proxy_fix import ProxyFix

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_FORWARDED_KEYS = ("HTTP_FORWARDED",)
_FORWARDED_PREFIX = "HTTP_X_FORWARDED_"


def parse_allowed(text: str) -> tuple[Network, ...] | None:
    """Networks from ``"127.0.0.1,10.0.0.0/8"``; ``None`` for ``*`` (any peer). Raises ValueError on a bad entry."""
    entries = [e.strip() for e in text.split(",") if e.strip()]
    if not entries:
        raise ValueError(text)
    if entries == ["*"]:
        return None
    return tuple(ipaddress.ip_network(e, strict=False) for e in entries)


def peer_is_trusted(address: str | None, allowed: Iterable[Network] | None) -> bool:
    """Whether a connection from ``address`` may forward headers (no address: a Unix socket, local by nature)."""
    if allowed is None or not address:
        return True
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    return any(ip.version == net.version and ip in net for net in allowed)


class TrustedProxies:
    """WSGI middleware: ProxyFix for requests from an allowed proxy; forwarded headers dropped from anyone else."""

    def __init__(self, app: Any, *, count: int, allowed: str) -> None:
        self.app = app
        self.count = count
        self.allowed = parse_allowed(allowed)
        self.fixed = ProxyFix(app, x_for=count, x_proto=count) if count else app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if self.count and peer_is_trusted(environ.get("REMOTE_ADDR"), self.allowed):
            return self.fixed(environ, start_response)
        for key in [k for k in environ if k.startswith(_FORWARDED_PREFIX) or k in _FORWARDED_KEYS]:
            del environ[key]
        return self.app(environ, start_response)
