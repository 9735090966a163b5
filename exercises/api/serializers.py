"""Read-only representations of the library (exercises, routines, taxonomies).

They expect the querysets of exercises.selectors: the nested relations they read are
prefetched there (one query per relation per page, never per row).
"""

from __future__ import annotations

from typing import Any, cast

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from common.models import Direction, Status
from exercises.models import (
    Exercise,
    ExerciseInstruction,
    ExerciseLink,
    ExerciseMedia,
    Muscle,
    RoutineItem,
)

EXERCISE_DETAIL_VIEW = "api:exercises-api:exercise-detail"
ROUTINE_DETAIL_VIEW = "api:exercises-api:routine-detail"


# ---------------------------------------------------------------------------
# Taxonomies
# ---------------------------------------------------------------------------
class MuscleSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(help_text="Muscle id.")
    slug = serializers.SlugField(
        help_text="Stable identifier; use it in the `muscle` filter."
    )
    name = serializers.CharField(help_text="Display name, e.g. Gluteus medius.")
    body_region = serializers.ChoiceField(
        choices=Muscle.BodyRegion.choices,
        help_text="Body region the muscle belongs to.",
    )


class EquipmentSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(help_text="Equipment id.")
    slug = serializers.SlugField(
        help_text="Stable identifier; use it in the `equipment` filter."
    )
    name = serializers.CharField(help_text="Display name, e.g. Loop resistance band.")
    description = serializers.CharField(help_text="What it is; may be empty.")


class ConditionSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(help_text="Condition id.")
    slug = serializers.SlugField(
        help_text="Stable identifier; use it in the `condition` filter."
    )
    name = serializers.CharField(help_text="Display name, e.g. Lower back pain.")
    description = serializers.CharField(help_text="What it covers; may be empty.")


class TaxonomyRefSerializer(serializers.Serializer[Any]):
    """A piece of equipment or a condition, as nested in exercises and routines."""

    id = serializers.IntegerField(help_text="Its id in `equipment/` or `conditions/`.")
    slug = serializers.SlugField(
        help_text="Stable identifier, usable as a filter value."
    )
    name = serializers.CharField(help_text="Display name.")


# ---------------------------------------------------------------------------
# Exercises
# ---------------------------------------------------------------------------
class DosageSerializer(serializers.Serializer[Any]):
    sets = serializers.IntegerField(help_text="Number of sets (1-100).")
    reps = serializers.IntegerField(
        allow_null=True,
        help_text="Repetitions per set; null when counted in steps or seconds.",
    )
    steps = serializers.IntegerField(
        allow_null=True,
        help_text="Steps per set; null when counted in reps or seconds.",
    )
    seconds = serializers.IntegerField(
        allow_null=True,
        help_text="Seconds of work per set; null when counted in reps or steps.",
    )
    per_side = serializers.BooleanField(
        help_text="The amount is done on each side (or in each direction), e.g. 5 "
        "steps right then 5 left (direction != none)."
    )
    direction = serializers.ChoiceField(
        choices=Direction.choices,
        help_text="none; per_side (left and right); sideways (right, then left); "
        "forward_backward (forward, then back).",
    )
    hold_seconds = serializers.IntegerField(
        allow_null=True, help_text="Hold at the end position, per rep, in seconds."
    )
    rest_seconds = serializers.IntegerField(
        allow_null=True,
        help_text="Rest between sets, in seconds; null means the default (30 s).",
    )
    load = serializers.CharField(
        help_text='External load, e.g. "2 kg"; may be empty (band strength: band).'
    )
    band = serializers.CharField(
        help_text="Resistance band strength: x_light, light, medium, heavy, x_heavy, "
        "or empty."
    )
    tempo = serializers.CharField(help_text='Tempo, e.g. "2-1-2"; may be empty.')


class ExerciseInstructionSerializer(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(
        choices=ExerciseInstruction.Kind.choices,
        help_text="setup, step, cue (form cue), safety (safety note) or breathing.",
    )
    text = serializers.CharField(help_text="The instruction.")
    order = serializers.IntegerField(
        help_text="Position among the exercise's instructions (the list is already in this order)."
    )


class ExerciseMediaSerializer(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(
        choices=ExerciseMedia.Kind.choices, help_text="image or video."
    )
    url = serializers.URLField(help_text="Where the image or video is hosted.")
    alt_text = serializers.CharField(help_text="Description for screen readers.")
    credit = serializers.CharField(help_text="Who made it; may be empty.")
    licence = serializers.CharField(
        help_text="Its licence, e.g. CC BY 4.0; may be empty."
    )


class ExerciseRefSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField(help_text="Exercise id; read it at `exercises/{id}/`.")
    slug = serializers.SlugField(help_text="Stable human-readable identifier.")
    name = serializers.CharField(help_text="Display name.")


class ExerciseLinkSerializer(serializers.Serializer[Any]):
    exercise = ExerciseRefSerializer(
        source="target",
        help_text="The linked exercise (always one the caller can read).",
    )
    note = serializers.CharField(
        help_text='When to switch to it, e.g. "if the trunk leans"; may be empty.'
    )


class ExerciseSourceSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(
        help_text='Data set it was imported from, e.g. "Free Exercise DB".'
    )
    id = serializers.CharField(help_text="Its id in that data set; may be empty.")
    licence = serializers.CharField(
        help_text="Licence of the source data; may be empty."
    )


class ExerciseSummarySerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField(help_text="Exercise id (UUID).")
    slug = serializers.SlugField(help_text="Stable human-readable identifier.")
    name = serializers.CharField(help_text="Display name.")
    aliases = serializers.ListField(
        child=serializers.CharField(),
        source="alias_list",
        help_text="Other names it is known by.",
    )
    summary = serializers.CharField(
        help_text="One or two sentences on what it is for; may be empty."
    )
    difficulty = serializers.ChoiceField(
        choices=Exercise.Difficulty.choices,
        help_text="beginner, intermediate or advanced.",
    )
    laterality = serializers.ChoiceField(
        choices=Exercise.Laterality.choices,
        help_text=(
            "bilateral (both sides together), unilateral (one side at a time) or "
            "alternating."
        ),
    )
    primary_muscles = MuscleSerializer(many=True, help_text="Muscles it mainly works.")
    equipment = TaxonomyRefSerializer(many=True, help_text="Equipment it needs.")
    conditions = TaxonomyRefSerializer(many=True, help_text="Conditions it helps with.")
    status = serializers.ChoiceField(
        choices=Status.choices,
        help_text="Workflow status; always published for non-staff callers.",
    )
    private = serializers.BooleanField(
        help_text="Private: its author's own content (prescribed to their own patients, "
        "never in the public library); always false for non-staff callers."
    )
    updated_at = serializers.DateTimeField(help_text="Last change (ISO 8601, UTC).")
    url = serializers.HyperlinkedIdentityField(
        view_name=EXERCISE_DETAIL_VIEW,
        help_text="Absolute URL of the exercise's detail.",
    )


class ExerciseDetailSerializer(ExerciseSummarySerializer):
    """Reads ``visible_links`` (exercises.selectors.exercise_detail_queryset prefetches it)."""

    secondary_muscles = MuscleSerializer(many=True, help_text="Muscles it also works.")
    instructions = ExerciseInstructionSerializer(
        many=True,
        help_text="Setup, steps, form cues, safety notes and breathing, in order.",
    )
    contraindications = serializers.CharField(
        help_text="When not to do it; may be empty."
    )
    education = serializers.CharField(
        help_text="Why it helps, in the patient's words; may be empty."
    )
    default_dosage = serializers.SerializerMethodField(
        help_text="Suggested dosage when it is not part of a routine; null when none is set."
    )
    media = ExerciseMediaSerializer(many=True, help_text="Images and videos, in order.")
    regressions = serializers.SerializerMethodField(
        help_text="Easier variations, in order."
    )
    progressions = serializers.SerializerMethodField(
        help_text="Harder variations, in order."
    )
    alternatives = serializers.SerializerMethodField(
        help_text="Comparable exercises to use instead, in order."
    )
    # A declared field named like Field.source: DRF's metaclass allows it, the stubs do not.
    source = serializers.SerializerMethodField(  # type: ignore[assignment]
        help_text="Where an imported exercise came from; null for original content."
    )
    published_at = serializers.DateTimeField(
        allow_null=True, help_text="When it was last published; null if never."
    )
    created_at = serializers.DateTimeField(help_text="When it was created.")

    @extend_schema_field(DosageSerializer(allow_null=True))
    def get_default_dosage(self, obj: Exercise) -> dict[str, Any] | None:
        if not obj.has_default_dosage:
            return None
        return DosageSerializer(obj).data

    @extend_schema_field(ExerciseLinkSerializer(many=True))
    def get_regressions(self, obj: Exercise) -> list[dict[str, Any]]:
        return self._links(obj, ExerciseLink.Kind.REGRESSION)

    @extend_schema_field(ExerciseLinkSerializer(many=True))
    def get_progressions(self, obj: Exercise) -> list[dict[str, Any]]:
        return self._links(obj, ExerciseLink.Kind.PROGRESSION)

    @extend_schema_field(ExerciseLinkSerializer(many=True))
    def get_alternatives(self, obj: Exercise) -> list[dict[str, Any]]:
        return self._links(obj, ExerciseLink.Kind.ALTERNATIVE)

    @extend_schema_field(ExerciseSourceSerializer(allow_null=True))
    def get_source(self, obj: Exercise) -> dict[str, Any] | None:
        if not obj.source_name:
            return None
        return {
            "name": obj.source_name,
            "id": obj.source_id,
            "licence": obj.source_licence,
        }

    def _links(self, obj: Exercise, kind: str) -> list[dict[str, Any]]:
        # visible_links holds only links whose target the caller may read.
        # exercise_detail_queryset's Prefetch(to_attr=...): not on the model's type.
        visible = obj.visible_links  # type: ignore[attr-defined]
        links = [link for link in visible if link.kind == kind]
        # many=True answers a ReturnList; the stubs type .data as a ReturnDict.
        return cast(list[dict[str, Any]], ExerciseLinkSerializer(links, many=True).data)


# ---------------------------------------------------------------------------
# Routines
# ---------------------------------------------------------------------------
class RoutineExerciseSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField(help_text="Exercise id; read it at `exercises/{id}/`.")
    slug = serializers.SlugField(help_text="Stable human-readable identifier.")
    name = serializers.CharField(help_text="Display name.")
    laterality = serializers.ChoiceField(
        choices=Exercise.Laterality.choices,
        help_text="bilateral, unilateral or alternating.",
    )
    equipment = TaxonomyRefSerializer(many=True, help_text="Equipment it needs.")


class RoutineItemSerializer(DosageSerializer):
    """The item's own dosage fields (inherited) come first, then the item."""

    id = serializers.IntegerField(help_text="Item id.")
    block = serializers.ChoiceField(
        choices=RoutineItem.Block.choices, help_text="warm_up, main or cool_down."
    )
    exercise = RoutineExerciseSerializer(help_text="The exercise to do.")
    note = serializers.CharField(help_text="The clinician's note; may be empty.")
    estimated_seconds = serializers.IntegerField(
        help_text="Estimated time for this item, rests included (derived from the dosage)."
    )


class RoutineSummarySerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField(help_text="Routine id (UUID).")
    slug = serializers.SlugField(help_text="Stable human-readable identifier.")
    title = serializers.CharField(help_text="Display title.")
    summary = serializers.CharField(help_text="What it is; may be empty.")
    goal = serializers.CharField(help_text="What it aims at; may be empty.")
    when_to_use = serializers.CharField(
        help_text='When to do it, e.g. "before walks, runs or hikes"; may be empty.'
    )
    conditions = TaxonomyRefSerializer(many=True, help_text="Conditions it is for.")
    estimated_duration_seconds = serializers.IntegerField(
        help_text="Estimated total time of all items, in seconds (derived)."
    )
    status = serializers.ChoiceField(
        choices=Status.choices,
        help_text="Workflow status; always published for non-staff callers.",
    )
    private = serializers.BooleanField(
        help_text="Private: its author's own content (prescribed to their own patients, "
        "never in the public library); always false for non-staff callers."
    )
    published_at = serializers.DateTimeField(
        allow_null=True, help_text="When it was last published; null if never."
    )
    updated_at = serializers.DateTimeField(help_text="Last change (ISO 8601, UTC).")
    url = serializers.HyperlinkedIdentityField(
        view_name=ROUTINE_DETAIL_VIEW, help_text="Absolute URL of the routine's detail."
    )


class RoutineDetailSerializer(RoutineSummarySerializer):
    items = RoutineItemSerializer(
        many=True, help_text="The exercises in the order to do them, with their dosage."
    )
    created_at = serializers.DateTimeField(help_text="When it was created.")
