"""Progress: the query parameters and the weekly report."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from sessions.progress import Direction as TrendDirection


class ProgressQuerySerializer(serializers.Serializer[Any]):
    to = serializers.DateField(
        required=False,
        help_text="Last day (YYYY-MM-DD, the patient's local date); default today.",
    )
    patient = serializers.UUIDField(
        required=False, help_text="The patient (required for clinicians and admins)."
    )

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        fields = super().get_fields()
        # "from" is a Python keyword, so it cannot be a class attribute.
        fields["from"] = serializers.DateField(
            required=False,
            help_text="First day (YYYY-MM-DD); default the Monday seven weeks before `to`'s week.",
        )
        return fields


class ProgressWeekSerializer(serializers.Serializer[Any]):
    week_start = serializers.DateField(
        help_text="Monday of the ISO week (patient's time zone)."
    )
    sessions_done = serializers.IntegerField(
        help_text="Sessions logged this week within the range (deleted ones excluded)."
    )
    sessions_scheduled = serializers.IntegerField(
        help_text="Sessions the plans scheduled this week within the range, up to today."
    )
    adherence = serializers.FloatField(
        allow_null=True,
        help_text=(
            "sessions_done / sessions_scheduled, rounded to 2 decimals, not capped "
            "(may exceed 1); null when nothing was scheduled."
        ),
    )
    pain_before_avg = serializers.FloatField(
        allow_null=True,
        help_text=(
            "Mean pain before (0-10) of the week's sessions that recorded it, 2 "
            "decimals; null if none."
        ),
    )
    pain_after_avg = serializers.FloatField(
        allow_null=True,
        help_text=(
            "Mean pain after (0-10) of the week's sessions that recorded it, 2 "
            "decimals; null if none."
        ),
    )
    sessions_with_pain = serializers.IntegerField(
        help_text="Sessions this week that recorded pain before or after."
    )


class ProgressTrendSerializer(serializers.Serializer[Any]):
    pain_after_change_per_week = serializers.FloatField(
        allow_null=True,
        help_text=(
            "Least-squares slope of the weekly pain-after means, in points per "
            "week (negative = less pain); null with fewer than 2 such weeks."
        ),
    )
    direction = serializers.ChoiceField(
        choices=TrendDirection.choices,
        help_text="improving (slope <= -0.25), worsening (>= 0.25), stable, or insufficient_data.",
    )


class ProgressSummarySerializer(serializers.Serializer[Any]):
    sessions_done = serializers.IntegerField(help_text="Sessions logged in the range.")
    sessions_scheduled = serializers.IntegerField(
        help_text="Sessions scheduled in the range (sum of the weeks)."
    )
    adherence = serializers.FloatField(
        allow_null=True,
        help_text="Done / scheduled over the range; null if nothing scheduled.",
    )
    pain_before_avg = serializers.FloatField(
        allow_null=True, help_text="Mean pain before over all sessions in range."
    )
    pain_after_avg = serializers.FloatField(
        allow_null=True, help_text="Mean pain after over all sessions in range."
    )
    trend = ProgressTrendSerializer(help_text="How pain after sessions is moving.")


# Reads outcomes.selectors.proms.MeasureProgress (composed by the view: sessions'
# domain knows nothing of outcomes).
class ProgressMeasureSerializer(serializers.Serializer[Any]):
    questionnaire = serializers.UUIDField(
        source="questionnaire.id", help_text="Questionnaire id."
    )
    name = serializers.CharField(
        source="questionnaire.name", help_text="Machine name, e.g. nprs."
    )
    title = serializers.CharField(source="questionnaire.title", help_text="Its title.")
    responses = serializers.IntegerField(help_text="Answers given so far.")
    baseline = serializers.FloatField(
        allow_null=True,
        help_text="Score of the first answer (null for a change measure such as GROC).",
    )
    baseline_at = serializers.DateTimeField(
        allow_null=True, help_text="When the baseline was answered."
    )
    latest = serializers.FloatField(help_text="Score of the latest answer.")
    latest_at = serializers.DateTimeField(help_text="When it was answered.")
    change = serializers.FloatField(
        allow_null=True,
        help_text="latest - baseline (a change measure: the latest rating itself); "
        "null with a single answer.",
    )
    mcid = serializers.FloatField(
        source="questionnaire.scoring.mcid",
        help_text="The instrument's minimal clinically important difference.",
    )
    mcid_source = serializers.CharField(
        source="questionnaire.scoring.mcid_source",
        help_text="Where the MCID figure comes from.",
    )
    higher_is_better = serializers.BooleanField(
        source="questionnaire.scoring.higher_is_better",
        help_text="Direction of the score.",
    )
    important = serializers.BooleanField(
        help_text="The change reaches the MCID (either direction)."
    )
    worse = serializers.BooleanField(
        help_text="The change reaches the MCID in the bad direction (an alert is raised)."
    )


class ProgressItemWeekSerializer(serializers.Serializer[Any]):
    week_start = serializers.DateField(help_text="Monday of the ISO week.")
    sets_done = serializers.IntegerField(
        help_text="Sets logged against the item (swaps included; a per-side or "
        "per-direction set counts when both ways were done)."
    )
    sets_prescribed = serializers.IntegerField(
        help_text="The item's sets times the sessions scheduled on its days."
    )
    adherence = serializers.FloatField(
        allow_null=True,
        help_text="sets_done / sets_prescribed, 2 decimals, not capped; null when "
        "nothing was prescribed.",
    )


class ProgressItemSerializer(serializers.Serializer[Any]):
    plan = serializers.UUIDField(source="plan_id", help_text="The plan.")
    plan_item = serializers.IntegerField(
        source="plan_item_id", help_text="The plan item."
    )
    exercise = serializers.UUIDField(source="exercise_id", help_text="Its exercise.")
    exercise_name = serializers.CharField(help_text="The exercise's name.")
    starts_on = serializers.DateField(
        allow_null=True, help_text="First day of the item (null: the plan's start)."
    )
    ends_on = serializers.DateField(
        allow_null=True, help_text="Last day of the item (null: open)."
    )
    replaces = serializers.IntegerField(
        source="replaces_id",
        allow_null=True,
        help_text="The item this one continues with new dosage.",
    )
    sets_done = serializers.IntegerField(help_text="Sets done over the range.")
    sets_prescribed = serializers.IntegerField(
        help_text="Sets prescribed over the range."
    )
    adherence = serializers.FloatField(
        allow_null=True, help_text="Done / prescribed over the range, or null."
    )
    weeks = ProgressItemWeekSerializer(many=True, help_text="Per ISO week.")


class ProgressSerializer(serializers.Serializer[Any]):
    patient = serializers.UUIDField(source="patient_id", help_text="The patient.")
    timezone = serializers.CharField(
        help_text="The patient's time zone the weeks are computed in."
    )
    to = serializers.DateField(source="date_to", help_text="Last day of the range.")
    weeks = ProgressWeekSerializer(
        many=True, help_text="One row per ISO week touching the range, oldest first."
    )
    summary = ProgressSummarySerializer(help_text="Totals over the whole range.")
    measures = ProgressMeasureSerializer(
        many=True,
        required=False,
        help_text="Each outcome measure answered (all time, not only the range): "
        "baseline, latest score and change, flagged at the instrument's MCID.",
    )
    items = ProgressItemSerializer(
        many=True,
        help_text="Adherence per plan item (done sets / prescribed sets per week), "
        "for every item of the patient's plans.",
    )

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        fields = super().get_fields()
        fields["from"] = serializers.DateField(
            source="date_from", help_text="First day of the range."
        )
        return fields
