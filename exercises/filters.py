"""Query-parameter filters of the library API, applied by the selectors (exercises.selectors).

Every filter validates its value: an unknown slug, choice or ordering, or a malformed
datetime, makes the FilterSet invalid and the API answers 400 naming the parameter.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import django_filters as filters
from django import forms
from django.db.models import Q

from common.filters import FilterSet, IsoDateTimeFilter
from common.models import Status
from exercises.models import (
    Condition,
    Equipment,
    Exercise,
    Muscle,
    Routine,
    RoutineItem,
)

if TYPE_CHECKING:
    from django.db.models import QuerySet


def search_q(value: str, fields: tuple[str, ...]) -> Q:
    """Every word of ``value`` must appear (case-insensitive) in at least one of ``fields``."""
    condition = Q()
    for word in value.split():
        any_field = Q()
        for field in fields:
            any_field |= Q(**{f"{field}__icontains": word})
        condition &= any_field
    return condition


class SlugFilter(filters.ModelChoiceFilter):
    """One taxonomy object named by its slug; an unknown slug is a validation error."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("to_field_name", "slug")
        super().__init__(*args, **kwargs)


class RepeatableSelect(forms.Select):
    """Reads a repeated parameter (``?ordering=a&ordering=b``) like ``?ordering=a,b``.

    The schema documents the comma-separated form (style form, explode false), but some
    generated clients repeat the parameter per item whatever the schema says
    (openapi-python-client#197); a plain Select keeps only the last value and silently
    drops the other sort keys.
    """

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        values = data.getlist(name) if hasattr(data, "getlist") else []
        if len(values) > 1:
            return ",".join(values)
        return super().value_from_datadict(data, files, name)


class StableOrderingFilter(filters.OrderingFilter):
    """Whitelisted ordering with the primary key as the last key, so pages never overlap."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", RepeatableSelect)
        super().__init__(*args, **kwargs)

    def filter(self, qs: QuerySet[Any], value: list[str] | None) -> QuerySet[Any]:
        if not value:
            return qs
        return qs.order_by(*(self.get_ordering_value(param) for param in value), "pk")


# ---------------------------------------------------------------------------
# Exercises
# ---------------------------------------------------------------------------
class ExerciseFilterSet(FilterSet):
    q = filters.CharFilter(
        method="filter_q",
        max_length=200,
        help_text=(
            "Words to find in the name, aliases or summary (all words must match, "
            "case-insensitive)."
        ),
    )
    muscle = SlugFilter(
        queryset=Muscle.objects.all(),
        method="filter_muscle",
        help_text="Muscle slug: exercises that work it as a primary or secondary muscle.",
    )
    equipment = SlugFilter(
        queryset=Equipment.objects.all(),
        field_name="equipment",
        help_text="Equipment slug: exercises that need it.",
    )
    condition = SlugFilter(
        queryset=Condition.objects.all(),
        field_name="conditions",
        help_text="Condition slug: exercises that help with it.",
    )
    difficulty = filters.ChoiceFilter(
        choices=Exercise.Difficulty.choices, help_text="Difficulty level."
    )
    laterality = filters.ChoiceFilter(
        choices=Exercise.Laterality.choices,
        help_text="Bilateral, unilateral (one side at a time) or alternating.",
    )
    updated_since = IsoDateTimeFilter(
        field_name="updated_at",
        lookup_expr="gte",
        help_text=(
            "ISO 8601 date-time (e.g. 2025-01-31T08:00:00Z; percent-encode a '+' offset): "
            "only exercises changed at or after it. Without an offset it is read as UTC."
        ),
    )
    status = filters.ChoiceFilter(
        choices=Status.choices,
        help_text=(
            "Workflow status. Staff see every status and may narrow by it; everyone else "
            "only ever sees published exercises, so other values return an empty page."
        ),
    )
    ordering = StableOrderingFilter(
        # "difficulty" sorts by level (beginner first), not alphabetically: the selector
        # annotates difficulty_rank.
        fields=(
            ("name", "name"),
            ("difficulty_rank", "difficulty"),
            ("updated_at", "updated_at"),
            ("created_at", "created_at"),
        ),
        help_text=(
            "Sort keys, comma-separated (or the parameter repeated), '-' for "
            "descending (default: name). Ties are broken by id."
        ),
    )

    class Meta:
        model = Exercise
        fields = [
            "q",
            "muscle",
            "equipment",
            "condition",
            "difficulty",
            "laterality",
            "updated_since",
            "status",
            "ordering",
        ]

    def filter_q(
        self, queryset: QuerySet[Exercise], name: str, value: str
    ) -> QuerySet[Exercise]:
        return queryset.filter(search_q(value, ("name", "aliases", "summary")))

    def filter_muscle(
        self, queryset: QuerySet[Exercise], name: str, value: Muscle
    ) -> QuerySet[Exercise]:
        # Subqueries, not joins: an OR over two many-to-many joins would repeat rows.
        primary = Exercise.primary_muscles.through.objects.filter(muscle=value)
        secondary = Exercise.secondary_muscles.through.objects.filter(muscle=value)
        return queryset.filter(
            Q(pk__in=primary.values("exercise_id"))
            | Q(pk__in=secondary.values("exercise_id"))
        )


# ---------------------------------------------------------------------------
# Routines
# ---------------------------------------------------------------------------
class RoutineFilterSet(FilterSet):
    q = filters.CharFilter(
        method="filter_q",
        max_length=200,
        help_text=(
            "Words to find in the title, summary, goal or when-to-use text (all "
            "words must match)."
        ),
    )
    condition = SlugFilter(
        queryset=Condition.objects.all(),
        field_name="conditions",
        help_text="Condition slug: routines for it.",
    )
    equipment = SlugFilter(
        queryset=Equipment.objects.all(),
        method="filter_equipment",
        help_text="Equipment slug: routines with at least one exercise that needs it.",
    )
    status = filters.ChoiceFilter(
        choices=Status.choices,
        help_text=(
            "Workflow status. Staff see every status and may narrow by it; everyone else "
            "only ever sees published routines."
        ),
    )
    ordering = StableOrderingFilter(
        fields=(
            ("title", "title"),
            ("updated_at", "updated_at"),
            ("created_at", "created_at"),
        ),
        help_text=(
            "Sort keys, comma-separated (or the parameter repeated), '-' for "
            "descending (default: title)."
        ),
    )

    class Meta:
        model = Routine
        fields = ["q", "condition", "equipment", "status", "ordering"]

    def filter_q(
        self, queryset: QuerySet[Routine], name: str, value: str
    ) -> QuerySet[Routine]:
        return queryset.filter(
            search_q(value, ("title", "summary", "goal", "when_to_use"))
        )

    def filter_equipment(
        self, queryset: QuerySet[Routine], name: str, value: Equipment
    ) -> QuerySet[Routine]:
        # A subquery keeps each routine once however many of its exercises need it.
        items = RoutineItem.objects.filter(exercise__equipment=value)
        return queryset.filter(pk__in=items.values("routine_id"))


# ---------------------------------------------------------------------------
# Taxonomies
# ---------------------------------------------------------------------------
TAXONOMY_Q_HELP = (
    "Words to find in the name or slug (all words must match, case-insensitive)."
)


class MuscleFilterSet(FilterSet):
    q = filters.CharFilter(method="filter_q", max_length=200, help_text=TAXONOMY_Q_HELP)
    body_region = filters.ChoiceFilter(
        choices=Muscle.BodyRegion.choices, help_text="Body region of the muscle."
    )

    class Meta:
        model = Muscle
        fields = ["q", "body_region"]

    def filter_q(
        self, queryset: QuerySet[Muscle], name: str, value: str
    ) -> QuerySet[Muscle]:
        return queryset.filter(search_q(value, ("name", "slug")))


class EquipmentFilterSet(FilterSet):
    q = filters.CharFilter(method="filter_q", max_length=200, help_text=TAXONOMY_Q_HELP)

    class Meta:
        model = Equipment
        fields = ["q"]

    def filter_q(
        self, queryset: QuerySet[Equipment], name: str, value: str
    ) -> QuerySet[Equipment]:
        return queryset.filter(search_q(value, ("name", "slug")))


class ConditionFilterSet(FilterSet):
    q = filters.CharFilter(method="filter_q", max_length=200, help_text=TAXONOMY_Q_HELP)

    class Meta:
        model = Condition
        fields = ["q"]

    def filter_q(
        self, queryset: QuerySet[Condition], name: str, value: str
    ) -> QuerySet[Condition]:
        return queryset.filter(search_q(value, ("name", "slug")))
