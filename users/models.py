from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo
from typing import ClassVar

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models

from common.models import TimeStamped
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
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    # Django documents a BaseUserManager subclass for an email login; the stubs type
    # AbstractUser.objects as auth's username-based UserManager.
    objects: ClassVar[UserManager] = UserManager()  # type: ignore[assignment]

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

    @property
    def is_patient(self) -> bool:
        return self.role == self.Role.PATIENT


class CareRelationship(TimeStamped):
    """Links a clinician to a patient in their care; admins manage these."""

    clinician = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="care_patients"
    )
    patient = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="care_team"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["clinician", "patient"], name="care_unique_pair"
            ),
            models.CheckConstraint(
                condition=~models.Q(clinician=models.F("patient")), name="care_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.clinician} cares for {self.patient}"

    def clean(self) -> None:
        errors = {}
        if self.clinician_id and not self.clinician.is_clinician:
            errors["clinician"] = "Only a clinician can be in a patient's care team."
        if self.patient_id and not self.patient.is_patient:
            errors["patient"] = "Only a patient can be cared for."
        if errors:
            raise ValidationError(errors)


class PatientAccessLog(models.Model):
    """One read of a patient's data by a clinician (or admin): who, when, which patient, what.

    Append-only: staff can read it in the admin but nobody can edit it. When a patient
    erases their account the entries stay with ``patient`` emptied (accountability of
    the readers is kept; nothing identifies the patient any more).
    """

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, related_name="patient_data_reads"
    )
    patient = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, related_name="data_read_log"
    )
    action = models.CharField(
        max_length=100, help_text='What was read, e.g. "sessions.list".'
    )
    path = models.CharField(max_length=500)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["patient", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.actor_id} read {self.action} of {self.patient_id}"


class RefreshRotation(models.Model):
    """One refresh-token exchange: the token used, its family and the pair answered.

    A retry of the same refresh within the grace window gets this pair again (its
    answer was lost on the network); a later reuse revokes the whole family, every
    token descended from the same login (users/tokens.py).
    """

    used_jti = models.CharField(max_length=255, unique=True)
    family = models.CharField(max_length=255, db_index=True)
    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="refresh_rotations"
    )
    access = models.TextField()
    refresh = models.TextField()
    rotated_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"rotation of {self.used_jti}"


class Invitation(TimeStamped):
    """A clinician's invitation into their care: a single-use code sent by email.

    Only a hash of the code is stored (the code is shown once, to the clinician, and
    in the email). The code expires (``expires_at``), is used once (``redeemed_at``,
    ``redeemed_by``) and can be revoked by its clinician (``revoked_at``).
    """

    clinician = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="invitations_sent"
    )
    email = models.EmailField(help_text="Where the invitation was sent.")
    note = models.TextField(blank=True, max_length=1000)
    code_hash = models.CharField(max_length=64, unique=True, editable=False)
    expires_at = models.DateTimeField()
    redeemed_at = models.DateTimeField(null=True, blank=True)
    redeemed_by = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="invitations_redeemed",
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["clinician", "-created_at"])]

    def __str__(self) -> str:
        return f"Invitation of {self.email} by {self.clinician_id}"

    def status_at(self, now: dt.datetime) -> str:
        """pending, redeemed, revoked or expired."""
        if self.redeemed_at is not None:
            return "redeemed"
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at <= now:
            return "expired"
        return "pending"
