"""Serializers of the data export (``me/export/``): everything stored about the account.

The sections of the account, care team, plans, access log, history, login records and
devices render one row at a time with these (``sessions/api/export.py`` streams them);
sessions use the API's one representation (``sessions_represent``, documented by
``SessionSerializer``); the outcomes sections are JSON-ready rows from
``outcomes.selectors.export``, documented here. ``ExportSerializer`` documents the
whole document in the schema (tests/security/test_export.py checks it names every
section the writer streams).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import PolymorphicProxySerializer
from rest_framework import serializers
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from sessions.api.serializers.logs import SessionSerializer, SessionTombstoneSerializer
from sessions.models import Plan, PlanItem
from users.models import CareRelationship, PatientAccessLog, User

FORMAT_VERSION = 2


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


class ExportPlanVersionSerializer(serializers.Serializer[Any]):
    """One version of a plan, as its edit history keeps it."""

    id = serializers.UUIDField(help_text="Plan id.")
    history_date = serializers.DateTimeField(help_text="When this version was saved.")
    history_type = serializers.CharField(
        help_text='"+" created, "~" changed, "-" deleted.'
    )
    history_change_reason = serializers.CharField(
        allow_null=True, help_text="Why, when the editor said."
    )
    title = serializers.CharField()
    status = serializers.CharField()
    start_date = serializers.DateField()
    end_date = serializers.DateField(allow_null=True)
    days_of_week = serializers.JSONField(allow_null=True)
    times_per_week = serializers.IntegerField(allow_null=True)
    note = serializers.CharField(allow_blank=True)


class ExportPlanItemVersionSerializer(serializers.Serializer[Any]):
    """One version of a plan's exercise and its dosage, as the edit history keeps it."""

    id = serializers.IntegerField(help_text="Plan item id.")
    plan_id = serializers.UUIDField(help_text="The plan it belongs to.")
    history_date = serializers.DateTimeField(help_text="When this version was saved.")
    history_type = serializers.CharField(
        help_text='"+" created, "~" changed, "-" deleted.'
    )
    history_change_reason = serializers.CharField(allow_null=True)
    exercise_id = serializers.UUIDField(allow_null=True)
    order = serializers.IntegerField()
    sets = serializers.IntegerField(allow_null=True)
    reps = serializers.IntegerField(allow_null=True)
    steps = serializers.IntegerField(allow_null=True)
    seconds = serializers.IntegerField(allow_null=True)
    per_side = serializers.BooleanField()
    hold_seconds = serializers.IntegerField(allow_null=True)
    rest_seconds = serializers.IntegerField(allow_null=True)
    load = serializers.CharField(allow_blank=True)
    tempo = serializers.CharField(allow_blank=True)
    block = serializers.CharField(allow_blank=True)
    note = serializers.CharField(allow_blank=True)


class ExportLoginRecordSerializer(serializers.Serializer[Any]):
    """A login record kept for the lockout: when, from which address and device."""

    kind = serializers.ChoiceField(
        choices=["login", "failed", "failures_counted"],
        help_text=(
            "login: a successful admin login; failed: one failed login; "
            "failures_counted: the failures counted from one address and device."
        ),
    )
    attempt_time = serializers.DateTimeField(help_text="When (the latest, if counted).")
    ip_address = serializers.IPAddressField(allow_null=True, help_text="From where.")
    user_agent = serializers.CharField(help_text="The device's User-Agent.")
    path_info = serializers.CharField(help_text="The login URL used.")


class ExportDeviceSerializer(serializers.ModelSerializer[OutstandingToken]):
    """A refresh token that still works: one logged-in device (the token itself is not
    exported)."""

    class Meta:
        model = OutstandingToken
        fields = ["jti", "created_at", "expires_at"]
        extra_kwargs = {
            "jti": {"help_text": "The token's id."},
            "created_at": {
                "help_text": "When this device logged in or last refreshed."
            },
            "expires_at": {"help_text": "When the token expires unless refreshed."},
        }


# ---------------------------------------------------------------------------
# Sections contributed by apps above sessions (documentation of their rows)
# ---------------------------------------------------------------------------
class ExportQuestionnaireRefSerializer(serializers.Serializer[Any]):
    url = serializers.CharField(help_text="Canonical URL of the questionnaire.")
    version = serializers.CharField(help_text="Its version.")
    title = serializers.CharField(help_text="Its title.")


class ExportAlertSerializer(serializers.Serializer[Any]):
    """An alert raised about you for your care team (outcomes)."""

    id = serializers.UUIDField()
    kind = serializers.CharField(help_text="pain_flare, pain_during, inactivity, ...")
    status = serializers.CharField(help_text="open, acknowledged or resolved.")
    message = serializers.CharField()
    evidence = serializers.JSONField(help_text="The values the rule saw.")
    session = serializers.UUIDField(allow_null=True, help_text="The session, if any.")
    plan = serializers.UUIDField(allow_null=True, help_text="The plan, if any.")
    created_at = serializers.DateTimeField()
    acknowledged_at = serializers.DateTimeField(allow_null=True)
    acknowledged_by = serializers.CharField(
        allow_null=True, help_text="The clinician's name."
    )
    resolved_at = serializers.DateTimeField(allow_null=True)
    resolved_by = serializers.CharField(
        allow_null=True, help_text="The clinician's name."
    )
    note = serializers.CharField(
        allow_blank=True, help_text="The clinician's note on it."
    )


class ExportQuestionnaireResponseSerializer(serializers.Serializer[Any]):
    """A questionnaire you answered, with the score the server computed."""

    id = serializers.UUIDField()
    questionnaire = ExportQuestionnaireRefSerializer()
    assignment = serializers.UUIDField(allow_null=True)
    authored = serializers.DateTimeField(help_text="When you answered.")
    items = serializers.JSONField(help_text="Your answers (FHIR item list).")
    score = serializers.FloatField()
    created_at = serializers.DateTimeField()


class ExportQuestionnaireAssignmentSerializer(serializers.Serializer[Any]):
    """A questionnaire assigned on one of your plans, and its schedule."""

    id = serializers.UUIDField()
    plan = serializers.UUIDField()
    questionnaire = ExportQuestionnaireRefSerializer()
    start_date = serializers.DateField(help_text="The baseline is due from this date.")
    every_weeks = serializers.IntegerField(
        allow_null=True, help_text="Follow-ups every N weeks (null: baseline only)."
    )
    assigned_by = serializers.CharField(allow_null=True)
    created_at = serializers.DateTimeField()


class ExportCalendarFeedSerializer(serializers.Serializer[Any]):
    """Your calendar feed exists (its secret URL is not exported: it is a credential)."""

    exists = serializers.BooleanField(
        help_text="Always true (null when there is none)."
    )
    rotated_at = serializers.DateTimeField(help_text="When its URL was last made.")


class ExportSerializer(serializers.Serializer[Any]):
    """Everything stored about the signed-in user (documentation of the document)."""

    format_version = serializers.IntegerField(
        help_text=f"Version of this export format ({FORMAT_VERSION})."
    )
    exported_at = serializers.DateTimeField(help_text="When the export was made.")
    profile = ExportProfileSerializer(help_text="The account.")
    care_team = ExportCareTeamMemberSerializer(
        many=True, help_text="Clinicians who can see your data."
    )
    plans = ExportPlanSerializer(many=True, help_text="Every plan prescribed to you.")
    sessions = PolymorphicProxySerializer(
        component_name="ExportSession",
        serializers=[SessionSerializer, SessionTombstoneSerializer],
        resource_type_field_name=None,
        many=True,
        help_text=(
            "Every session you logged, oldest first, as the sessions API shows it; a "
            "deleted session is a tombstone (`deleted: true`)."
        ),
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
    alerts = ExportAlertSerializer(
        many=True, help_text="Alerts raised about you for your care team, oldest first."
    )
    questionnaire_responses = ExportQuestionnaireResponseSerializer(
        many=True, help_text="Questionnaires you answered, with scores, oldest first."
    )
    questionnaire_assignments = ExportQuestionnaireAssignmentSerializer(
        many=True, help_text="Questionnaires assigned on your plans."
    )
    calendar_feed = ExportCalendarFeedSerializer(
        allow_null=True, help_text="Your calendar feed, if you made one (null if not)."
    )
