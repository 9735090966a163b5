"""OpenAPI documentation of the library's writes: private content, draft edits,
submitting for review, and the review queue of pending revisions."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)

from config.api.schema import (
    THROTTLE_PARAMETERS,
    problem_example,
    problem_response,
    problem_responses,
)
from exercises.api.serializers import ExerciseDetailSerializer, RoutineDetailSerializer
from exercises.api.write_serializers import (
    ExerciseWriteSerializer,
    ReviewNoteSerializer,
    RevisionSerializer,
    RoutineWriteSerializer,
)
from exercises.revisions import NOT_PENDING, OWN_REVISION
from exercises.services import NOT_IN_STATE
from exercises.services.authoring import CANNOT_WRITE, IN_REVIEW_NOT_EDITABLE

API = "/api/v1"
EXERCISE_ID = "5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b"
ROUTINE_ID = "6a7b8c9d-0e1f-4a2b-8c3d-4e5f6a7b8c9d"
SERVER = "https://rehabit.example.com/api/v1"

WRITERS = (
    "Clinicians and admins; patients get 403. Throttled (scope `library_writes`). "
)
RULES = (
    "New content is a **draft**, **private** unless `private` is false: you may "
    "prescribe it at once to your own patients (`POST plans/` `items`), who see it "
    "through their plans; it is never in the public library and other clinicians do "
    "not see it. To share it, submit it for review (`submit/`): a second clinician "
    "publishes it (which clears `private`). "
)

BRIDGE_DOSAGE = {
    "sets": 2,
    "reps": 10,
    "steps": None,
    "seconds": None,
    "per_side": False,
    "direction": "none",
    "hold_seconds": 2,
    "rest_seconds": None,
    "load": "",
    "band": "",
    "tempo": "",
}
PRIVATE_EXERCISE = {
    "id": EXERCISE_ID,
    "slug": "dr-solos-bridge",
    "name": "Dr. Solo's bridge",
    "aliases": [],
    "summary": "A glute bridge with a pause at the top.",
    "difficulty": "beginner",
    "laterality": "bilateral",
    "primary_muscles": [],
    "equipment": [],
    "conditions": [],
    "status": "draft",
    "private": True,
    "updated_at": "2026-11-02T09:00:00Z",
    "url": f"{SERVER}/exercises/{EXERCISE_ID}/",
    "secondary_muscles": [],
    "instructions": [
        {"kind": "setup", "text": "Lie on your back, knees bent.", "order": 1},
        {"kind": "step", "text": "Lift your hips; hold two seconds.", "order": 2},
    ],
    "contraindications": "",
    "education": "Strong glutes take the work off your lower back.",
    "default_dosage": BRIDGE_DOSAGE,
    "media": [],
    "regressions": [],
    "progressions": [],
    "alternatives": [],
    "source": None,
    "published_at": None,
    "created_at": "2026-11-02T09:00:00Z",
}
EXERCISE_REQUEST = {
    "name": "Dr. Solo's bridge",
    "summary": "A glute bridge with a pause at the top.",
    "education": "Strong glutes take the work off your lower back.",
    "sets": 2,
    "reps": 10,
    "hold_seconds": 2,
    "instructions": [
        {"kind": "setup", "text": "Lie on your back, knees bent."},
        {"kind": "step", "text": "Lift your hips; hold two seconds."},
    ],
}
PRIVATE_ROUTINE = {
    "id": ROUTINE_ID,
    "slug": "dr-solos-hips",
    "title": "Dr. Solo's hips",
    "summary": "",
    "goal": "",
    "when_to_use": "",
    "conditions": [],
    "estimated_duration_seconds": 150,
    "status": "draft",
    "private": True,
    "published_at": None,
    "updated_at": "2026-11-02T09:00:00Z",
    "url": f"{SERVER}/routines/{ROUTINE_ID}/",
    "items": [
        {
            **BRIDGE_DOSAGE,
            "id": 41,
            "block": "main",
            "exercise": {
                "id": EXERCISE_ID,
                "slug": "dr-solos-bridge",
                "name": "Dr. Solo's bridge",
                "laterality": "bilateral",
                "equipment": [],
            },
            "note": "",
            "estimated_seconds": 150,
        }
    ],
    "created_at": "2026-11-02T09:00:00Z",
}
ROUTINE_REQUEST = {
    "title": "Dr. Solo's hips",
    "items": [{"exercise": EXERCISE_ID, "sets": 2, "reps": 10, "hold_seconds": 2}],
}
REVISION = {
    "id": 7,
    "kind": "exercise",
    "content_id": EXERCISE_ID,
    "content_name": "Lateral band walk, small steps",
    "state": "pending",
    "changes": {"summary": "Shorter steps, same band."},
    "diff": [
        {
            "field": "summary",
            "label": "summary",
            "published": "Small steps sideways.",
            "proposed": "Shorter steps, same band.",
        }
    ],
    "proposed_by": "Dr. Solo",
    "proposed_at": "2026-11-02T09:00:00Z",
    "reviewed_at": None,
    "review_note": "",
}


def _throttled(path: str) -> dict[Any, OpenApiResponse]:
    return problem_responses(
        s429=problem_response(
            429,
            "Too many writes from this client: wait `Retry-After` seconds.",
            problem_example(
                "Throttled",
                429,
                "throttled",
                "Request was throttled. Expected available in 42 seconds.",
                instance=path,
            ),
        )
    )


def _forbidden(path: str, detail: str = CANNOT_WRITE) -> dict[Any, OpenApiResponse]:
    return problem_responses(
        s403=problem_response(
            403,
            "Not a clinician or admin (or not allowed to do this).",
            problem_example(
                "Not allowed", 403, "permission_denied", detail, instance=path
            ),
        )
    )


def _invalid(path: str, field: str, message: str) -> dict[Any, OpenApiResponse]:
    return problem_responses(
        s400=problem_response(
            400,
            "Invalid fields (named in `errors`), or content that cannot be edited now.",
            problem_example(
                "Invalid",
                400,
                "invalid",
                message,
                instance=path,
                errors=[{"field": field, "code": "invalid", "message": message}],
            ),
        )
    )


def _ok(name: str, value: Any, status: str = "200") -> OpenApiExample:
    return OpenApiExample(name, value=value, response_only=True, status_codes=[status])


def _write_schemas(
    *,
    kind: str,
    plural: str,
    write: type[Any],
    detail: type[Any],
    request_example: dict[str, Any],
    answer: dict[str, Any],
    extra: str,
) -> Any:
    base = f"{API}/{plural}/"
    one = f"{base}{answer['id']}/"
    return extend_schema_view(
        create=extend_schema(
            operation_id=f"{plural}_create",
            tags=["library authoring"],
            summary=f"Write a private {kind}",
            description=WRITERS + RULES + extra,
            request=write,
            responses={
                201: detail,
                **problem_responses(401),
                **_invalid(
                    base,
                    "name" if kind == "exercise" else "title",
                    "This field is required.",
                ),
                **_forbidden(base),
                **_throttled(base),
            },
            parameters=THROTTLE_PARAMETERS,
            examples=[
                OpenApiExample(
                    f"A private {kind}", value=request_example, request_only=True
                ),
                _ok("Written (private draft)", answer, "201"),
            ],
        ),
        partial_update=extend_schema(
            operation_id=f"{plural}_partial_update",
            tags=["library authoring"],
            summary=f"Edit a {kind}",
            description=WRITERS
            + "A **draft** you can see is changed at once (200, the "
            f"{kind}; a list given replaces the old one). A **published** {kind} is "
            "not changed: the edit is saved as a pending revision of the same id (202, "
            "the revision with its diff) until a second clinician approves it at "
            "`revisions/{id}/approve/`; only its own fields may change that way "
            "(instructions, muscles, items and the slug change on a draft). Content in "
            "review or archived is a 400. Only the author may change `private`. "
            "Someone else's private draft is a 404.",
            request=write,
            responses={
                200: detail,
                202: OpenApiResponse(
                    RevisionSerializer,
                    description="Published content: the pending revision (content unchanged).",
                ),
                **problem_responses(401, 404),
                **_invalid(one, "non_field_errors", IN_REVIEW_NOT_EDITABLE),
                **_forbidden(one),
                **_throttled(one),
            },
            parameters=THROTTLE_PARAMETERS,
            examples=[
                OpenApiExample(
                    "Change the summary",
                    value={"summary": "Shorter steps, same band."},
                    request_only=True,
                ),
                _ok("Draft edited", answer),
                _ok("Revision proposed (published content)", REVISION, "202"),
            ],
        ),
        submit=extend_schema(
            operation_id=f"{plural}_submit",
            tags=["library authoring"],
            summary=f"Submit a {kind} for review",
            description=WRITERS
            + "Shares a draft (private or not) into the review workflow: reviewers "
            "(a second clinician or an admin) then see it and publish it in the admin, "
            "which clears `private`. Anything but a draft is a 409.",
            request=None,
            responses={
                200: detail,
                **problem_responses(401, 404),
                **_forbidden(f"{one}submit/"),
                **problem_responses(
                    s409=problem_response(
                        409,
                        "Not a draft.",
                        problem_example(
                            "Not a draft",
                            409,
                            "workflow_conflict",
                            NOT_IN_STATE.format(
                                expected="draft",
                                verb="submitted for review",
                                actual="in review",
                            ),
                            instance=f"{one}submit/",
                        ),
                    )
                ),
                **_throttled(f"{one}submit/"),
            },
            parameters=THROTTLE_PARAMETERS,
            examples=[_ok("Submitted", {**answer, "status": "in_review"})],
        ),
    )


exercise_write_schema = _write_schemas(
    kind="exercise",
    plural="exercises",
    write=ExerciseWriteSerializer,
    detail=ExerciseDetailSerializer,
    request_example=EXERCISE_REQUEST,
    answer=PRIVATE_EXERCISE,
    extra="Muscles, equipment and conditions are given by slug; `instructions` in "
    "order. The slug is made from the name when omitted.",
)
routine_write_schema = _write_schemas(
    kind="routine",
    plural="routines",
    write=RoutineWriteSerializer,
    detail=RoutineDetailSerializer,
    request_example=ROUTINE_REQUEST,
    answer=PRIVATE_ROUTINE,
    extra="`items` name exercises you can read (published, shared drafts or your own "
    "private ones), in order, each with its dosage. A routine is published only once "
    "every exercise it names is published.",
)

REVIEWERS = (
    "Clinicians and admins; patients get 403. Reviewers (the publish permission: the "
    "Clinicians group has it) see every revision, others only their own proposals. "
)
REVISIONS = f"{API}/revisions/"
ONE = f"{REVISIONS}7/"


def _reviewed(state: str) -> dict[str, Any]:
    return {
        **REVISION,
        "state": state,
        "reviewed_at": "2026-11-02T10:00:00Z",
        "review_note": "Clearer, thanks.",
    }


def _review_schema(verb: str, state: str, description: str) -> Any:
    path = f"{ONE}{verb}/"
    return extend_schema(
        operation_id=f"revisions_{verb}",
        tags=["library review"],
        summary=f"{verb.capitalize()} a pending revision",
        description=REVIEWERS + description + " A revision already reviewed is a "
        "400; your own proposal is a 403 (a second clinician reviews; admins may "
        "review their own). Throttled (scope `library_writes`).",
        request=ReviewNoteSerializer,
        responses={
            200: RevisionSerializer,
            **problem_responses(401, 404),
            **_invalid(path, "non_field_errors", NOT_PENDING),
            **_forbidden(path, OWN_REVISION),
            **_throttled(path),
        },
        parameters=THROTTLE_PARAMETERS,
        examples=[
            OpenApiExample(
                "With a note", value={"note": "Clearer, thanks."}, request_only=True
            ),
            _ok(state.capitalize(), _reviewed(state)),
        ],
    )


revision_schema = extend_schema_view(
    list=extend_schema(
        operation_id="revisions_list",
        tags=["library review"],
        summary="List revisions waiting for my review",
        description=REVIEWERS
        + "The review queue: pending edits of published exercises and routines "
        "proposed by someone else (admins: all), oldest first, each with its diff "
        "(published and proposed value per field). Paginated with `limit` and `offset`.",
        responses={200: RevisionSerializer, **problem_responses(400, 401, 403)},
        examples=[_ok("Waiting for review", REVISION)],
    ),
    retrieve=extend_schema(
        operation_id="revisions_retrieve",
        tags=["library review"],
        summary="Read a revision and its diff",
        description=REVIEWERS + "Pending, approved or rejected; someone else's "
        "proposal is a 404 to a clinician who may not review.",
        responses={200: RevisionSerializer, **problem_responses(401, 403, 404)},
        examples=[_ok("Pending", REVISION)],
    ),
    approve=_review_schema(
        "approve",
        "approved",
        "Applies the proposed values to the published content (same id; its "
        "history records the approval and the proposer); plans keep their copies.",
    ),
    reject=_review_schema(
        "reject", "rejected", "Closes the revision; the content stays as it is."
    ),
)
