"""The signed-in account: profile, password, data export and erasure (``me/``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from config.api.schema import (
    THROTTLE_PARAMETERS,
    problem_example,
    problem_response,
    problem_responses,
)
from config.api.validation import StrictTypesMixin
from sessions.models import Plan, PlanItem, Session, SessionExercise, SessionSet
from users.api.auth import (
    EXAMPLE_ACCOUNT,
    EXAMPLE_USER_ID,
    AccountSerializer,
    RetryAfterMixin,
    throttled_response,
)
from users.models import CareRelationship, PatientAccessLog, User
from users.services import (
    ERASURE_PATIENTS_ONLY,
    UserExport,
    user_change_password,
    user_erase,
    user_export,
    user_profile_update,
)

if TYPE_CHECKING:
    from rest_framework.request import Request

ME = ["me"]


def not_authenticated(path: str) -> Any:
    return problem_responses(
        s401=problem_response(
            401,
            "No access token, or it expired (5 minutes) or is invalid: refresh it with "
            "`auth/token/refresh/` and retry.",
            problem_example(
                "Not authenticated",
                401,
                "not_authenticated",
                "Authentication credentials were not provided.",
                instance=path,
            ),
            problem_example(
                "Expired access token",
                401,
                "token_not_valid",
                "Given token not valid for any token type",
                instance=path,
            ),
        )
    )


# ---------------------------------------------------------------------------
# Serializers
# ---------------------------------------------------------------------------
class PasswordChangeSerializer(StrictTypesMixin, serializers.Serializer):
    current_password = serializers.CharField(
        write_only=True,
        max_length=1024,
        trim_whitespace=False,
        style={"input_type": "password"},
        help_text="The password in use now.",
    )
    new_password = serializers.CharField(
        write_only=True,
        max_length=128,
        trim_whitespace=False,
        style={"input_type": "password"},
        help_text="The new password (same rules as at registration).",
    )


class ExportProfileSerializer(serializers.ModelSerializer):
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


class ExportCareTeamMemberSerializer(serializers.ModelSerializer):
    name = serializers.CharField(
        source="clinician.name", help_text="The clinician's name."
    )
    since = serializers.DateTimeField(
        source="created_at", help_text="When they joined the care team."
    )

    class Meta:
        model = CareRelationship
        fields = ["name", "since"]


class ExportExerciseRefSerializer(serializers.Serializer):
    id = serializers.UUIDField(help_text="Exercise id.")
    slug = serializers.SlugField(help_text="Exercise slug.")
    name = serializers.CharField(help_text="Exercise name.")


class ExportPlanItemSerializer(serializers.ModelSerializer):
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


class ExportPlanSerializer(serializers.ModelSerializer):
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


class ExportSetSerializer(serializers.ModelSerializer):
    class Meta:
        model = SessionSet
        fields = ["order", "side", "reps", "seconds", "load", "completed"]


class ExportSessionExerciseSerializer(serializers.ModelSerializer):
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


class ExportSessionSerializer(serializers.ModelSerializer):
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
                "help_text": "Set when the session was deleted (a tombstone: its content is already gone)."
            }
        }


class ExportAccessLogEntrySerializer(serializers.ModelSerializer):
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


class ExportSerializer(serializers.Serializer):
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

    def get_format_version(self, obj: UserExport) -> int:
        return 1


# ---------------------------------------------------------------------------
# Views
# ---------------------------------------------------------------------------
class MeView(GenericAPIView):
    """The signed-in account."""

    serializer_class = AccountSerializer

    def get_object(self) -> User:
        return self.request.user  # type: ignore[return-value]

    @extend_schema(
        operation_id="me_retrieve",
        tags=ME,
        summary="Read my account",
        description=(
            "The signed-in account: id, email, name, time zone and role. Use `role` to "
            "pick the app's patient or clinician experience."
        ),
        responses={
            200: AccountSerializer,
            **not_authenticated("/api/v1/me/"),
        },
        examples=[OpenApiExample("Me", value=EXAMPLE_ACCOUNT, response_only=True)],
    )
    def get(self, request: Request) -> Response:
        return Response(AccountSerializer(self.get_object()).data)

    @extend_schema(
        operation_id="me_partial_update",
        tags=ME,
        summary="Edit my name or time zone",
        description=(
            "Send only what changes: `name` and/or `timezone` (an IANA name such as "
            '"Europe/Paris"; progress weeks are counted in it). `email`, `role` and '
            "`id` are read-only: sent values are ignored (so you may send back the "
            "whole object you read). The answer is the updated account."
        ),
        request=AccountSerializer,
        responses={
            200: AccountSerializer,
            **problem_responses(
                s400=problem_response(
                    400,
                    "Unknown time zone or empty name.",
                    problem_example(
                        "Unknown time zone",
                        400,
                        "invalid",
                        "'Mars/Olympus' is not a known IANA time zone.",
                        instance="/api/v1/me/",
                        errors=[
                            {
                                "field": "timezone",
                                "code": "invalid_timezone",
                                "message": "'Mars/Olympus' is not a known IANA time zone.",
                            }
                        ],
                    ),
                )
            ),
            **not_authenticated("/api/v1/me/"),
        },
        examples=[
            OpenApiExample(
                "Move to Paris",
                value={"timezone": "Europe/Paris"},
                request_only=True,
            ),
            OpenApiExample(
                "Updated",
                value={**EXAMPLE_ACCOUNT, "timezone": "Europe/Paris"},
                response_only=True,
            ),
        ],
    )
    def patch(self, request: Request) -> Response:
        serializer = AccountSerializer(
            self.get_object(), data=request.data, partial=True
        )
        serializer.is_valid(raise_exception=True)
        user = user_profile_update(
            user=self.get_object(), data=serializer.validated_data
        )
        return Response(AccountSerializer(user).data)

    @extend_schema(
        operation_id="me_destroy",
        tags=ME,
        summary="Erase my account and my data",
        description=(
            "Permanently deletes the signed-in **patient** account with its plans, "
            "session logs (with exercises and sets), care-team links and login records, "
            "and revokes every refresh token. Kept: the log of staff reads of your data, "
            "with the link to you removed (so staff stay accountable). There is no undo; "
            "download `me/export/` first if you want a copy. Clinician and administrator "
            "accounts get 403 (an administrator closes them)."
        ),
        request=None,
        responses={
            204: OpenApiResponse(description="Erased. Discard your tokens."),
            **not_authenticated("/api/v1/me/"),
            **problem_responses(
                s403=problem_response(
                    403,
                    "Staff accounts cannot erase themselves.",
                    problem_example(
                        "Staff account",
                        403,
                        "permission_denied",
                        ERASURE_PATIENTS_ONLY,
                        instance="/api/v1/me/",
                    ),
                )
            ),
        },
    )
    def delete(self, request: Request) -> Response:
        user = self.get_object()
        if user.role != User.Role.PATIENT or user.is_staff or user.is_superuser:
            raise exceptions.PermissionDenied(ERASURE_PATIENTS_ONLY)
        user_erase(user=user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PasswordChangeView(RetryAfterMixin, APIView):
    """Change my password; every device (this one included) must log in again."""

    throttle_classes = (*api_settings.DEFAULT_THROTTLE_CLASSES, ScopedRateThrottle)
    # Same budget as logins: the current password must not be guessable from here.
    throttle_scope = "auth"

    @extend_schema(
        operation_id="me_password",
        tags=ME,
        summary="Change my password",
        description=(
            "Checks `current_password`, sets `new_password` (same rules as at "
            "registration) and revokes **all** your refresh tokens: every device, this "
            "one included, must log in again with the new password (access tokens "
            "already issued stay valid until they expire, at most 5 minutes). "
            "Throttled like logins (scope `auth`)."
        ),
        request=PasswordChangeSerializer,
        responses={
            204: OpenApiResponse(
                description="Changed. Log in again with the new password."
            ),
            **problem_responses(
                s400=problem_response(
                    400,
                    "Wrong current password or too weak new password.",
                    problem_example(
                        "Wrong current password",
                        400,
                        "invalid",
                        "The current password is not correct.",
                        instance="/api/v1/me/password/",
                        errors=[
                            {
                                "field": "current_password",
                                "code": "wrong_password",
                                "message": "The current password is not correct.",
                            }
                        ],
                    ),
                )
            ),
            **not_authenticated("/api/v1/me/password/"),
            **throttled_response("/api/v1/me/password/"),
        },
        parameters=THROTTLE_PARAMETERS,
        examples=[
            OpenApiExample(
                "Change",
                value={
                    "current_password": "knee-bends-at-dawn",
                    "new_password": "lunges-before-lunch",
                },
                request_only=True,
            )
        ],
    )
    def post(self, request: Request) -> Response:
        serializer = PasswordChangeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user_change_password(user=request.user, **serializer.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)


EXAMPLE_EXPORT = {
    "format_version": 1,
    "exported_at": "2026-03-02T10:00:00Z",
    "profile": {
        **EXAMPLE_ACCOUNT,
        "date_joined": "2026-01-04T18:12:00Z",
        "last_login": "2026-03-02T09:58:00Z",
    },
    "care_team": [{"name": "Dr. Rui Costa", "since": "2026-01-05T09:00:00Z"}],
    "plans": [
        {
            "id": "0f9e8d7c-6b5a-4f3e-8d2c-1b0a9f8e7d6c",
            "title": "Hip strength, weeks 1-6",
            "status": "active",
            "prescribed_by": "Dr. Rui Costa",
            "routine": "Hip strength basics",
            "start_date": "2026-01-05",
            "end_date": None,
            "days_of_week": [1, 3, 5],
            "times_per_week": None,
            "note": "Stop if the pain goes above 5.",
            "created_at": "2026-01-05T09:10:00Z",
            "updated_at": "2026-01-19T09:10:00Z",
            "items": [
                {
                    "id": 41,
                    "order": 0,
                    "block": "main",
                    "exercise": {
                        "id": "7b8c9d0e-1f2a-4b3c-8d4e-5f6a7b8c9d0e",
                        "slug": "lateral-band-walk",
                        "name": "Lateral band walk",
                    },
                    "sets": 3,
                    "reps": None,
                    "steps": 10,
                    "seconds": None,
                    "per_side": True,
                    "hold_seconds": None,
                    "rest_seconds": 45,
                    "load": "light loop band",
                    "tempo": "",
                    "note": "",
                }
            ],
        }
    ],
    "sessions": [
        {
            "id": "c3d4e5f6-a7b8-4c9d-8e0f-112233445566",
            "plan": "0f9e8d7c-6b5a-4f3e-8d2c-1b0a9f8e7d6c",
            "started_at": "2026-03-01T08:00:00Z",
            "ended_at": "2026-03-01T08:25:00Z",
            "pain_before": 4,
            "pain_after": 2,
            "effort": 6,
            "notes": "Felt good.",
            "version": 1,
            "revision": 12,
            "created_at": "2026-03-01T08:26:00Z",
            "updated_at": "2026-03-01T08:26:00Z",
            "deleted_at": None,
            "exercises": [
                {
                    "exercise": {
                        "id": "7b8c9d0e-1f2a-4b3c-8d4e-5f6a7b8c9d0e",
                        "slug": "lateral-band-walk",
                        "name": "Lateral band walk",
                    },
                    "plan_item": 41,
                    "order": 0,
                    "status": "done",
                    "pain_during": 3,
                    "notes": "",
                    "sets": [
                        {
                            "order": 0,
                            "side": "both",
                            "reps": 10,
                            "seconds": None,
                            "load": "light loop band",
                            "completed": True,
                        }
                    ],
                }
            ],
        }
    ],
    "access_log": [
        {
            "at": "2026-03-01T12:00:00Z",
            "reader": "Dr. Rui Costa",
            "action": "sessions.list",
            "path": f"/api/v1/sessions/?patient={EXAMPLE_USER_ID}",
        }
    ],
}


class ExportView(APIView):
    """A copy of all my data as JSON (right of access / portability)."""

    @extend_schema(
        operation_id="me_export",
        tags=ME,
        summary="Export all my data",
        description=(
            "Everything stored about you, as one JSON document: the profile, your care "
            "team (names), every plan with its exercises and dosage, every session you "
            "logged with its exercises and sets (deleted sessions appear as tombstones "
            "with `deleted_at`), and every read of your data by staff (who, when, "
            "what). Served as an attachment (`Content-Disposition`), so a browser saves "
            "it as a file."
        ),
        responses={
            200: ExportSerializer,
            **not_authenticated("/api/v1/me/export/"),
        },
        examples=[OpenApiExample("Export", value=EXAMPLE_EXPORT, response_only=True)],
    )
    def get(self, request: Request) -> Response:
        export = user_export(user=request.user)
        response = Response(ExportSerializer(export).data)
        response["Content-Disposition"] = (
            f'attachment; filename="rehabit-export-{export.exported_at:%Y-%m-%d}.json"'
        )
        return response
