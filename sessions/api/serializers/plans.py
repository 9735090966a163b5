"""Plan bodies: the expanded plan (output) and the prescribe and adjust inputs."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from config.api.validation import StrictTypesMixin
from exercises.models import Exercise, ExerciseInstruction, ExerciseMedia, RoutineItem
from sessions.models import Plan


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
    per_side = serializers.BooleanField(help_text="The amount is done on each side.")
    hold_seconds = serializers.IntegerField(
        allow_null=True,
        help_text="Hold at the end position per rep, in seconds, or null.",
    )
    rest_seconds = serializers.IntegerField(
        allow_null=True,
        help_text="Rest between sets in seconds; null means the default (30 s).",
    )
    load = serializers.CharField(
        help_text='Band or load, e.g. "light loop band"; may be empty.'
    )
    tempo = serializers.CharField(help_text='Tempo, e.g. "2-1-2"; may be empty.')
    estimated_seconds = serializers.IntegerField(
        help_text="Estimated time for this item, rests included (derived from the dosage)."
    )
    exercise = PlanExerciseSerializer(
        help_text="The exercise, expanded enough to do it offline."
    )


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
        many=True, help_text="The prescribed exercises, in order."
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
        required=False, help_text="The amount is done on each side."
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
        max_length=100, allow_blank=True, required=False, help_text="Band or load."
    )
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
        help_text="Id of the routine item to tweak (from `routines/{id}/` items)."
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
        help_text="Id of a published routine; its items are copied.",
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
        help_text=(
            "Optional dosage tweaks of the copied items, by routine item id; items "
            "not listed are copied as they are."
        ),
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
        help_text=(
            "Dosage tweaks of this plan's items, by plan item id (the routine "
            "template is never changed)."
        ),
    )
