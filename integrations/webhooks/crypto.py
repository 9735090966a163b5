"""Webhook signing secrets at rest: Fernet tokens (``cryptography``'s MultiFernet).

A signing secret must be readable to sign (HMAC needs the key), so it is encrypted,
not hashed. Keys, tried in this order to decrypt, the first one encrypts:

1. ``WEBHOOK_SECRET_KEYS``: Fernet keys of the deployment's own (comma-separated in the
   environment), newest first;
2. a key derived (HKDF-SHA256) from ``SECRET_KEY``, then one from each of
   ``SECRET_KEY_FALLBACKS``: with no dedicated key, secrets are encrypted under the
   derived one, and a rotated ``SECRET_KEY`` still decrypts while the old one is a
   fallback.

Rotation: put the new key first (or the new ``SECRET_KEY`` with the old one as a
fallback), run ``manage.py webhook_secrets_reencrypt``, then drop the old key
(docs/deployment.md, "Webhook secrets at rest").
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

DERIVATION_INFO = b"rehabit webhook signing secrets v1"
UNREADABLE = (
    "A webhook secret cannot be decrypted with WEBHOOK_SECRET_KEYS, SECRET_KEY or "
    "SECRET_KEY_FALLBACKS: restore the key it was encrypted with, or rotate the "
    "endpoint's secret in the admin."
)


class SecretUnreadable(ValueError):
    """No configured key decrypts a stored secret (a key was dropped too early)."""


def derived_key(secret_key: str) -> bytes:
    """A Fernet key derived from a Django ``SECRET_KEY`` (HKDF-SHA256, 32 bytes)."""
    raw = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=DERIVATION_INFO
    ).derive(secret_key.encode())
    return base64.urlsafe_b64encode(raw)


def _keys() -> MultiFernet:
    configured = [Fernet(key) for key in settings.WEBHOOK_SECRET_KEYS]
    derived = [
        Fernet(derived_key(key))
        for key in (settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS)
        if key
    ]
    return MultiFernet(configured + derived)


def secret_encrypt(secret: str) -> str:
    """The secret as a Fernet token under the first key."""
    return _keys().encrypt(secret.encode()).decode()


def secret_decrypt(token: str) -> str:
    """The secret a token holds; SecretUnreadable if no key opens it."""
    try:
        return _keys().decrypt(token.encode()).decode()
    except InvalidToken:
        raise SecretUnreadable(UNREADABLE) from None


def secret_reencrypt(token: str) -> str:
    """The same secret under the first key (after a key rotation)."""
    try:
        return _keys().rotate(token.encode()).decode()
    except InvalidToken:
        raise SecretUnreadable(UNREADABLE) from None
