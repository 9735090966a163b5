"""Webhook writes: endpoints, the outbox, deliveries and their retries.

The outbox row is written by ``event_publish`` inside the transaction of the change it
reports, so the event exists exactly when the change does. Workers claim a message with
a lease (one conditional UPDATE), POST it, record the attempt and either mark it
delivered or schedule the next attempt (exponential backoff with jitter) until
``retry_until``; then the message fails, the endpoint is disabled and its owner told.
The periodic sweep hands due messages (and those whose worker died) to the workers, so
a message waits in the database while Redis or the workers are down and is never lost.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
import random
import secrets
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from common.cache import entry_store, generation_bump, generation_read, value_from
from integrations.models import WebhookAttempt, WebhookEndpoint, WebhookMessage
from integrations.webhooks import crypto, transport
from integrations.webhooks.events import EVENT_TYPES, envelope
from users.models import User

if TYPE_CHECKING:
    from collections.abc import Iterable
    from uuid import UUID

logger = logging.getLogger(__name__)

OWNER_ROLE = "The owner must be an administrator or a clinician."
GAVE_UP = "Gave up on {webhook_id} after {count} attempts (since {since})."
DISABLED_SUBJECT = "Rehabit: webhook endpoint disabled"
DISABLED_BODY = (
    "Deliveries to {url} failed for about a day, so the endpoint was disabled.\n"
    "{reason}\n\nFix the receiver, then enable the endpoint again in the admin "
    "(Integrations > Webhook endpoints) and send the failed messages again."
)


# ---------------------------------------------------------------------------
# Endpoints
# ---------------------------------------------------------------------------
def webhook_secret_generate() -> str:
    """A Standard Webhooks secret: ``whsec_`` and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def endpoint_validate(*, endpoint: WebhookEndpoint) -> None:
    """Model rules, the URL policy (scheme, credentials) and the owner's role."""
    from django.core.exceptions import ValidationError

    endpoint.full_clean(exclude=["encrypted_secret"])
    try:
        transport.url_check(endpoint.url)
    except transport.DeliveryRefused as exc:
        raise ValidationError({"url": str(exc)}) from exc
    owner = endpoint.owner
    if not (owner.is_superuser or owner.is_clinician):
        raise ValidationError({"owner": OWNER_ROLE})


def endpoint_register(
    *, url: str, events: list[str], owner: User, description: str = ""
) -> tuple[WebhookEndpoint, str]:
    """Register an endpoint; returns it and its secret (shown once, never again)."""
    endpoint = WebhookEndpoint(
        url=url, events=events, owner=owner, description=description
    )
    endpoint_save(endpoint=endpoint)
    return endpoint, endpoint.secret


def endpoint_save(*, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """Validate and save; a new endpoint gets its secret (read it from ``secret``)."""
    if not endpoint.secret:
        endpoint.secret = webhook_secret_generate()
    endpoint_validate(endpoint=endpoint)
    endpoint.save()
    return endpoint


def endpoint_secret_rotate(*, endpoint: WebhookEndpoint) -> str:
    """A new secret for the endpoint (the old one stops signing at once)."""
    secret = webhook_secret_generate()
    endpoint.secret = secret
    endpoint.save(update_fields=["encrypted_secret", "updated_at"])
    return secret


def endpoint_secrets_reencrypt() -> int:
    """Encrypt every stored secret under the first key (after a key rotation).

    Raises ``crypto.SecretUnreadable`` (and changes nothing) if a secret cannot be
    decrypted with the configured keys.
    """
    with transaction.atomic():
        endpoints = list(WebhookEndpoint.objects.select_for_update().order_by("pk"))
        for endpoint in endpoints:
            endpoint.encrypted_secret = crypto.secret_reencrypt(
                endpoint.encrypted_secret
            )
        WebhookEndpoint.objects.bulk_update(endpoints, ["encrypted_secret"])
    return len(endpoints)


@transaction.atomic
def endpoint_enable(*, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """Deliver to the endpoint again: its pending messages get a new retry window."""
    now = timezone.now()
    endpoint.is_active = True
    endpoint.disabled_at = None
    endpoint.disabled_reason = ""
    endpoint.save(
        update_fields=["is_active", "disabled_at", "disabled_reason", "updated_at"]
    )
    pending = endpoint.messages.filter(status=WebhookMessage.Status.PENDING)
    pending.update(next_attempt_at=now, retry_until=now + _window(), lease_until=None)
    for pk in pending.values_list("pk", flat=True):
        _enqueue_on_commit(pk)
    return endpoint


def endpoint_disable(*, endpoint: WebhookEndpoint, reason: str) -> WebhookEndpoint:
    """Stop delivering to the endpoint and email its owner (after the commit)."""
    endpoint.is_active = False
    endpoint.disabled_at = timezone.now()
    endpoint.disabled_reason = reason[:300]
    endpoint.save(
        update_fields=["is_active", "disabled_at", "disabled_reason", "updated_at"]
    )
    email = endpoint.owner.email
    body = DISABLED_BODY.format(url=endpoint.url, reason=reason)
    transaction.on_commit(
        lambda: send_mail(DISABLED_SUBJECT, body, None, [email], fail_silently=True),
        robust=True,
    )
    return endpoint


# ---------------------------------------------------------------------------
# The outbox
# ---------------------------------------------------------------------------
def _window() -> dt.timedelta:
    return dt.timedelta(seconds=settings.WEBHOOK_RETRY_WINDOW_SECONDS)


# The event types some active endpoint subscribes to (``subscribed_event_types``): a
# generation token (common.cache) and the entry made under it.
EVENTS_TOKEN_KEY = "webhooks:events:token"
EVENTS_KEY = "webhooks:events"


def subscribed_event_types() -> frozenset[str]:
    """The event types at least one active endpoint subscribes to, whoever its owner.

    A superset of what any one write needs (owners and care relationships are not
    considered): a type outside it has no endpoint, so ``endpoints_for`` answers without
    a query. Cached for ``WEBHOOK_EVENTS_CACHE_SECONDS`` (one round trip, with its
    generation token); any save or delete of an endpoint replaces the token, now and on
    commit (``subscribed_event_types_changed``), so a new or re-enabled endpoint is heard by
    the next write in every process. An endpoint disabled by an ``update()`` only leaves
    the set larger than it is, and the query that follows excludes it.
    """
    timeout = settings.WEBHOOK_EVENTS_CACHE_SECONDS
    tokens, entry = (
        generation_read([EVENTS_TOKEN_KEY], EVENTS_KEY) if timeout else (None, None)
    )
    cached = value_from(entry, tokens)
    if cached is not None:
        return frozenset(cached)
    types = frozenset(
        event_type
        for events in WebhookEndpoint.objects.filter(is_active=True).values_list(
            "events", flat=True
        )
        for event_type in events
    )
    if tokens is not None:
        entry_store(
            EVENTS_KEY,
            (tokens, sorted(types)),
            token_keys=[EVENTS_TOKEN_KEY],
            tokens=tokens,
            timeout=timeout,
        )
    return types


def subscribed_event_types_changed() -> None:
    """An endpoint was saved or deleted: ``subscribed_event_types`` reads it again."""
    generation_bump(EVENTS_TOKEN_KEY)


def endpoints_for(*, event_type: str, patient_id: Any) -> list[WebhookEndpoint]:
    """Active endpoints subscribed to ``event_type`` whose owner may see the patient.

    No query when no active endpoint subscribes to the type (``subscribed_event_types``).
    """
    if event_type not in subscribed_event_types():
        return []
    may_see = Q(owner__is_superuser=True) | Q(
        owner__role=User.Role.CLINICIAN, owner__care_patients__patient_id=patient_id
    )
    candidates = (
        WebhookEndpoint.objects.filter(is_active=True, owner__is_active=True)
        .filter(may_see)
        .distinct()
    )
    return [endpoint for endpoint in candidates if event_type in endpoint.events]


def event_publish(
    *, event_type: str, patient_id: Any, data: dict[str, Any]
) -> list[WebhookMessage]:
    """Write one outbox row per interested endpoint, in the caller's transaction.

    Each is handed to a worker after the commit; if that fails (Redis down) the sweep
    hands it over later. Nothing is written when no endpoint listens.
    """
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {event_type!r}")
    endpoints = endpoints_for(event_type=event_type, patient_id=patient_id)
    if not endpoints:
        return []
    now = timezone.now()
    body = json.dumps(
        envelope(event_type=event_type, at=now, data=data), separators=(",", ":")
    )
    messages = WebhookMessage.objects.bulk_create(
        WebhookMessage(
            endpoint=endpoint,
            event_type=event_type,
            body=body,
            next_attempt_at=now,
            retry_until=now + _window(),
        )
        for endpoint in endpoints
    )
    for message in messages:
        _enqueue_on_commit(message.pk)
    return messages


def messages_about_erase(*, patient_id: Any) -> int:
    """Delete the outbox messages (and their attempts) about an erased patient.

    Their bodies carry the patient's id and data; pending ones are never delivered
    (the receiver is not told about data that no longer exists). Returns how many.
    """
    deleted, _ = WebhookMessage.objects.filter(body__contains=str(patient_id)).delete()
    return deleted


def _enqueue(message_id: UUID | str, countdown: float | None = None) -> None:
    """Hand a message to the workers; on a broker failure the sweep does it later."""
    from integrations.tasks import webhook_deliver

    try:
        webhook_deliver.apply_async(
            args=(str(message_id),), countdown=countdown or 0, retry=False
        )
    except Exception:  # the outbox row is the source of truth: log, sweep later
        logger.warning("webhook enqueue failed; the sweep will retry", exc_info=True)


def _enqueue_on_commit(message_id: UUID | str, countdown: float | None = None) -> None:
    transaction.on_commit(lambda: _enqueue(message_id, countdown), robust=True)


def message_resend(*, messages: Iterable[WebhookMessage]) -> int:
    """Send messages again ("send again" in the admin): pending, due now, a new window.

    The ``webhook-id`` stays the same, so a receiver that already has it can skip it.
    """
    now = timezone.now()
    ids = [message.pk for message in messages]
    with transaction.atomic():
        count = WebhookMessage.objects.filter(pk__in=ids).update(
            status=WebhookMessage.Status.PENDING,
            next_attempt_at=now,
            retry_until=now + _window(),
            lease_until=None,
            delivered_at=None,
        )
        for pk in ids:
            _enqueue_on_commit(pk)
    return count


def messages_due(*, limit: int = 500) -> list[UUID]:
    """Pending messages due now (or whose worker's lease ran out), oldest due first."""
    now = timezone.now()
    return list(
        WebhookMessage.objects.filter(
            status=WebhookMessage.Status.PENDING,
            next_attempt_at__lte=now,
            endpoint__is_active=True,
        )
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lte=now))
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )


# ---------------------------------------------------------------------------
# Delivery
# ---------------------------------------------------------------------------
def retry_delay(attempts: int) -> float:
    """Seconds before attempt ``attempts + 1``: base x 3^(n-1), capped, +-25 % jitter."""
    base = float(settings.WEBHOOK_RETRY_BASE_SECONDS) * 3.0 ** max(attempts - 1, 0)
    ceiling = float(settings.WEBHOOK_RETRY_MAX_SECONDS)
    return min(base, ceiling) * random.uniform(0.75, 1.25)


def sign(*, secret: str, webhook_id: str, at: dt.datetime, body: str) -> dict[str, str]:
    """The three Standard Webhooks headers for one attempt."""
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(webhook_id, at, body),
    }


def _claim(message_id: UUID | str) -> tuple[WebhookMessage, WebhookAttempt] | None:
    """Take the message for one attempt (a lease), or None if not due, done or taken."""
    now = timezone.now()
    message = (
        WebhookMessage.objects.select_related("endpoint")
        .filter(pk=message_id, endpoint__is_active=True)
        .first()
    )
    if message is None:
        return None
    lease = now + dt.timedelta(seconds=settings.WEBHOOK_LEASE_SECONDS)
    with transaction.atomic():
        # One conditional UPDATE on the row itself: two workers never both win.
        claimed = (
            WebhookMessage.objects.filter(
                pk=message.pk,
                status=WebhookMessage.Status.PENDING,
                next_attempt_at__lte=now,
            )
            .filter(Q(lease_until__isnull=True) | Q(lease_until__lte=now))
            .update(lease_until=lease, attempt_count=F("attempt_count") + 1)
        )
        if not claimed:
            return None
        message.refresh_from_db(fields=["attempt_count", "lease_until", "retry_until"])
        message.attempts.filter(outcome=WebhookAttempt.Outcome.IN_FLIGHT).update(
            outcome=WebhookAttempt.Outcome.INTERRUPTED, finished_at=now
        )
        attempt = WebhookAttempt.objects.create(
            message=message, number=message.attempt_count, started_at=now
        )
    return message, attempt


def message_deliver(*, message_id: UUID | str) -> WebhookAttempt | None:
    """One delivery attempt of a due message; None when there was nothing to do."""
    claim = _claim(message_id)
    if claim is None:
        return None
    message, attempt = claim
    try:
        headers = sign(
            secret=message.endpoint.secret,
            webhook_id=message.webhook_id,
            at=attempt.started_at,
            body=message.body,
        )
    except crypto.SecretUnreadable as exc:  # a key dropped too early: retried later
        attempt.outcome, attempt.error = WebhookAttempt.Outcome.SECRET_ERROR, str(exc)
        _finish(message, attempt)
        return attempt
    try:
        answer = transport.post(
            message.endpoint.url, body=message.body.encode(), headers=headers
        )
    except transport.DeliveryRefused as exc:
        attempt.outcome, attempt.error = WebhookAttempt.Outcome.REFUSED, str(exc)
    except transport.DeliveryError as exc:
        attempt.outcome, attempt.error = WebhookAttempt.Outcome.NETWORK_ERROR, str(exc)
    else:
        success = 200 <= answer.status < 300
        attempt.outcome = (
            WebhookAttempt.Outcome.SUCCESS
            if success
            else WebhookAttempt.Outcome.HTTP_ERROR
        )
        attempt.status_code = answer.status
        attempt.latency_ms = answer.latency_ms
        attempt.response_excerpt = answer.excerpt
    _finish(message, attempt)
    return attempt


def _finish(message: WebhookMessage, attempt: WebhookAttempt) -> None:
    """Record the attempt and move the message on (delivered, retried or given up)."""
    now = timezone.now()
    attempt.error = attempt.error[:300]
    attempt.finished_at = now
    ours = WebhookMessage.objects.filter(pk=message.pk, lease_until=message.lease_until)
    with transaction.atomic():
        attempt.save()
        if attempt.outcome == WebhookAttempt.Outcome.SUCCESS:
            ours.update(
                status=WebhookMessage.Status.DELIVERED,
                delivered_at=now,
                lease_until=None,
            )
            return
        delay = retry_delay(message.attempt_count)
        next_at = now + dt.timedelta(seconds=delay)
        if next_at <= message.retry_until:
            moved = ours.update(next_attempt_at=next_at, lease_until=None)
            if moved and delay <= settings.WEBHOOK_COUNTDOWN_MAX_SECONDS:
                _enqueue_on_commit(message.pk, countdown=delay)
            return
        if ours.update(status=WebhookMessage.Status.FAILED, lease_until=None):
            reason = GAVE_UP.format(
                webhook_id=message.webhook_id,
                count=message.attempt_count,
                since=message.created_at.isoformat(timespec="seconds"),
            )
            endpoint_disable(endpoint=message.endpoint, reason=reason)
