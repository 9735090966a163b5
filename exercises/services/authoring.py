"""Writing library content over the API: a clinician's own exercises and routines.

- ``exercise_create`` / ``routine_create``: new content is a draft, **private** unless
  the caller says otherwise (``private: false``). Private content is usable at once in
  plans for its author's own patients (sessions.services.plan_compose) and is never in
  the public library (exercises.selectors).
- ``exercise_edit`` / ``routine_edit``: a **draft** is edited in place (the fields
  given; a list given, such as ``instructions`` or ``items``, replaces the old one). An
  edit of **published** content is saved as a pending revision for a second clinician
  (exercises.revisions.revision_propose: the content is unchanged until approved).
  Content in review or archived cannot be edited (send it back or restore it first).
- Sharing is the review workflow (exercises.services.content_submit): submitting
  private content for review lets reviewers see it; publishing clears ``private``.

Every write records who made it and why in the content's history (simple-history).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.utils.text import slugify

from common.models import Direction, Status
from exercises.models import (
    Condition,
    ContentRevision,
    Equipment,
    Exercise,
    ExerciseInstruction,
    Muscle,
    Routine,
    RoutineItem,
)
from exercises.revisions import DOSAGE_FIELDS as REVISION_DOSAGE_FIELDS
from exercises.revisions import revision_propose
from exercises.selectors import exercise_visible
from users.models import User

__all__ = [
    "ARCHIVED_NOT_EDITABLE",
    "CANNOT_WRITE",
    "EXERCISE_NOT_USABLE",
    "IN_REVIEW_NOT_EDITABLE",
    "ONLY_AUTHOR_SETS_PRIVATE",
    "UNKNOWN_SLUG",
    "exercise_create",
    "exercise_edit",
    "revision_from_edit",
    "routine_create",
    "routine_edit",
]

CANNOT_WRITE = "Only clinicians and admins write library content."
IN_REVIEW_NOT_EDITABLE = (
    "Content in review cannot be edited: a reviewer sends it back to draft first."
)
ARCHIVED_NOT_EDITABLE = "Archived content cannot be edited: restore it to draft first."
ONLY_AUTHOR_SETS_PRIVATE = "Only the author may make their content private or shared."
UNKNOWN_SLUG = "No such {kind}: {slug}."
SLUG_TAKEN = "This slug was just taken by other content: choose another."
EXERCISE_NOT_USABLE = (
    "Not an exercise you can put in a routine: it does not exist, or is someone "
    "else's private exercise."
)

# The scalar fields a writer may set (relations and lists are handled below);
# per_side follows the direction.
DOSAGE_FIELDS = tuple(f for f in REVISION_DOSAGE_FIELDS if f != "per_side")
EXERCISE_FIELDS = (
    "name",
    "slug",
    "aliases",
    "summary",
    "education",
    "difficulty",
    "laterality",
    "contraindications",
    "private",
    *DOSAGE_FIELDS,
)
ROUTINE_FIELDS = ("title", "slug", "summary", "goal", "when_to_use", "private")
ITEM_FIELDS = ("block", "note", *DOSAGE_FIELDS)
# Many-to-many fields given as lists of slugs, and the taxonomy each names.
EXERCISE_RELATIONS: dict[str, type[Muscle | Equipment | Condition]] = {
    "primary_muscles": Muscle,
    "secondary_muscles": Muscle,
    "equipment": Equipment,
    "conditions": Condition,
}
ROUTINE_RELATIONS: dict[str, type[Muscle | Equipment | Condition]] = {
    "conditions": Condition,
}
LISTS = {"instructions", "items"}


def _require_writer(user: User, model: type[models.Model], action: str) -> None:
    if not user.has_perm(f"exercises.{action}_{model._meta.model_name}"):
        raise PermissionDenied(CANNOT_WRITE)


def _stamp(row: models.Model, user: User, reason: str) -> None:
    row._history_user = user  # type: ignore[attr-defined]
    row._change_reason = reason  # type: ignore[attr-defined]


def _unique_slug(model: type[Exercise | Routine], text: str) -> str:
    """``text`` slugified, with -2, -3... when the slug is taken (one query per try)."""
    base = slugify(text)[:110] or "untitled"
    slug, n = base, 1
    while model.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def _set_fields(
    content: Exercise | Routine | RoutineItem,
    data: Mapping[str, Any],
    fields: Sequence[str],
) -> None:
    for field in fields:
        if field in data:
            setattr(content, field, data[field])
    if "direction" in data:
        # The direction given decides per_side (kept for older clients).
        content.per_side = data["direction"] != Direction.NONE  # type: ignore[union-attr]


def _resolve_relations(
    data: Mapping[str, Any],
    relations: Mapping[str, type[Muscle | Equipment | Condition]],
) -> dict[str, list[Any]]:
    """Slug lists to taxonomy rows (one query per relation); ValidationError per slug."""
    resolved: dict[str, list[Any]] = {}
    errors: dict[str, list[str]] = {}
    for field, model in relations.items():
        if field not in data:
            continue
        slugs = list(dict.fromkeys(data[field]))
        rows = {row.slug: row for row in model.objects.filter(slug__in=slugs)}
        kind = str(model._meta.verbose_name)
        for index, slug in enumerate(slugs):
            if slug not in rows:
                errors[f"{field}.{index}"] = [UNKNOWN_SLUG.format(kind=kind, slug=slug)]
        resolved[field] = [rows[slug] for slug in slugs if slug in rows]
    if errors:
        raise ValidationError(errors)
    return resolved


def _full_clean(content: models.Model, prefix: str = "") -> None:
    try:
        content.full_clean()
    except ValidationError as exc:
        if not prefix:
            raise
        raise ValidationError(
            {f"{prefix}.{field}": errors for field, errors in exc.message_dict.items()}
        ) from exc


def _check_private(
    content: Exercise | Routine, user: User, data: Mapping[str, Any]
) -> None:
    if (
        "private" in data
        and data["private"] != content.private
        and content.author_id != user.pk
        and not user.is_superuser
    ):
        raise ValidationError({"private": [ONLY_AUTHOR_SETS_PRIVATE]})


def _check_editable(content: Exercise | Routine) -> None:
    if content.status == Status.IN_REVIEW:
        raise ValidationError(IN_REVIEW_NOT_EDITABLE, code="not_editable")
    if content.status == Status.ARCHIVED:
        raise ValidationError(ARCHIVED_NOT_EDITABLE, code="not_editable")


def revision_from_edit(
    *, content: Exercise | Routine, user: User, data: Mapping[str, Any]
) -> ContentRevision:
    """An edit of published content (API or admin form) as a pending revision; a new
    ``direction`` brings its ``per_side`` (exercises.revisions.revision_propose)."""
    changes = dict(data)
    if "direction" in changes:
        changes["per_side"] = changes["direction"] != Direction.NONE
    return revision_propose(content=content, user=user, changes=changes)


# ---------------------------------------------------------------------------
# Exercises
# ---------------------------------------------------------------------------
def _write_instructions(
    exercise: Exercise,
    user: User,
    instructions: Sequence[Mapping[str, Any]],
    reason: str,
) -> None:
    for old in exercise.instructions.all():
        _stamp(old, user, reason)
        old.delete()
    for order, entry in enumerate(instructions, start=1):
        row = ExerciseInstruction(
            exercise=exercise, kind=entry["kind"], text=entry["text"], order=order
        )
        _full_clean(row, f"instructions.{order - 1}")
        _stamp(row, user, reason)
        row.save()


@dataclass(frozen=True)
class _Kind:
    """What differs between writing an exercise and a routine."""

    fields: tuple[str, ...]
    title: str  # the field a slug is made from
    relations: Mapping[str, type[Muscle | Equipment | Condition]]
    children: str  # the list that replaces the content's rows
    write_children: Callable[[Any, User, Sequence[Mapping[str, Any]], str], None]


def _save(
    kind: _Kind,
    content: Exercise | Routine,
    user: User,
    data: Mapping[str, Any],
    reason: str,
) -> None:
    relations = _resolve_relations(data, kind.relations)
    _full_clean(content)
    _stamp(content, user, reason)
    try:
        with transaction.atomic():  # a savepoint: the slug may be taken meanwhile
            content.save()
    except IntegrityError:
        # full_clean() saw the slug free; a concurrent write took it before the insert.
        taken = type(content).objects.filter(slug=content.slug).exclude(pk=content.pk)
        if not taken.exists():
            raise
        raise ValidationError({"slug": [SLUG_TAKEN]}) from None
    for field, rows in relations.items():
        getattr(content, field).set(rows)
    if kind.children in data:
        kind.write_children(content, user, data[kind.children], reason)


def _create(
    kind: _Kind, content: Exercise | Routine, author: User, data: Mapping[str, Any]
) -> None:
    _require_writer(author, type(content), "add")
    content.author, content.private = author, True
    _set_fields(content, data, kind.fields)
    if not data.get("slug"):
        content.slug = _unique_slug(type(content), getattr(content, kind.title))
    _save(kind, content, author, data, "Written over the API")


def _edit(
    kind: _Kind, content: Exercise | Routine, user: User, data: Mapping[str, Any]
) -> Exercise | Routine | ContentRevision:
    _require_writer(user, type(content), "change")
    content = type(content).objects.select_for_update().get(pk=content.pk)
    if content.status == Status.PUBLISHED:
        return revision_from_edit(content=content, user=user, data=data)
    _check_editable(content)
    _check_private(content, user, data)
    _set_fields(content, data, kind.fields)
    _save(kind, content, user, data, "Edited over the API")
    return content


def _write_items(
    routine: Routine, user: User, items: Sequence[Mapping[str, Any]], reason: str
) -> None:
    ids: list[Any] = [entry.get("exercise") for entry in items]
    usable: dict[Any, Exercise] = {
        exercise.pk: exercise
        for exercise in exercise_visible(user=user).filter(pk__in=ids)
    }
    for old in routine.items.all():
        _stamp(old, user, reason)
        old.delete()
    for index, entry in enumerate(items):
        exercise = usable.get(entry.get("exercise"))
        if exercise is None:
            raise ValidationError({f"items.{index}.exercise": [EXERCISE_NOT_USABLE]})
        item = RoutineItem(routine=routine, exercise=exercise, order=index + 1)
        _set_fields(item, entry, ITEM_FIELDS)
        _full_clean(item, f"items.{index}")
        _stamp(item, user, reason)
        item.save()


EXERCISE = _Kind(
    EXERCISE_FIELDS, "name", EXERCISE_RELATIONS, "instructions", _write_instructions
)
ROUTINE = _Kind(ROUTINE_FIELDS, "title", ROUTINE_RELATIONS, "items", _write_items)


@transaction.atomic
def exercise_create(*, author: User, data: Mapping[str, Any]) -> Exercise:
    """A new draft exercise by ``author``, private unless ``data["private"]`` is False.

    ``data``: EXERCISE_FIELDS, the relations as slug lists and ``instructions``
    (``[{"kind", "text"}]``, in order). PermissionDenied for callers who may not add
    exercises (patients); ValidationError keyed by field.
    """
    exercise = Exercise()
    _create(EXERCISE, exercise, author, data)
    return exercise


@transaction.atomic
def exercise_edit(
    *, exercise: Exercise, user: User, data: Mapping[str, Any]
) -> Exercise | ContentRevision:
    """Edit a draft in place (answers the exercise), or propose a revision of published
    content (answers the pending revision; the exercise is unchanged).

    ValidationError: in review or archived (``not_editable``), a field a revision may not
    change, nothing changed, or invalid values keyed by field.
    """
    result = _edit(EXERCISE, exercise, user, data)
    assert not isinstance(result, Routine)
    return result


@transaction.atomic
def routine_create(*, author: User, data: Mapping[str, Any]) -> Routine:
    """A new draft routine by ``author``, private unless ``data["private"]`` is False.

    ``data``: ROUTINE_FIELDS, ``conditions`` (slugs) and ``items`` (``[{"exercise":
    <id>, "block", <dosage>, "note"}]`` in order; any exercise the author can see: a
    published one, a shared draft or their own private one). ValidationError keyed by
    field (``items.N.<field>``).
    """
    routine = Routine()
    _create(ROUTINE, routine, author, data)
    return routine


@transaction.atomic
def routine_edit(
    *, routine: Routine, user: User, data: Mapping[str, Any]
) -> Routine | ContentRevision:
    """Like exercise_edit: a draft in place (``items`` given replaces them all), a
    pending revision for published content (its own fields only, not its items)."""
    result = _edit(ROUTINE, routine, user, data)
    assert not isinstance(result, Exercise)
    return result
