"""Plans built item by item: any published exercise, or the prescriber's private ones.

``plan_compose`` is ``POST plans/`` with ``items`` instead of ``routine``; the helpers
build one item from an exercise (its default dosage, then the fields given) and are
shared with sessions.services.plan_changes (items added from a date).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q

from common.models import Status
from exercises.models import Exercise, Routine, RoutineItem
from exercises.selectors import routine_visible
from sessions.models import Plan, PlanItem
from sessions.services.plans import (
    ADJUSTABLE_ITEM_FIELDS,
    AMOUNT_FIELDS,
    NOT_YOUR_PATIENT,
    ROUTINE_NOT_PUBLISHED,
    _apply_item_changes,
    _clean_item,
    _plan_create,
    _prefixed,
    _require_care,
    plan_prescribe,
    plan_schedule_errors,
    routine_prescribable,
)
from sessions.signals import plan_changed
from users.models import User
from users.selectors import patient_get_for

__all__ = [
    "AMOUNT_REQUIRED",
    "EXERCISE_NOT_USABLE",
    "ITEMS_REQUIRED",
    "MAX_PLAN_ITEMS",
    "PLAN_SOURCE_MISSING",
    "TITLE_REQUIRED",
    "TOO_MANY_ITEMS",
    "item_from_exercise",
    "plan_compose",
    "plan_create_by_ids",
    "plan_create_errors",
    "usable_exercises",
]

ITEMS_REQUIRED = "Give at least one item (or a routine)."
MAX_PLAN_ITEMS = 50
TOO_MANY_ITEMS = f"A plan holds at most {MAX_PLAN_ITEMS} items."
EXERCISE_NOT_USABLE = (
    "Unknown exercise, or one you may not prescribe: use a published exercise or "
    "one of your private ones."
)
AMOUNT_REQUIRED = "This exercise has no default dosage: give reps, steps or seconds."
# An exercise's default dosage, the start of an item built from scratch.
DEFAULT_DOSAGE_FIELDS = tuple(f for f in ADJUSTABLE_ITEM_FIELDS if f != "note")


def usable_exercises(*, prescriber: User, ids: Iterable[Any]) -> dict[Any, Exercise]:
    """The exercises among ``ids`` that ``prescriber`` may put in a plan (one query):
    published ones and their own private ones."""
    return {
        exercise.pk: exercise
        for exercise in Exercise.objects.filter(pk__in=set(ids)).filter(
            Q(status=Status.PUBLISHED) | Q(private=True, author=prescriber)
        )
    }


def item_from_exercise(
    *,
    plan: Plan,
    exercise: Exercise,
    entry: Mapping[str, Any],
    order: int,
    prefix: str,
    starts_on: dt.date | None = None,
) -> PlanItem:
    """A validated, unsaved plan item: the exercise's default dosage, then ``entry``'s.

    Raises ValidationError keyed under ``prefix`` (an exercise without default dosage
    needs an amount; field ranges).
    """
    item = PlanItem(
        plan=plan,
        exercise=exercise,
        block=entry.get("block") or RoutineItem.Block.MAIN,
        order=order,
        starts_on=starts_on,
        **(
            {field: getattr(exercise, field) for field in DEFAULT_DOSAGE_FIELDS}
            if exercise.has_default_dosage
            else {}
        ),
    )
    changes = {k: v for k, v in entry.items() if k in ADJUSTABLE_ITEM_FIELDS}
    if not exercise.has_default_dosage and not any(
        changes.get(field) is not None for field in AMOUNT_FIELDS
    ):
        raise ValidationError({f"{prefix}.reps": [AMOUNT_REQUIRED]})
    try:
        _apply_item_changes(item, changes)
    except ValidationError as exc:
        raise _prefixed(exc, prefix) from exc
    _clean_item(item, prefix)
    return item


@transaction.atomic
def plan_compose(
    *,
    prescriber: User,
    patient: User,
    title: str,
    items: Sequence[Mapping[str, Any]],
    start_date: dt.date,
    end_date: dt.date | None = None,
    days_of_week: Sequence[int] | None = None,
    times_per_week: int | None = None,
    note: str = "",
) -> Plan:
    """Build a plan from scratch: ``items`` lists ``{"exercise": <id>, <dosage>...}``.

    Each exercise must be published or one of ``prescriber``'s private exercises. An
    item's dosage starts from the exercise's default dosage (when it has one) and the
    fields given replace it; the order is the list's. Raises ValidationError (patient,
    title, schedule, items.N.*); nothing is written unless everything is valid.
    """
    _require_care(prescriber=prescriber, patient=patient)
    if not items:
        raise ValidationError({"items": [ITEMS_REQUIRED]})
    if len(items) > MAX_PLAN_ITEMS:
        raise ValidationError({"items": [TOO_MANY_ITEMS]})
    usable = usable_exercises(
        prescriber=prescriber, ids=(entry.get("exercise") for entry in items)
    )
    for index, entry in enumerate(items):
        if entry.get("exercise") not in usable:
            raise ValidationError({f"items.{index}.exercise": [EXERCISE_NOT_USABLE]})
    plan = _plan_create(
        prescriber=prescriber,
        patient=patient,
        routine=None,
        title=title,
        start_date=start_date,
        end_date=end_date,
        days_of_week=days_of_week,
        times_per_week=times_per_week,
        note=note,
        reason="Prescribed item by item",
    )
    for index, entry in enumerate(items):
        item = item_from_exercise(
            plan=plan,
            exercise=usable[entry["exercise"]],
            entry=entry,
            order=index,
            prefix=f"items.{index}",
        )
        item._history_user = prescriber  # type: ignore[attr-defined]
        item.save()
    plan_changed.send(sender=Plan, plan=plan, action="created")
    return plan


PLAN_SOURCE_MISSING = "Give a routine, or items to build the plan from."
TITLE_REQUIRED = "Give a title: there is no routine to take it from."


def plan_create_by_ids(
    *,
    prescriber: User,
    patient_id: Any,
    routine_id: Any = None,
    items: Sequence[Mapping[str, Any]] = (),
    title: str = "",
    **schedule: Any,
) -> Plan:
    """``POST plans/``: from a routine (``plan_prescribe``) or item by item
    (``plan_compose``), the patient and the routine named by id.

    Every rule of ``plan_create_errors`` is checked first, and all broken ones are
    raised together (ValidationError by field).
    """
    data = {"patient_id": patient_id, "routine_id": routine_id, "items": items}
    patient, routine, errors = _create_checks(
        prescriber=prescriber, data={**data, "title": title, **schedule}, unread=()
    )
    if errors or patient is None:
        raise ValidationError(errors)
    if routine is not None:
        return plan_prescribe(
            prescriber=prescriber,
            patient=patient,
            routine=routine,
            items=items,
            title=title,
            **schedule,
        )
    return plan_compose(
        prescriber=prescriber, patient=patient, title=title, items=items, **schedule
    )


def plan_create_errors(
    *, prescriber: User, data: Mapping[str, Any], unread: Collection[str] = ()
) -> dict[str, list[str]]:
    """The rules of ``POST plans/`` (``plan_create_by_ids``) broken by ``data``, by field.

    ``data`` holds the fields that could be read, keyed as the service takes them
    (``patient_id``, ``routine_id``, ``title``, ``items``, the schedule); those named in
    ``unread`` could not (the caller reports why) and no rule that needs one is checked.
    The rules: an id that is unknown, inactive, not a patient or not in ``prescriber``'s
    care gets NOT_YOUR_PATIENT on ``patient`` (one answer for all: nothing leaks); a
    routine the prescriber cannot see or may not prescribe, ROUTINE_NOT_PUBLISHED on
    ``routine``; without a routine, items and a title; the schedule. The items' own
    rules are checked when the plan is built.
    """
    return _create_checks(prescriber=prescriber, data=data, unread=unread)[2]


def _create_checks(
    *, prescriber: User, data: Mapping[str, Any], unread: Collection[str]
) -> tuple[User | None, Routine | None, dict[str, list[str]]]:
    errors: dict[str, list[str]] = {}
    patient = None
    if "patient_id" not in unread:
        patient = patient_get_for(user=prescriber, patient_id=data["patient_id"])
        if patient is None:
            errors["patient"] = [NOT_YOUR_PATIENT]
    routine = None
    if data.get("routine_id") is not None:
        routine = routine_visible(user=prescriber).filter(pk=data["routine_id"]).first()
        if routine is None or not routine_prescribable(
            routine=routine, prescriber=prescriber
        ):
            errors["routine"] = [ROUTINE_NOT_PUBLISHED]
    elif "routine_id" not in unread:
        if "items" not in unread and not data.get("items"):
            errors["routine"] = [PLAN_SOURCE_MISSING]
        if "title" not in unread and not data.get("title", "").strip():
            errors["title"] = [TITLE_REQUIRED]
    schedule = plan_schedule_errors(
        start_date=data.get("start_date"),
        end_date=data.get("end_date"),
        days_of_week=data.get("days_of_week"),
        times_per_week=data.get("times_per_week"),
        unread=unread,
    )
    return patient, routine, {**errors, **schedule}
