"""Alerts: something in a patient's data a clinician should look at, one per cause."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q


class AlertKind(models.TextChoices):
    PAIN_FLARE = "pain_flare", "Pain flare after a session"
    PAIN_DURING = "pain_during", "High pain during an exercise"
    TOO_HARD = "too_hard", "Exercises repeatedly too hard"
    INACTIVITY = "inactivity", "No session on an active plan"
    PAIN_TREND = "pain_trend", "Pain getting worse over two weeks"
    PROM_WORSE = "prom_worse", "Outcome measure worse by its MCID"


class AlertStatus(models.TextChoices):
    OPEN = "open", "Open"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    RESOLVED = "resolved", "Resolved"


# Statuses that still need the clinician (counted on patients/, listed in the digest).
UNRESOLVED = (AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED)


class Alert(models.Model):
    """One cause for attention in a patient's data; ``key`` names the cause (unique).

    A rule that fires again for the same cause (a retried upload, a rerun periodic
    task, an edit of the same session) finds the stored alert instead of adding one.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="alerts"
    )
    kind = models.CharField(max_length=16, choices=AlertKind.choices)
    key = models.CharField(
        max_length=200,
        editable=False,
        help_text="The cause, e.g. pain_flare:<session id> (one alert per cause).",
    )
    status = models.CharField(
        max_length=16,
        choices=AlertStatus.choices,
        default=AlertStatus.OPEN,
        editable=False,
    )
    message = models.CharField(max_length=300)
    evidence = models.JSONField(
        default=dict,
        blank=True,
        help_text="The values the rule saw (kept if the session is edited or deleted).",
    )
    session = models.ForeignKey(
        "training_sessions.Session",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    plan = models.ForeignKey(
        "training_sessions.Plan",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True, editable=False)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    resolved_at = models.DateTimeField(null=True, blank=True, editable=False)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    note = models.CharField(
        max_length=1000, blank=True, help_text="The clinician's note on what was done."
    )

    class Meta:
        ordering = ["-created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "key"], name="alert_one_per_cause"
            ),
            models.CheckConstraint(
                condition=Q(status="open")
                | Q(acknowledged_at__isnull=False)
                | Q(resolved_at__isnull=False),
                name="alert_handled_has_a_time",
            ),
        ]
        indexes = [models.Index(fields=["patient", "status"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.patient_id})"


class ClinicianAlertSettings(models.Model):
    """A clinician's alert preferences: the daily email digest is off until they opt in."""

    clinician = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="alert_settings",
    )
    daily_digest = models.BooleanField(
        default=False,
        help_text="Email me a daily digest of my patients' open alerts.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "clinician alert settings"
        verbose_name_plural = "clinician alert settings"

    def __str__(self) -> str:
        return f"Alert settings of {self.clinician_id}"


class AlertDigest(models.Model):
    """One digest email sent to a clinician on one day (a rerun finds it: no second email)."""

    clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    day = models.DateField()
    sent_at = models.DateTimeField(auto_now_add=True)
    alert_count = models.PositiveIntegerField()

    class Meta:
        ordering = ["-day"]
        constraints = [
            models.UniqueConstraint(
                fields=["clinician", "day"], name="alert_digest_once_a_day"
            )
        ]

    def __str__(self) -> str:
        return f"Digest of {self.day} to {self.clinician_id}"
