"""Serializers of the outcomes API (input and output shapes; rules are in the services)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from rest_framework import serializers

from config.api.validation import StrictTypesMixin
from outcomes.models import AlertKind, AlertStatus


class AlertPersonSerializer(serializers.Serializer):
    id = serializers.UUIDField(help_text="User id.")
    name = serializers.CharField(help_text="Display name.")


class AlertSerializer(serializers.Serializer):
    """An alert on a patient's data, with who handled it and when."""

    id = serializers.UUIDField(help_text="Alert id.")
    patient = AlertPersonSerializer(help_text="The patient the alert is about.")
    kind = serializers.ChoiceField(
        choices=AlertKind.choices, help_text="The rule that raised it."
    )
    status = serializers.ChoiceField(
        choices=AlertStatus.choices,
        help_text="open, then acknowledged (someone is on it), then resolved.",
    )
    message = serializers.CharField(help_text="What was found, in one sentence.")
    evidence = serializers.DictField(
        help_text="The values the rule saw (kept when the session is edited or deleted)."
    )
    session = serializers.UUIDField(
        source="session_id",
        allow_null=True,
        help_text="The session that raised it (flare, pain during, trend); else null.",
    )
    plan = serializers.UUIDField(
        source="plan_id",
        allow_null=True,
        help_text="The plan concerned (inactivity; the session's plan); else null.",
    )
    created_at = serializers.DateTimeField(help_text="When the alert was raised.")
    acknowledged_at = serializers.DateTimeField(
        allow_null=True, help_text="When it was acknowledged; null while open."
    )
    acknowledged_by = AlertPersonSerializer(
        allow_null=True, help_text="Who acknowledged it; null while open."
    )
    resolved_at = serializers.DateTimeField(
        allow_null=True, help_text="When it was resolved; null until then."
    )
    resolved_by = AlertPersonSerializer(
        allow_null=True, help_text="Who resolved it; null until then."
    )
    note = serializers.CharField(help_text="The clinician's note (may be empty).")


class AlertQuerySerializer(serializers.Serializer):
    patient = serializers.UUIDField(
        required=False, help_text="Only this patient's alerts (one of yours)."
    )
    status = serializers.ChoiceField(
        choices=AlertStatus.choices,
        required=False,
        help_text="Only alerts in this status.",
    )
    kind = serializers.ChoiceField(
        choices=AlertKind.choices, required=False, help_text="Only alerts of this kind."
    )


class AlertActionSerializer(StrictTypesMixin, serializers.Serializer):
    note = serializers.CharField(
        max_length=1000,
        allow_blank=True,
        required=False,
        default="",
        help_text="Optional note on what was done (replaces the stored note when given).",
    )


class AlertSettingsSerializer(StrictTypesMixin, serializers.Serializer):
    daily_digest = serializers.BooleanField(
        help_text=(
            "Email me a daily digest of my patients' unresolved alerts "
            "(off until turned on)."
        )
    )


# ---------------------------------------------------------------------------
# Outcome measures
# ---------------------------------------------------------------------------
MAX_ITEMS = 100
FUTURE_SKEW = dt.timedelta(minutes=5)
IN_FUTURE = "Must not be more than 5 minutes in the future (server clock)."


class QuestionnaireSerializer(serializers.Serializer):
    """A questionnaire shaped like FHIR Questionnaire, with Rehabit's scoring rule."""

    id = serializers.UUIDField(help_text="Questionnaire id (send it with answers).")
    url = serializers.CharField(help_text="Canonical URL (FHIR Questionnaire.url).")
    version = serializers.CharField(help_text="Version of the instrument's definition.")
    name = serializers.CharField(help_text="Machine name, e.g. nprs.")
    title = serializers.CharField(help_text="Human title.")
    description = serializers.CharField(
        help_text="What it measures and how to read it."
    )
    copyright = serializers.CharField(
        help_text="Licence, and the sources of the instrument and of its MCID."
    )
    item = serializers.ListField(
        source="items",
        child=serializers.DictField(),
        help_text="FHIR items: linkId, text, type (integer, decimal, string, choice), "
        "required, minValue/maxValue, answerOption (valueCoding + score).",
    )
    scoring = serializers.DictField(
        help_text="kind (status|change), method (sum|mean), items, min, max, "
        "higher_is_better, mcid and mcid_source."
    )


class DueQuestionnaireSerializer(serializers.Serializer):
    assignment = serializers.UUIDField(
        source="assignment.id", help_text="Send it back with the answers."
    )
    plan = serializers.UUIDField(source="assignment.plan_id", help_text="The plan.")
    due_date = serializers.DateField(
        help_text="Date (patient's time zone) since which it is due."
    )
    occurrence = serializers.IntegerField(
        help_text="0 for the baseline, then 1, 2... for each follow-up."
    )
    questionnaire = QuestionnaireSerializer(
        source="assignment.questionnaire", help_text="What to ask."
    )


class ResponseItemSerializer(StrictTypesMixin, serializers.Serializer):
    linkId = serializers.CharField(
        max_length=100, help_text="The questionnaire item answered."
    )
    answer = serializers.ListField(
        child=serializers.DictField(),
        min_length=1,
        max_length=1,
        help_text="One answer: {valueInteger}, {valueDecimal}, {valueString} or "
        "{valueCoding: {code}} as the item's type requires.",
    )


class QuestionnaireResponseCreateSerializer(StrictTypesMixin, serializers.Serializer):
    id = serializers.UUIDField(
        help_text="Generated by the app; retrying with the same id and body is safe."
    )
    questionnaire = serializers.UUIDField(help_text="Questionnaire id.")
    assignment = serializers.UUIDField(
        required=False,
        allow_null=True,
        default=None,
        help_text="The assignment answered (from `me/questionnaires/due/`).",
    )
    authored = serializers.DateTimeField(
        help_text="When the patient answered (ISO 8601 with offset)."
    )
    # many=True builds a ListSerializer, which takes max_length; the stubs miss it.
    item = ResponseItemSerializer(  # type: ignore[call-arg]
        many=True, max_length=MAX_ITEMS, help_text="The answers (FHIR item)."
    )

    def validate_authored(self, value: dt.datetime) -> dt.datetime:
        if value > timezone.now() + FUTURE_SKEW:
            raise serializers.ValidationError(IN_FUTURE, code="in_future")
        return value


class QuestionnaireResponseSerializer(serializers.Serializer):
    """Answers shaped like FHIR QuestionnaireResponse, with the server's score."""

    id = serializers.UUIDField(help_text="The app's id for these answers.")
    patient = serializers.UUIDField(source="patient_id", help_text="Who answered.")
    questionnaire = serializers.UUIDField(
        source="questionnaire_id", help_text="Questionnaire id."
    )
    questionnaire_canonical = serializers.CharField(
        source="questionnaire.canonical",
        help_text="FHIR QuestionnaireResponse.questionnaire: url|version.",
    )
    assignment = serializers.UUIDField(
        source="assignment_id", allow_null=True, help_text="The assignment answered."
    )
    status = serializers.CharField(
        default="completed",
        help_text="Always completed (partial answers are not stored).",
    )
    authored = serializers.DateTimeField(help_text="When the patient answered.")
    item = serializers.ListField(
        source="items", child=serializers.DictField(), help_text="The answers."
    )
    score = serializers.FloatField(help_text="Computed on the server (scoring rule).")


class QuestionnaireResponseQuerySerializer(serializers.Serializer):
    patient = serializers.UUIDField(
        required=False, help_text="Only this patient's answers (clinicians, admins)."
    )
    questionnaire = serializers.UUIDField(
        required=False, help_text="Only answers to this questionnaire."
    )


class AssignmentCreateSerializer(StrictTypesMixin, serializers.Serializer):
    plan = serializers.UUIDField(help_text="An active plan of one of your patients.")
    questionnaire = serializers.UUIDField(help_text="An active questionnaire.")
    every_weeks = serializers.IntegerField(
        min_value=1,
        max_value=52,
        allow_null=True,
        default=None,
        help_text="Follow-ups every N weeks after the baseline; null: baseline only.",
    )
    start_date = serializers.DateField(
        required=False,
        allow_null=True,
        default=None,
        help_text="When the baseline is due; the plan's start by default.",
    )


class AssignmentSerializer(serializers.Serializer):
    id = serializers.UUIDField(help_text="Assignment id.")
    plan = serializers.UUIDField(source="plan_id", help_text="The plan.")
    questionnaire = serializers.UUIDField(
        source="questionnaire_id", help_text="Questionnaire id."
    )
    start_date = serializers.DateField(help_text="When the baseline is due.")
    every_weeks = serializers.IntegerField(
        allow_null=True, help_text="Weeks between follow-ups; null: baseline only."
    )
    assigned_by = serializers.UUIDField(
        source="assigned_by_id", allow_null=True, help_text="The clinician."
    )


# ---------------------------------------------------------------------------
# Reminders
# ---------------------------------------------------------------------------
class PlanTodaySerializer(serializers.Serializer):
    plan = serializers.UUIDField(source="plan.id", help_text="The plan.")
    title = serializers.CharField(source="plan.title", help_text="The plan's title.")
    status = serializers.ChoiceField(
        choices=[("done", "done"), ("due", "due"), ("rest", "rest")],
        help_text="done (today's or this week's sessions logged), due (scheduled "
        "today, or still short this week) or rest (not a day of this plan).",
    )
    scheduled_today = serializers.BooleanField(
        help_text="Today is one of the plan's days of the week."
    )
    times_per_week = serializers.IntegerField(
        allow_null=True,
        help_text="For a flexible plan, sessions wanted per week; else null.",
    )
    done_today = serializers.IntegerField(
        help_text="Sessions of this plan logged today."
    )
    done_this_week = serializers.IntegerField(
        help_text="Sessions of this plan logged since Monday (patient's time zone)."
    )


class SessionTodaySerializer(serializers.Serializer):
    id = serializers.UUIDField(help_text="Session id.")
    plan = serializers.UUIDField(
        source="plan_id", allow_null=True, help_text="Its plan."
    )
    started_at = serializers.DateTimeField(help_text="When it started.")


class TodaySerializer(serializers.Serializer):
    """The patient's day, for the app to schedule its own local notifications."""

    date = serializers.DateField(help_text="Today in the patient's time zone.")
    timezone = serializers.CharField(help_text="The patient's IANA time zone.")
    plans = PlanTodaySerializer(
        many=True, help_text="Active plans, with today's status."
    )
    sessions = SessionTodaySerializer(many=True, help_text="Sessions logged today.")
    questionnaires = DueQuestionnaireSerializer(
        many=True, help_text="Questionnaires due (as `me/questionnaires/due/`)."
    )


class CalendarFeedSerializer(serializers.Serializer):
    url = serializers.URLField(
        allow_null=True,
        help_text="The secret iCalendar feed URL (subscribe to it in a calendar app); "
        "null until created with `POST me/calendar/rotate/`.",
    )
