"""OpenAPI documentation of the library API: examples (the demo routine) and the
``extend_schema_view`` decorators that exercises.api.views applies to its viewsets.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from drf_spectacular.drainage import set_override
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)

from config.api.schema import (
    THROTTLE_PARAMETERS,
    problem_responses,
)
from exercises.api.serializers import (
    ConditionSerializer,
    EquipmentSerializer,
    ExerciseDetailSerializer,
    ExerciseSummarySerializer,
    MuscleSerializer,
    RoutineDetailSerializer,
    RoutineSummarySerializer,
)
from exercises.filters import (
    ConditionFilterSet,
    EquipmentFilterSet,
    ExerciseFilterSet,
    MuscleFilterSet,
    RoutineFilterSet,
    SlugFilter,
)

if TYPE_CHECKING:
    from rest_framework.serializers import BaseSerializer

LIBRARY = ["library"]
ROUTINES = ["routines"]

# ---------------------------------------------------------------------------
# Response examples (the demo routine)
# ---------------------------------------------------------------------------
SERVER = "https://rehabit.example.com/api/v1"
SQUAT_ID = "2f1c6a0e-8d3b-4c55-9f6e-1a2b3c4d5e6f"
SIDE_STEP_ID = "7b8c9d0e-1f2a-4b3c-8d4e-5f6a7b8c9d0e"
FRONT_STEP_ID = "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f"
ROUTINE_ID = "9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a"
GLUTE_MEDIUS = {
    "id": 3,
    "slug": "gluteus-medius",
    "name": "Gluteus medius",
    "body_region": "hips",
}
GLUTE_MAXIMUS = {
    "id": 2,
    "slug": "gluteus-maximus",
    "name": "Gluteus maximus",
    "body_region": "hips",
}
LOOP_BAND = {"id": 1, "slug": "loop-band", "name": "Loop resistance band"}
LOWER_BACK_PAIN = {"id": 1, "slug": "lower-back-pain", "name": "Lower back pain"}

SIDE_STEP_SUMMARY = {
    "id": SIDE_STEP_ID,
    "slug": "lateral-band-walk",
    "name": "Lateral band walk",
    "aliases": ["Side steps", "Monster walk (sideways)"],
    "summary": "Side steps against a loop band to wake up the gluteus medius.",
    "difficulty": "beginner",
    "laterality": "alternating",
    "primary_muscles": [GLUTE_MEDIUS],
    "equipment": [LOOP_BAND],
    "conditions": [LOWER_BACK_PAIN],
    "status": "published",
    "private": False,
    "updated_at": "2025-03-02T09:30:00Z",
    "url": f"{SERVER}/exercises/{SIDE_STEP_ID}/",
}

SIDE_STEP_DETAIL = {
    **SIDE_STEP_SUMMARY,
    "secondary_muscles": [GLUTE_MAXIMUS],
    "instructions": [
        {
            "kind": "setup",
            "text": (
                "Loop the band around both shins, feet hip width apart, and sit back "
                "into a half squat."
            ),
            "order": 0,
        },
        {"kind": "step", "text": "Take five steps sideways to the right.", "order": 1},
        {"kind": "step", "text": "Take five steps sideways to the left.", "order": 2},
        {
            "kind": "cue",
            "text": "Keep the trunk upright and the feet parallel; lead with the heel.",
            "order": 3,
        },
    ],
    "contraindications": "",
    "education": "When your glutes do too little, your lower back muscles make up "
    "for them. Let your glutes do the work.",
    "default_dosage": {
        "sets": 3,
        "reps": None,
        "steps": 5,
        "seconds": None,
        "per_side": True,
        "direction": "sideways",
        "hold_seconds": None,
        "rest_seconds": 30,
        "load": "",
        "band": "light",
        "tempo": "",
    },
    "media": [
        {
            "kind": "image",
            "url": "https://media.example.com/lateral-band-walk.jpg",
            "alt_text": "A person stepping sideways in a half squat with a band around the shins.",
            "credit": "Rehabit",
            "licence": "CC BY 4.0",
        }
    ],
    "regressions": [
        {
            "exercise": {
                "id": "5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b",
                "slug": "lateral-band-walk-small-steps",
                "name": "Lateral band walk, small steps",
            },
            "note": "Make the steps smaller if the trunk leans.",
        }
    ],
    "progressions": [],
    "alternatives": [],
    "source": None,
    "published_at": "2025-03-02T09:30:00Z",
    "created_at": "2025-02-20T14:00:00Z",
}

ROUTINE_SUMMARY = {
    "id": ROUTINE_ID,
    "slug": "glute-activation-lower-back",
    "title": "Glute activation for lower back pain",
    "summary": (
        "Three banded exercises that switch the glutes on so the lower back "
        "does not have to compensate."
    ),
    "goal": "Strengthen the gluteus medius, a main stabilizer of the pelvis.",
    "when_to_use": "On its own, or as a warm-up before walks, runs or hikes.",
    "conditions": [LOWER_BACK_PAIN],
    "estimated_duration_seconds": 390,
    "status": "published",
    "private": False,
    "published_at": "2025-03-02T09:30:00Z",
    "updated_at": "2025-03-02T09:30:00Z",
    "url": f"{SERVER}/routines/{ROUTINE_ID}/",
}


def _item(
    item_id: int, exercise: dict[str, Any], dosage: dict[str, Any], seconds: int
) -> dict[str, Any]:
    base = {
        "sets": 3,
        "reps": None,
        "steps": None,
        "seconds": None,
        "per_side": False,
        "direction": "none",
        "hold_seconds": None,
        "rest_seconds": 30,
        "load": "",
        "band": "light",
        "tempo": "",
    }
    return {
        **base,
        **dosage,
        "id": item_id,
        "block": "main",
        "exercise": {**exercise, "equipment": [LOOP_BAND]},
        "note": "",
        "estimated_seconds": seconds,
    }


ROUTINE_DETAIL = {
    **ROUTINE_SUMMARY,
    "items": [
        _item(
            1,
            {
                "id": SQUAT_ID,
                "slug": "banded-squat",
                "name": "Banded squat",
                "laterality": "bilateral",
            },
            {"reps": 10},
            150,
        ),
        _item(
            2,
            {
                "id": SIDE_STEP_ID,
                "slug": "lateral-band-walk",
                "name": "Lateral band walk",
                "laterality": "alternating",
            },
            {"steps": 5, "per_side": True, "direction": "sideways"},
            120,
        ),
        _item(
            3,
            {
                "id": FRONT_STEP_ID,
                "slug": "forward-backward-band-walk",
                "name": "Forward and backward band walk",
                "laterality": "alternating",
            },
            {"steps": 5, "per_side": True, "direction": "forward_backward"},
            120,
        ),
    ],
    "created_at": "2025-02-20T14:00:00Z",
}


def _example(name: str, value: Any) -> OpenApiExample:
    return OpenApiExample(name, value=value, response_only=True, status_codes=["200"])


def _read_schema(
    *,
    summary: str,
    description: str,
    tags: list[str],
    serializer: type[BaseSerializer[Any]],
    example: OpenApiExample,
    page: bool,
) -> Any:
    """A public read: 200 (+ETag) / 304 / 429, and 400 for a page or 404 for a resource."""
    return extend_schema(
        summary=summary,
        description=description,
        tags=tags,
        parameters=[*THROTTLE_PARAMETERS],
        responses={
            # A list action: spectacular wraps the serializer in the page envelope.
            200: OpenApiResponse(
                serializer,
                description="One page of results." if page else "The resource.",
            ),
            **problem_responses(400 if page else 404, 429),
        },
        examples=[example],
    )


def list_schema(**kwargs: Any) -> Any:
    """A public paginated list: 200 (+ETag) / 304 / 400 / 429."""
    return _read_schema(page=True, **kwargs)


def detail_schema(**kwargs: Any) -> Any:
    """A public detail read: 200 (+ETag) / 304 / 404 / 429."""
    return _read_schema(page=False, **kwargs)


VISIBILITY = (
    "Anyone may call it without logging in (rate-limited). Anonymous callers and "
    "patients see published content only; staff (clinicians, admins) also see drafts, "
    "content in review and archived content."
)


def _slug_filters_as_strings() -> None:
    """Document every slug filter as a string parameter.

    drf-spectacular would otherwise guess the related model's integer key (or warn); the
    override lives here, with the schema, so that exercises.filters knows nothing of it.
    """
    filtersets = (
        ExerciseFilterSet,
        RoutineFilterSet,
        MuscleFilterSet,
        EquipmentFilterSet,
        ConditionFilterSet,
    )
    for filterset in filtersets:
        for filter_ in filterset.base_filters.values():
            if isinstance(filter_, SlugFilter):
                set_override(
                    filter_,
                    "field",
                    {
                        "type": "string",
                        "description": filter_.extra.get("help_text", ""),
                    },
                )


_slug_filters_as_strings()

exercise_schema = extend_schema_view(
    list=list_schema(
        summary="List exercises",
        description=(
            "Exercise summaries, ordered by name unless `ordering` says otherwise, "
            "paginated with `limit` (default 20, at most 100) and `offset`. Filters "
            "combine with AND; an unknown slug or choice, a malformed `updated_since` or "
            "a bad `limit`/`offset` answers 400 naming the parameter. " + VISIBILITY
        ),
        tags=LIBRARY,
        serializer=ExerciseSummarySerializer,
        example=_example("Exercise summaries", SIDE_STEP_SUMMARY),
    ),
    retrieve=detail_schema(
        summary="Read an exercise",
        description=(
            "The full exercise: instructions in order, muscles, equipment, conditions, "
            "default dosage, media and links to easier (regressions), harder "
            "(progressions) and alternative exercises. Links only point to exercises "
            "the caller can read. An unknown id, or one the caller may not see, answers "
            "404. " + VISIBILITY
        ),
        tags=LIBRARY,
        serializer=ExerciseDetailSerializer,
        example=_example("Lateral band walk", SIDE_STEP_DETAIL),
    ),
)

routine_schema = extend_schema_view(
    list=list_schema(
        summary="List routines",
        description=(
            "Routine summaries (without items), ordered by title unless `ordering` says "
            "otherwise, paginated with `limit` and `offset`. `equipment` keeps routines "
            "with at least one exercise that needs it. " + VISIBILITY
        ),
        tags=ROUTINES,
        serializer=RoutineSummarySerializer,
        example=_example("Routine summaries", ROUTINE_SUMMARY),
    ),
    retrieve=detail_schema(
        summary="Read a routine",
        description=(
            "The routine with its items in order: block, a summary of the exercise "
            "(read the full exercise at its own URL), the dosage and an estimated "
            "duration. A published routine lists all its items, even one whose exercise "
            "has since been archived (its exercise detail may then answer 404 to "
            "non-staff). " + VISIBILITY
        ),
        tags=ROUTINES,
        serializer=RoutineDetailSerializer,
        example=_example("Glute activation routine", ROUTINE_DETAIL),
    ),
)

TAXONOMY_DESCRIPTION = (
    "All of them, ordered by name, paginated like every list (`limit` up to 100, "
    "`offset`). Public, no login needed (rate-limited)."
)


def taxonomy_schema(
    *,
    name: str,
    description: str,
    serializer: type[BaseSerializer[Any]],
    example: dict[str, Any],
) -> Any:
    """The documentation of one taxonomy list (muscles, equipment, conditions)."""
    return extend_schema_view(
        list=list_schema(
            summary=f"List {name.lower()}",
            description=f"{description} {TAXONOMY_DESCRIPTION}",
            tags=LIBRARY,
            serializer=serializer,
            example=_example(name, example),
        )
    )


muscle_schema = taxonomy_schema(
    name="Muscles",
    description="Muscles and muscle groups, for the `muscle` filter of exercises.",
    serializer=MuscleSerializer,
    example=GLUTE_MEDIUS,
)
equipment_schema = taxonomy_schema(
    name="Equipment",
    description="Equipment exercises may need, for the `equipment` filters.",
    serializer=EquipmentSerializer,
    example={
        **LOOP_BAND,
        "description": "A closed elastic band worn around both shins.",
    },
)
condition_schema = taxonomy_schema(
    name="Conditions",
    description="Conditions content helps with, for the `condition` filters.",
    serializer=ConditionSerializer,
    example={
        **LOWER_BACK_PAIN,
        "description": "Pain between the ribs and the buttocks.",
    },
)


from exercises.api.openapi.writes import (  # noqa: E402  (the write operations' docs)
    exercise_write_schema,
    revision_schema,
    routine_write_schema,
)

__all__ = [
    "condition_schema",
    "equipment_schema",
    "exercise_schema",
    "exercise_write_schema",
    "muscle_schema",
    "revision_schema",
    "routine_schema",
    "routine_write_schema",
]
