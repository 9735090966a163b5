"""The rules of a session write (upload or edit), collected: every broken rule at once.

The only authority for them: ``session_upload`` and ``session_update`` run
``check_rules`` under the patient lock and write nothing if any is broken; the API
asks ``session_upload_errors`` / ``session_update_errors`` for the fields it could read
when a body is also malformed, so one 400 lists the type errors and the rule errors.
Errors are Django ``ValidationError`` lists keyed by body path (``exercises.0.plan_item``).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping, Sequence
from typing import Any, NamedTuple

from django.core.exceptions import ValidationError

from common.models import Status
from exercises.models import Exercise
from sessions.models import Plan, Session
from sessions.services.swaps import SUBSTITUTION_WITHOUT_PLAN_ITEM, swap_links
from users.models import User

__all__ = [
    "ENDED_BEFORE_STARTED",
    "PLAN_CHANGE_ORPHANS",
    "PLAN_ITEM_WITHOUT_PLAN",
    "SET_AMOUNT_REQUIRED",
    "UNKNOWN_EXERCISE",
    "UNKNOWN_PLAN",
    "UNKNOWN_PLAN_ITEM",
    "Checked",
    "check_rules",
    "session_update_errors",
    "session_upload_errors",
]


class Checked(NamedTuple):
    """What the rules resolved: the plan's id, each entry's substitution kind ("" when
    not a swap), the slug and name of the exercises they read (by id; an exercise that
    is only a swap's target is not read, so may be missing) and the broken rules by
    body path (empty for a valid write)."""

    plan: uuid.UUID | None
    substitutions: list[str]
    labels: dict[Any, tuple[str, str]]
    errors: dict[str, list[ValidationError]]


UNKNOWN_PLAN = "Unknown plan."
UNKNOWN_EXERCISE = "Unknown exercise."
PLAN_ITEM_WITHOUT_PLAN = "A plan item can only be given when the session has a plan."
UNKNOWN_PLAN_ITEM = "This item is not part of the session's plan."
PLAN_CHANGE_ORPHANS = (
    "The session's exercises refer to another plan or to exercises outside it; "
    "send `exercises` together with the new plan."
)
ENDED_BEFORE_STARTED = "Must not be before started_at."
SET_AMOUNT_REQUIRED = "A completed set needs reps or seconds (or both)."


def _check_references(
    *,
    patient_id: Any,
    plan_id: uuid.UUID | None,
    exercises: Sequence[Mapping[str, Any]],
) -> Checked:
    """Resolve the plan, check every exercise and plan item (``Checked``, no errors).

    The plan must be the patient's; a plan item must be an item of that plan and name
    the same exercise or one its exercise links to (a swap, sessions.services.swaps,
    whose kind is returned per entry: "" when not a swap); an exercise must be
    published, in the plan or a swap's target (a clinician may prescribe an exercise
    later archived). Unknown and not-yours get the same message, so nothing leaks.
    Three queries at most (the plan with its items and their exercises' names in one).
    """
    errors: dict[str, list[ValidationError]] = {}
    plan: uuid.UUID | None = None
    item_exercises: dict[int, uuid.UUID] = {}
    labels: dict[Any, tuple[str, str]] = {}
    if plan_id is not None:
        # The plan and its items in one query: no row, not the patient's plan.
        rows = list(
            Plan.objects.filter(pk=plan_id, patient_id=patient_id).values_list(
                "id",
                "items__id",
                "items__exercise_id",
                "items__exercise__slug",
                "items__exercise__name",
            )
        )
        if not rows:
            errors["plan"] = [ValidationError(UNKNOWN_PLAN, code="unknown_plan")]
        else:
            plan = rows[0][0]
            for _, item, exercise, slug, name in rows:
                if item:
                    item_exercises[item] = exercise
                    labels[exercise] = (slug, name)
    links = swap_links(
        (item_exercises[entry["plan_item"]], entry["exercise"])
        for entry in exercises
        if entry.get("plan_item") in item_exercises
    )

    exercise_ids = {entry["exercise"] for entry in exercises}
    usable = set(item_exercises.values()) | links.targets()
    if exercise_ids - usable:
        for pk, slug, name in Exercise.objects.filter(
            pk__in=exercise_ids - usable, status=Status.PUBLISHED
        ).values_list("id", "slug", "name"):
            usable.add(pk)
            labels[pk] = (slug, name)

    substitutions: list[str] = []
    for index, entry in enumerate(exercises):
        prefix = f"exercises.{index}"
        substitutions.append("")
        if entry["exercise"] not in usable:
            errors[f"{prefix}.exercise"] = [
                ValidationError(UNKNOWN_EXERCISE, code="unknown_exercise")
            ]
        item_id = entry.get("plan_item")
        given = entry.get("substitution") or ""
        if item_id is None:
            if given:
                errors[f"{prefix}.substitution"] = [
                    ValidationError(
                        SUBSTITUTION_WITHOUT_PLAN_ITEM,
                        code="substitution_without_plan_item",
                    )
                ]
            continue
        if plan_id is not None and plan is None:
            continue  # the plan itself is already reported unknown
        if plan is None:
            message, code = PLAN_ITEM_WITHOUT_PLAN, "plan_item_without_plan"
        elif item_id not in item_exercises:
            message, code = UNKNOWN_PLAN_ITEM, "unknown_plan_item"
        else:
            try:
                substitutions[index] = links.resolve(
                    item_exercise=item_exercises[item_id],
                    exercise=entry["exercise"],
                    given=given,
                )
            except ValidationError as exc:
                field = (
                    "plan_item" if exc.code == "plan_item_mismatch" else "substitution"
                )
                errors[f"{prefix}.{field}"] = [exc]
            continue
        errors[f"{prefix}.plan_item"] = [ValidationError(message, code=code)]

    if errors:
        raise ValidationError(errors)
    return Checked(plan, substitutions, labels, {})


def _time_errors(
    data: Mapping[str, Any], current: Session | None
) -> dict[str, list[ValidationError]]:
    """The session may not end before it starts (an edit: with the stored times)."""
    started_at = data.get("started_at", current.started_at if current else None)
    ended_at = data.get("ended_at", current.ended_at if current else None)
    if started_at is None or ended_at is None or ended_at >= started_at:
        return {}
    return {
        "ended_at": [ValidationError(ENDED_BEFORE_STARTED, code="ended_before_started")]
    }


def _set_errors(
    exercises: Sequence[Mapping[str, Any]],
) -> dict[str, list[ValidationError]]:
    """A completed set needs an amount: reps or seconds (or both)."""
    return {
        f"exercises.{index}.sets.{order}.reps": [
            ValidationError(SET_AMOUNT_REQUIRED, code="amount_required")
        ]
        for index, entry in enumerate(exercises)
        for order, spec in enumerate(entry.get("sets", []))
        if spec.get("completed", True)
        and spec.get("reps") is None
        and spec.get("seconds") is None
    }


def _reference_errors(
    *,
    patient_id: Any,
    data: Mapping[str, Any],
    unread: Collection[str],
    current: Session | None,
) -> Checked:
    """The plan and the exercises (``_check_references``), their errors included.

    An edit that changes the plan alone checks the stored exercises against it; the
    plan returned is meaningful only when ``data`` holds ``plan`` or ``exercises``.
    """
    if "plan" in unread:
        return Checked(None, [], {}, {})
    plan_id = data.get("plan", current.plan_id if current else None)
    if "exercises" in unread:
        entries: Sequence[Mapping[str, Any]] = []  # the plan alone
    elif current is None or "exercises" in data:
        entries = data.get("exercises", [])
    elif "plan" in data:
        # The stored exercises must still fit the new plan (items, swaps, unpublished).
        stored = list(current.exercises.values("exercise", "plan_item", "substitution"))
        try:
            plan = _check_references(
                patient_id=patient_id, plan_id=plan_id, exercises=stored
            ).plan
        except ValidationError as exc:
            if "plan" in exc.error_dict:
                return Checked(None, [], {}, exc.error_dict)
            orphans = ValidationError(PLAN_CHANGE_ORPHANS, code="plan_change_orphans")
            return Checked(None, [], {}, {"plan": [orphans]})
        return Checked(plan, [], {}, {})
    else:
        return Checked(None, [], {}, {})
    try:
        return _check_references(
            patient_id=patient_id, plan_id=plan_id, exercises=entries
        )
    except ValidationError as exc:
        return Checked(None, [], {}, exc.error_dict)


def _rule_errors(
    *,
    patient_id: Any,
    data: Mapping[str, Any],
    unread: Collection[str] = (),
    current: Session | None = None,
) -> Checked:
    """Every rule of an upload (``current`` None) or an edit of ``current`` that ``data``
    breaks (``Checked.errors``, by body path).

    The fields named in ``unread`` could not be read (the caller reports why): the rules
    that need them are not checked. Checked under the patient lock by the services (the
    caller's earlier check saw the rows before a concurrent edit).
    """
    checked = _reference_errors(
        patient_id=patient_id, data=data, unread=unread, current=current
    )
    errors = dict(checked.errors)
    if not {"started_at", "ended_at"} & set(unread):
        errors.update(_time_errors(data, current))
    if "exercises" not in unread:
        errors.update(_set_errors(data.get("exercises", [])))
    return checked._replace(errors=errors)


def session_upload_errors(
    *, patient: User, data: Mapping[str, Any], unread: Collection[str] = ()
) -> dict[str, list[ValidationError]]:
    """The rules of ``session_upload`` broken by ``data``, by body path (no write).

    ``data`` holds the upload's fields that could be read; those named in ``unread``
    could not (the caller reports why) and the rules that need them are not checked,
    so a caller can report every broken field in one answer.
    """
    return _rule_errors(patient_id=patient.pk, data=data, unread=unread).errors


def session_update_errors(
    *, session: Session, data: Mapping[str, Any], unread: Collection[str] = ()
) -> dict[str, list[ValidationError]]:
    """The rules of ``session_update`` broken by ``data`` (as ``session_upload_errors``)."""
    return _rule_errors(
        patient_id=session.patient_id, data=data, unread=unread, current=session
    ).errors


def check_rules(
    *, patient_id: Any, data: Mapping[str, Any], current: Session | None = None
) -> Checked:
    """``_rule_errors`` for a write: ValidationError listing every broken rule."""
    checked = _rule_errors(patient_id=patient_id, data=data, current=current)
    if checked.errors:
        raise ValidationError(checked.errors)
    return checked
