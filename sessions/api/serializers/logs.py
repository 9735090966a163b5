"""Session log bodies: the upload and edit inputs, the session and tombstone outputs.

The outputs document the JSON that sessions.selectors.logs.sessions_represent builds.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework import serializers
from rest_framework.fields import empty

from common.models import Band
from config.api.validation import StrictTypesMixin
from sessions.models import SessionExercise, SessionSet
from sessions.services.logs import MAX_EXERCISES, MAX_SETS

# Clock skew allowed between the phone and the server for times in the future.
FUTURE_SKEW = dt.timedelta(minutes=5)
# Older start times are rejected as clock garbage (a reset phone says 1970).
MAX_AGE = dt.timedelta(days=365)

IN_FUTURE = "Must not be more than 5 minutes in the future (server clock)."
TOO_OLD = "Must be within the last 365 days."
NAIVE_DATETIME = "Include a UTC offset, e.g. 2026-03-02T07:30:00Z or +01:00."


# ---------------------------------------------------------------------------
# Input
# ---------------------------------------------------------------------------
class AwareDateTimeField(serializers.DateTimeField):
    """An ISO 8601 datetime that must carry its UTC offset (a phone's local time is ambiguous)."""

    default_error_messages = {"naive": NAIVE_DATETIME}

    def to_internal_value(self, value: Any) -> dt.datetime:
        if isinstance(value, str):
            try:
                parsed = parse_datetime(value.strip())
            except ValueError:
                parsed = None
            if parsed is not None and timezone.is_naive(parsed):
                self.fail("naive")
        return super().to_internal_value(value)


def _score_field(help_text: str) -> serializers.IntegerField:
    """An optional 0-10 rating (pain, effort), null when not given."""
    return serializers.IntegerField(
        min_value=0, max_value=10, allow_null=True, default=None, help_text=help_text
    )


def _check_not_future(value: dt.datetime) -> None:
    if value > timezone.now() + FUTURE_SKEW:
        raise serializers.ValidationError(IN_FUTURE, code="in_future")


class SessionSetInputSerializer(serializers.Serializer[Any]):
    side = serializers.ChoiceField(
        choices=SessionSet.Side.choices,
        default=SessionSet.Side.BOTH,
        help_text="Which side or direction the set was done in: `left`/`right` (per "
        "side; sideways steps: the way stepped), `forward`/`backward`, or `both` for "
        "unsided exercises. A per-side or per-direction set is one row each way.",
    )
    reps = serializers.IntegerField(
        min_value=0,
        max_value=1000,
        allow_null=True,
        default=None,
        help_text="Reps (or steps) done.",
    )
    seconds = serializers.IntegerField(
        min_value=0,
        max_value=3600,
        allow_null=True,
        default=None,
        help_text="Seconds of work (holds, timed sets).",
    )
    load = serializers.CharField(
        max_length=100,
        allow_blank=True,
        default="",
        help_text='External load used, e.g. "2 kg" (band strength: `band`).',
    )
    band = serializers.ChoiceField(
        choices=Band.choices,
        allow_null=True,
        default=None,
        help_text="Resistance band strength used, or null.",
    )
    completed = serializers.BooleanField(
        default=True,
        help_text="Whether the set was completed. A completed set needs reps or seconds.",
    )


class SessionExerciseInputSerializer(serializers.Serializer[Any]):
    exercise = serializers.UUIDField(
        help_text="Exercise id: a published exercise, or one of the session's plan."
    )
    plan_item = serializers.IntegerField(
        min_value=1,
        allow_null=True,
        default=None,
        help_text="Id of the plan item performed (needs `plan`): its exercise, or "
        "a linked regression, progression or alternative of it (a swap).",
    )
    substitution = serializers.ChoiceField(
        choices=SessionExercise.Substitution.choices,
        allow_null=True,
        default=None,
        help_text="For a swap: what `exercise` is to the plan item's exercise (a "
        "library link). Optional: taken from the link when omitted.",
    )
    status = serializers.ChoiceField(
        choices=SessionExercise.Status.choices,
        default=SessionExercise.Status.DONE,
        help_text="done, partial or skipped.",
    )
    pain_during = _score_field(
        "Pain during the exercise, 0 (none) to 10 (worst imaginable)."
    )
    difficulty = serializers.ChoiceField(
        choices=SessionExercise.Difficulty.choices,
        allow_null=True,
        default=None,
        help_text="How the exercise felt: too_easy, just_right or too_hard; or null.",
    )
    rpe = _score_field(
        "Rating of perceived exertion on the Borg CR10 scale: 0 nothing at all, "
        "1 very light, 3 moderate, 5 hard, 7 very hard, 10 maximal."
    )
    notes = serializers.CharField(
        max_length=1000,
        allow_blank=True,
        default="",
        help_text="The patient's notes on this exercise (at most 1000 characters).",
    )
    # many=True builds a ListSerializer, which takes max_length; the stubs miss it.
    sets = SessionSetInputSerializer(  # type: ignore[call-arg]
        many=True,
        max_length=MAX_SETS,
        default=list,
        help_text=f"The sets in the order done (at most {MAX_SETS}).",
    )


class SessionFieldsSerializer(StrictTypesMixin, serializers.Serializer[Any]):
    """Fields shared by upload and edit; time rules in one place."""

    plan = serializers.UUIDField(
        allow_null=True,
        default=None,
        help_text="The patient's plan this session follows, or null for a free session.",
    )
    started_at = AwareDateTimeField(
        help_text="When the session started (ISO 8601 with offset; within the last year)."
    )
    ended_at = AwareDateTimeField(
        allow_null=True,
        default=None,
        help_text="When it ended; not before started_at. Null if not recorded.",
    )
    pain_before = _score_field("Pain before, 0 (none) to 10 (worst imaginable).")
    pain_after = _score_field("Pain after, 0 to 10.")
    effort = _score_field("Perceived effort, 0 (rest) to 10 (maximal).")
    notes = serializers.CharField(
        max_length=2000,
        allow_blank=True,
        default="",
        help_text="The patient's notes (at most 2000 characters).",
    )
    # many=True builds a ListSerializer, which takes max_length; the stubs miss it.
    exercises = SessionExerciseInputSerializer(  # type: ignore[call-arg]
        many=True,
        max_length=MAX_EXERCISES,
        default=list,
        help_text=f"The exercises in the order done (at most {MAX_EXERCISES}).",
    )

    def validate_started_at(self, value: dt.datetime) -> dt.datetime:
        _check_not_future(value)
        if value < timezone.now() - MAX_AGE:
            raise serializers.ValidationError(TOO_OLD, code="too_old")
        return value

    def validate_ended_at(self, value: dt.datetime | None) -> dt.datetime | None:
        if value is not None:
            _check_not_future(value)
        return value


class SessionCreateSerializer(SessionFieldsSerializer):
    """The upload body. Unknown fields are ignored (older servers accept newer apps)."""

    id = serializers.UUIDField(
        help_text=(
            "Generated by the app when the session is created (UUID v4); send the "
            "same id on every retry of this upload."
        )
    )

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        fields = super().get_fields()
        return {"id": fields.pop("id"), **fields}  # id first, as clients write it


class SessionUpdateSerializer(SessionFieldsSerializer):
    """A partial edit: only the fields sent change; `exercises`, if sent, replaces them all."""

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        fields = super().get_fields()
        # Top level only: an omitted field stays as stored. Nested entries keep their
        # defaults, because `exercises` replaces the whole list. (DRF's partial=True
        # would also drop the nested required fields and defaults.)
        for field in fields.values():
            field.required = False
            field.default = empty
        return fields


# ---------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------
class SessionExerciseRefSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField(read_only=True, help_text="Exercise id.")
    slug = serializers.SlugField(read_only=True, help_text="Exercise slug.")
    name = serializers.CharField(read_only=True, help_text="Exercise name.")


class SessionSetSerializer(serializers.Serializer[Any]):
    order = serializers.IntegerField(read_only=True, help_text="Position, from 0.")
    side = serializers.ChoiceField(
        choices=SessionSet.Side.choices, read_only=True, help_text="Side or direction."
    )
    reps = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="Reps or steps done."
    )
    seconds = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="Seconds of work."
    )
    load = serializers.CharField(read_only=True, help_text="External load used.")
    band = serializers.CharField(
        read_only=True, help_text="Band strength used (empty: none given)."
    )
    completed = serializers.BooleanField(read_only=True, help_text="Completed or not.")


class SessionExerciseSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(read_only=True, help_text="Server id of this entry.")
    exercise = SessionExerciseRefSerializer(read_only=True, help_text="The exercise.")
    plan_item = serializers.IntegerField(
        source="plan_item_id",
        read_only=True,
        allow_null=True,
        help_text="Plan item performed, if any.",
    )
    substitution = serializers.CharField(
        read_only=True,
        help_text="regression, progression or alternative when the plan item was "
        "swapped for a linked exercise; empty otherwise.",
    )
    order = serializers.IntegerField(read_only=True, help_text="Position, from 0.")
    status = serializers.ChoiceField(
        choices=SessionExercise.Status.choices,
        read_only=True,
        help_text="done, partial or skipped.",
    )
    pain_during = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="Pain during, 0 to 10."
    )
    difficulty = serializers.CharField(
        read_only=True, help_text="too_easy, just_right, too_hard or empty."
    )
    rpe = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="Borg CR10 rating, 0 to 10."
    )
    notes = serializers.CharField(read_only=True, help_text="Notes.")
    sets = SessionSetSerializer(many=True, read_only=True, help_text="Sets, in order.")


class SessionSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField(read_only=True, help_text="The app-generated id.")
    plan = serializers.UUIDField(
        source="plan_id", read_only=True, allow_null=True, help_text="Plan id or null."
    )
    started_at = serializers.DateTimeField(read_only=True, help_text="Start (UTC).")
    ended_at = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="End (UTC) or null."
    )
    pain_before = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="Pain before, 0 to 10."
    )
    pain_after = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="Pain after, 0 to 10."
    )
    effort = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="Effort, 0 to 10."
    )
    notes = serializers.CharField(read_only=True, help_text="Notes.")
    version = serializers.IntegerField(
        read_only=True,
        help_text='Edit count, from 1; the ETag is "<id>-<version>".',
    )
    revision = serializers.IntegerField(
        read_only=True,
        help_text="The patient's change number at this session's last write.",
    )
    deleted = serializers.BooleanField(
        source="is_deleted", read_only=True, help_text="Always false here."
    )
    created_at = serializers.DateTimeField(read_only=True, help_text="First upload.")
    updated_at = serializers.DateTimeField(read_only=True, help_text="Last write.")
    exercises = SessionExerciseSerializer(
        many=True, read_only=True, help_text="Exercises, in order."
    )


class SessionTombstoneSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField(read_only=True, help_text="The deleted session's id.")
    deleted = serializers.BooleanField(
        source="is_deleted", read_only=True, help_text="Always true: delete it locally."
    )
    revision = serializers.IntegerField(
        read_only=True, help_text="The change number of the deletion."
    )
    deleted_at = serializers.DateTimeField(read_only=True, help_text="When deleted.")
