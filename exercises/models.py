"""The clinician-curated library: taxonomies, exercises and routine templates."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from common.models import Dosage, Reviewable, Status

__all__ = [
    "Condition",
    "ContentRevision",
    "Equipment",
    "Exercise",
    "ExerciseInstruction",
    "ExerciseLink",
    "ExerciseMedia",
    "Muscle",
    "Routine",
    "RoutineItem",
    "Status",
]


# ---------------------------------------------------------------------------
# Taxonomies
# ---------------------------------------------------------------------------
class Taxonomy(models.Model):
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)

    class Meta:
        abstract = True
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Muscle(Taxonomy):
    """A muscle or muscle group, e.g. gluteus medius (hips)."""

    class BodyRegion(models.TextChoices):
        NECK = "neck", "Neck"
        SHOULDERS = "shoulders", "Shoulders"
        ARMS = "arms", "Arms"
        CHEST = "chest", "Chest"
        BACK = "back", "Back"
        CORE = "core", "Core"
        HIPS = "hips", "Hips"
        LEGS = "legs", "Legs"

    body_region = models.CharField(max_length=16, choices=BodyRegion.choices)

    class Meta(Taxonomy.Meta):
        pass


class Equipment(Taxonomy):
    """Something an exercise needs, e.g. a loop resistance band."""

    description = models.TextField(blank=True)

    class Meta(Taxonomy.Meta):
        verbose_name_plural = "equipment"


class Condition(Taxonomy):
    """A condition content can help with, e.g. lower back pain."""

    description = models.TextField(blank=True)

    class Meta(Taxonomy.Meta):
        pass


# ---------------------------------------------------------------------------
# Exercises
# ---------------------------------------------------------------------------
class Exercise(Reviewable, Dosage):
    """A library exercise. Its Dosage fields are the default dosage (all amounts empty: none)."""

    amount_required = False  # no default dosage is fine

    class Difficulty(models.TextChoices):
        BEGINNER = "beginner", "Beginner"
        INTERMEDIATE = "intermediate", "Intermediate"
        ADVANCED = "advanced", "Advanced"

    class Laterality(models.TextChoices):
        BILATERAL = "bilateral", "Bilateral"
        UNILATERAL = "unilateral", "Unilateral"
        ALTERNATING = "alternating", "Alternating"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    slug = models.SlugField(max_length=120, unique=True)
    name = models.CharField(max_length=120, db_index=True)
    aliases = models.TextField(blank=True, help_text="Other names, one per line.")
    summary = models.TextField(blank=True, max_length=2000)
    difficulty = models.CharField(
        max_length=16,
        choices=Difficulty.choices,
        default=Difficulty.BEGINNER,
        db_index=True,
    )
    laterality = models.CharField(
        max_length=16,
        choices=Laterality.choices,
        default=Laterality.BILATERAL,
        db_index=True,
    )
    contraindications = models.TextField(
        blank=True, max_length=2000, help_text="When not to do this exercise."
    )
    education = models.TextField(
        blank=True,
        max_length=2000,
        help_text="Why the exercise helps, in the patient's words (shown in the app).",
    )
    primary_muscles = models.ManyToManyField(
        Muscle, related_name="primary_for", blank=True
    )
    secondary_muscles = models.ManyToManyField(
        Muscle, related_name="secondary_for", blank=True
    )
    equipment = models.ManyToManyField(Equipment, related_name="exercises", blank=True)
    conditions = models.ManyToManyField(Condition, related_name="exercises", blank=True)
    source_name = models.CharField(
        max_length=100, blank=True, help_text="Where an imported exercise came from."
    )
    source_id = models.CharField(
        max_length=200, blank=True, help_text="Its id at the source."
    )
    source_licence = models.CharField(max_length=200, blank=True)

    history = HistoricalRecords(
        m2m_fields=[primary_muscles, secondary_muscles, equipment, conditions],
        excluded_fields=["created_at"],
    )

    class Meta:
        ordering = ["name"]
        permissions = [("publish_exercise", "Can review and publish exercises")]
        constraints = [
            models.UniqueConstraint(
                fields=["source_name", "source_id"],
                condition=~Q(source_id=""),
                name="exercise_unique_source_id",
            ),
            models.CheckConstraint(
                condition=(
                    Q(reps__isnull=True, steps__isnull=True)
                    | Q(reps__isnull=True, seconds__isnull=True)
                    | Q(steps__isnull=True, seconds__isnull=True)
                ),
                name="exercise_at_most_one_amount",
            ),
            Dosage.direction_constraint("exercise_direction_per_side"),
        ]
        indexes = [models.Index(fields=["status", "name"])]

    def __str__(self) -> str:
        return self.name

    @property
    def alias_list(self) -> list[str]:
        return [line.strip() for line in self.aliases.splitlines() if line.strip()]

    @property
    def has_default_dosage(self) -> bool:
        return any(v is not None for v in (self.reps, self.steps, self.seconds))


class ExerciseInstruction(models.Model):
    """One ordered instruction entry of an exercise (a setup line, a step, a cue...)."""

    class Kind(models.TextChoices):
        SETUP = "setup", "Setup"
        STEP = "step", "Step"
        CUE = "cue", "Form cue"
        SAFETY = "safety", "Safety note"
        BREATHING = "breathing", "Breathing"

    exercise = models.ForeignKey(
        Exercise, on_delete=models.CASCADE, related_name="instructions"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.STEP)
    text = models.TextField(max_length=1000)
    order = models.PositiveIntegerField(default=0, db_index=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.text[:60]}"


class ExerciseMedia(models.Model):
    """An image or video of an exercise, by URL, with its alt text, credit and licence."""

    class Kind(models.TextChoices):
        IMAGE = "image", "Image"
        VIDEO = "video", "Video"

    exercise = models.ForeignKey(
        Exercise, on_delete=models.CASCADE, related_name="media"
    )
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.IMAGE)
    url = models.URLField(max_length=500)
    alt_text = models.CharField(
        max_length=300, help_text="Describes the image for screen readers."
    )
    credit = models.CharField(max_length=200, blank=True)
    licence = models.CharField(max_length=200, blank=True)
    order = models.PositiveIntegerField(default=0, db_index=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["order", "id"]
        verbose_name_plural = "media"

    def __str__(self) -> str:
        return self.alt_text


class ExerciseLink(models.Model):
    """A typed link from an exercise to another: its regression, progression or alternative."""

    class Kind(models.TextChoices):
        REGRESSION = "regression", "Regression (easier)"
        PROGRESSION = "progression", "Progression (harder)"
        ALTERNATIVE = "alternative", "Alternative"

    exercise = models.ForeignKey(
        Exercise, on_delete=models.CASCADE, related_name="links"
    )
    target = models.ForeignKey(
        Exercise, on_delete=models.CASCADE, related_name="linked_from"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    note = models.CharField(
        max_length=300,
        blank=True,
        help_text='When to switch, e.g. "if the trunk leans".',
    )
    order = models.PositiveIntegerField(default=0, db_index=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["exercise", "target", "kind"], name="exercise_link_unique"
            ),
            models.CheckConstraint(
                condition=~Q(exercise=F("target")), name="exercise_link_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.target}"  # reads self.target


# ---------------------------------------------------------------------------
# Routines (templates)
# ---------------------------------------------------------------------------
class Routine(Reviewable):
    """A routine template: ordered exercises with their dosage."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    slug = models.SlugField(max_length=120, unique=True)
    title = models.CharField(max_length=120, db_index=True)
    summary = models.TextField(blank=True, max_length=2000)
    goal = models.TextField(blank=True, max_length=1000)
    when_to_use = models.TextField(
        blank=True, max_length=1000, help_text='E.g. "before walks, runs or hikes".'
    )
    conditions = models.ManyToManyField(Condition, related_name="routines", blank=True)

    history = HistoricalRecords(m2m_fields=[conditions], excluded_fields=["created_at"])

    class Meta:
        ordering = ["title"]
        permissions = [("publish_routine", "Can review and publish routines")]
        indexes = [models.Index(fields=["status", "title"])]

    def __str__(self) -> str:
        return self.title

    @property
    def estimated_duration_seconds(self) -> int:
        """Sum of the items' estimates; reads ``self.items`` (prefetch it for lists)."""
        return sum(item.estimated_seconds for item in self.items.all())


class RoutineItem(Dosage):
    """One exercise of a routine, in order, with its dosage."""

    class Block(models.TextChoices):
        WARM_UP = "warm_up", "Warm-up"
        MAIN = "main", "Main"
        COOL_DOWN = "cool_down", "Cool-down"

    routine = models.ForeignKey(Routine, on_delete=models.CASCADE, related_name="items")
    exercise = models.ForeignKey(
        Exercise, on_delete=models.PROTECT, related_name="routine_items"
    )
    block = models.CharField(max_length=16, choices=Block.choices, default=Block.MAIN)
    note = models.CharField(
        max_length=500, blank=True, help_text="The clinician's note."
    )
    order = models.PositiveIntegerField(default=0, db_index=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["order", "id"]
        constraints = [
            Dosage.one_amount_constraint("routine_item_one_amount"),
            Dosage.direction_constraint("routine_item_direction_per_side"),
        ]

    def __str__(self) -> str:
        return f"{self.order}. {self.exercise}"  # reads self.exercise


# ---------------------------------------------------------------------------
# Governed content: pending revisions of published content
# ---------------------------------------------------------------------------
class ContentRevision(models.Model):
    """A proposed edit of a published exercise or routine, waiting for a second clinician.

    ``changes`` maps field names (REVISABLE_FIELDS of the content's kind) to the
    proposed values; the published content is untouched until a reviewer approves it
    (exercises.revisions). Same id, same history: approving saves the content itself.
    """

    class State(models.TextChoices):
        PENDING = "pending", "Waiting for review"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    exercise = models.ForeignKey(
        Exercise,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="revisions",
    )
    routine = models.ForeignKey(
        Routine,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="revisions",
    )
    changes = models.JSONField(help_text="Field name -> proposed value.")
    state = models.CharField(
        max_length=8, choices=State.choices, default=State.PENDING, db_index=True
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    proposed_at = models.DateTimeField(auto_now_add=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-proposed_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(exercise__isnull=False, routine__isnull=True)
                | Q(exercise__isnull=True, routine__isnull=False),
                name="content_revision_one_target",
            ),
        ]

    def __str__(self) -> str:
        return f"Revision of {self.content}"

    @property
    def content(self) -> Exercise | Routine:
        """The exercise or routine this revision changes (reads the relation)."""
        target = self.exercise if self.exercise_id else self.routine
        assert target is not None
        return target
