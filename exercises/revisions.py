"""Governed content: edits of published content wait for a second clinician.

An edit to a **published** exercise or routine does not change what patients and the
public see: it is saved as a pending ``ContentRevision`` of the same object (same id).
A reviewer (publish permission, not the proposer; superusers may review their own) sees
the diff and approves it, which writes the proposed values onto the content itself
(its history records the approval and who proposed it), or rejects it. Plans hold
copies of the dosage, so they never change either way.

Revisable fields: the content's own fields (REVISABLE_FIELDS); instructions, media,
links and routine items are edited on drafts (send the content back through review to
restructure it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from common.models import Status
from exercises.models import ContentRevision, Exercise, Routine
from exercises.services import NO_PUBLISH_PERMISSION
from users.models import User

__all__ = [
    "NOTHING_CHANGED",
    "NOT_PENDING",
    "NOT_PUBLISHED",
    "OWN_REVISION",
    "REVISABLE_FIELDS",
    "DiffLine",
    "revision_approve",
    "revision_diff",
    "revision_propose",
    "revision_reject",
    "revisions_waiting_for",
]

DOSAGE_FIELDS = (
    "sets",
    "reps",
    "steps",
    "seconds",
    "direction",
    "per_side",
    "hold_seconds",
    "rest_seconds",
    "load",
    "band",
    "tempo",
)
REVISABLE_FIELDS: dict[type[Exercise | Routine], tuple[str, ...]] = {
    Exercise: (
        "name",
        "aliases",
        "summary",
        "education",
        "difficulty",
        "laterality",
        "contraindications",
        *DOSAGE_FIELDS,
    ),
    Routine: ("title", "summary", "goal", "when_to_use"),
}

NOT_PUBLISHED = "Only published content gets revisions; edit a draft directly."
NOTHING_CHANGED = "The revision changes nothing."
UNKNOWN_FIELD = "Not a field a revision may change."
NOT_PENDING = "This revision was already reviewed."
OWN_REVISION = "You cannot review your own revision; another clinician must."


@dataclass(frozen=True)
class DiffLine:
    field: str
    label: str
    published: Any
    proposed: Any


def _clean_copy(content: Exercise | Routine, changes: Mapping[str, Any]) -> None:
    """Validate the content as it would be with ``changes`` (nothing saved)."""
    copy = type(content).objects.get(pk=content.pk)
    for field, value in changes.items():
        setattr(copy, field, value)
    if isinstance(copy, Exercise):
        copy.sync_direction()
    copy.full_clean(validate_unique=False, validate_constraints=True)


@transaction.atomic
def revision_propose(
    *, content: Exercise | Routine, user: User, changes: Mapping[str, Any]
) -> ContentRevision:
    """Save an edit of published ``content`` as a pending revision (content unchanged).

    ``changes`` holds only fields that differ from the published values. Raises
    ValidationError (content not published, unknown field, nothing changed, invalid
    values keyed by field).
    """
    if content.status != Status.PUBLISHED:
        raise ValidationError(NOT_PUBLISHED, code="not_published")
    allowed = REVISABLE_FIELDS[type(content)]
    unknown = sorted(set(changes) - set(allowed))
    if unknown:
        raise ValidationError({field: [UNKNOWN_FIELD] for field in unknown})
    changed = {f: v for f, v in changes.items() if getattr(content, f) != v}
    if not changed:
        raise ValidationError(NOTHING_CHANGED, code="nothing_changed")
    _clean_copy(content, changed)
    return ContentRevision.objects.create(
        exercise=content if isinstance(content, Exercise) else None,
        routine=content if isinstance(content, Routine) else None,
        changes=changed,
        proposed_by=user,
    )


def revision_diff(revision: ContentRevision) -> list[DiffLine]:
    """Field by field: the published value and the proposed one (reads the content)."""
    content = revision.content
    return [
        DiffLine(
            field=field,
            label=str(getattr(content._meta.get_field(field), "verbose_name", field)),
            published=getattr(content, field),
            proposed=value,
        )
        for field, value in revision.changes.items()
    ]


def _review(revision: ContentRevision, user: User) -> ContentRevision:
    revision = ContentRevision.objects.select_for_update().get(pk=revision.pk)
    if revision.state != ContentRevision.State.PENDING:
        raise ValidationError(NOT_PENDING, code="not_pending")
    meta = revision.content._meta
    if not user.has_perm(f"{meta.app_label}.publish_{meta.model_name}"):
        raise PermissionDenied(NO_PUBLISH_PERMISSION)
    if revision.proposed_by_id == user.pk and not user.is_superuser:
        raise PermissionDenied(OWN_REVISION)
    return revision


@transaction.atomic
def revision_approve(
    *, revision: ContentRevision, user: User, note: str = ""
) -> Exercise | Routine:
    """Apply a pending revision to its content (same id; history kept); returns the content.

    PermissionDenied unless ``user`` may review (not the proposer); ValidationError
    when it was already reviewed or no longer validates against the content.
    """
    revision = _review(revision, user)
    content = revision.content
    _clean_copy(content, revision.changes)
    for field, value in revision.changes.items():
        setattr(content, field, value)
    proposer = revision.proposed_by
    content._history_user = user  # type: ignore[union-attr]
    content._change_reason = (  # type: ignore[union-attr]
        f"Revision approved (proposed by {proposer.email if proposer else 'unknown'})"
    )
    content.save()
    revision.state = ContentRevision.State.APPROVED
    revision.reviewed_by = user
    revision.reviewed_at = timezone.now()
    revision.review_note = note
    revision.save(update_fields=["state", "reviewed_by", "reviewed_at", "review_note"])
    return content


@transaction.atomic
def revision_reject(
    *, revision: ContentRevision, user: User, note: str = ""
) -> ContentRevision:
    """Close a pending revision without applying it."""
    revision = _review(revision, user)
    revision.state = ContentRevision.State.REJECTED
    revision.reviewed_by = user
    revision.reviewed_at = timezone.now()
    revision.review_note = note
    revision.save(update_fields=["state", "reviewed_by", "reviewed_at", "review_note"])
    return revision


def revisions_waiting_for(*, user: User) -> QuerySet[ContentRevision]:
    """Pending revisions ``user`` may review: not their own (superusers: all), oldest first."""
    rows = ContentRevision.objects.filter(state=ContentRevision.State.PENDING)
    if not user.is_superuser:
        rows = rows.filter(~Q(proposed_by=user))
    return rows.select_related("exercise", "routine", "proposed_by").order_by(
        "proposed_at", "id"
    )
