"""HTTP interface of session logs: the offline-first upload and sync protocol (docs/sync.md)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.http import parse_etags
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_view,
)
from rest_framework import exceptions, serializers, viewsets
from rest_framework.fields import empty
from rest_framework.permissions import SAFE_METHODS, BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from config.api.pagination import CursorPagination
from config.api.schema import (
    CONDITIONAL_GET_PARAMETERS,
    NOT_MODIFIED,
    SelectorFilterBackend,
    problem_example,
    problem_response,
    problem_responses,
)
from config.api.validation import StrictTypesMixin
from sessions.models import Session, SessionExercise, SessionSet
from sessions.selectors.logs import (
    MAX_REVISION,
    SessionFilterSet,
    session_get,
    session_list,
    session_sync_revision,
    sessions_represent,
)
from sessions.services.logs import (
    MAX_EXERCISES,
    MAX_SETS,
    SessionConflict,
    SessionPreconditionFailed,
    session_delete,
    session_update,
    session_upload,
)
from users.models import User
from users.services import access_log_record_many

# Clock skew allowed between the phone and the server for times in the future.
FUTURE_SKEW = dt.timedelta(minutes=5)
# Older start times are rejected as clock garbage (a reset phone says 1970).
MAX_AGE = dt.timedelta(days=365)

IN_FUTURE = "Must not be more than 5 minutes in the future (server clock)."
TOO_OLD = "Must be within the last 365 days."
NAIVE_DATETIME = "Include a UTC offset, e.g. 2026-03-02T07:30:00Z or +01:00."
ENDED_BEFORE_STARTED = "Must not be before started_at."
SET_AMOUNT_REQUIRED = "A completed set needs reps or seconds (or both)."
INVALID_CURSOR = "Invalid cursor: follow the next/previous links as given."
ONLY_PATIENTS_WRITE = (
    "Only patients log sessions; clinicians and admins can read their patients' logs."
)


# ---------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------
class SessionConflictError(exceptions.APIException):
    status_code = 409
    default_detail = "A session with this id already exists with different content."
    default_code = "conflict"


class PreconditionFailedError(exceptions.APIException):
    status_code = 412
    default_detail = "The session changed since you read it."
    default_code = "precondition_failed"


class PreconditionRequiredError(exceptions.APIException):
    status_code = 428
    default_detail = (
        "Send the session's ETag in If-Match (GET the session to read it); "
        "edits without it could overwrite another device's change."
    )
    default_code = "precondition_required"


# ---------------------------------------------------------------------------
# Input serializers
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


class SessionSetInputSerializer(serializers.Serializer):
    side = serializers.ChoiceField(
        choices=SessionSet.Side.choices,
        default=SessionSet.Side.BOTH,
        help_text="Which side the set was done on; `both` for unsided exercises.",
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
        help_text='Band or load used, e.g. "light loop band".',
    )
    completed = serializers.BooleanField(
        default=True,
        help_text="Whether the set was completed. A completed set needs reps or seconds.",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["completed"] and attrs["reps"] is None and attrs["seconds"] is None:
            raise serializers.ValidationError(
                {"reps": [SET_AMOUNT_REQUIRED]}, code="amount_required"
            )
        return attrs


class SessionExerciseInputSerializer(serializers.Serializer):
    exercise = serializers.UUIDField(
        help_text="Exercise id: a published exercise, or one of the session's plan."
    )
    plan_item = serializers.IntegerField(
        min_value=1,
        allow_null=True,
        default=None,
        help_text="Id of the plan item performed (needs `plan`; same exercise).",
    )
    status = serializers.ChoiceField(
        choices=SessionExercise.Status.choices,
        default=SessionExercise.Status.DONE,
        help_text="done, partial or skipped.",
    )
    pain_during = _score_field(
        "Pain during the exercise, 0 (none) to 10 (worst imaginable)."
    )
    notes = serializers.CharField(
        max_length=1000,
        allow_blank=True,
        default="",
        help_text="The patient's notes on this exercise (at most 1000 characters).",
    )
    sets = SessionSetInputSerializer(
        many=True,
        max_length=MAX_SETS,
        default=list,
        help_text=f"The sets in the order done (at most {MAX_SETS}).",
    )


class SessionFieldsSerializer(StrictTypesMixin, serializers.Serializer):
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
    exercises = SessionExerciseInputSerializer(
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

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # On an edit, compare with the stored value of the field not sent.
        started = attrs.get("started_at", getattr(self.instance, "started_at", None))
        ended = (
            attrs["ended_at"]
            if "ended_at" in attrs
            else getattr(self.instance, "ended_at", None)
        )
        if started is not None and ended is not None and ended < started:
            raise serializers.ValidationError(
                {"ended_at": [ENDED_BEFORE_STARTED]}, code="ended_before_started"
            )
        return attrs


class SessionCreateSerializer(SessionFieldsSerializer):
    """The upload body. Unknown fields are ignored (older servers accept newer apps)."""

    id = serializers.UUIDField(
        help_text=(
            "Generated by the app when the session is created (UUID v4); send the "
            "same id on every retry of this upload."
        )
    )

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        return {"id": fields.pop("id"), **fields}  # id first, as clients write it


class SessionUpdateSerializer(SessionFieldsSerializer):
    """A partial edit: only the fields sent change; `exercises`, if sent, replaces them all."""

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        # Top level only: an omitted field stays as stored. Nested entries keep their
        # defaults, because `exercises` replaces the whole list. (DRF's partial=True
        # would also drop the nested required fields and defaults.)
        for field in fields.values():
            field.required = False
            field.default = empty
        return fields


# ---------------------------------------------------------------------------
# Output serializers
# ---------------------------------------------------------------------------
class SessionExerciseRefSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True, help_text="Exercise id.")
    slug = serializers.SlugField(read_only=True, help_text="Exercise slug.")
    name = serializers.CharField(read_only=True, help_text="Exercise name.")


class SessionSetSerializer(serializers.Serializer):
    order = serializers.IntegerField(read_only=True, help_text="Position, from 0.")
    side = serializers.ChoiceField(
        choices=SessionSet.Side.choices, read_only=True, help_text="Side."
    )
    reps = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="Reps or steps done."
    )
    seconds = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="Seconds of work."
    )
    load = serializers.CharField(read_only=True, help_text="Band or load used.")
    completed = serializers.BooleanField(read_only=True, help_text="Completed or not.")


class SessionExerciseSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True, help_text="Server id of this entry.")
    exercise = SessionExerciseRefSerializer(read_only=True, help_text="The exercise.")
    plan_item = serializers.IntegerField(
        source="plan_item_id",
        read_only=True,
        allow_null=True,
        help_text="Plan item performed, if any.",
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
    notes = serializers.CharField(read_only=True, help_text="Notes.")
    sets = SessionSetSerializer(many=True, read_only=True, help_text="Sets, in order.")


class SessionSerializer(serializers.Serializer):
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


class SessionTombstoneSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True, help_text="The deleted session's id.")
    deleted = serializers.BooleanField(
        source="is_deleted", read_only=True, help_text="Always true: delete it locally."
    )
    revision = serializers.IntegerField(
        read_only=True, help_text="The change number of the deletion."
    )
    deleted_at = serializers.DateTimeField(read_only=True, help_text="When deleted.")


# ---------------------------------------------------------------------------
# Pagination: newest first, or the change feed in revision order
# ---------------------------------------------------------------------------
def _is_sync(request: Request) -> bool:
    # Same rule as the FilterSet: a blank value is no value.
    return bool(request.query_params.get("updated_since", "").strip())


class SessionCursorPagination(CursorPagination):
    """Cursor pages of 50 (``page_size`` up to 200); adds ``sync_cursor`` to the body."""

    page_size = 50
    max_page_size = 200
    page_size_query_param = "page_size"
    ordering = ("-started_at", "-id")
    sync_ordering = ("revision",)
    page_size_query_description = "Sessions per page (default 50, at most 200)."
    cursor_query_description = (
        "Opaque page cursor: take it from `next` or `previous`, never build it."
    )

    def get_ordering(
        self, request: Request, queryset: Any, view: Any
    ) -> tuple[str, ...]:
        return self.sync_ordering if _is_sync(request) else tuple(self.ordering)

    def decode_cursor(self, request: Request) -> Any:
        try:
            cursor = super().decode_cursor(request)
        except exceptions.NotFound:
            cursor = None
            valid = False
        else:
            valid = cursor is None or self._valid_position(cursor.position)
        if not valid:
            raise exceptions.ValidationError(
                {self.cursor_query_param: [INVALID_CURSOR]}
            )
        return cursor

    def _valid_position(self, position: str | None) -> bool:
        """A tampered cursor, or one from the other ordering, must be a 400, not a 500."""
        if position is None:
            return True
        if self.ordering[0] == "revision":
            return position.isdigit() and int(position) <= MAX_REVISION
        try:
            parsed = parse_datetime(position)
        except ValueError:
            return False
        # Ours always carry an offset; a naive one would be compared in server time.
        return parsed is not None and not timezone.is_naive(parsed)

    def get_paginated_response(
        self, data: list[dict[str, Any]], sync_cursor: int | None = None
    ) -> Response:
        return Response(
            {
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "sync_cursor": sync_cursor,
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        paginated = super().get_paginated_response_schema(schema)
        paginated["properties"]["next"]["example"] = (
            "https://api.example.com/api/v1/sessions/?updated_since=40&cursor=cD00Mg%3D%3D"
        )
        paginated["properties"]["previous"]["example"] = None
        paginated["properties"]["sync_cursor"] = {
            "type": "integer",
            "format": "int64",
            "nullable": True,
            "example": 42,
            "description": (
                "Store it and send it as `updated_since` next time. With "
                "`updated_since`: the latest change on this page. Without: the "
                "patient's latest change, on the first page only (null on later "
                "pages and when listing several patients)."
            ),
        }
        paginated["required"] = ["results", "sync_cursor"]
        return paginated


# ---------------------------------------------------------------------------
# Permissions
# ---------------------------------------------------------------------------
def _is_patient(user: Any) -> bool:
    return getattr(user, "role", None) == User.Role.PATIENT and not user.is_superuser


class IsPatientForWrites(BasePermission):
    """Reads for anyone signed in (scoped by the selectors); writes for patients only.

    Uploads (and any other write) are refused by role before anything is read. Edits
    and deletes are checked on the object after the scoped lookup, as for plans: a
    session the caller cannot see answers 404 whatever their role, and only one they
    can see but not change (a clinician's patient's, any for an admin) answers 403.
    """

    message = ONLY_PATIENTS_WRITE

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.method in SAFE_METHODS:
            return True
        if getattr(view, "action", None) in {"partial_update", "destroy"}:
            return True  # has_object_permission decides, once the session is found
        return _is_patient(request.user)

    def has_object_permission(self, request: Request, view: Any, obj: Any) -> bool:
        return request.method in SAFE_METHODS or _is_patient(request.user)


# ---------------------------------------------------------------------------
# Schema: examples and headers
# ---------------------------------------------------------------------------
EXAMPLE_SESSION_ID = "0b7c1d2e-3f40-4a51-8b62-7c8d9e0f1a2b"
EXAMPLE_PLAN_ID = "5d6e7f80-91a2-4b3c-8d4e-5f6a7b8c9d0e"
EXAMPLE_BRIDGE_ID = "9a8b7c6d-5e4f-4321-8fed-cba987654321"
EXAMPLE_WALK_ID = "1a2b3c4d-5e6f-4708-9a1b-2c3d4e5f6a7b"
EXAMPLE_PATH = "/api/v1/sessions/"

UPLOAD_BODY = {
    "id": EXAMPLE_SESSION_ID,
    "plan": EXAMPLE_PLAN_ID,
    "started_at": "2026-03-02T07:30:00Z",
    "ended_at": "2026-03-02T07:52:00Z",
    "pain_before": 4,
    "pain_after": 2,
    "effort": 5,
    "notes": "Stiff at first, easier by the last set.",
    "exercises": [
        {
            "exercise": EXAMPLE_BRIDGE_ID,
            "plan_item": 12,
            "status": "done",
            "pain_during": 3,
            "notes": "",
            "sets": [
                {"side": "both", "reps": 10, "load": "light loop band"},
                {"side": "both", "reps": 10, "load": "light loop band"},
            ],
        },
        {
            "exercise": EXAMPLE_WALK_ID,
            "plan_item": 13,
            "status": "partial",
            "sets": [
                {"side": "right", "reps": 5, "completed": True},
                {"side": "left", "reps": 3, "completed": False},
            ],
        },
    ],
}


def _stored_set(order: int, side: str, reps: int, load: str, completed: bool) -> dict:
    return {
        "order": order,
        "side": side,
        "reps": reps,
        "seconds": None,
        "load": load,
        "completed": completed,
    }


SESSION_BODY = {
    "id": EXAMPLE_SESSION_ID,
    "plan": EXAMPLE_PLAN_ID,
    "started_at": "2026-03-02T07:30:00Z",
    "ended_at": "2026-03-02T07:52:00Z",
    "pain_before": 4,
    "pain_after": 2,
    "effort": 5,
    "notes": "Stiff at first, easier by the last set.",
    "version": 1,
    "revision": 41,
    "deleted": False,
    "created_at": "2026-03-02T08:05:12.345678Z",
    "updated_at": "2026-03-02T08:05:12.345678Z",
    "exercises": [
        {
            "id": 301,
            "exercise": {
                "id": EXAMPLE_BRIDGE_ID,
                "slug": "glute-bridge",
                "name": "Glute bridge",
            },
            "plan_item": 12,
            "order": 0,
            "status": "done",
            "pain_during": 3,
            "notes": "",
            "sets": [
                _stored_set(0, "both", 10, "light loop band", True),
                _stored_set(1, "both", 10, "light loop band", True),
            ],
        },
        {
            "id": 302,
            "exercise": {
                "id": EXAMPLE_WALK_ID,
                "slug": "lateral-band-walk",
                "name": "Lateral band walk",
            },
            "plan_item": 13,
            "order": 1,
            "status": "partial",
            "pain_during": None,
            "notes": "",
            "sets": [
                _stored_set(0, "right", 5, "", True),
                _stored_set(1, "left", 3, "", False),
            ],
        },
    ],
}
TOMBSTONE_BODY = {
    "id": "7e6d5c4b-3a29-4817-9605-f4e3d2c1b0a9",
    "deleted": True,
    "revision": 42,
    "deleted_at": "2026-03-03T18:20:00Z",
}


DETAIL_PATH = f"{EXAMPLE_PATH}{EXAMPLE_SESSION_ID}/"


VALIDATION_400 = problem_response(
    400,
    "Invalid body: `errors` lists each field (dotted paths such as "
    "`exercises.0.plan_item`). Nothing was stored. Fix the data; retrying the same "
    "body will fail the same way.",
    problem_example(
        "Invalid fields",
        400,
        "invalid",
        "The request has invalid fields; see errors.",
        instance=EXAMPLE_PATH,
        errors=[
            {"field": "ended_at", "code": "invalid", "message": ENDED_BEFORE_STARTED},
            {
                "field": "exercises.1.plan_item",
                "code": "unknown_plan_item",
                "message": "This item is not part of the session's plan.",
            },
        ],
    ),
)
CONFLICT_409 = problem_response(
    409,
    "The id is already taken: by a different body, by a deleted session, or by "
    "someone else. Do not retry: keep the local copy and ask the user, or upload it "
    "under a new id.",
    problem_example(
        "Same id, different body",
        409,
        "conflict",
        "A session with this id already exists with different content. Use a new id for a new session; to change a session, PATCH it.",
        instance=EXAMPLE_PATH,
    ),
    problem_example(
        "Session was deleted",
        409,
        "session_deleted",
        "This session was deleted; its id cannot be uploaded again.",
        instance=EXAMPLE_PATH,
    ),
)
PRECONDITION_412 = problem_response(
    412,
    "`If-Match` is not the current ETag: another device (or an earlier try of this "
    "request) changed the session. GET it, merge, and PATCH again with the new ETag.",
    problem_example(
        "Stale ETag",
        412,
        "precondition_failed",
        "The session changed since you read it. GET it again, re-apply your change and send the new ETag in If-Match.",
        instance=DETAIL_PATH,
    ),
)
PRECONDITION_428 = problem_response(
    428,
    "`If-Match` is missing.",
    problem_example(
        "If-Match missing",
        428,
        "precondition_required",
        PreconditionRequiredError.default_detail,
        instance=DETAIL_PATH,
    ),
)
FORBIDDEN_403 = problem_response(
    403,
    "The caller is not a patient: clinicians and admins only read sessions (a "
    "session they cannot read answers 404, as for anyone).",
    problem_example(
        "Not a patient",
        403,
        "permission_denied",
        ONLY_PATIENTS_WRITE,
        instance=EXAMPLE_PATH,
    ),
)


ETAG_HEADER = OpenApiParameter(
    "ETag",
    OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    response=[200, 201],
    description='This version of the session, `"<id>-<version>"`: send it in `If-Match` to edit.',
)
LOCATION_HEADER = OpenApiParameter(
    "Location",
    OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    response=[201],
    description="The session's URL.",
)
IF_MATCH_REQUIRED = OpenApiParameter(
    "If-Match",
    # Not blank: a blank If-Match counts as missing (428).
    {"type": "string", "pattern": r"\S"},
    location=OpenApiParameter.HEADER,
    required=True,
    description=(
        'The ETag you last read, e.g. `"0b7c1d2e-3f40-4a51-8b62-7c8d9e0f1a2b-1"`. '
        "Missing: 428. Not current: 412. `*` overwrites whatever is stored (avoid)."
    ),
)
IF_MATCH_OPTIONAL = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=False,
    description="Optional ETag: when sent and not current, the delete is refused (412).",
)

SESSION_OR_TOMBSTONE = PolymorphicProxySerializer(
    component_name="SessionOrTombstone",
    serializers=[SessionSerializer, SessionTombstoneSerializer],
    resource_type_field_name=None,
    many=True,
)


@extend_schema_view(
    list=extend_schema(
        tags=["sessions"],
        summary="List or sync session logs",
        description=(
            "Two modes.\n\n"
            "**Browse** (no `updated_since`): live sessions, newest `started_at` first. "
            "Patients see their own; clinicians their patients' (narrow with "
            "`patient`); admins everyone's.\n\n"
            "**Sync** (`updated_since=<cursor>`): everything that changed after the "
            "cursor, in change order, **including deletions** as tombstones "
            "`{id, deleted: true, revision, deleted_at}`. Start with `updated_since=0`, "
            "follow `next` until it is null, storing `sync_cursor` after each page, and "
            "next time send the stored `sync_cursor`. The cursor is a server change "
            "number, never a timestamp: a value ahead of the server's is a 400. "
            "Clinicians and admins must add `patient`.\n\n"
            "Cursor pagination: 50 per page (`page_size` up to 200); the body is "
            "`{next, previous, sync_cursor, results}`. Reads by clinicians are recorded "
            "in the patient's access log."
        ),
        parameters=CONDITIONAL_GET_PARAMETERS,
        responses={
            200: SESSION_OR_TOMBSTONE,
            304: NOT_MODIFIED,
            **problem_responses(400, 401, 429),
        },
        examples=[
            OpenApiExample(
                "A session (browse or sync)",
                value=SESSION_BODY,
                response_only=True,
                status_codes=["200"],
            ),
            OpenApiExample(
                "A tombstone (sync only)",
                value=TOMBSTONE_BODY,
                response_only=True,
                status_codes=["200"],
            ),
        ],
    ),
    retrieve=extend_schema(
        tags=["sessions"],
        summary="Read one session log",
        description=(
            "The session with its exercises and sets, and its `ETag` header (needed "
            "to edit it). Deleted sessions and sessions that are not yours (or, for "
            "clinicians, not your patients') answer 404. Clinician reads are recorded "
            "in the patient's access log."
        ),
        parameters=[*CONDITIONAL_GET_PARAMETERS, ETAG_HEADER],
        responses={
            200: SessionSerializer,
            304: NOT_MODIFIED,
            **problem_responses(401, 404, 429),
        },
        examples=[
            OpenApiExample(
                "Session", value=SESSION_BODY, response_only=True, status_codes=["200"]
            )
        ],
    ),
    create=extend_schema(
        tags=["sessions"],
        summary="Upload a session log (idempotent)",
        description=(
            "Patients only. The app creates the session offline with its own UUID "
            "`id` and uploads it when it can. **Retrying is always safe**: the same "
            "`id` with the same body (compared after validation, so key order, "
            "whitespace, time-zone spelling and omitted defaults do not matter) "
            "answers **200** with the stored session, never a duplicate, even when "
            "the retries arrive at the same time. **201** means it was stored now. "
            "The same `id` with another body, a deleted session's `id`, or an id "
            "someone else used answers **409**.\n\n"
            "Rules (400, nothing stored): times with a UTC offset; `ended_at` not "
            "before `started_at`; neither more than 5 minutes ahead of the server "
            "clock; `started_at` within the last 365 days; scores 0-10; notes at "
            "most 2000 characters (exercise notes 1000, loads 100), no NUL "
            "characters; at most 50 exercises and 50 sets each; `plan` must be "
            "yours; `plan_item` must be an item of that plan and, with `exercise`, "
            "name the same exercise; each exercise must be published or in the plan; "
            "a completed set needs `reps` or `seconds` (both allowed, e.g. 10 reps "
            "in 45 s; an uncompleted set may have neither). Unknown fields are "
            "ignored. Both responses carry the `ETag`."
        ),
        request=SessionCreateSerializer,
        parameters=[ETAG_HEADER, LOCATION_HEADER],
        responses={
            201: OpenApiResponse(SessionSerializer, description="Stored now."),
            200: OpenApiResponse(
                SessionSerializer,
                description="A retry of an upload already stored: the stored session.",
            ),
            **problem_responses(
                401, 429, s400=VALIDATION_400, s403=FORBIDDEN_403, s409=CONFLICT_409
            ),
        },
        examples=[
            OpenApiExample("Upload", value=UPLOAD_BODY, request_only=True),
            OpenApiExample(
                "Stored (201)",
                value=SESSION_BODY,
                response_only=True,
                status_codes=["201"],
            ),
            OpenApiExample(
                "Retry of a stored upload (200)",
                value=SESSION_BODY,
                response_only=True,
                status_codes=["200"],
            ),
        ],
    ),
    partial_update=extend_schema(
        tags=["sessions"],
        summary="Edit a session log (If-Match required)",
        description=(
            "Patients only, own sessions. Send `If-Match` with the ETag from your last "
            "read (GET, upload or edit response). Only the fields sent change; "
            "`exercises`, when sent, replaces all exercises and sets. The same rules "
            "as the upload apply. Answers the session with its new `ETag`; `version` "
            "and `revision` go up so other devices see the edit in their next sync. "
            "If a response is lost, the retry gets 412 (the ETag moved on): GET the "
            "session and check whether your change is there."
        ),
        request=SessionUpdateSerializer,
        parameters=[IF_MATCH_REQUIRED, ETAG_HEADER],
        responses={
            200: SessionSerializer,
            **problem_responses(
                401,
                404,
                429,
                s400=VALIDATION_400,
                s403=FORBIDDEN_403,
                s412=PRECONDITION_412,
                s428=PRECONDITION_428,
            ),
        },
        examples=[
            OpenApiExample(
                "Correct the pain score",
                value={"pain_after": 3, "notes": "Twinge on the last bridge."},
                request_only=True,
            ),
            OpenApiExample(
                "Edited",
                value={**SESSION_BODY, "pain_after": 3, "version": 2, "revision": 43},
                response_only=True,
                status_codes=["200"],
            ),
        ],
    ),
    destroy=extend_schema(
        tags=["sessions"],
        summary="Delete a session log (leaves a tombstone)",
        description=(
            "Patients only, own sessions. The content is erased and a tombstone "
            "remains, so other devices learn of the deletion through sync. `If-Match` "
            "is optional (412 when sent and stale). Deleted sessions answer 404 "
            "afterwards: a retried delete that gets 404 has succeeded."
        ),
        parameters=[IF_MATCH_OPTIONAL],
        responses={
            204: OpenApiResponse(description="Deleted; a tombstone remains for sync."),
            **problem_responses(
                401, 404, 429, s403=FORBIDDEN_403, s412=PRECONDITION_412
            ),
        },
    ),
)
class SessionViewSet(viewsets.GenericViewSet):
    """Session logs: upload, read, edit and delete; list or sync with tombstones."""

    queryset = Session.objects.none()
    serializer_class = SessionSerializer
    permission_classes = [IsAuthenticated, IsPatientForWrites]
    pagination_class = SessionCursorPagination
    filter_backends = [SelectorFilterBackend]
    filterset_class = SessionFilterSet
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return Session.objects.none()
        return session_list(user=self.request.user, filters=self.request.query_params)

    def get_object(self) -> Session:
        session = session_get(user=self.request.user, session_id=self.kwargs["pk"])
        if session is None:
            raise exceptions.NotFound()
        self.check_object_permissions(self.request, session)
        return session

    # -- helpers ------------------------------------------------------------
    def _log_reads(self, sessions: Iterable[Session], action: str) -> None:
        """One access-log entry per patient read (not per row); own reads are not logged."""
        # One INSERT whatever the number of patients on the page (fixed query count).
        access_log_record_many(
            actor=self.request.user,
            patient_ids=[session.patient_id for session in sessions],
            action=action,
            path=self.request.path,
        )

    def _session_response(self, session_id: Any, status: int = 200) -> Response:
        session = session_get(user=self.request.user, session_id=session_id)
        if session is None:  # pragma: no cover - just written by this request
            raise exceptions.NotFound()
        response = Response(sessions_represent([session])[0], status=status)
        response["ETag"] = session.etag
        return response

    def _if_match(self) -> list[str] | None:
        header = self.request.headers.get("If-Match")
        if header is None or not header.strip():
            return None
        # Malformed values parse to [] and so match nothing: a 412, like a stale tag.
        return parse_etags(header)

    # -- actions ------------------------------------------------------------
    def list(self, request: Request) -> Response:
        queryset = self.get_queryset()  # validates the filters (400)
        paginator = self.paginator
        sync_cursor: int | None = None
        first_page = not request.query_params.get(paginator.cursor_query_param)
        if not _is_sync(request) and first_page:
            # Read before the page: anything committed later has a higher revision
            # and so reaches the next sync.
            sync_cursor = session_sync_revision(
                user=request.user,
                patient_id=request.query_params.get("patient") or None,
            )
        page = paginator.paginate_queryset(queryset, request, view=self)
        if _is_sync(request):
            since = int(request.query_params["updated_since"])
            sync_cursor = max((session.revision for session in page), default=since)
        self._log_reads(page, "sessions.list")
        return paginator.get_paginated_response(
            sessions_represent(page), sync_cursor=sync_cursor
        )

    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        session = self.get_object()
        self._log_reads([session], "sessions.retrieve")
        response = Response(sessions_represent([session])[0])
        response["ETag"] = session.etag
        return response

    def create(self, request: Request) -> Response:
        serializer = SessionCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            session, created = session_upload(
                patient=request.user, data=serializer.validated_data
            )
        except SessionConflict as exc:
            raise SessionConflictError(detail=exc.message, code=exc.code) from exc
        response = self._session_response(session.pk, status=201 if created else 200)
        if created:
            response["Location"] = reverse(
                "api:sessions-api:session-detail", kwargs={"pk": session.pk}
            )
        return response

    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        session = self.get_object()
        if_match = self._if_match()
        if if_match is None:
            raise PreconditionRequiredError()
        serializer = SessionUpdateSerializer(instance=session, data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            session_update(
                session=session, if_match=if_match, data=serializer.validated_data
            )
        except SessionPreconditionFailed as exc:
            raise PreconditionFailedError(detail=str(exc)) from exc
        except Session.DoesNotExist as exc:
            raise exceptions.NotFound() from exc
        return self._session_response(session.pk)

    def destroy(self, request: Request, pk: str | None = None) -> Response:
        session = self.get_object()
        try:
            session_delete(session=session, if_match=self._if_match())
        except SessionPreconditionFailed as exc:
            raise PreconditionFailedError(detail=str(exc)) from exc
        except Session.DoesNotExist as exc:
            raise exceptions.NotFound() from exc
        return Response(status=204)
