"""Reminders without a push provider: a per-patient secret calendar feed."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models


def new_token() -> str:
    """A fresh unguessable feed token (256 bits, URL-safe)."""
    return secrets.token_urlsafe(32)


class CalendarFeed(models.Model):
    """The secret that makes a patient's iCalendar feed URL; rotating it kills the old URL."""

    patient = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="calendar_feed",
    )
    token = models.CharField(max_length=64, unique=True, default=new_token)
    rotated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Calendar feed of {self.patient_id}"
