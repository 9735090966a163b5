"""Encrypt every webhook endpoint's secret under the first key, after a key rotation.

    manage.py webhook_secrets_reencrypt

Run it once the new key is first in ``WEBHOOK_SECRET_KEYS`` (or the new ``SECRET_KEY``
is set with the old one in ``DJANGO_SECRET_KEY_FALLBACKS``), on every deployment's
database, before dropping the old key. All or nothing: if one secret cannot be
decrypted, nothing is changed and the command fails.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from integrations.webhooks.crypto import SecretUnreadable
from integrations.webhooks.services import endpoint_secrets_reencrypt


class Command(BaseCommand):
    help = "Re-encrypt the webhook endpoints' secrets under the first key."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            count = endpoint_secrets_reencrypt()
        except SecretUnreadable as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Re-encrypted {count} webhook secret(s).")
