"""Reads of the library, scoped to the caller and optimised for the API serializers.

Visibility: anonymous users and non-staff accounts see published content only; staff
(clinicians and admins) see every status. Taxonomies have no status and are public.
Filters come from the API's query parameters and are validated by the FilterSets in
exercises.filters; invalid values raise django.core.exceptions.ValidationError keyed by
parameter name (the API turns it into a 400 problem document).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from django.core.exceptions import ValidationError
from django.db.models import (
    Case,
    IntegerField,
    Model,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
)

from common.models import Status
from exercises.filters import (
    ConditionFilterSet,
    EquipmentFilterSet,
    ExerciseFilterSet,
    MuscleFilterSet,
    RoutineFilterSet,
)
from exercises.models import (
    Condition,
    ContentRevision,
    Equipment,
    Exercise,
    ExerciseInstruction,
    ExerciseLink,
    ExerciseMedia,
    Muscle,
    Routine,
    RoutineItem,
)
from exercises.revisions import revision_diff, revisions_waiting_for

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser
    from django_filters import FilterSet

    from users.models import User

    Caller = User | AnonymousUser

M = TypeVar("M", bound=Model)

# Beginner first when sorting by difficulty (the stored values sort alphabetically).
DIFFICULTY_RANK = Case(
    When(difficulty=Exercise.Difficulty.BEGINNER, then=Value(1)),
    When(difficulty=Exercise.Difficulty.INTERMEDIATE, then=Value(2)),
    When(difficulty=Exercise.Difficulty.ADVANCED, then=Value(3)),
    default=Value(4),
    output_field=IntegerField(),
)


def can_see_unpublished(user: Caller | None) -> bool:
    """Staff (clinicians, admins) may read drafts, content in review and archived content."""
    return bool(user is not None and user.is_authenticated and user.is_staff)


def content_visible(queryset: QuerySet[M], user: Caller | None) -> QuerySet[M]:
    """Published content; staff also the rest, except other clinicians' private drafts.

    A private exercise or routine is its author's until it is submitted for review
    (reviewers then see it) and published (which shares it). Superusers see all.
    """
    if can_see_unpublished(user):
        if user is not None and user.is_superuser:
            return queryset
        return queryset.filter(
            Q(private=False) | Q(author=user) | Q(status=Status.IN_REVIEW)
        )
    return queryset.filter(status=Status.PUBLISHED)


def _filtered(
    filterset_class: type[FilterSet],
    queryset: QuerySet[M],
    filters: Mapping[str, Any] | None,
) -> QuerySet[M]:
    """Apply a FilterSet to ``queryset``; raise ValidationError naming each bad parameter."""
    filterset = filterset_class(data=filters or {}, queryset=queryset)
    if not filterset.is_valid():
        raise ValidationError(filterset.errors.as_data())
    result: QuerySet[M] = filterset.qs
    return result


def _parse_uuid(value: uuid.UUID | str) -> uuid.UUID | None:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


# ---------------------------------------------------------------------------
# Exercises
# ---------------------------------------------------------------------------
def exercise_visible(*, user: Caller | None) -> QuerySet[Exercise]:
    """Exercises ``user`` may read (published only, unless staff); no joins."""
    return content_visible(Exercise.objects.all(), user)


def exercise_list(
    *, user: Caller | None, filters: Mapping[str, Any] | None = None
) -> QuerySet[Exercise]:
    """Visible exercises, filtered and ordered (default by name), with what summaries read.

    Prefetches primary muscles, equipment and conditions (three queries per page).
    Raises ValidationError for invalid filters.
    """
    queryset = (
        exercise_visible(user=user)
        .annotate(difficulty_rank=DIFFICULTY_RANK)
        .prefetch_related("primary_muscles", "equipment", "conditions")
        .order_by("name", "pk")
    )
    return _filtered(ExerciseFilterSet, queryset, filters)


def exercise_detail_queryset(*, user: Caller | None) -> QuerySet[Exercise]:
    """Visible exercises with everything the detail reads prefetched (seven queries per object).

    Links are limited to those whose target ``user`` may read, so a published exercise
    never points the public at a draft.
    """
    links = ExerciseLink.objects.select_related("target").order_by("order", "id")
    links = links.filter(target__in=exercise_visible(user=user))
    return exercise_visible(user=user).prefetch_related(
        "primary_muscles",
        "secondary_muscles",
        "equipment",
        "conditions",
        Prefetch(
            "instructions",
            queryset=ExerciseInstruction.objects.order_by("order", "id"),
        ),
        Prefetch("media", queryset=ExerciseMedia.objects.order_by("order", "id")),
        Prefetch("links", queryset=links, to_attr="visible_links"),
    )


def exercise_get(
    *, user: Caller | None, exercise_id: uuid.UUID | str
) -> Exercise | None:
    """One exercise for the detail view, or None when it does not exist or ``user`` may not see it.

    A malformed id is treated as unknown (None), never as an error.
    """
    pk = _parse_uuid(exercise_id)
    if pk is None:
        return None
    return exercise_detail_queryset(user=user).filter(pk=pk).first()


# ---------------------------------------------------------------------------
# Routines
# ---------------------------------------------------------------------------
def routine_visible(*, user: Caller | None) -> QuerySet[Routine]:
    """Routines ``user`` may read (published only, unless staff); no joins."""
    return content_visible(Routine.objects.all(), user)


def routine_list(
    *, user: Caller | None, filters: Mapping[str, Any] | None = None
) -> QuerySet[Routine]:
    """Visible routines, filtered and ordered (default by title), for summaries.

    Prefetches conditions and items (the estimated duration sums the items): two
    queries per page. Raises ValidationError for invalid filters.
    """
    queryset = (
        routine_visible(user=user)
        .prefetch_related(
            "conditions",
            Prefetch("items", queryset=RoutineItem.objects.order_by("order", "id")),
        )
        .order_by("title", "pk")
    )
    return _filtered(RoutineFilterSet, queryset, filters)


def routine_get(*, user: Caller | None, routine_id: uuid.UUID | str) -> Routine | None:
    """One routine with its items in order (exercise and its equipment included), or None.

    None when it does not exist, ``user`` may not see it or the id is malformed. Items
    are never hidden: a published routine was reviewed as a whole, so it lists every
    item even if one of its exercises has since been archived.
    """
    pk = _parse_uuid(routine_id)
    if pk is None:
        return None
    items = (
        RoutineItem.objects.select_related("exercise")
        .prefetch_related("exercise__equipment")
        .order_by("order", "id")
    )
    return (
        routine_visible(user=user)
        .prefetch_related("conditions", Prefetch("items", queryset=items))
        .filter(pk=pk)
        .first()
    )


# ---------------------------------------------------------------------------
# Taxonomies (public, no status)
# ---------------------------------------------------------------------------
def muscle_list(*, filters: Mapping[str, Any] | None = None) -> QuerySet[Muscle]:
    """All muscles by name, filtered by ``q`` and ``body_region``."""
    return _filtered(MuscleFilterSet, Muscle.objects.order_by("name", "pk"), filters)


def equipment_list(*, filters: Mapping[str, Any] | None = None) -> QuerySet[Equipment]:
    """All equipment by name, filtered by ``q``."""
    return _filtered(
        EquipmentFilterSet, Equipment.objects.order_by("name", "pk"), filters
    )


def condition_list(*, filters: Mapping[str, Any] | None = None) -> QuerySet[Condition]:
    """All conditions by name, filtered by ``q``."""
    return _filtered(
        ConditionFilterSet, Condition.objects.order_by("name", "pk"), filters
    )


# ---------------------------------------------------------------------------
# Pending revisions of published content (the review queue)
# ---------------------------------------------------------------------------
def revision_visible(*, user: User) -> QuerySet[ContentRevision]:
    """Revisions ``user`` may read: reviewers (publish permission) and admins all of
    them, anyone else their own proposals; content and proposer joined (no query per row).
    """
    rows = ContentRevision.objects.select_related("exercise", "routine", "proposed_by")
    reviewer = user.has_perm("exercises.publish_exercise") or user.has_perm(
        "exercises.publish_routine"
    )
    if user.is_superuser or reviewer:
        return rows
    return rows.filter(proposed_by=user)


def revision_with_diff(revision: ContentRevision) -> ContentRevision:
    """``revision`` with ``diff`` set (the published and proposed value of each field;
    reads the joined content, no query)."""
    revision.diff = revision_diff(revision)  # type: ignore[attr-defined]
    return revision


def revisions_awaiting(*, user: User) -> QuerySet[ContentRevision]:
    """The review queue of ``user``: pending revisions proposed by someone else
    (superusers: all), oldest first, content and proposer joined (add each page's
    diff with ``revision_with_diff``: no query)."""
    return revisions_waiting_for(user=user)


def revision_get(*, user: User, revision_id: int | str) -> ContentRevision | None:
    """One revision ``user`` may read, with its diff; None if unknown or not theirs."""
    try:
        pk = int(revision_id)
    except (TypeError, ValueError):
        return None
    revision = revision_visible(user=user).filter(pk=pk).first()
    return None if revision is None else revision_with_diff(revision)
