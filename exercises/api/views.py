"""Public read API of the library: exercises, routines and taxonomies.

Reads need no login (AllowAny) and are throttled per client (DEFAULT_THROTTLE_CLASSES).
Querysets come from exercises.selectors, scoped to the caller: non-staff see published
content only and anything else answers 404. Query parameters are validated by the
selectors' FilterSets (400 naming the parameter); SelectorFilterBackend only documents
them. ConditionalGetMiddleware adds an ETag to every 200 and answers a matching
If-None-Match with 304.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils.cache import patch_vary_headers
from django.utils.decorators import method_decorator
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny

from config.api.schema import (
    CONDITIONAL_GET_PARAMETERS,
    NOT_MODIFIED,
    THROTTLE_PARAMETERS,
    SelectorFilterBackend,
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
from exercises.cache import catalog_response
from exercises.filters import (
    ConditionFilterSet,
    EquipmentFilterSet,
    ExerciseFilterSet,
    MuscleFilterSet,
    RoutineFilterSet,
)
from exercises.models import Condition, Equipment, Exercise, Muscle, Routine
from exercises.selectors import (
    condition_list,
    equipment_list,
    exercise_get,
    exercise_list,
    muscle_list,
    routine_get,
    routine_list,
)

if TYPE_CHECKING:
    from django.db.models import QuerySet
    from django.http import HttpRequest
    from django.http.response import HttpResponseBase
    from rest_framework.request import Request
    from rest_framework.response import Response
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
    "updated_at": "2025-03-02T09:30:00Z",
    "url": f"{SERVER}/exercises/{SIDE_STEP_ID}/",
}

SIDE_STEP_DETAIL = {
    **SIDE_STEP_SUMMARY,
    "secondary_muscles": [GLUTE_MAXIMUS],
    "instructions": [
        {
            "kind": "setup",
            "text": "Loop the band around both shins, feet hip width apart, and sit back into a half squat.",
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
    "default_dosage": {
        "sets": 3,
        "reps": None,
        "steps": 5,
        "seconds": None,
        "per_side": True,
        "hold_seconds": None,
        "rest_seconds": 30,
        "load": "light loop band",
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
    "summary": "Three banded exercises that switch the glutes on so the lower back does not have to compensate.",
    "goal": "Strengthen the gluteus medius, a main stabilizer of the pelvis.",
    "when_to_use": "On its own, or as a warm-up before walks, runs or hikes.",
    "conditions": [LOWER_BACK_PAIN],
    "estimated_duration_seconds": 390,
    "status": "published",
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
        "hold_seconds": None,
        "rest_seconds": 30,
        "load": "light loop band",
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
            {"steps": 5, "per_side": True},
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
            {"steps": 5, "per_side": True},
            120,
        ),
    ],
    "created_at": "2025-02-20T14:00:00Z",
}


def _example(name: str, value: Any) -> OpenApiExample:
    return OpenApiExample(name, value=value, response_only=True, status_codes=["200"])


def list_schema(
    *,
    summary: str,
    description: str,
    tags: list[str],
    serializer: type[BaseSerializer[Any]],
    example: OpenApiExample,
) -> Any:
    """A public paginated list: 200 (+ETag) / 304 / 400 / 429."""
    return extend_schema(
        summary=summary,
        description=description,
        tags=tags,
        parameters=[*CONDITIONAL_GET_PARAMETERS, *THROTTLE_PARAMETERS],
        responses={
            # A list action: spectacular wraps the serializer in the page envelope.
            200: OpenApiResponse(serializer, description="One page of results."),
            304: NOT_MODIFIED,
            **problem_responses(400, 429),
        },
        examples=[example],
    )


def detail_schema(
    *,
    summary: str,
    description: str,
    tags: list[str],
    serializer: type[BaseSerializer[Any]],
    example: OpenApiExample,
) -> Any:
    """A public detail read: 200 (+ETag) / 304 / 404 / 429."""
    return extend_schema(
        summary=summary,
        description=description,
        tags=tags,
        parameters=[*CONDITIONAL_GET_PARAMETERS, *THROTTLE_PARAMETERS],
        responses={
            200: OpenApiResponse(serializer, description="The resource."),
            304: NOT_MODIFIED,
            **problem_responses(404, 429),
        },
        examples=[example],
    )


VISIBILITY = (
    "Anyone may call it without logging in (rate-limited). Anonymous callers and "
    "patients see published content only; staff (clinicians, admins) also see drafts, "
    "content in review and archived content."
)


class CachedListMixin(mixins.ListModelMixin):
    """``list`` answered from the catalog cache when it can be (exercises/cache.py).

    Catalog reads run outside ATOMIC_REQUESTS' transaction: a cached answer then takes
    no database connection at all, and a read gains nothing from one (at READ COMMITTED
    each query sees what was committed when it started, transaction or not).
    """

    @method_decorator(transaction.non_atomic_requests)
    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        return super().dispatch(request, *args, **kwargs)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> HttpResponseBase:
        return catalog_response(
            request,
            partial(super().list, request, *args, **kwargs),
            params=self._known_params(),
        )

    def _known_params(self) -> set[str]:
        """The query parameters this list reads: its filters and its pagination."""
        names = (
            set(self.filterset_class.base_filters) if self.filterset_class else set()
        )
        for attribute in ("limit_query_param", "offset_query_param"):
            if name := getattr(self.paginator, attribute, None):
                names.add(name)
        return names


class CachedRetrieveMixin(mixins.RetrieveModelMixin):
    """``retrieve`` answered from the catalog cache when it can be (exercises/cache.py)."""

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> HttpResponseBase:
        return catalog_response(
            request, partial(super().retrieve, request, *args, **kwargs)
        )


class ReadOnlyViewSet(CachedListMixin, CachedRetrieveMixin, viewsets.GenericViewSet):
    """Public list + detail reads, querysets from selectors, cached for published-only callers."""

    permission_classes = [AllowAny]
    filter_backends = [SelectorFilterBackend]

    def finalize_response(
        self, request: Request, response: Response, *args: Any, **kwargs: Any
    ) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)
        # Staff get drafts in the same URLs: a shared cache must key on the credentials.
        patch_vary_headers(response, ["Authorization", "Cookie"])
        return response


# ---------------------------------------------------------------------------
# Exercises
# ---------------------------------------------------------------------------
@extend_schema_view(
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
class ExerciseViewSet(ReadOnlyViewSet):
    """Exercises: summaries in the list, everything in the detail.

    Visibility: non-staff see published exercises only (others are 404); staff see every
    status and may narrow the list with ``status``. Regressions/progressions/alternatives
    only include links whose target the caller can read.
    """

    queryset = Exercise.objects.none()
    filterset_class = ExerciseFilterSet

    def get_serializer_class(self) -> type[BaseSerializer[Any]]:
        if self.action == "retrieve":
            return ExerciseDetailSerializer
        return ExerciseSummarySerializer

    def get_queryset(self) -> QuerySet[Exercise]:
        return exercise_list(user=self.request.user, filters=self.request.query_params)

    def get_object(self) -> Exercise:
        exercise = exercise_get(user=self.request.user, exercise_id=self.kwargs["pk"])
        if exercise is None:
            raise NotFound
        self.check_object_permissions(self.request, exercise)
        return exercise


# ---------------------------------------------------------------------------
# Routines
# ---------------------------------------------------------------------------
@extend_schema_view(
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
class RoutineViewSet(ReadOnlyViewSet):
    """Routine templates: summaries in the list, items expanded in the detail.

    Visibility: non-staff see published routines only (others are 404); staff see every
    status. Items are never filtered by their exercise's status: a published routine was
    reviewed as a whole, and silently dropping an item would change what a patient is
    told to do. Its exercise summary is still shown; the exercise's own detail stays
    subject to the exercise's visibility.
    """

    queryset = Routine.objects.none()
    filterset_class = RoutineFilterSet

    def get_serializer_class(self) -> type[BaseSerializer[Any]]:
        if self.action == "retrieve":
            return RoutineDetailSerializer
        return RoutineSummarySerializer

    def get_queryset(self) -> QuerySet[Routine]:
        return routine_list(user=self.request.user, filters=self.request.query_params)

    def get_object(self) -> Routine:
        routine = routine_get(user=self.request.user, routine_id=self.kwargs["pk"])
        if routine is None:
            raise NotFound
        self.check_object_permissions(self.request, routine)
        return routine


# ---------------------------------------------------------------------------
# Taxonomies
# ---------------------------------------------------------------------------
TAXONOMY_DESCRIPTION = (
    "All of them, ordered by name, paginated like every list (`limit` up to 100, "
    "`offset`). Public, no login needed (rate-limited)."
)


class TaxonomyViewSet(CachedListMixin, viewsets.GenericViewSet):
    permission_classes = [AllowAny]
    filter_backends = [SelectorFilterBackend]


@extend_schema_view(
    list=list_schema(
        summary="List muscles",
        description="Muscles and muscle groups, for the `muscle` filter of exercises. "
        + TAXONOMY_DESCRIPTION,
        tags=LIBRARY,
        serializer=MuscleSerializer,
        example=_example("Muscles", GLUTE_MEDIUS),
    )
)
class MuscleViewSet(TaxonomyViewSet):
    queryset = Muscle.objects.none()
    serializer_class = MuscleSerializer
    filterset_class = MuscleFilterSet

    def get_queryset(self) -> QuerySet[Muscle]:
        return muscle_list(filters=self.request.query_params)


@extend_schema_view(
    list=list_schema(
        summary="List equipment",
        description="Equipment exercises may need, for the `equipment` filters. "
        + TAXONOMY_DESCRIPTION,
        tags=LIBRARY,
        serializer=EquipmentSerializer,
        example=_example(
            "Equipment",
            {
                **LOOP_BAND,
                "description": "A closed elastic band worn around both shins.",
            },
        ),
    )
)
class EquipmentViewSet(TaxonomyViewSet):
    queryset = Equipment.objects.none()
    serializer_class = EquipmentSerializer
    filterset_class = EquipmentFilterSet

    def get_queryset(self) -> QuerySet[Equipment]:
        return equipment_list(filters=self.request.query_params)


@extend_schema_view(
    list=list_schema(
        summary="List conditions",
        description="Conditions content helps with, for the `condition` filters. "
        + TAXONOMY_DESCRIPTION,
        tags=LIBRARY,
        serializer=ConditionSerializer,
        example=_example(
            "Conditions",
            {
                **LOWER_BACK_PAIN,
                "description": "Pain between the ribs and the buttocks.",
            },
        ),
    )
)
class ConditionViewSet(TaxonomyViewSet):
    queryset = Condition.objects.none()
    serializer_class = ConditionSerializer
    filterset_class = ConditionFilterSet

    def get_queryset(self) -> QuerySet[Condition]:
        return condition_list(filters=self.request.query_params)
