"""Plans that change over a course of care: items added, ended or re-dosed from a date.

A change from a date never rewrites what was prescribed before it:

- new dosage for an item that was already prescribed before ``effective_from``: the
  item ends the day before (``ends_on``) and a new item with the new dosage starts on
  that day (``starts_on``, ``replaces`` = the old one). Sessions logged against the old
  item keep pointing at it, and adherence of the earlier weeks is computed with the
  old dosage. If the item only starts on or after ``effective_from``, it is changed in
  place (nothing of it is in the past);
- an item ended from a date: ``ends_on`` = the day before (an item that had not begun
  yet is deleted);
- an item added from a date: ``starts_on`` = that day.

Every row written carries who and why in the plan's history (simple-history).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max

from sessions.models import Plan, PlanItem
from sessions.schedules import local_today
from sessions.services.plan_compose import (
    EXERCISE_NOT_USABLE,
    item_from_exercise,
    usable_exercises,
)
from sessions.services.plans import (
    ADJUSTABLE_ITEM_FIELDS,
    ADJUSTABLE_PLAN_FIELDS,
    DUPLICATE_ITEM,
    NOT_PLAN_ITEM,
    NOT_PRESCRIBER,
    PLAN_ENDED,
    _apply_item_changes,
    _clean_item,
    _prefixed,
    can_prescribe,
    plan_update,
    plan_update_errors,
)
from sessions.signals import plan_changed
from users.models import User

__all__ = [
    "BEFORE_PLAN_START",
    "ITEM_NOT_ACTIVE",
    "NOTHING_TO_CHANGE",
    "plan_adjust",
    "plan_adjust_errors",
    "plan_change_from",
]

BEFORE_PLAN_START = "A change cannot take effect before the plan starts."
ITEM_NOT_ACTIVE = "This item has already ended by that date."
NOTHING_TO_CHANGE = "Give items to change, add or end."
# Fields copied from an item to the one that continues it.
CONTINUED_FIELDS = ("exercise_id", "routine_item_id", "block", "order")


def _from_day(item: PlanItem, plan: Plan) -> dt.date:
    return item.starts_on or plan.start_date


def _stamp(row: PlanItem | Plan, actor: User, reason: str) -> None:
    row._history_user = actor  # type: ignore[union-attr]
    row._change_reason = reason  # type: ignore[union-attr]


@transaction.atomic
def plan_change_from(
    *,
    plan: Plan,
    actor: User,
    effective_from: dt.date,
    adjust: Sequence[Mapping[str, Any]] = (),
    add: Sequence[Mapping[str, Any]] = (),
    end: Sequence[int] = (),
) -> Plan:
    """Apply item changes from ``effective_from`` (see the module doc); all or nothing.

    ``adjust``: ``[{"id": <item>, <ADJUSTABLE_ITEM_FIELDS>...}]``; ``add``:
    ``[{"exercise": <id>, <dosage>...}]`` (published or the actor's private
    exercises); ``end``: item ids. PermissionDenied unless ``actor`` may prescribe to
    the patient; ValidationError keyed ``effective_from``, ``items.N.*``,
    ``add_items.N.*``, ``end_items.N``.
    """
    if not can_prescribe(user=actor, patient_id=plan.patient_id):
        raise PermissionDenied(NOT_PRESCRIBER)
    plan = Plan.objects.select_for_update().get(pk=plan.pk)
    errors = _effective_from_errors(plan, effective_from)
    if errors:
        raise ValidationError(errors)
    if not (adjust or add or end):
        raise ValidationError({"items": [NOTHING_TO_CHANGE]})
    existing = {item.pk: item for item in plan.items.select_for_update()}
    reason = f"From {effective_from.isoformat()}"

    seen: set[int] = set()
    for key, ids in (
        ("items", [entry.get("id") for entry in adjust]),
        ("end_items", list(end)),
    ):
        for index, pk in enumerate(ids):
            path = f"{key}.{index}.id" if key == "items" else f"{key}.{index}"
            item = existing.get(pk) if isinstance(pk, int) else None
            if item is None:
                raise ValidationError({path: [NOT_PLAN_ITEM]})
            if pk in seen:
                raise ValidationError({path: [DUPLICATE_ITEM]})
            if item.ends_on is not None and item.ends_on < effective_from:
                raise ValidationError({path: [ITEM_NOT_ACTIVE]})
            seen.add(item.pk)

    for index, entry in enumerate(adjust):
        _redose(
            plan=plan,
            item=existing[entry["id"]],
            changes={k: v for k, v in entry.items() if k != "id"},
            effective_from=effective_from,
            actor=actor,
            prefix=f"items.{index}",
            reason=f"{reason}: dosage changed",
        )
    for pk in end:
        item = existing[pk]
        if _from_day(item, plan) >= effective_from:
            _stamp(item, actor, f"{reason}: removed before it began")
            item.delete()
        else:
            item.ends_on = effective_from - dt.timedelta(days=1)
            _stamp(item, actor, f"{reason}: ended")
            item.save(update_fields=["ends_on"])
    _add_items(
        plan=plan,
        actor=actor,
        entries=add,
        effective_from=effective_from,
        reason=reason,
    )
    plan_changed.send(sender=Plan, plan=plan, action="updated")
    return plan


def _effective_from_errors(plan: Plan, effective_from: dt.date) -> dict[str, list[str]]:
    """Dated changes need a plan that has not ended, from a day not before its start."""
    if plan.status == Plan.Status.ENDED:
        return {"effective_from": [PLAN_ENDED]}
    if effective_from < plan.start_date:
        return {"effective_from": [BEFORE_PLAN_START]}
    return {}


def _redose(
    *,
    plan: Plan,
    item: PlanItem,
    changes: Mapping[str, Any],
    effective_from: dt.date,
    actor: User,
    prefix: str,
    reason: str,
) -> None:
    target = item
    if _from_day(item, plan) < effective_from:
        # The past keeps the old dosage: end the item, continue with a new one.
        target = PlanItem(
            plan=plan,
            starts_on=effective_from,
            ends_on=item.ends_on,
            replaces=item,
            **{field: getattr(item, field) for field in CONTINUED_FIELDS},
            **{field: getattr(item, field) for field in ADJUSTABLE_ITEM_FIELDS},
        )
        item.ends_on = effective_from - dt.timedelta(days=1)
        _stamp(item, actor, reason)
        item.save(update_fields=["ends_on"])
    try:
        _apply_item_changes(target, changes)
    except ValidationError as exc:
        raise _prefixed(exc, prefix) from exc
    _clean_item(target, prefix)
    _stamp(target, actor, reason)
    target.save()


def _add_items(
    *,
    plan: Plan,
    actor: User,
    entries: Sequence[Mapping[str, Any]],
    effective_from: dt.date,
    reason: str,
) -> None:
    if not entries:
        return
    usable = usable_exercises(
        prescriber=actor, ids=(entry.get("exercise") for entry in entries)
    )
    order = (plan.items.aggregate(last=Max("order"))["last"] or 0) + 1
    for index, entry in enumerate(entries):
        prefix = f"add_items.{index}"
        exercise = usable.get(entry.get("exercise"))
        if exercise is None:
            raise ValidationError({f"{prefix}.exercise": [EXERCISE_NOT_USABLE]})
        item = item_from_exercise(
            plan=plan,
            exercise=exercise,
            entry=entry,
            order=order + index,
            prefix=prefix,
            starts_on=effective_from if effective_from > plan.start_date else None,
        )
        _stamp(item, actor, f"{reason}: added")
        item.save()


@transaction.atomic
def plan_adjust(
    *,
    plan: Plan,
    actor: User,
    changes: Mapping[str, Any],
    items: Sequence[Mapping[str, Any]] = (),
    effective_from: dt.date | None = None,
    add_items: Sequence[Mapping[str, Any]] = (),
    end_items: Sequence[int] = (),
) -> Plan:
    """``PATCH plans/{id}/``: plan fields, then item changes, all or nothing.

    With ``effective_from`` (or when items are added or ended; then from the patient's
    today) the item changes apply from that day (plan_change_from); without it,
    ``items`` edits the current items in place (plan_update).
    """
    dated = effective_from is not None or bool(add_items) or bool(end_items)
    plan = plan_update(
        plan=plan, actor=actor, changes=changes, items=() if dated else items
    )
    if dated:
        plan = plan_change_from(
            plan=plan,
            actor=actor,
            effective_from=effective_from or local_today(tz_name=plan.patient.timezone),
            adjust=items,
            add=add_items,
            end=end_items,
        )
    return plan


def plan_adjust_errors(
    *, plan: Plan, actor: User, data: Mapping[str, Any], unread: Collection[str] = ()
) -> dict[str, list[str]]:
    """The plan-level rules of ``plan_adjust`` broken by ``data`` (the body's fields that
    could be read; those named in ``unread`` could not, and no rule that needs one is
    checked), by field: an ended plan changes no more, the schedule after the changes,
    ``effective_from`` not before the plan's start. None for an ``actor`` who may not
    change the plan (``plan_adjust`` answers that) and none about items, which are
    checked when they are written.
    """
    if not can_prescribe(user=actor, patient_id=plan.patient_id):
        return {}
    changes = {k: v for k, v in data.items() if k in ADJUSTABLE_PLAN_FIELDS}
    dated = any(data.get(key) for key in ("effective_from", "add_items", "end_items"))
    errors = plan_update_errors(
        plan=plan,
        changes=changes,
        items=bool(data.get("items")) and not dated,
        unread=unread,
    )
    if dated and "effective_from" not in unread:
        day = data.get("effective_from") or local_today(tz_name=plan.patient.timezone)
        errors.update(_effective_from_errors(plan, day))
    return errors
