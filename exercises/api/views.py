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
from typing import TYPE_CHECKING, Any, ClassVar

from django.db import transaction
from django.utils.cache import patch_vary_headers
from django.utils.decorators import method_decorator
from rest_framework import generics, mixins, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny

from config.api.schema import SelectorFilterBackend
from config.api.throttling import round_trip_found
from exercises.api import openapi
from exercises.api.serializers import (
    ConditionSerializer,
    EquipmentSerializer,
    ExerciseDetailSerializer,
    ExerciseSummarySerializer,
    MuscleSerializer,
    RoutineDetailSerializer,
    RoutineSummarySerializer,
)
from exercises.api.write_serializers import (
    ExerciseWriteSerializer,
    RoutineWriteSerializer,
)
from exercises.api.writes import LibraryWriteMixin
from exercises.cache import catalog_keys, catalog_response
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
from exercises.services.authoring import (
    exercise_create,
    exercise_edit,
    routine_create,
    routine_edit,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from django.db.models import Model, QuerySet
    from django.http import HttpRequest
    from django.http.response import HttpResponseBase
    from django_filters import FilterSet
    from rest_framework.request import Request
    from rest_framework.response import Response
    from rest_framework.serializers import BaseSerializer


class CatalogCacheReadsMixin(generics.GenericAPIView[Any]):
    """The catalog cache's keys of the action, read with the throttles in one Redis
    round trip (``round_trip_reads``: config/api/throttling.py); none by default."""

    action: str  # the viewset's

    def round_trip_reads(self, request: Request) -> Sequence[str]:
        return []


class CachedListMixin(mixins.ListModelMixin, CatalogCacheReadsMixin):
    """``list`` answered from the catalog cache when it can be (exercises/cache.py).

    Catalog reads run outside ATOMIC_REQUESTS' transaction: a cached answer then takes
    no database connection at all, and a read gains nothing from one (at READ COMMITTED
    each query sees what was committed when it started, transaction or not).
    """

    filterset_class: (
        type[Any] | None
    )  # set by the viewsets (django-filter has no types)

    @method_decorator(transaction.non_atomic_requests)
    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        return super().dispatch(request, *args, **kwargs)

    # A cached answer is a plain HttpResponse, which DRF's finalize_response passes through.
    def list(  # type: ignore[override]
        self, request: Request, *args: Any, **kwargs: Any
    ) -> HttpResponseBase:
        return catalog_response(
            request,
            partial(super().list, request, *args, **kwargs),
            params=self._known_params(),
            found=round_trip_found(request),
        )

    def round_trip_reads(self, request: Request) -> Sequence[str]:
        if self.action == "list":
            return catalog_keys(request, self._known_params())
        return super().round_trip_reads(request)

    def _known_params(self) -> set[str]:
        """The query parameters this list reads: its filters and its pagination."""
        names = (
            set(self.filterset_class.base_filters) if self.filterset_class else set()
        )
        for attribute in ("limit_query_param", "offset_query_param"):
            if name := getattr(self.paginator, attribute, None):
                names.add(name)
        return names


class CachedRetrieveMixin(mixins.RetrieveModelMixin, CatalogCacheReadsMixin):
    """``retrieve`` answered from the catalog cache when it can be (exercises/cache.py)."""

    def round_trip_reads(self, request: Request) -> Sequence[str]:
        if self.action == "retrieve":
            return catalog_keys(request)
        return super().round_trip_reads(request)

    # A cached answer is a plain HttpResponse, which DRF's finalize_response passes through.
    def retrieve(  # type: ignore[override]
        self, request: Request, *args: Any, **kwargs: Any
    ) -> HttpResponseBase:
        return catalog_response(
            request,
            partial(super().retrieve, request, *args, **kwargs),
            found=round_trip_found(request),
        )


class ReadOnlyViewSet(
    CachedListMixin, CachedRetrieveMixin, viewsets.GenericViewSet[Any]
):
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


@openapi.exercise_schema
@openapi.exercise_write_schema
class ExerciseViewSet(LibraryWriteMixin, ReadOnlyViewSet):
    """Exercises: summaries in the list, everything in the detail.

    Visibility: non-staff see published exercises only (others are 404); staff see every
    status and may narrow the list with ``status``. Regressions/progressions/alternatives
    only include links whose target the caller can read.
    """

    queryset = Exercise.objects.none()
    filterset_class = ExerciseFilterSet
    write_serializer_class = ExerciseWriteSerializer
    detail_serializer_class = ExerciseDetailSerializer
    create_service = staticmethod(exercise_create)
    edit_service = staticmethod(exercise_edit)

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


@openapi.routine_schema
@openapi.routine_write_schema
class RoutineViewSet(LibraryWriteMixin, ReadOnlyViewSet):
    """Routine templates: summaries in the list, items expanded in the detail.

    Visibility: non-staff see published routines only (others are 404); staff see every
    status. Items are never filtered by their exercise's status: a published routine was
    reviewed as a whole, and silently dropping an item would change what a patient is
    told to do. Its exercise summary is still shown; the exercise's own detail stays
    subject to the exercise's visibility.
    """

    queryset = Routine.objects.none()
    filterset_class = RoutineFilterSet
    write_serializer_class = RoutineWriteSerializer
    detail_serializer_class = RoutineDetailSerializer
    create_service = staticmethod(routine_create)
    edit_service = staticmethod(routine_edit)

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


class TaxonomyViewSet(CachedListMixin, viewsets.GenericViewSet[Any]):
    """A public, cached list of one taxonomy; ``taxonomy_viewset`` makes the concrete ones."""

    permission_classes = [AllowAny]
    filter_backends = [SelectorFilterBackend]

    selector: ClassVar[Callable[..., QuerySet[Any]]]

    def get_queryset(self) -> QuerySet[Any]:
        return type(self).selector(filters=self.request.query_params)


def taxonomy_viewset(
    model: type[Model],
    serializer: type[BaseSerializer[Any]],
    filterset: type[FilterSet],
    selector: Callable[..., QuerySet[Any]],
) -> type[TaxonomyViewSet]:
    """The list viewset of one taxonomy model, its queryset from ``selector``."""
    attributes = {
        "__doc__": f"{str(model._meta.verbose_name_plural).capitalize()}: a public list.",
        "queryset": model._default_manager.none(),
        "serializer_class": serializer,
        "filterset_class": filterset,
        "selector": staticmethod(selector),
    }
    return type(f"{model.__name__}ViewSet", (TaxonomyViewSet,), attributes)


MuscleViewSet = openapi.muscle_schema(
    taxonomy_viewset(Muscle, MuscleSerializer, MuscleFilterSet, muscle_list)
)
EquipmentViewSet = openapi.equipment_schema(
    taxonomy_viewset(Equipment, EquipmentSerializer, EquipmentFilterSet, equipment_list)
)
ConditionViewSet = openapi.condition_schema(
    taxonomy_viewset(Condition, ConditionSerializer, ConditionFilterSet, condition_list)
)
