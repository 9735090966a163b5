"""Serializers of the data export (``me/export/``): everything stored about the account.

The document is assembled by ``sessions.selectors.export.patient_export``; these only
render it (and document it in the schema).
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from sessions.models import Plan, PlanItem, Session, SessionExercise, SessionSet
from sessions.selectors.export import (
    PatientExport,  # runtime: the schema reads the hint
)
from users.api.export_history import (
    ExportDeviceSerializer,
    ExportLoginRecordSerializer,
    ExportPlanItemVersionSerializer,
    ExportPlanVersionSerializer,
)
from users.models import CareRelationship, PatientAccessLog, User


class ExportProfileSerializer(serializers.ModelSerializer[User]):
    class Meta:
        model = User
        fields = [
            "id",
            "email",
            "name",
            "timezone",
            "role",
            "date_joined",
            "last_login",
        ]


class ExportCareTeamMemberSerializer(serializers.ModelSerializer[CareRelationship]):
    name = serializers.CharField(
        source="clinician.name", help_text="The clinician's name."
    )
    since = serializers.DateTimeField(
        source="created_at", help_text="When they joined the care team."
    )

    class Meta:
        model = CareRelationship
        fields = ["name", "since"]


class ExportExerciseRefSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField(help_text="Exercise id.")
    slug = serializers.SlugField(help_text="Exercise slug.")
    name = serializers.CharField(help_text="Exercise name.")


class ExportPlanItemSerializer(serializers.ModelSerializer[PlanItem]):
    exercise = ExportExerciseRefSerializer(help_text="The prescribed exercise.")

    class Meta:
        model = PlanItem
        fields = [
            "id",
            "order",
            "block",
            "exercise",
            "sets",
            "reps",
            "steps",
            "seconds",
            "per_side",
            "hold_seconds",
            "rest_seconds",
            "load",
            "tempo",
            "note",
        ]


class ExportPlanSerializer(serializers.ModelSerializer[Plan]):
    prescribed_by = serializers.CharField(
        source="prescribed_by.name",
        allow_null=True,
        default=None,
        help_text="Name of the prescribing clinician (null if that account is gone).",
    )
    routine = serializers.CharField(
        source="routine.title",
        allow_null=True,
        default=None,
        help_text="Title of the routine the plan was copied from.",
    )
    items = ExportPlanItemSerializer(many=True, help_text="The prescribed exercises.")

    class Meta:
        model = Plan
        fields = [
            "id",
            "title",
            "status",
            "prescribed_by",
            "routine",
            "start_date",
            "end_date",
            "days_of_week",
            "times_per_week",
            "note",
            "created_at",
            "updated_at",
            "items",
        ]


class ExportSetSerializer(serializers.ModelSerializer[SessionSet]):
    class Meta:
        model = SessionSet
        fields = ["order", "side", "reps", "seconds", "load", "completed"]


class ExportSessionExerciseSerializer(serializers.ModelSerializer[SessionExercise]):
    exercise = ExportExerciseRefSerializer(help_text="The exercise performed.")
    sets = ExportSetSerializer(many=True, help_text="The sets, in order.")

    class Meta:
        model = SessionExercise
        fields = [
            "exercise",
            "plan_item",
            "order",
            "status",
            "pain_during",
            "notes",
            "sets",
        ]


class ExportSessionSerializer(serializers.ModelSerializer[Session]):
    exercises = ExportSessionExerciseSerializer(
        many=True, help_text="Exercises performed (empty for a deleted session)."
    )

    class Meta:
        model = Session
        fields = [
            "id",
            "plan",
            "started_at",
            "ended_at",
            "pain_before",
            "pain_after",
            "effort",
            "notes",
            "version",
            "revision",
            "created_at",
            "updated_at",
            "deleted_at",
            "exercises",
        ]
        extra_kwargs = {
            "deleted_at": {
                "help_text": (
                    "Set when the session was deleted (a tombstone: its content is already "
                    "gone)."
                )
            }
        }


class ExportAccessLogEntrySerializer(serializers.ModelSerializer[PatientAccessLog]):
    at = serializers.DateTimeField(source="created_at", help_text="When.")
    reader = serializers.CharField(
        source="actor.name",
        allow_null=True,
        default=None,
        help_text="Who read your data (null if that account is gone).",
    )

    class Meta:
        model = PatientAccessLog
        fields = ["at", "reader", "action", "path"]


class ExportSerializer(serializers.Serializer[Any]):
    """Everything stored about the signed-in user."""

    format_version = serializers.SerializerMethodField(
        help_text="Version of this export format (1)."
    )
    exported_at = serializers.DateTimeField(help_text="When the export was made.")
    profile = ExportProfileSerializer(source="user", help_text="The account.")
    care_team = ExportCareTeamMemberSerializer(
        many=True, help_text="Clinicians who can see your data."
    )
    plans = ExportPlanSerializer(many=True, help_text="Every plan prescribed to you.")
    sessions = ExportSessionSerializer(
        many=True,
        help_text="Every session you logged, oldest first, tombstones included.",
    )
    access_log = ExportAccessLogEntrySerializer(
        many=True, help_text="Every read of your data by staff, oldest first."
    )
    plan_history = ExportPlanVersionSerializer(
        many=True, help_text="Every saved version of your plans, oldest first."
    )
    plan_item_history = ExportPlanItemVersionSerializer(
        many=True,
        help_text="Every saved version of your plans' exercises and dosage, oldest first.",
    )
    login_records = ExportLoginRecordSerializer(
        many=True,
        help_text="Login records kept for the lockout (address, device), oldest first.",
    )
    devices = ExportDeviceSerializer(
        many=True, help_text="Your logged-in devices (refresh tokens that still work)."
    )

    def get_format_version(self, obj: PatientExport) -> int:
        return 1
