"""Input of the library's writes (clinicians: private content, drafts, revisions) and
the representation of a pending revision. Types and bounds only: the rules are in
exercises.services.authoring and exercises.revisions."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from common.models import Band, Direction
from config.api.validation import StrictTypesMixin
from exercises.models import ContentRevision, Exercise, ExerciseInstruction, RoutineItem

MAX_INSTRUCTIONS = 50
MAX_ITEMS = 50
MAX_SLUGS = 30


def _text(max_length: int, help_text: str) -> serializers.CharField:
    return serializers.CharField(
        max_length=max_length, required=False, allow_blank=True, help_text=help_text
    )


def _count(maximum: int, help_text: str) -> serializers.IntegerField:
    return serializers.IntegerField(
        min_value=1,
        max_value=maximum,
        required=False,
        allow_null=True,
        help_text=help_text,
    )


def _slugs(help_text: str) -> serializers.ListField:
    # max_length bounds the list; the stubs do not know ListField takes it.
    return serializers.ListField(
        child=serializers.SlugField(max_length=120),
        required=False,
        max_length=MAX_SLUGS,
        help_text=help_text,
    )


def _private_field() -> serializers.BooleanField:
    return serializers.BooleanField(
        required=False,
        help_text="Private (default on create): only you prescribe it, to your own "
        "patients; never in the public library. Publishing clears it.",
    )


class DosageWriteSerializer(serializers.Serializer[Any]):
    """A dosage: every field optional (a draft's fields not given stay as they are)."""

    sets = serializers.IntegerField(
        min_value=1, max_value=100, required=False, help_text="Number of sets (1-100)."
    )
    reps = _count(100, "Repetitions per set (1-100); give one of reps/steps/seconds.")
    steps = _count(100, "Steps per set (1-100).")
    seconds = _count(3600, "Seconds of work per set (1-3600).")
    direction = serializers.ChoiceField(
        choices=Direction.choices,
        required=False,
        help_text="none, per_side (left and right), sideways (right then left) or "
        "forward_backward (forward then back).",
    )
    hold_seconds = _count(3600, "Hold per rep in seconds (1-3600), or null.")
    rest_seconds = serializers.IntegerField(
        min_value=0,
        max_value=3600,
        required=False,
        allow_null=True,
        help_text="Rest between sets (0-3600 s), or null for the default (30 s).",
    )
    load = _text(100, 'External load, e.g. "2 kg" (band strength goes in band).')
    band = serializers.ChoiceField(
        choices=Band.choices,
        allow_null=True,
        required=False,
        help_text="Band strength: x_light, light, medium, heavy, x_heavy; null for none.",
    )
    tempo = _text(20, 'Tempo, e.g. "2-1-2".')

    def validate_band(self, value: str | None) -> str:
        return value or ""


class InstructionWriteSerializer(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(
        choices=ExerciseInstruction.Kind.choices,
        help_text="setup, step, cue, safety or breathing.",
    )
    text = serializers.CharField(max_length=1000, help_text="The instruction.")


class ExerciseWriteSerializer(StrictTypesMixin, DosageWriteSerializer):
    """``POST exercises/`` (``name`` required) and ``PATCH exercises/{id}/``."""

    name = serializers.CharField(max_length=120, required=False, help_text="Name.")
    slug = serializers.SlugField(
        max_length=120,
        required=False,
        help_text="Unique; made from the name when omitted on create.",
    )
    aliases = _text(2000, "Other names, one per line.")
    summary = _text(2000, "What it is for.")
    education = _text(2000, "Why it helps, in the patient's words (shown in the app).")
    difficulty = serializers.ChoiceField(
        choices=Exercise.Difficulty.choices,
        required=False,
        help_text="beginner (default), intermediate or advanced.",
    )
    laterality = serializers.ChoiceField(
        choices=Exercise.Laterality.choices,
        required=False,
        help_text="bilateral (default), unilateral or alternating.",
    )
    contraindications = _text(2000, "When not to do it.")
    private = _private_field()
    primary_muscles = _slugs("Muscle slugs (`muscles/`); replaces the list.")
    secondary_muscles = _slugs("Muscle slugs; replaces the list.")
    equipment = _slugs("Equipment slugs (`equipment/`); replaces the list.")
    conditions = _slugs("Condition slugs (`conditions/`); replaces the list.")
    # many=True builds a ListSerializer, which takes max_length; the stubs miss it.
    instructions = InstructionWriteSerializer(  # type: ignore[call-arg]
        many=True,
        required=False,
        max_length=MAX_INSTRUCTIONS,
        help_text="Instructions in order; replaces them all (drafts only).",
    )

    def __init__(self, *args: Any, creating: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["name"].required = creating


class RoutineItemWriteSerializer(DosageWriteSerializer):
    exercise = serializers.UUIDField(
        help_text="An exercise you can read: published, a shared draft or your own "
        "private one."
    )
    block = serializers.ChoiceField(
        choices=RoutineItem.Block.choices,
        required=False,
        help_text="warm_up, main (default) or cool_down.",
    )
    note = _text(500, "Your note on this item.")


class RoutineWriteSerializer(StrictTypesMixin, serializers.Serializer[Any]):
    """``POST routines/`` (``title`` required) and ``PATCH routines/{id}/``."""

    title = serializers.CharField(max_length=120, required=False, help_text="Title.")
    slug = serializers.SlugField(
        max_length=120,
        required=False,
        help_text="Unique; made from the title when omitted on create.",
    )
    summary = _text(2000, "What it is.")
    goal = _text(1000, "What it aims at.")
    when_to_use = _text(1000, 'When to do it, e.g. "before walks".')
    private = _private_field()
    conditions = _slugs("Condition slugs; replaces the list.")
    items = RoutineItemWriteSerializer(  # type: ignore[call-arg]
        many=True,
        required=False,
        max_length=MAX_ITEMS,
        help_text="The items in order; replaces them all (drafts only).",
    )

    def __init__(self, *args: Any, creating: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["title"].required = creating


class ReviewNoteSerializer(StrictTypesMixin, serializers.Serializer[Any]):
    note = _text(500, "A note to the proposer (why it was approved or rejected).")


class DiffLineSerializer(serializers.Serializer[Any]):
    field = serializers.CharField(help_text="The field's name.")
    # A declared field named like Field.label: DRF's metaclass allows it, the stubs do not.
    label = serializers.CharField(help_text="Its label.")  # type: ignore[assignment]
    published = serializers.JSONField(help_text="The value patients see now.")
    proposed = serializers.JSONField(help_text="The value proposed.")


class RevisionSerializer(serializers.Serializer[Any]):
    """A proposed edit of published content and its diff (``diff`` set by the view)."""

    id = serializers.IntegerField(help_text="Revision id.")
    kind = serializers.SerializerMethodField(help_text="exercise or routine.")
    content_id = serializers.SerializerMethodField(
        help_text="The exercise's or routine's id (the same after approval)."
    )
    content_name = serializers.SerializerMethodField(
        help_text="Its name or title as published."
    )
    state = serializers.ChoiceField(
        choices=ContentRevision.State.choices,
        help_text="pending, approved or rejected.",
    )
    changes = serializers.DictField(help_text="Field -> proposed value.")
    diff = DiffLineSerializer(
        many=True, help_text="Field by field: published and proposed values."
    )
    proposed_by = serializers.SerializerMethodField(help_text="Who proposed it.")
    proposed_at = serializers.DateTimeField(help_text="When.")
    reviewed_at = serializers.DateTimeField(
        allow_null=True, help_text="When it was reviewed; null while pending."
    )
    review_note = serializers.CharField(help_text="The reviewer's note; may be empty.")

    def get_kind(self, revision: ContentRevision) -> str:
        return "exercise" if revision.exercise_id else "routine"

    def get_content_id(self, revision: ContentRevision) -> str:
        return str(revision.exercise_id or revision.routine_id)

    def get_content_name(self, revision: ContentRevision) -> str:
        return str(revision.content)

    def get_proposed_by(self, revision: ContentRevision) -> str:
        user = revision.proposed_by
        return (user.name or user.email) if user is not None else ""
