"""Endpoint secrets at rest: encrypted (Fernet), readable to sign, rotatable keys."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from standardwebhooks.webhooks import Webhook

from config.security import fernet_keys_check
from integrations.models import WebhookEndpoint
from integrations.webhooks import crypto, services
from tests.e2e.conftest import restore_clinicians_group
from tests.factories import AdminFactory

OLD_SECRET_KEY = "test-only-secret-key-not-for-production-use-0123456789"
NEW_SECRET_KEY = "a-rotated-test-only-secret-key-not-for-production-98765"


def register() -> tuple[WebhookEndpoint, str]:
    return services.endpoint_register(
        url="https://hooks.example.com/rehabit",
        events=["session.created"],
        owner=AdminFactory(),
    )


def stored(endpoint: WebhookEndpoint) -> str:
    """The column as the database holds it."""
    return WebhookEndpoint.objects.values_list("encrypted_secret", flat=True).get(
        pk=endpoint.pk
    )


@pytest.mark.django_db
def test_the_secret_is_stored_encrypted_and_still_signs():
    endpoint, secret = register()

    token = stored(endpoint)
    assert secret not in token
    assert base64.b64decode(secret.removeprefix("whsec_")).hex() not in token
    assert Fernet(crypto.derived_key(OLD_SECRET_KEY)).decrypt(token.encode()) == (
        secret.encode()
    )
    again = WebhookEndpoint.objects.get(pk=endpoint.pk)
    assert again.secret == secret
    headers = services.sign(
        secret=again.secret,
        webhook_id="msg_1",
        at=again.created_at,
        body="{}",
    )
    assert Webhook(secret).verify("{}", headers) == {}


@pytest.mark.django_db
def test_a_dedicated_key_takes_over_and_the_old_one_can_go(settings):
    endpoint, secret = register()
    new_key = Fernet.generate_key().decode()
    settings.WEBHOOK_SECRET_KEYS = [new_key]

    # Still readable (the derived key decrypts), not yet under the new key.
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).secret == secret
    with pytest.raises(InvalidToken):
        Fernet(new_key).decrypt(stored(endpoint).encode())

    call_command("webhook_secrets_reencrypt", stdout=StringIO())

    assert Fernet(new_key).decrypt(stored(endpoint).encode()) == secret.encode()
    settings.SECRET_KEY = NEW_SECRET_KEY  # the derived key no longer opens anything
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).secret == secret


@pytest.mark.django_db
def test_a_rotated_secret_key_decrypts_through_its_fallback(settings):
    endpoint, secret = register()
    settings.SECRET_KEY = NEW_SECRET_KEY
    settings.SECRET_KEY_FALLBACKS = [OLD_SECRET_KEY]
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).secret == secret

    call_command("webhook_secrets_reencrypt", stdout=StringIO())

    settings.SECRET_KEY_FALLBACKS = []
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).secret == secret


@pytest.mark.django_db
def test_a_key_dropped_too_early_fails_loudly_and_changes_nothing(settings):
    endpoint, _secret = register()
    before = stored(endpoint)
    settings.SECRET_KEY = NEW_SECRET_KEY  # no fallback: nothing opens the old token

    with pytest.raises(crypto.SecretUnreadable, match="cannot be decrypted"):
        _ = WebhookEndpoint.objects.get(pk=endpoint.pk).secret
    with pytest.raises(CommandError, match="cannot be decrypted"):
        call_command("webhook_secrets_reencrypt")
    assert stored(endpoint) == before


@pytest.mark.django_db
def test_a_delivery_without_its_key_is_recorded_and_retried_not_sent(
    settings, receiver
):
    _endpoint, _secret = services.endpoint_register(
        url=receiver.url, events=["plan.updated"], owner=AdminFactory()
    )
    message = services.event_publish(
        event_type="plan.updated", patient_id=None, data={"id": "x"}
    )[0]
    settings.SECRET_KEY = NEW_SECRET_KEY

    attempt = services.message_deliver(message_id=message.pk)

    assert attempt is not None
    assert attempt.outcome == "secret_error"
    assert "cannot be decrypted" in attempt.error
    assert receiver.requests == []
    message.refresh_from_db()
    assert (message.status, message.lease_until) == ("pending", None)
    assert message.next_attempt_at > attempt.started_at  # retried after a backoff


def test_malformed_keys_are_refused_at_start():
    good = Fernet.generate_key().decode()
    assert fernet_keys_check([good]) == [good]
    with pytest.raises(ImproperlyConfigured, match="key 2 is not a Fernet key"):
        fernet_keys_check([good, "not-a-key"])


@pytest.fixture(scope="module")
def _clinicians_group_after(
    django_db_setup: None, django_db_blocker: Any
) -> Iterator[None]:
    """The transactional test below empties every table (after it, before this
    teardown): put back the data migrations' group for the tests that follow.
    """
    yield
    with django_db_blocker.unblock():
        restore_clinicians_group()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("_clinicians_group_after")
def test_the_migration_encrypts_existing_plain_secrets():
    executor = MigrationExecutor(connection)
    executor.migrate([("integrations", "0001_initial")])
    old_apps = executor.loader.project_state(("integrations", "0001_initial")).apps
    Endpoint = old_apps.get_model("integrations", "WebhookEndpoint")
    User = old_apps.get_model("users", "User")
    owner = User.objects.create(email="owner@example.com", is_superuser=True)
    plain = services.webhook_secret_generate()
    Endpoint.objects.create(
        url="https://hooks.example.com/",
        events=["plan.updated"],
        owner=owner,
        secret=plain,
    )

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    endpoint = WebhookEndpoint.objects.get()
    assert plain not in stored(endpoint)
    assert endpoint.secret == plain
