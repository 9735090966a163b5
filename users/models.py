from __future__ import annotations

import uuid
import zoneinfo

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models

from users.managers import UserManager

CLINICIANS_GROUP = "Clinicians"


def validate_timezone(value: str) -> None:
    """Accept only IANA time zone names (e.g. "Europe/Paris")."""
    if value not in zoneinfo.available_timezones():
        raise ValidationError(
            f"'{value}' is not a known IANA time zone.", code="invalid_timezone"
        )


class User(AbstractUser):
    """An account: a patient (self-registered), a clinician or an administrator."""

    class Role(models.TextChoices):
        PATIENT = "patient", "Patient"
        CLINICIAN = "clinician", "Clinician"
        ADMIN = "admin", "Administrator"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    username = None  # type: ignore[assignment]
    first_name = None  # type: ignore[assignment]
    last_name = None  # type: ignore[assignment]
    email = models.EmailField("email address", unique=True)
    name = models.CharField("name", max_length=150, blank=True)
    timezone = models.CharField(
        max_length=64,
        default="UTC",
        validators=[validate_timezone],
        help_text="IANA time zone, used to group the user's sessions by day and week.",
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.PATIENT)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return self.name or self.email

    def get_full_name(self) -> str:
        return self.name

    def get_short_name(self) -> str:
        return self.name or self.email

    @property
    def is_clinician(self) -> bool:
        return self.role == self.Role.CLINICIAN
