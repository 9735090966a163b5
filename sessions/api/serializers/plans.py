"""Plan bodies: the expanded plan (output) and the prescribe and adjust inputs."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from common.models import Band, Direction
from config.api.validation import StrictTypesMixin
from exercises.models import (
    Exercise,
    ExerciseInstruction,
    ExerciseLink,
    ExerciseMedia,
    RoutineItem,
)
from sessions.models import Plan, PlanItem
from sessions.progress import DATE_OUT_OF_RANGE, EARLIEST_DATE, LATEST_DATE
from sessions.selectors.plans import plan_item_swaps


# ---------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------
class PlanExerciseInstructionSerializer(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(
        choices=ExerciseInstruction.Kind.choices,
        help_text="setup, step, cue (form cue), safety (safety note) or breathing.",
    )
    text = serializers.CharField(help_text="The instruction.")
    order = serializers.IntegerField(
        help_text="Position (the list is already in order)."
    )


class PlanExerciseMediaSerializer(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(
        choices=ExerciseMedia.Kind.choices, help_text="image or video."
    )
    url = serializers.URLField(
        help_text="Where the image or video is hosted (cache it for offline use)."
    )
    alt_text = serializers.CharField(help_text="Description for screen readers.")
    credit = serializers.CharField(help_text="Who made it; may be empty.")
    licence = serializers.CharField(help_text="Its licence; may be empty.")


class PlanEquipmentSerializer(serializers.Serializer[Any]):
    slug = serializers.SlugField(help_text="Stable identifier of the equipment.")
    name = serializers.CharField(help_text="Display name, e.g. Loop resistance band.")


class PlanExerciseSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField(help_text="Exercise id (use it in session logs).")
    slug = serializers.SlugField(help_text="Stable human-readable identifier.")
    name = serializers.CharField(help_text="Display name.")
    summary = serializers.CharField(help_text="What it is for; may be empty.")
    education = serializers.CharField(
        help_text="Why it helps, in the patient's words; may be empty."
    )
    laterality = serializers.ChoiceField(
        choices=Exercise.Laterality.choices,
        help_text="bilateral, unilateral (one side at a time) or alternating.",
    )
    difficulty = serializers.ChoiceField(
        choices=Exercise.Difficulty.choices,
        help_text="beginner, intermediate or advanced.",
    )
    instructions = PlanExerciseInstructionSerializer(
        many=True,
        help_text="Setup, steps, form cues, safety notes and breathing, in order.",
    )
    media = PlanExerciseMediaSerializer(
        many=True, help_text="Images and videos, in order."
    )
    equipment = PlanEquipmentSerializer(many=True, help_text="Equipment it needs.")


class PlanSwapExerciseSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField(help_text="Exercise id (log it with the item's id).")
    slug = serializers.SlugField(help_text="Stable human-readable identifier.")
    name = serializers.CharField(help_text="Display name.")


class PlanSwapSerializer(serializers.Serializer[Any]):
    """A linked exercise the app may offer instead of the item's ("too hard? try this")."""

    exercise = PlanSwapExerciseSerializer(source="target", help_text="The exercise.")
    note = serializers.CharField(
        help_text='When to switch, e.g. "if the trunk leans"; may be empty.'
    )


class PlanItemSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(
        help_text="Plan item id (use it in session logs and adjustments)."
    )
    order = serializers.IntegerField(
        help_text="Position in the plan (the list is already in order)."
    )
    block = serializers.ChoiceField(
        choices=RoutineItem.Block.choices, help_text="warm_up, main or cool_down."
    )
    note = serializers.CharField(
        help_text="The clinician's note for this patient; may be empty."
    )
    sets = serializers.IntegerField(help_text="Number of sets.")
    reps = serializers.IntegerField(
        allow_null=True, help_text="Repetitions per set, or null."
    )
    steps = serializers.IntegerField(
        allow_null=True, help_text="Steps per set, or null."
    )
    seconds = serializers.IntegerField(
        allow_null=True, help_text="Seconds of work per set, or null."
    )
    per_side = serializers.BooleanField(
        help_text="The amount is done on each side or in each direction "
        "(direction != none; kept for older clients)."
    )
    direction = serializers.ChoiceField(
        choices=Direction.choices,
        help_text="none; per_side (left and right); sideways (5 right, then 5 left); "
        "forward_backward (5 forward, then 5 back). Log one set row each way.",
    )
    hold_seconds = serializers.IntegerField(
        allow_null=True,
        help_text="Hold at the end position per rep, in seconds, or null.",
    )
    rest_seconds = serializers.IntegerField(
        allow_null=True,
        help_text="Rest between sets in seconds; null means the default (30 s).",
    )
    load = serializers.CharField(
        help_text='External load, e.g. "2 kg"; may be empty (band strength: band).'
    )
    band = serializers.CharField(
        help_text="Resistance band strength: x_light, light, medium, heavy, x_heavy, "
        "or empty."
    )
    tempo = serializers.CharField(help_text='Tempo, e.g. "2-1-2"; may be empty.')
    starts_on = serializers.DateField(
        allow_null=True,
        help_text="First day of this item (null: from the plan's start).",
    )
    ends_on = serializers.DateField(
        allow_null=True, help_text="Last day of this item (null: open)."
    )
    replaces = serializers.IntegerField(
        source="replaces_id",
        allow_null=True,
        help_text="The item this one continues with new dosage from starts_on.",
    )
    regressions = serializers.SerializerMethodField(
        help_text="Easier exercises linked from this one, with when to switch."
    )
    progressions = serializers.SerializerMethodField(
        help_text="Harder exercises linked from this one, with when to switch."
    )
    alternatives = serializers.SerializerMethodField(
        help_text="Alternative exercises linked from this one."
    )
    estimated_seconds = serializers.IntegerField(
        help_text="Estimated time for this item, rests included (derived from the dosage)."
    )
    exercise = PlanExerciseSerializer(
        help_text="The exercise, expanded enough to do it offline."
    )

    def _swaps(self, item: PlanItem, kind: str) -> Any:
        return PlanSwapSerializer(plan_item_swaps(item, kind), many=True).data

    @extend_schema_field(PlanSwapSerializer(many=True))
    def get_regressions(self, item: PlanItem) -> Any:
        return self._swaps(item, ExerciseLink.Kind.REGRESSION)

    @extend_schema_field(PlanSwapSerializer(many=True))
    def get_progressions(self, item: PlanItem) -> Any:
        return self._swaps(item, ExerciseLink.Kind.PROGRESSION)

    @extend_schema_field(PlanSwapSerializer(many=True))
    def get_alternatives(self, item: PlanItem) -> Any:
        return self._swaps(item, ExerciseLink.Kind.ALTERNATIVE)


class PlanPrescriberSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField(help_text="The clinician's user id.")
    name = serializers.CharField(help_text="The clinician's name.")


# Reads prescribed_by and items: plan_list / plan_get select and prefetch them.
class PlanSerializer(serializers.Serializer[Any]):
    """A plan: its schedule and its own copy of the items, exercises expanded for offline use."""

    id = serializers.UUIDField(help_text="Plan id.")
    patient = serializers.UUIDField(
        source="patient_id", help_text="The patient's user id."
    )
    prescribed_by = PlanPrescriberSerializer(
        allow_null=True,
        help_text="Who prescribed it; null if that account was removed.",
    )
    routine = serializers.UUIDField(
        source="routine_id",
        allow_null=True,
        help_text="The routine template the items were copied from; null if it was deleted.",
    )
    title = serializers.CharField(help_text="Title shown to the patient.")
    status = serializers.ChoiceField(
        choices=Plan.Status.choices, help_text="active, paused or ended."
    )
    start_date = serializers.DateField(
        help_text="First day of the plan (the patient's local date)."
    )
    end_date = serializers.DateField(
        allow_null=True, help_text="Last day, or null if open-ended."
    )
    days_of_week = serializers.ListField(
        child=serializers.IntegerField(),
        help_text=(
            "ISO weekdays it is scheduled on (1 = Monday ... 7 = Sunday); empty "
            "when times_per_week is used."
        ),
    )
    times_per_week = serializers.IntegerField(
        allow_null=True,
        help_text="Sessions per week on any days; null when days_of_week is used.",
    )
    note = serializers.CharField(
        help_text="The clinician's note to the patient; may be empty."
    )
    created_at = serializers.DateTimeField(help_text="When it was prescribed.")
    updated_at = serializers.DateTimeField(help_text="Last change of the plan itself.")
    items = PlanItemSerializer(
        many=True,
        source="items_on",
        help_text="The exercises prescribed on the day asked (`on`, default the "
        "patient's today), in order.",
    )


# ---------------------------------------------------------------------------
# Input
# ---------------------------------------------------------------------------
class PlanDosageInputSerializer(serializers.Serializer[Any]):
    """Dosage tweaks; every field optional. An amount (reps, steps, seconds) replaces the others."""

    sets = serializers.IntegerField(
        min_value=1, max_value=100, required=False, help_text="Number of sets (1-100)."
    )
    reps = serializers.IntegerField(
        min_value=1,
        max_value=100,
        required=False,
        help_text="Repetitions per set (1-100); replaces steps/seconds.",
    )
    steps = serializers.IntegerField(
        min_value=1,
        max_value=100,
        required=False,
        help_text="Steps per set (1-100); replaces reps/seconds.",
    )
    seconds = serializers.IntegerField(
        min_value=1,
        max_value=3600,
        required=False,
        help_text="Seconds of work per set (1-3600); replaces reps/steps.",
    )
    per_side = serializers.BooleanField(
        required=False,
        help_text="Older clients: true = per side, false = neither (prefer direction).",
    )
    direction = serializers.ChoiceField(
        choices=Direction.choices,
        required=False,
        help_text="none, per_side, sideways or forward_backward.",
    )
    hold_seconds = serializers.IntegerField(
        min_value=1,
        max_value=3600,
        allow_null=True,
        required=False,
        help_text="Hold per rep in seconds (1-3600), or null for none.",
    )
    rest_seconds = serializers.IntegerField(
        min_value=0,
        max_value=3600,
        allow_null=True,
        required=False,
        help_text="Rest between sets in seconds (0-3600), or null for the default.",
    )
    load = serializers.CharField(
        max_length=100,
        allow_blank=True,
        required=False,
        help_text='External load, e.g. "2 kg".',
    )
    band = serializers.ChoiceField(
        choices=Band.choices,
        allow_null=True,
        required=False,
        help_text="Band strength: x_light, light, medium, heavy, x_heavy; null clears it.",
    )

    def validate_band(self, value: str | None) -> str:
        return value or ""

    tempo = serializers.CharField(
        max_length=20, allow_blank=True, required=False, help_text="Tempo, e.g. 2-1-2."
    )
    note = serializers.CharField(
        max_length=500,
        allow_blank=True,
        required=False,
        help_text="Note for the patient.",
    )


class PlanItemOverrideSerializer(PlanDosageInputSerializer):
    routine_item = serializers.IntegerField(
        required=False,
        help_text="With `routine`: id of the routine item to tweak (from "
        "`routines/{id}/` items).",
    )
    exercise = serializers.UUIDField(
        required=False,
        help_text="Without `routine`: the exercise (published, or one of your private "
        "ones); its default dosage is the start, the fields given replace it.",
    )
    block = serializers.ChoiceField(
        choices=RoutineItem.Block.choices,
        required=False,
        help_text="Without `routine`: warm_up, main (default) or cool_down.",
    )


class PlanItemNewSerializer(PlanDosageInputSerializer):
    exercise = serializers.UUIDField(
        help_text="The exercise (published, or one of your private ones)."
    )
    block = serializers.ChoiceField(
        choices=RoutineItem.Block.choices,
        required=False,
        help_text="warm_up, main (default) or cool_down.",
    )


class PlanItemAdjustmentSerializer(PlanDosageInputSerializer):
    id = serializers.IntegerField(help_text="Id of the plan item to adjust.")


def _days_field(help_text: str) -> serializers.ListField:
    """ISO weekdays 1-7 (at most seven; the service checks that each comes once)."""
    return serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=7),
        required=False,
        max_length=7,
        help_text=help_text,
    )


def _times_field(help_text: str) -> serializers.IntegerField:
    """Sessions per week, 1-21, or null."""
    return serializers.IntegerField(
        min_value=1, max_value=21, required=False, allow_null=True, help_text=help_text
    )


def _note_field() -> serializers.CharField:
    return serializers.CharField(
        max_length=2000,
        required=False,
        allow_blank=True,
        help_text="Note to the patient.",
    )


class PlanCreateSerializer(StrictTypesMixin, serializers.Serializer[Any]):
    patient = serializers.UUIDField(
        source="patient_id", help_text="User id of one of your patients."
    )
    routine = serializers.UUIDField(
        source="routine_id",
        required=False,
        help_text="Id of a published routine (or one of your private ones); its items "
        "are copied. Omit it to build the plan from `items` naming exercises.",
    )
    title = serializers.CharField(
        max_length=120,
        required=False,
        allow_blank=True,
        help_text="Title shown to the patient; defaults to the routine's title.",
    )
    start_date = serializers.DateField(
        help_text="First day (the patient's local date)."
    )
    end_date = serializers.DateField(
        required=False, allow_null=True, help_text="Last day; omit for open-ended."
    )
    days_of_week = _days_field(
        "ISO weekdays (1 = Monday ... 7 = Sunday), each once. Give this or times_per_week."
    )
    times_per_week = _times_field(
        "Sessions per week (1-21) on any days. Give this or days_of_week."
    )
    note = _note_field()
    # many=True builds a ListSerializer, which takes max_length; the stubs miss it.
    items = PlanItemOverrideSerializer(  # type: ignore[call-arg]
        many=True,
        required=False,
        max_length=100,
        help_text="With `routine`: optional dosage tweaks of the copied items, by "
        "routine item id; items not listed are copied as they are. Without `routine`: "
        "the plan's items, in order, each with `exercise` and its dosage (1-50).",
    )


class PlanUpdateSerializer(StrictTypesMixin, serializers.Serializer[Any]):
    status = serializers.ChoiceField(
        choices=Plan.Status.choices,
        required=False,
        help_text="active <-> paused; either -> ended (final: an ended plan cannot change).",
    )
    end_date = serializers.DateField(
        required=False, allow_null=True, help_text="Last day, or null for open-ended."
    )
    days_of_week = _days_field("ISO weekdays, each once; replaces times_per_week.")
    times_per_week = _times_field("Sessions per week (1-21); replaces days_of_week.")
    note = _note_field()
    # many=True builds a ListSerializer, which takes max_length; the stubs miss it.
    items = PlanItemAdjustmentSerializer(  # type: ignore[call-arg]
        many=True,
        required=False,
        max_length=100,
        help_text="Dosage changes of this plan's items, by plan item id (the routine "
        "template is never changed): in place, or from `effective_from`.",
    )
    effective_from = serializers.DateField(
        required=False,
        help_text="The day the item changes take effect (not before the plan's start). "
        "Earlier days keep the dosage they had: an item re-dosed from this day is "
        "continued by a new item (`replaces`). Default for added or ended items: the "
        "patient's today.",
    )
    # many=True builds a ListSerializer, which takes max_length; the stubs miss it.
    add_items = PlanItemNewSerializer(  # type: ignore[call-arg]
        many=True,
        required=False,
        max_length=50,
        help_text="Items added from `effective_from`.",
    )
    end_items = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        max_length=50,
        help_text="Plan item ids that stop the day before `effective_from`.",
    )


class PlanQuerySerializer(serializers.Serializer):
    on = serializers.DateField(
        required=False,
        help_text="Answer the plan as it stood that day (YYYY-MM-DD); default the "
        "patient's today.",
    )

    def validate_on(self, value: Any) -> Any:
        if not EARLIEST_DATE <= value <= LATEST_DATE:
            raise serializers.ValidationError(DATE_OUT_OF_RANGE)
        return value
