"""Webhook endpoints, the outbox of messages to deliver, and every delivery attempt."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from common.models import TimeStamped
from integrations.webhooks.crypto import secret_decrypt, secret_encrypt
from integrations.webhooks.events import EVENT_TYPES

__all__ = ["WebhookAttempt", "WebhookEndpoint", "WebhookMessage"]

UNKNOWN_EVENT = "Unknown event type: {value}."
NO_EVENTS = "Choose at least one event."


class WebhookEndpoint(TimeStamped):
    """A receiver registered by an administrator: where to POST which events.

    Events go to an endpoint only about patients its ``owner`` may see (an administrator:
    every patient; a clinician: the patients in their care). The secret signs every
    delivery; it is shown once, when created or rotated, and stored encrypted
    (``encrypted_secret``, a Fernet token: integrations/webhooks/crypto.py); ``secret``
    reads and writes it in the clear.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    url = models.URLField(
        "URL", max_length=500, help_text="Where deliveries are POSTed (https)."
    )
    description = models.CharField(max_length=200, blank=True)
    events = models.JSONField(
        default=list, help_text="The event types delivered to this endpoint."
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="webhook_endpoints",
        help_text="Whose view of the data the events follow; told when it is disabled.",
    )
    encrypted_secret = models.TextField(
        editable=False, help_text="The signing secret, encrypted (Fernet token)."
    )
    is_active = models.BooleanField(default=True, db_index=True)
    disabled_at = models.DateTimeField(null=True, blank=True, editable=False)
    disabled_reason = models.CharField(max_length=300, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "webhook endpoint"

    def __str__(self) -> str:
        return self.description or self.url

    @property
    def secret(self) -> str:
        """The signing secret in the clear ("" before one is set)."""
        return secret_decrypt(self.encrypted_secret) if self.encrypted_secret else ""

    @secret.setter
    def secret(self, value: str) -> None:
        self.encrypted_secret = secret_encrypt(value) if value else ""

    def clean(self) -> None:
        if not isinstance(self.events, list) or not self.events:
            raise ValidationError({"events": NO_EVENTS})
        for value in self.events:
            if value not in EVENT_TYPES:
                raise ValidationError({"events": UNKNOWN_EVENT.format(value=value)})


class WebhookMessage(models.Model):
    """One event for one endpoint: the outbox row, written with the change it reports.

    Its id is the ``webhook-id`` of every attempt (receivers deduplicate on it). A
    worker claims it by setting ``lease_until``; a claim whose worker died expires and
    the sweep hands the message to another worker.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed (gave up)"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="messages"
    )
    event_type = models.CharField(max_length=64, db_index=True)
    body = models.TextField(help_text="The JSON payload, byte for byte as signed.")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempt_count = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    retry_until = models.DateTimeField(help_text="No retry is scheduled after this.")
    lease_until = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]
        verbose_name = "webhook message"

    def __str__(self) -> str:
        return f"{self.event_type} {self.webhook_id}"

    @property
    def webhook_id(self) -> str:
        """The ``webhook-id`` header: the same for every attempt of this message."""
        return f"msg_{self.id.hex}"


class WebhookAttempt(models.Model):
    """One POST of a message: when, how long, what came back (bounded excerpt)."""

    class Outcome(models.TextChoices):
        IN_FLIGHT = "in_flight", "In flight"
        SUCCESS = "success", "Success (2xx)"
        HTTP_ERROR = "http_error", "HTTP error"
        NETWORK_ERROR = "network_error", "Network error or timeout"
        REFUSED = "refused", "Refused (address not allowed)"
        INTERRUPTED = "interrupted", "Interrupted (worker stopped)"
        SECRET_ERROR = "secret_error", "Not sent: the secret's key is missing"

    message = models.ForeignKey(
        WebhookMessage, on_delete=models.CASCADE, related_name="attempts"
    )
    number = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(
        max_length=16, choices=Outcome.choices, default=Outcome.IN_FLIGHT
    )
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    response_excerpt = models.TextField(blank=True)
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["message", "number"]
        verbose_name = "delivery attempt"

    def __str__(self) -> str:
        return f"Attempt {self.number} of {self.message_id}"
