"""Schema documentation of `sessions/`: examples, headers and the per-action docs."""

from __future__ import annotations

from drf_spectacular.drainage import set_override
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_view,
)

from config.api.schema import (
    PROBLEM_EXAMPLES,
    problem_example,
    problem_response,
    problem_responses,
)
from sessions.api.errors import PreconditionRequiredError
from sessions.api.openapi import response_example
from sessions.api.permissions import ONLY_PATIENTS_WRITE
from sessions.api.serializers.logs import (
    SessionCreateSerializer,
    SessionSerializer,
    SessionTombstoneSerializer,
    SessionUpdateSerializer,
)
from sessions.selectors.logs import SessionFilterSet
from sessions.services.logs import ENDED_BEFORE_STARTED

# The change-number filter (`updated_since`): the bounds its form field enforces (400
# outside them) and its help text.
_UPDATED_SINCE = SessionFilterSet.base_filters["updated_since"]
set_override(
    _UPDATED_SINCE,
    "field",
    {
        "type": "integer",
        "format": "int64",
        "minimum": _UPDATED_SINCE.extra["min_value"],
        "maximum": _UPDATED_SINCE.extra["max_value"],
        "description": _UPDATED_SINCE.extra["help_text"],
    },
)

EXAMPLE_SESSION_ID = "0b7c1d2e-3f40-4a51-8b62-7c8d9e0f1a2b"
EXAMPLE_PLAN_ID = "5d6e7f80-91a2-4b3c-8d4e-5f6a7b8c9d0e"
EXAMPLE_BRIDGE_ID = "9a8b7c6d-5e4f-4321-8fed-cba987654321"
EXAMPLE_WALK_ID = "1a2b3c4d-5e6f-4708-9a1b-2c3d4e5f6a7b"
EXAMPLE_SHORT_WALK_ID = "2b3c4d5e-6f70-4819-8b2c-3d4e5f6a7b8c"
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
            "difficulty": "just_right",
            "rpe": 4,
            "notes": "",
            "sets": [
                {"side": "both", "reps": 10, "band": "light"},
                {"side": "both", "reps": 10, "band": "light"},
            ],
        },
        {
            # A swap: the short-step regression of plan item 13's lateral walk;
            # one set is 5 steps right, then 5 left (a row each way).
            "exercise": EXAMPLE_SHORT_WALK_ID,
            "plan_item": 13,
            "substitution": "regression",
            "status": "partial",
            "difficulty": "too_hard",
            "rpe": 7,
            "sets": [
                {"side": "right", "reps": 5, "band": "light", "completed": True},
                {"side": "left", "reps": 3, "band": "light", "completed": False},
            ],
        },
    ],
}


def _stored_set(order: int, side: str, reps: int, band: str, completed: bool) -> dict:
    return {
        "order": order,
        "side": side,
        "reps": reps,
        "seconds": None,
        "load": "",
        "band": band,
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
            "substitution": "",
            "order": 0,
            "status": "done",
            "pain_during": 3,
            "difficulty": "just_right",
            "rpe": 4,
            "notes": "",
            "sets": [
                _stored_set(0, "both", 10, "light", True),
                _stored_set(1, "both", 10, "light", True),
            ],
        },
        {
            "id": 302,
            "exercise": {
                "id": EXAMPLE_SHORT_WALK_ID,
                "slug": "lateral-band-walk-short-steps",
                "name": "Lateral band walk, short steps",
            },
            "plan_item": 13,
            "substitution": "regression",
            "order": 1,
            "status": "partial",
            "pain_during": None,
            "difficulty": "too_hard",
            "rpe": 7,
            "notes": "",
            "sets": [
                _stored_set(0, "right", 5, "light", True),
                _stored_set(1, "left", 3, "light", False),
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
        (
            "A session with this id already exists with different content. Use a "
            "new id for a new session; to change a session, PATCH it."
        ),
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
        (
            "The session changed since you read it. GET it again, re-apply your "
            "change and send the new ETag in If-Match."
        ),
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
QUOTA_429 = problem_response(
    429,
    "Rate limited (`throttled`), or this account's 24-hour upload limits are reached "
    "(`upload_quota_exceeded`: `SESSION_UPLOAD_DAILY_MAX_SESSIONS` sessions, default "
    "50, and `SESSION_UPLOAD_DAILY_MAX_SETS` sets, default 5,000, in any 24 hours; "
    "deleted sessions count). Nothing was stored: keep the session on the device and "
    "upload it again after `Retry-After` seconds. A retry of a session already stored "
    "still answers 200.",
    PROBLEM_EXAMPLES[429],
    problem_example(
        "Upload limits reached",
        429,
        "upload_quota_exceeded",
        (
            "You uploaded 50 sessions and 1200 sets in the last 24 hours; the limit "
            "is 50 sessions and 5000 sets. Keep the session on the device and upload "
            "it again after Retry-After seconds. Expected available in 5400 seconds."
        ),
        instance=EXAMPLE_PATH,
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


SESSION_SCHEMA = extend_schema_view(
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
        responses={
            200: SESSION_OR_TOMBSTONE,
            **problem_responses(400, 401, 429),
        },
        examples=[
            response_example("A session (browse or sync)", SESSION_BODY),
            response_example("A tombstone (sync only)", TOMBSTONE_BODY),
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
        parameters=[ETAG_HEADER],
        responses={
            200: SessionSerializer,
            **problem_responses(401, 404, 429),
        },
        examples=[response_example("Session", SESSION_BODY)],
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
            "name the same exercise or a swap the library links it to (regression, "
            "progression or alternative; stored in `substitution`, docs/sync.md); each "
            "exercise must be published, in the plan or a swap; `rpe` (Borg CR10) and "
            "scores 0-10; `difficulty` too_easy, just_right or too_hard; set `side` "
            "left, right, forward, backward or both (one row each way for per-side "
            "and per-direction sets); "
            "a completed set needs `reps` or `seconds` (both allowed, e.g. 10 reps "
            "in 45 s; an uncompleted set may have neither). Unknown fields are "
            "ignored. Both responses carry the `ETag`.\n\n"
            "Limits per account (429 `upload_quota_exceeded`, with `Retry-After`): "
            "50 sessions and 5,000 sets in any 24 hours by default (settings "
            "`SESSION_UPLOAD_DAILY_MAX_*`); retries of stored sessions always answer."
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
                401,
                s400=VALIDATION_400,
                s403=FORBIDDEN_403,
                s409=CONFLICT_409,
                s429=QUOTA_429,
            ),
        },
        examples=[
            OpenApiExample("Upload", value=UPLOAD_BODY, request_only=True),
            response_example("Stored (201)", SESSION_BODY, 201),
            response_example("Retry of a stored upload (200)", SESSION_BODY),
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
