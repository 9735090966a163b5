"""Abstract models shared by the apps (this package has no models of its own)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models


class TimeStamped(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        abstract = True


class Status(models.TextChoices):
    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    PUBLISHED = "published", "Published"
    ARCHIVED = "archived", "Archived"


class Reviewable(TimeStamped):
    """Library content that goes draft -> in review -> published -> archived.

    The status only changes through the workflow services (exercises.services), which
    record who submitted, who reviewed and when. Private content (``private``) belongs
    to its author until it is published (publishing clears the flag).
    """

    status = models.CharField(
        max_length=16,
        choices=Status.choices,
        default=Status.DRAFT,
        db_index=True,
        editable=False,
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    submitted_at = models.DateTimeField(null=True, blank=True, editable=False)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    reviewed_at = models.DateTimeField(null=True, blank=True, editable=False)
    published_at = models.DateTimeField(null=True, blank=True, editable=False)
    private = models.BooleanField(
        default=False,
        help_text="Private: only its author may prescribe it, to their own patients "
        "(who see it through their plans); never in the public library. Submitting "
        "it for review and publishing it shares it into the library.",
    )

    class Meta:
        abstract = True

    @property
    def is_published(self) -> bool:
        return self.status == Status.PUBLISHED


SMALL_COUNT = [MinValueValidator(1), MaxValueValidator(100)]
AMOUNT_FIELDS = ("reps", "steps", "seconds")
# Every field of a dosage, in the order forms show them.
DOSAGE_FIELDS = (
    "sets",
    *AMOUNT_FIELDS,
    "per_side",
    "hold_seconds",
    "rest_seconds",
    "load",
    "tempo",
)
# The one message of the one-amount rule, for the admin, the API and the importers.
ONE_AMOUNT = "Give one of reps, steps and seconds, not more than one."
SECONDS = [MinValueValidator(1), MaxValueValidator(3600)]


class Direction(models.TextChoices):
    """How the amount of a set is split: per side, per direction, or neither."""

    NONE = "none", "Neither (the amount is the whole set)"
    PER_SIDE = "per_side", "Per side (left and right)"
    SIDEWAYS = "sideways", "Per direction, sideways (right, then left)"
    FORWARD_BACKWARD = "forward_backward", "Per direction (forward, then backward)"


class Band(models.TextChoices):
    """Resistance band strength on a level scale (colours differ between makers)."""

    EXTRA_LIGHT = "x_light", "Extra light"
    LIGHT = "light", "Light"
    MEDIUM = "medium", "Medium"
    HEAVY = "heavy", "Heavy"
    EXTRA_HEAVY = "x_heavy", "Extra heavy"


# The sides (SessionSet.side values) a logged set of each direction may name.
DIRECTION_SIDES: dict[str, tuple[str, ...]] = {
    Direction.NONE: ("both",),
    Direction.PER_SIDE: ("left", "right"),
    Direction.SIDEWAYS: ("right", "left"),
    Direction.FORWARD_BACKWARD: ("forward", "backward"),
}


class Dosage(models.Model):
    """How much of an exercise to do: sets of reps, steps or seconds, per side or not.

    One of reps, steps and seconds is set (none at all where ``amount_required`` is
    off): ``check_amounts`` states the rule, ``clean()`` applies it (so every ModelForm
    and ``full_clean()`` call it) and a check constraint in each concrete model backs it.
    ``direction`` says how a set's amount is split (per side, per direction or
    neither); ``per_side`` is kept for older clients and always equals
    ``direction != "none"`` (``save()`` and ``clean()`` derive one from the other, a
    check constraint holds them together).
    """

    # Whether a dosage without any amount is valid (an exercise's default may be empty).
    amount_required: ClassVar[bool] = True

    sets = models.PositiveSmallIntegerField(default=1, validators=SMALL_COUNT)
    reps = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=SMALL_COUNT, help_text="Repetitions per set."
    )
    steps = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=SMALL_COUNT, help_text="Steps per set."
    )
    seconds = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=SECONDS, help_text="Seconds of work per set."
    )
    per_side = models.BooleanField(
        default=False,
        help_text="The amount is done on each side or in each direction "
        "(kept for older clients: equals direction != none).",
    )
    hold_seconds = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=SECONDS,
        help_text="Hold at the end position, per rep.",
    )
    rest_seconds = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MaxValueValidator(3600)],
        help_text="Rest between sets.",
    )
    direction = models.CharField(
        max_length=16,
        choices=Direction.choices,
        default=Direction.NONE,
        help_text="How a set's amount is split: per side (left and right), per "
        "direction (sideways right then left, or forward then backward), or neither.",
    )
    load = models.CharField(
        max_length=100,
        blank=True,
        help_text='External load, e.g. "2 kg" (band strength goes in band).',
    )
    band = models.CharField(
        max_length=8,
        choices=Band.choices,
        blank=True,
        help_text="Resistance band strength, when the exercise uses a band.",
    )
    tempo = models.CharField(
        max_length=20, blank=True, help_text='Tempo, e.g. "2-1-2".'
    )

    class Meta:
        abstract = True

    # Seconds assumed per rep and per step when estimating duration.
    SECONDS_PER_REP = 3
    SECONDS_PER_STEP = 2
    DEFAULT_REST_SECONDS = 30

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.sync_direction()
        super().save(*args, **kwargs)

    @classmethod
    def check_amounts(
        cls, values: Mapping[str, Any], *, required: bool | None = None
    ) -> None:
        """Raise ValidationError(ONE_AMOUNT) unless ``values`` give one amount at most
        (exactly one when required; ``amount_required`` by default).

        The error is keyed by each amount given, or by ``reps`` when none is.
        """
        given = [name for name in AMOUNT_FIELDS if values.get(name) is not None]
        if required is None:
            required = cls.amount_required
        if len(given) > 1 or (required and not given):
            error = ValidationError(ONE_AMOUNT, code="one_amount")
            raise ValidationError({name: [error] for name in given or ["reps"]})

    def clean(self) -> None:
        super().clean()
        self.sync_direction()
        # Keyed by field, so full_clean() skips the check constraint saying the same.
        self.check_amounts({name: getattr(self, name) for name in AMOUNT_FIELDS})

    def sync_direction(self) -> None:
        """Make ``per_side`` and ``direction`` agree; ``direction`` wins once set.

        Writers that only know ``per_side`` (older clients, importers) get
        ``per_side`` as the direction; to clear a direction, set it to ``none``
        (services do that when a client sends ``per_side: false`` alone).
        """
        if self.direction != Direction.NONE:
            self.per_side = True
        elif self.per_side:
            self.direction = Direction.PER_SIDE

    @staticmethod
    def direction_constraint(name: str) -> models.CheckConstraint:
        """per_side is exactly "direction is not none"."""
        none = models.Q(direction=Direction.NONE)
        return models.CheckConstraint(
            condition=(none & models.Q(per_side=False))
            | (~none & models.Q(per_side=True)),
            name=name,
        )

    @staticmethod
    def one_amount_constraint(name: str) -> models.CheckConstraint:
        """Exactly one of reps, steps, seconds is set."""
        reps = models.Q(reps__isnull=False, steps__isnull=True, seconds__isnull=True)
        steps = models.Q(reps__isnull=True, steps__isnull=False, seconds__isnull=True)
        seconds = models.Q(reps__isnull=True, steps__isnull=True, seconds__isnull=False)
        return models.CheckConstraint(condition=reps | steps | seconds, name=name)

    @property
    def estimated_seconds(self) -> int:
        """Work plus rest time: sets x (amount x per-unit time x sides + holds) + rests."""
        if self.reps:
            work = self.reps * (self.SECONDS_PER_REP + (self.hold_seconds or 0))
        elif self.steps:
            work = self.steps * self.SECONDS_PER_STEP
        else:
            work = self.seconds or 0
        if self.per_side:
            work *= 2
        rest = (
            self.rest_seconds
            if self.rest_seconds is not None
            else self.DEFAULT_REST_SECONDS
        )
        return self.sets * work + max(self.sets - 1, 0) * rest
