"""The patient side: plans prescribed by clinicians and the session logs patients upload."""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from common.models import Band, Dosage, TimeStamped
from exercises.models import Exercise, Routine, RoutineItem
from users.models import User

__all__ = [
    "Patient",
    "PatientSyncState",
    "Plan",
    "PlanItem",
    "Session",
    "SessionExercise",
    "SessionSet",
]

PAIN_SCALE = [MinValueValidator(0), MaxValueValidator(10)]


class Patient(User):
    """A patient account seen from the care side (the admin's "Patients"): same rows as User.

    A proxy in this app so that clinicians get a "Patients" page (and its permission)
    without any permission on user accounts.
    """

    class Meta:
        proxy = True
        verbose_name = "patient"
        verbose_name_plural = "patients"


class Plan(TimeStamped):
    """A routine prescribed to one patient, with its own copy of the items and a schedule.

    The items are copied from the routine at prescription time, so later edits of the
    template (or of this plan's dosage, kept in the history) never rewrite the past.
    """

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        PAUSED = "paused", "Paused"
        ENDED = "ended", "Ended"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="plans"
    )
    prescribed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="prescribed_plans",
    )
    routine = models.ForeignKey(
        Routine,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="plans",
        help_text="The template the items were copied from.",
    )
    title = models.CharField(max_length=120)
    status = models.CharField(
        max_length=8, choices=Status.choices, default=Status.ACTIVE, db_index=True
    )
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    days_of_week = models.JSONField(
        default=list,
        blank=True,
        help_text="ISO weekdays the routine is scheduled on (1 = Monday ... 7 = Sunday).",
    )
    times_per_week = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(21)]
    )
    note = models.TextField(blank=True, max_length=2000)

    history = HistoricalRecords(excluded_fields=["created_at"])

    class Meta:
        ordering = ["-start_date", "-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True)
                | Q(end_date__gte=models.F("start_date")),
                name="plan_end_after_start",
            ),
        ]
        indexes = [models.Index(fields=["patient", "status"])]

    def __str__(self) -> str:
        return f"{self.title} for {self.patient}"


class PlanItem(Dosage):
    """One exercise of a plan with this patient's dosage (copied, then adjustable)."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="items")
    exercise = models.ForeignKey(
        Exercise, on_delete=models.PROTECT, related_name="plan_items"
    )
    routine_item = models.ForeignKey(
        RoutineItem, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    block = models.CharField(
        max_length=16, choices=RoutineItem.Block.choices, default=RoutineItem.Block.MAIN
    )
    note = models.CharField(max_length=500, blank=True)
    order = models.PositiveIntegerField(default=0, db_index=True)
    starts_on = models.DateField(
        null=True,
        blank=True,
        help_text="First day this item is prescribed (empty: from the plan's start).",
    )
    ends_on = models.DateField(
        null=True,
        blank=True,
        help_text="Last day this item is prescribed (empty: until the plan ends).",
    )
    replaces = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="replaced_by",
        help_text="The item this one continues with new dosage from starts_on.",
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["order", "id"]
        constraints = [
            Dosage.one_amount_constraint("plan_item_one_amount"),
            Dosage.direction_constraint("plan_item_direction_per_side"),
            models.CheckConstraint(
                condition=Q(starts_on__isnull=True)
                | Q(ends_on__isnull=True)
                | Q(ends_on__gte=models.F("starts_on")),
                name="plan_item_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order}. {self.exercise}"  # reads self.exercise, as RoutineItem

    def is_active_on(self, day: dt.date) -> bool:
        """Whether the item is prescribed on ``day`` (its own dates; not the plan's)."""
        return (self.starts_on is None or self.starts_on <= day) and (
            self.ends_on is None or day <= self.ends_on
        )


class PatientSyncState(models.Model):
    """One patient's session-log change counter: the latest revision handed out.

    Created by the patient's first session write (no row: 0) and bumped by the session
    services under the patient's row lock, so revisions grow in commit order
    (sessions/services/logs.py, docs/sync.md).
    """

    patient = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="sync_state",
    )
    revision = models.PositiveBigIntegerField(
        default=0,
        help_text="Last change number of this patient's session logs (the sync cursor).",
    )

    class Meta:
        verbose_name = "patient sync state"

    def __str__(self) -> str:
        return f"{self.patient_id} at revision {self.revision}"


class Session(models.Model):
    """A logged session. The id is generated by the client, so uploads can be retried.

    ``revision`` is the patient's change number at the last write (the sync cursor);
    a delete keeps the row as a tombstone (``deleted_at`` set, content emptied).
    """

    id = models.UUIDField(primary_key=True, editable=False)
    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="training_sessions",
    )
    plan = models.ForeignKey(
        Plan, on_delete=models.SET_NULL, null=True, blank=True, related_name="sessions"
    )
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    pain_before = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=PAIN_SCALE
    )
    pain_after = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=PAIN_SCALE
    )
    effort = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=PAIN_SCALE
    )
    notes = models.TextField(blank=True, max_length=2000)

    upload_hash = models.CharField(
        max_length=64,
        editable=False,
        help_text="Hash of the creating upload (idempotent retry).",
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    revision = models.PositiveBigIntegerField(editable=False, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    deleted_at = models.DateTimeField(null=True, blank=True, editable=False)
    set_count = models.PositiveIntegerField(
        default=0,
        editable=False,
        help_text="Sets stored for this session (the 24-hour upload limits add these).",
    )

    # Not a field: the exercises and sets ``session_upload`` has just inserted, each
    # exercise with its sets, so that the upload's answer is built without reading them
    # back (``sessions_represent``). None on every session read from the database.
    written_children: list[tuple[SessionExercise, list[SessionSet]]] | None = None

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True)
                | Q(ended_at__gte=models.F("started_at")),
                name="session_ends_after_start",
            ),
            models.UniqueConstraint(
                fields=["patient", "revision"], name="session_unique_patient_revision"
            ),
        ]
        indexes = [
            models.Index(fields=["patient", "started_at"]),
            # The upload limits' window (sessions.services.quota): the patient's sessions
            # of the last 24 hours, whatever their history's length.
            models.Index(fields=["patient", "created_at"]),
        ]

    def __str__(self) -> str:
        """ "Ana Silva, 2 Mar 2026 07:30" (the admin's time zone); reads self.patient."""
        started = timezone.localtime(self.started_at)
        return f"{self.patient}, {started.day} {started:%b %Y %H:%M}"

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def etag(self) -> str:
        return f'"{self.id}-{self.version}"'


class SessionExercise(models.Model):
    """One exercise performed (or skipped) in a session."""

    class Status(models.TextChoices):
        DONE = "done", "Done"
        PARTIAL = "partial", "Partial"
        SKIPPED = "skipped", "Skipped"

    class Substitution(models.TextChoices):
        """What the performed exercise is to the plan item's (the library's link kinds)."""

        REGRESSION = "regression", "Regression (easier)"
        PROGRESSION = "progression", "Progression (harder)"
        ALTERNATIVE = "alternative", "Alternative"

    class Difficulty(models.TextChoices):
        TOO_EASY = "too_easy", "Too easy"
        JUST_RIGHT = "just_right", "Just right"
        TOO_HARD = "too_hard", "Too hard"

    session = models.ForeignKey(
        Session, on_delete=models.CASCADE, related_name="exercises"
    )
    exercise = models.ForeignKey(
        Exercise, on_delete=models.PROTECT, related_name="session_entries"
    )
    plan_item = models.ForeignKey(
        PlanItem, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    substitution = models.CharField(
        max_length=12,
        choices=Substitution.choices,
        blank=True,
        help_text="Set when the exercise was swapped for a linked one of the plan item's.",
    )
    order = models.PositiveSmallIntegerField(default=0)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.DONE)
    pain_during = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=PAIN_SCALE
    )
    difficulty = models.CharField(max_length=10, choices=Difficulty.choices, blank=True)
    rpe = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=PAIN_SCALE,
        help_text="Rating of perceived exertion, Borg CR10 (0 nothing at all, 10 maximal).",
    )
    notes = models.TextField(blank=True, max_length=1000)

    class Meta:
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return str(self.exercise)  # reads self.exercise


class SessionSet(models.Model):
    """One set of a performed exercise: side or direction, reps or seconds, load, band.

    A set of a per-side or per-direction dosage is logged as one row per side or
    direction (5 steps right, then 5 left: two rows).
    """

    class Side(models.TextChoices):
        BOTH = "both", "Both / not sided"
        LEFT = "left", "Left"
        RIGHT = "right", "Right"
        FORWARD = "forward", "Forward"
        BACKWARD = "backward", "Backward"

    session_exercise = models.ForeignKey(
        SessionExercise, on_delete=models.CASCADE, related_name="sets"
    )
    order = models.PositiveSmallIntegerField(default=0)
    side = models.CharField(max_length=8, choices=Side.choices, default=Side.BOTH)
    reps = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MaxValueValidator(1000)],
        help_text="Reps or steps.",
    )
    seconds = models.PositiveIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(3600)]
    )
    load = models.CharField(max_length=100, blank=True)
    band = models.CharField(max_length=8, choices=Band.choices, blank=True)
    completed = models.BooleanField(default=True)

    class Meta:
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return f"Set {self.order + 1}"
