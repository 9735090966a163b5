"""Reads of plans, scoped to the caller and prefetched for the API serializers.

Visibility: a patient sees their own plans; a clinician the plans of the patients in
their care (users.selectors.patient_list); an admin every plan; anyone else nothing.
Anything outside that scope is indistinguishable from a missing plan.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import django_filters as filters
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, Q, QuerySet

from common.filters import FilterSet
from common.models import Status
from exercises.models import ExerciseInstruction, ExerciseLink, ExerciseMedia
from sessions.models import Plan, PlanItem
from sessions.schedules import local_today
from users.models import User
from users.selectors import patient_list

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser


class PlanFilterSet(FilterSet):
    patient = filters.UUIDFilter(
        field_name="patient_id",
        help_text=(
            "Only this patient's plans (clinicians and admins; a patient sees only "
            "their own anyway)."
        ),
    )
    status = filters.ChoiceFilter(
        choices=Plan.Status.choices, help_text="Only plans in this status."
    )

    class Meta:
        model = Plan
        fields = ["patient", "status"]


def plan_visible(*, user: User | AnonymousUser) -> QuerySet[Plan]:
    """Plans ``user`` may read (see the module doc); no joins."""
    if not user.is_authenticated or not user.is_active:
        return Plan.objects.none()
    if user.is_superuser:
        return Plan.objects.all()
    if user.is_clinician:
        return Plan.objects.filter(patient__in=patient_list(user=user))
    if user.is_patient:
        return Plan.objects.filter(patient=user)
    return Plan.objects.none()


def _swap_links() -> QuerySet[ExerciseLink]:
    """Links the app may offer as swaps: regressions, progressions, alternatives whose
    target is published (a private target is filtered per plan by plan_item_swaps)."""
    return (
        ExerciseLink.objects.filter(
            Q(target__status=Status.PUBLISHED) | Q(target__private=True)
        )
        .select_related("target")
        .order_by("order", "id")
    )


def plan_item_swaps(item: PlanItem, kind: str) -> list[ExerciseLink]:
    """The item's exercise's links of ``kind`` (prefetched by plan_list / plan_get).

    A private target is offered only in plans of its author (the prescriber).
    """
    prescriber = item.plan.prescribed_by_id
    return [
        link
        for link in getattr(item.exercise, "swap_links", [])
        if link.kind == kind
        and (
            link.target.status == Status.PUBLISHED
            or link.target.author_id == prescriber
        )
    ]


def _with_items(queryset: QuerySet[Plan]) -> QuerySet[Plan]:
    """Prefetch what PlanSerializer reads: 5 queries per page besides the plans themselves.

    Items (with their exercise joined), then the exercises' instructions, media,
    equipment and swap links (with their targets), each in one query for the page.
    """
    items = (
        PlanItem.objects.select_related("exercise")
        .prefetch_related(
            Prefetch(
                "exercise__instructions",
                queryset=ExerciseInstruction.objects.order_by("order", "id"),
            ),
            Prefetch(
                "exercise__media",
                queryset=ExerciseMedia.objects.order_by("order", "id"),
            ),
            "exercise__equipment",
            Prefetch("exercise__links", queryset=_swap_links(), to_attr="swap_links"),
        )
        .order_by("order", "id")
    )
    return queryset.select_related("prescribed_by", "patient").prefetch_related(
        Prefetch("items", queryset=items)
    )


def plan_list(
    *, user: User | AnonymousUser, filters: Mapping[str, Any] | None = None
) -> QuerySet[Plan]:
    """Visible plans, newest start first, filtered by ``patient`` / ``status``, items prefetched.

    Raises ValidationError naming the bad parameter (e.g. a malformed patient id).
    """
    queryset = _with_items(plan_visible(user=user)).order_by(
        "-start_date", "-created_at", "pk"
    )
    filterset = PlanFilterSet(data=filters or {}, queryset=queryset)
    if not filterset.is_valid():
        raise ValidationError(filterset.errors.as_data())
    result: QuerySet[Plan] = filterset.qs
    return result


def plan_get(*, user: User | AnonymousUser, plan_id: uuid.UUID | str) -> Plan | None:
    """One visible plan with its items prefetched, or None (unknown, not visible, malformed id)."""
    try:
        pk = plan_id if isinstance(plan_id, uuid.UUID) else uuid.UUID(str(plan_id))
    except ValueError:
        return None
    return _with_items(plan_visible(user=user)).filter(pk=pk).first()


def plan_items_on(*, plan: Plan, day: dt.date) -> list[PlanItem]:
    """The plan's items as prescribed on ``day`` (from the prefetched items; no query).

    Items re-dosed, added or ended from a date (sessions.services.plan_changes) carry
    their own ``starts_on``/``ends_on``; the plan's own dates do not filter here.
    """
    return [item for item in plan.items.all() if item.is_active_on(day)]


def plans_as_of(*, plans: Sequence[Plan], on: dt.date | None) -> list[Plan]:
    """Give each plan ``items_on``: its items on ``on`` (default: the patient's today).

    Reads the prefetched items and the joined patient (plan_list / plan_get): no query.
    """
    for plan in plans:
        day = on or local_today(tz_name=plan.patient.timezone)
        plan.items_on = plan_items_on(plan=plan, day=day)  # type: ignore[attr-defined]
    return list(plans)
