"""Who the client is, and what production refuses to start with.

- ``client_ip``: the client's address under the one trusted-proxy setting
  (``TRUSTED_PROXY_COUNT``). DRF's throttles read the same number (``NUM_PROXIES``) and
  django-axes calls this function (``AXES_CLIENT_IP_CALLABLE``), so rate limits and
  login lockouts always key on the same address. With no trusted proxy (the default) a
  client's ``X-Forwarded-For`` is ignored: it is whatever the client wants it to be.
- ``login_username``: the account a login attempt is about, for django-axes. The API
  posts ``email``, the admin's form posts ``username``: both are normalised the same way,
  so both count against the same account.
- ``secret_key_check``: production refuses a short or placeholder ``DJANGO_SECRET_KEY``.
- ``fernet_keys_check``: every environment refuses a ``WEBHOOK_SECRET_KEYS`` entry that
  is not a Fernet key (the webhook secrets would not decrypt).

The settings import this module: it must not import anything that reads the settings.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest

# Django's own deployment check (security.W009) asks for as much.
SECRET_KEY_MIN_LENGTH = 50
SECRET_KEY_MIN_UNIQUE = 5
# Values that appear in this repository (.env.example, local settings) or in Django's
# generated keys for development: anyone can read them, so they sign nothing.
SECRET_KEY_PLACEHOLDERS = ("change-me", "changeme", "django-insecure", "example")


def _valid_ip(value: str | None) -> str | None:
    """``value`` as ipaddress writes it, or None if it is not an IP address."""
    if not value:
        return None
    try:
        # An IPv4 address as ipaddress writes it (the common case), checked in C.
        packed = socket.inet_pton(socket.AF_INET, value)
        if socket.inet_ntop(socket.AF_INET, packed) == value:
            return value
    except OSError:
        pass
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: DRF's throttle identity, always a valid IP for axes.

    DRF picks the address ``NUM_PROXIES`` entries from the right of X-Forwarded-For
    (what the trusted proxies appended), or REMOTE_ADDR when no proxy is trusted; this
    is DRF's ``BaseThrottle.get_ident`` rule with DRF's own setting, reading ``META``
    (as DRF's ``request.headers`` does) without building the headers mapping. A value
    that is not an IP address (a trusted proxy that did not append) falls back to
    REMOTE_ADDR, so nothing the client wrote is ever stored as its address.
    """
    # Imported here: the production settings import this module, and DRF's settings
    # module reads the settings when imported (it would cache DRF's defaults).
    from rest_framework.settings import api_settings

    meta = request.META
    remote_addr = meta.get("REMOTE_ADDR")
    xff = meta.get("HTTP_X_FORWARDED_FOR")
    num_proxies = api_settings.NUM_PROXIES
    if xff is None or num_proxies == 0:
        address = remote_addr
    elif num_proxies is not None:
        addrs = xff.split(",")
        address = addrs[-min(num_proxies, len(addrs))]
    else:
        address = "".join(xff.split())
    return _valid_ip(address) or _valid_ip(remote_addr)


def login_username(
    request: HttpRequest, credentials: Mapping[str, Any] | None
) -> str | None:
    """The normalised email a login attempt names, from the API's or the admin's form."""
    from users.services import email_normalize

    sources: list[Mapping[str, Any]] = []
    if credentials:
        sources.append(credentials)
    data = getattr(request, "data", None)
    if isinstance(data, Mapping):
        sources.append(data)
    if request is not None and hasattr(request, "POST"):
        sources.append(request.POST)
    for source in sources:
        for field in ("email", "username"):
            value = source.get(field)
            if isinstance(value, str) and value.strip():
                # django-axes stores it in a varchar(255).
                return email_normalize(value)[:255]
    return None


def secret_key_check(key: str) -> str:
    """Return ``key`` if it can sign production tokens; ImproperlyConfigured otherwise."""
    lowered = key.lower()
    problems = []
    if len(key) < SECRET_KEY_MIN_LENGTH:
        problems.append(f"shorter than {SECRET_KEY_MIN_LENGTH} characters")
    if len(set(key)) < SECRET_KEY_MIN_UNIQUE:
        problems.append(f"fewer than {SECRET_KEY_MIN_UNIQUE} distinct characters")
    if any(word in lowered for word in SECRET_KEY_PLACEHOLDERS):
        problems.append("a placeholder (from .env.example or a development default)")
    if problems:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is unsafe for production: "
            + "; ".join(problems)
            + ". Generate one with: python -c 'import secrets; "
            "print(secrets.token_urlsafe(50))'"
        )
    return key


WEBHOOK_KEY_HELP = (
    "Generate one with: python -c 'from cryptography.fernet import Fernet; "
    "print(Fernet.generate_key().decode())'"
)


def fernet_keys_check(keys: list[str]) -> list[str]:
    """Return ``keys`` if each is a Fernet key (32 url-safe base64 bytes)."""
    from cryptography.fernet import Fernet

    for number, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except ValueError:
            raise ImproperlyConfigured(
                f"WEBHOOK_SECRET_KEYS: key {number} is not a Fernet key (32 url-safe "
                f"base64-encoded bytes). {WEBHOOK_KEY_HELP}"
            ) from None
    return keys
