"""Writes to plans: prescribing a routine to a patient and adjusting the plan afterwards.

A plan keeps its own copy of the routine's items (exercise, block, dosage, note, order),
so editing the template later never changes a prescription, and tweaking one patient's
dosage never changes the template or anyone else's plan. Every change is kept in the
edit history (simple-history) with who made it.

Status transitions: active <-> paused (pause / resume) and active|paused -> ended. Ended
is final: any change to an ended plan raises ValidationError keyed by what was changed.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import transaction

from common.models import Direction, Status
from exercises.models import RoutineItem
from sessions.models import Plan, PlanItem
from sessions.signals import plan_changed
from users.models import CareRelationship, User

if TYPE_CHECKING:
    from exercises.models import Routine

# Messages the tests assert on (constants beside the raiser).
NOT_YOUR_PATIENT = "Not one of your patients."
NOT_PRESCRIBER = (
    "Only a clinician of this patient or an administrator can change plans."
)
ROUTINE_NOT_PUBLISHED = "Only a published routine can be prescribed."
SCHEDULE_MISSING = "Give either days_of_week or times_per_week."
SCHEDULE_BOTH = "Give either days_of_week or times_per_week, not both."
DAYS_INVALID = "Use distinct ISO weekdays from 1 (Monday) to 7 (Sunday)."
END_BEFORE_START = "The end date cannot be before the start date."
PLAN_ENDED = "This plan has ended and can no longer be changed."
NOT_ROUTINE_ITEM = "Not an item of this routine."
NOT_PLAN_ITEM = "Not an item of this plan."
DUPLICATE_ITEM = "This item is listed more than once."

AMOUNT_FIELDS = ("reps", "steps", "seconds")
# Fields of a plan item a clinician may tweak (at prescription or afterwards).
ADJUSTABLE_ITEM_FIELDS = (
    "sets",
    *AMOUNT_FIELDS,
    "direction",
    "per_side",
    "hold_seconds",
    "rest_seconds",
    "load",
    "band",
    "tempo",
    "note",
)
# Copied from each routine item, in addition to exercise, routine_item, block and order.
COPIED_ITEM_FIELDS = ADJUSTABLE_ITEM_FIELDS
ADJUSTABLE_PLAN_FIELDS = (
    "status",
    "end_date",
    "days_of_week",
    "times_per_week",
    "note",
)


def can_prescribe(*, user: User, patient_id: uuid.UUID) -> bool:
    """Whether ``user`` may prescribe to / adjust plans of that patient (one query for clinicians).

    Admins (superusers) may for any patient; clinicians only for patients in their care.
    """
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    if not user.is_clinician:
        return False
    return CareRelationship.objects.filter(
        clinician=user, patient_id=patient_id
    ).exists()


def plan_schedule_validate(
    *,
    start_date: dt.date,
    end_date: dt.date | None,
    days_of_week: Sequence[int] | None,
    times_per_week: int | None,
) -> None:
    """Check a schedule: distinct weekdays 1-7 XOR times per week, end not before start.

    Raises ValidationError keyed by field; shared by the API and the admin.
    """
    errors = plan_schedule_errors(
        start_date=start_date,
        end_date=end_date,
        days_of_week=days_of_week,
        times_per_week=times_per_week,
    )
    if errors:
        raise ValidationError(errors)


# The fields each schedule error is about: not checked when one could not be read.
SCHEDULE_ERROR_NEEDS = {
    "days_of_week": {"days_of_week", "times_per_week"},
    "times_per_week": {"days_of_week", "times_per_week"},
    "end_date": {"start_date", "end_date"},
}


def plan_schedule_errors(
    *,
    start_date: dt.date | None,
    end_date: dt.date | None,
    days_of_week: Sequence[int] | None,
    times_per_week: int | None,
    unread: Collection[str] = (),
) -> dict[str, list[str]]:
    """The schedule rules of ``plan_schedule_validate`` that are broken, by field; none
    that needs a field named in ``unread`` (one the caller could not read)."""
    errors: dict[str, list[str]] = {}
    days = list(days_of_week or [])
    if days and (
        len(set(days)) != len(days)
        or not all(
            isinstance(d, int) and not isinstance(d, bool) and 1 <= d <= 7 for d in days
        )
    ):
        errors["days_of_week"] = [DAYS_INVALID]
    if days and times_per_week is not None:
        errors["times_per_week"] = [SCHEDULE_BOTH]
    elif not days and times_per_week is None:
        errors["days_of_week"] = [SCHEDULE_MISSING]
    if end_date is not None and start_date is not None and end_date < start_date:
        errors["end_date"] = [END_BEFORE_START]
    return {
        field: messages
        for field, messages in errors.items()
        if not SCHEDULE_ERROR_NEEDS[field] & set(unread)
    }


def routine_prescribable(*, routine: Routine, prescriber: User) -> bool:
    """A published routine, or one of the prescriber's private routines."""
    return routine.status == Status.PUBLISHED or (
        routine.private and routine.author_id == prescriber.pk
    )


def _apply_item_changes(item: PlanItem, changes: Mapping[str, Any]) -> None:
    """Set the adjustable fields given.

    An amount (reps, steps or seconds) replaces the other two.
    """
    PlanItem.check_amounts(changes, required=False)
    if any(changes.get(field) is not None for field in AMOUNT_FIELDS):
        for field in AMOUNT_FIELDS:
            setattr(item, field, None)
    for field in ADJUSTABLE_ITEM_FIELDS:
        if field in changes:
            setattr(item, field, changes[field])
    if "per_side" in changes and "direction" not in changes:
        # An older client's per_side alone: false clears the direction, true keeps
        # a finer direction already set (per side otherwise).
        if not changes["per_side"]:
            item.direction = Direction.NONE
        elif item.direction == Direction.NONE:
            item.direction = Direction.PER_SIDE
    elif "direction" in changes:
        item.per_side = changes["direction"] != Direction.NONE


def _clean_item(item: PlanItem, prefix: str) -> None:
    """full_clean() one item, re-keying its errors under ``prefix`` (e.g. "items.0")."""
    try:
        item.full_clean(exclude=["plan"])
    except ValidationError as exc:
        raise ValidationError(
            {
                (prefix if key == NON_FIELD_ERRORS else f"{prefix}.{key}"): messages
                for key, messages in exc.message_dict.items()
            }
        ) from exc


def _prefixed(exc: ValidationError, prefix: str) -> ValidationError:
    return ValidationError(
        {f"{prefix}.{key}": messages for key, messages in exc.message_dict.items()}
    )


@transaction.atomic
def plan_prescribe(
    *,
    prescriber: User,
    patient: User,
    routine: Routine,
    start_date: dt.date,
    end_date: dt.date | None = None,
    days_of_week: Sequence[int] | None = None,
    times_per_week: int | None = None,
    title: str = "",
    note: str = "",
    items: Sequence[Mapping[str, Any]] = (),
) -> Plan:
    """Prescribe a published routine to a patient in ``prescriber``'s care, copying its items.

    ``items`` optionally tweaks the copied dosage: ``[{"routine_item": <id>, "reps": 8, ...}]``.
    Raises ValidationError (field errors: patient, routine, schedule, items.N.*); nothing
    is written unless everything is valid.
    """
    _require_care(prescriber=prescriber, patient=patient)
    if not routine_prescribable(routine=routine, prescriber=prescriber):
        raise ValidationError({"routine": [ROUTINE_NOT_PUBLISHED]})
    routine_items: list[RoutineItem] = list(routine.items.order_by("order", "id"))
    overrides = _overrides_by_routine_item(routine_items, items)
    plan = _plan_create(
        prescriber=prescriber,
        patient=patient,
        routine=routine,
        title=title or routine.title,
        start_date=start_date,
        end_date=end_date,
        days_of_week=days_of_week,
        times_per_week=times_per_week,
        note=note,
        reason=f"Prescribed from routine {routine.slug}",
    )

    for routine_item in routine_items:
        item = PlanItem(
            plan=plan,
            exercise_id=routine_item.exercise_id,
            routine_item=routine_item,
            block=routine_item.block,
            order=routine_item.order,
            **{field: getattr(routine_item, field) for field in COPIED_ITEM_FIELDS},
        )
        index, changes = overrides.get(routine_item.pk, (None, {}))
        prefix = f"items.{index}" if index is not None else "items"
        if changes:
            try:
                _apply_item_changes(item, changes)
            except ValidationError as exc:
                raise _prefixed(exc, prefix) from exc
        _clean_item(item, prefix)
        item._history_user = prescriber  # type: ignore[attr-defined]
        item.save()
    plan_changed.send(sender=Plan, plan=plan, action="created")
    return plan


def _require_care(*, prescriber: User, patient: User) -> None:
    if not can_prescribe(user=prescriber, patient_id=patient.pk) or (
        patient.role != User.Role.PATIENT
    ):
        # Same message whether the account exists, is not a patient or is someone
        # else's patient: the answer must not reveal who is registered.
        raise ValidationError({"patient": [NOT_YOUR_PATIENT]})


def _plan_create(
    *,
    prescriber: User,
    patient: User,
    routine: Routine | None,
    title: str,
    start_date: dt.date,
    end_date: dt.date | None,
    days_of_week: Sequence[int] | None,
    times_per_week: int | None,
    note: str,
    reason: str,
) -> Plan:
    """Validate the schedule and save the plan row (history: who, and ``reason``)."""
    plan_schedule_validate(
        start_date=start_date,
        end_date=end_date,
        days_of_week=days_of_week,
        times_per_week=times_per_week,
    )
    plan = Plan(
        patient=patient,
        prescribed_by=prescriber,
        routine=routine,
        title=title,
        status=Plan.Status.ACTIVE,
        start_date=start_date,
        end_date=end_date,
        days_of_week=sorted(days_of_week or []),
        times_per_week=times_per_week if not days_of_week else None,
        note=note,
    )
    plan.full_clean()
    plan._history_user = prescriber  # type: ignore[attr-defined]
    plan._change_reason = reason  # type: ignore[attr-defined]
    plan.save()
    return plan


def _overrides_by_routine_item(
    routine_items: Sequence[RoutineItem], items: Sequence[Mapping[str, Any]]
) -> dict[int, tuple[int, Mapping[str, Any]]]:
    """Map routine item id -> (position in the request, changes); errors name the position."""
    known = {item.pk for item in routine_items}
    out: dict[int, tuple[int, Mapping[str, Any]]] = {}
    for index, entry in enumerate(items):
        pk = entry.get("routine_item")
        if pk not in known:
            raise ValidationError({f"items.{index}.routine_item": [NOT_ROUTINE_ITEM]})
        if pk in out:
            raise ValidationError({f"items.{index}.routine_item": [DUPLICATE_ITEM]})
        out[pk] = (index, {k: v for k, v in entry.items() if k != "routine_item"})
    return out


@transaction.atomic
def plan_update(
    *,
    plan: Plan,
    actor: User,
    changes: Mapping[str, Any],
    items: Sequence[Mapping[str, Any]] = (),
) -> Plan:
    """Adjust a plan: status (see module doc), schedule, note, and dosage of its items.

    ``changes`` holds any of ADJUSTABLE_PLAN_FIELDS; ``items`` lists ``{"id": <plan item
    id>, <ADJUSTABLE_ITEM_FIELDS>...}``. Giving days_of_week clears times_per_week and
    vice versa. PermissionDenied unless ``actor`` is a clinician of the patient or an
    admin; ValidationError with field errors otherwise; all or nothing.
    """
    if not can_prescribe(user=actor, patient_id=plan.patient_id):
        raise PermissionDenied(NOT_PRESCRIBER)
    # Lock the row: two clinicians adjusting at once are applied one after the other.
    plan = Plan.objects.select_for_update().get(pk=plan.pk)
    unknown = set(changes) - set(ADJUSTABLE_PLAN_FIELDS)
    if unknown:
        raise ValueError(f"Not adjustable: {sorted(unknown)}")

    errors = plan_update_errors(plan=plan, changes=changes, items=bool(items))
    if errors:
        raise ValidationError(errors)
    changed = [f for f in changes if getattr(plan, f) != changes[f]]
    for field, value in _schedule_after(plan, changes).items():
        setattr(plan, field, value)
    for field in changed:
        setattr(plan, field, changes[field])
    plan.days_of_week = sorted(plan.days_of_week or [])

    if changed:
        plan.full_clean()
        plan._history_user = actor  # type: ignore[attr-defined]
        plan._change_reason = "Adjusted: " + ", ".join(sorted(changed))  # type: ignore[attr-defined]
        plan.save()

    if items:
        _items_adjust(plan=plan, actor=actor, items=items)
    if changed or items:
        plan_changed.send(sender=Plan, plan=plan, action="updated")
    return plan


def _schedule_after(plan: Plan, changes: Mapping[str, Any]) -> dict[str, Any]:
    """The plan's schedule once ``changes`` apply: sending one kind (weekdays or times
    per week) clears the other."""
    schedule = {
        field: changes.get(field, getattr(plan, field))
        for field in ("start_date", "end_date", "days_of_week", "times_per_week")
    }
    if changes.get("days_of_week") and "times_per_week" not in changes:
        schedule["times_per_week"] = None
    if changes.get("times_per_week") is not None and "days_of_week" not in changes:
        schedule["days_of_week"] = []
    return schedule


def plan_update_errors(
    *,
    plan: Plan,
    changes: Mapping[str, Any],
    items: bool = False,
    unread: Collection[str] = (),
) -> dict[str, list[str]]:
    """The rules of ``plan_update`` that ``changes`` (and dosage tweaks, ``items``) break,
    by field: an ended plan changes no more; the schedule after the changes. The fields
    named in ``unread`` could not be read: no rule that needs one is checked."""
    changed = [f for f in changes if getattr(plan, f) != changes[f]]
    if plan.status == Plan.Status.ENDED:
        # Keyed by what the caller tried to change ("items" for dosage tweaks).
        return {
            field: [PLAN_ENDED] for field in [*changed, *(["items"] if items else [])]
        }
    return plan_schedule_errors(**_schedule_after(plan, changes), unread=unread)


def _items_adjust(
    *, plan: Plan, actor: User, items: Sequence[Mapping[str, Any]]
) -> None:
    """Apply dosage tweaks to the plan's own items (the routine is never touched)."""
    existing = {item.pk: item for item in plan.items.select_for_update()}
    seen: set[int] = set()
    for index, entry in enumerate(items):
        prefix = f"items.{index}"
        pk = entry.get("id")
        if pk not in existing:
            raise ValidationError({f"{prefix}.id": [NOT_PLAN_ITEM]})
        if pk in seen:
            raise ValidationError({f"{prefix}.id": [DUPLICATE_ITEM]})
        seen.add(pk)
        item = existing[pk]
        changes = {k: v for k, v in entry.items() if k != "id"}
        try:
            _apply_item_changes(item, changes)
        except ValidationError as exc:
            raise _prefixed(exc, prefix) from exc
        _clean_item(item, prefix)
        item._history_user = actor  # type: ignore[attr-defined]
        item._change_reason = "Dosage adjusted"  # type: ignore[attr-defined]
        item.save()
