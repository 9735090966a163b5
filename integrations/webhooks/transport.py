"""Outbound HTTP for webhook deliveries: bounded, and no way into private networks.

Policy (docs/integrations.md, "Outbound requests"):
- ``https`` only, unless ``WEBHOOK_ALLOW_HTTP``; no credentials in the URL.
- The host is resolved once; every address it resolves to must be public (not loopback,
  private, link-local, shared, reserved or multicast) unless
  ``WEBHOOK_ALLOW_PRIVATE_NETWORKS`` (development and tests, which deliver to
  127.0.0.1). The connection goes to the address that was checked, so a DNS answer
  that changes between the check and the connect (rebinding) cannot redirect it; TLS
  still verifies the certificate against the host name.
- Connect and read timeouts; redirects are not followed (a 3xx is a failure); at most
  ``WEBHOOK_RESPONSE_EXCERPT_BYTES`` of the answer are read.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

SCHEME_REFUSED = "Only https URLs are allowed (WEBHOOK_ALLOW_HTTP is off)."
BAD_SCHEME = "The URL must start with https:// (or http:// where allowed)."
CREDENTIALS_REFUSED = "A URL with a user name or password is not allowed."
PRIVATE_REFUSED = "{host} resolves to {address}, which is not a public address."
UNRESOLVED = "{host} does not resolve."

USER_AGENT = "Rehabit-Webhooks/1"


class DeliveryRefused(Exception):
    """The URL is not one this service may deliver to (policy, not the network)."""


class DeliveryError(Exception):
    """The network failed: no connection, a timeout, a broken answer."""


@dataclass(frozen=True)
class Answer:
    status: int
    excerpt: str
    latency_ms: int


def url_check(url: str) -> None:
    """The static part of the policy (scheme, credentials); DeliveryRefused otherwise."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise DeliveryRefused(BAD_SCHEME)
    if parts.scheme == "http" and not settings.WEBHOOK_ALLOW_HTTP:
        raise DeliveryRefused(SCHEME_REFUSED)
    if parts.username or parts.password:
        raise DeliveryRefused(CREDENTIALS_REFUSED)


def _is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def resolve(host: str, port: int) -> str:
    """The address to connect to, after checking every address ``host`` resolves to."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise DeliveryError(UNRESOLVED.format(host=host)) from exc
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
    if not addresses:
        raise DeliveryError(UNRESOLVED.format(host=host))
    if not settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS:
        for address in addresses:
            if not _is_public(address):
                raise DeliveryRefused(
                    PRIVATE_REFUSED.format(host=host, address=address)
                )
    return str(addresses[0])


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to a checked address while the Host header names the URL's host."""

    def __init__(self, host: str, port: int, *, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, *, address: str, timeout: float) -> None:
        self._tls = ssl.create_default_context()
        super().__init__(host, port, timeout=timeout, context=self._tls)
        self._address = address

    def connect(self) -> None:
        raw = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._tls.wrap_socket(raw, server_hostname=self.host)


def post(url: str, *, body: bytes, headers: dict[str, str]) -> Answer:
    """POST ``body`` to ``url`` under the policy above; DeliveryRefused or DeliveryError."""
    url_check(url)
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    address = resolve(host, port)
    connection_class = (
        _PinnedHTTPSConnection if parts.scheme == "https" else _PinnedHTTPConnection
    )
    connection = connection_class(
        host, port, address=address, timeout=settings.WEBHOOK_CONNECT_TIMEOUT
    )
    target = parts.path or "/"
    if parts.query:
        target = f"{target}?{parts.query}"
    started = time.monotonic()
    try:
        connection.connect()
        assert connection.sock is not None
        connection.sock.settimeout(settings.WEBHOOK_READ_TIMEOUT)
        connection.request(
            "POST",
            target,
            body=body,
            headers={
                "Content-Type": "application/json",
                "User-Agent": USER_AGENT,
                **headers,
            },
        )
        response = connection.getresponse()
        excerpt = response.read(settings.WEBHOOK_RESPONSE_EXCERPT_BYTES)
    except (OSError, http.client.HTTPException) as exc:
        raise DeliveryError(f"{type(exc).__name__}: {exc}"[:300]) from exc
    finally:
        connection.close()
    return Answer(
        status=response.status,
        excerpt=excerpt.decode("utf-8", errors="replace"),
        latency_ms=round((time.monotonic() - started) * 1000),
    )
