"""Writes to the library: the review-and-publish workflow of exercises and routines.

``TRANSITIONS`` is the workflow, one row per transition; the services below run its
rows, and the admin builds its changelist actions and change-form buttons from it.
Anything the table does not allow raises WorkflowError:

    draft -> in_review            submit   (anyone who may change the content)
    in_review -> published        publish  (needs the publish permission; not the submitter,
                                            unless a superuser; a routine only when
                                            every exercise it names is published)
    in_review -> draft            reject   (same rule as publish: a reviewer sends it back)
    published -> archived         archive  (needs the publish permission)
    archived -> draft             restore  (anyone who may change the content)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from django.db import models, transaction
from django.utils import timezone

from common.models import Reviewable, Status
from exercises.models import Exercise, Routine

if TYPE_CHECKING:
    from users.models import User

NOT_IN_STATE = "Only {expected} content can be {verb}; this is {actual}."
OWN_SUBMISSION = (
    "You cannot review your own submission; another clinician or an admin must."
)
NO_PUBLISH_PERMISSION = "You do not have permission to review and publish this content."

ROUTINE_HAS_UNPUBLISHED = (
    "Publish its exercises first; not published yet: {names}. A published routine "
    "must only point patients and the public at published exercises."
)


class WorkflowError(Exception):
    """A workflow transition that is not allowed (wrong state, or wrong person)."""


class Who(StrEnum):
    """Who may run a transition (besides being allowed to change the content)."""

    EDITOR = "editor"  # anyone who may change the content
    PUBLISHER = "publisher"  # holders of the publish permission
    REVIEWER = (
        "reviewer"  # publishers, but not of their own submission (superusers may)
    )


# What a transition writes besides the status: (content, user, now) -> the fields set.
Apply = Callable[[Reviewable, "User", datetime], list[str]]


@dataclass(frozen=True)
class Transition:
    """One row of the workflow: its rule, its effect and its words."""

    name: str  # "submit": the admin's "<name>_selected" action and button URL segment
    source: Status
    target: Status
    who: Who
    apply: Apply
    verb: str  # "Only draft content can be <verb>"
    reason: str  # the edit history's change reason
    label: str  # the change-form button
    done: str = ""  # "<done>: “A”, “B”." after the admin ran it (default: ``reason``)

    def __post_init__(self) -> None:
        if not self.done:
            object.__setattr__(self, "done", self.reason)

    @property
    def action(self) -> str:
        """The changelist action's description: the label's verb, then "selected <plural>"
        ("Submit for review" -> "Submit selected %(verbose_name_plural)s for review")."""
        verb, _, rest = self.label.partition(" ")
        return " ".join(filter(None, (verb, "selected %(verbose_name_plural)s", rest)))


def publish_permission(model: type[models.Model]) -> str:
    """The permission that lets a user review, publish and archive ``model``'s content."""
    return f"{model._meta.app_label}.publish_{model._meta.model_name}"


def can_review(*, content: Reviewable, user: User) -> bool:
    """Whether ``user`` may publish or reject ``content`` (permission, and not their own)."""
    if not user.has_perm(publish_permission(type(content))):
        return False
    return user.is_superuser or content.submitted_by_id != user.pk


def transition_allowed(
    *, transition: Transition, content: Reviewable, user: User
) -> bool:
    """Whether ``transition`` applies to ``content`` now and ``user`` may run it (the
    caller checks that the user may change the content at all)."""
    try:
        _check(transition, content, user)
    except WorkflowError:
        return False
    return True


@transaction.atomic
def content_transition(
    *, content: Reviewable, user: User, transition: Transition
) -> Reviewable:
    """Run one row of the workflow on ``content`` and save it with its history record;
    WorkflowError if the status or the user does not fit."""
    _check(transition, content, user)
    fields = transition.apply(content, user, timezone.now())
    content.status = transition.target
    # Recorded in the edit history: why, and who (API callers are not seen by the
    # history middleware, which runs before DRF authenticates the bearer token).
    content._change_reason = transition.reason  # type: ignore[attr-defined]
    content._history_user = user  # type: ignore[attr-defined]
    content.save(update_fields=["status", *fields, "updated_at"])
    return content


def content_submit(*, content: Reviewable, user: User) -> Reviewable:
    """Send a draft for review, recording who submitted it and when."""
    return content_transition(
        content=content, user=user, transition=TRANSITIONS["submit"]
    )


def content_publish(*, content: Reviewable, user: User) -> Reviewable:
    """Publish content in review; the reviewer must not be the submitter (unless superuser)."""
    return content_transition(
        content=content, user=user, transition=TRANSITIONS["publish"]
    )


def content_reject(*, content: Reviewable, user: User) -> Reviewable:
    """Send content in review back to draft (changes requested)."""
    return content_transition(
        content=content, user=user, transition=TRANSITIONS["reject"]
    )


def content_archive(*, content: Reviewable, user: User) -> Reviewable:
    """Withdraw published content from the public library."""
    return content_transition(
        content=content, user=user, transition=TRANSITIONS["archive"]
    )


def content_restore(*, content: Reviewable, user: User) -> Reviewable:
    """Bring archived content back as a draft, to be reviewed again."""
    return content_transition(
        content=content, user=user, transition=TRANSITIONS["restore"]
    )


def _check(transition: Transition, content: Reviewable, user: User) -> None:
    if content.status != transition.source:
        raise WorkflowError(
            NOT_IN_STATE.format(
                expected=transition.source.label.lower(),
                verb=transition.verb,
                actual=content.get_status_display().lower(),
            )
        )
    if transition.who == Who.EDITOR:
        return
    if not user.has_perm(publish_permission(type(content))):
        raise WorkflowError(NO_PUBLISH_PERMISSION)
    if transition.who == Who.REVIEWER and not can_review(content=content, user=user):
        raise WorkflowError(OWN_SUBMISSION)


def _submitted(content: Reviewable, user: User, now: datetime) -> list[str]:
    content.submitted_by = user
    content.submitted_at = now
    content.reviewed_by = None
    content.reviewed_at = None
    return ["submitted_by", "submitted_at", "reviewed_by", "reviewed_at"]


def _reviewed(content: Reviewable, user: User, now: datetime) -> list[str]:
    content.reviewed_by = user
    content.reviewed_at = now
    return ["reviewed_by", "reviewed_at"]


def _published(content: Reviewable, user: User, now: datetime) -> list[str]:
    if isinstance(content, Routine):
        _require_published_exercises(content)
    content.published_at = now
    content.private = False  # reviewed and published: shared into the library
    return [*_reviewed(content, user, now), "published_at", "private"]


def _require_published_exercises(routine: Routine) -> None:
    """Refuse a routine whose items name an exercise that is not published (one query)."""
    names = list(
        Exercise.objects.filter(routine_items__routine=routine)
        .exclude(status=Status.PUBLISHED)
        .order_by("name")
        .values_list("name", flat=True)
        .distinct()
    )
    if names:
        raise WorkflowError(ROUTINE_HAS_UNPUBLISHED.format(names=", ".join(names)))


def _archived(content: Reviewable, user: User, now: datetime) -> list[str]:
    return []


def _restored(content: Reviewable, user: User, now: datetime) -> list[str]:
    content.published_at = None
    return ["published_at"]


TRANSITIONS: dict[str, Transition] = {
    row.name: row
    for row in (
        Transition(
            name="submit",
            source=Status.DRAFT,
            target=Status.IN_REVIEW,
            who=Who.EDITOR,
            apply=_submitted,
            verb="submitted for review",
            reason="Submitted for review",
            label="Submit for review",
        ),
        Transition(
            name="publish",
            source=Status.IN_REVIEW,
            target=Status.PUBLISHED,
            who=Who.REVIEWER,
            apply=_published,
            verb="published",
            reason="Published",
            label="Publish",
        ),
        Transition(
            name="reject",
            source=Status.IN_REVIEW,
            target=Status.DRAFT,
            who=Who.REVIEWER,
            apply=_reviewed,
            verb="sent back to draft",
            reason="Changes requested",
            label="Send back to draft",
            done="Sent back to draft",
        ),
        Transition(
            name="archive",
            source=Status.PUBLISHED,
            target=Status.ARCHIVED,
            who=Who.PUBLISHER,
            apply=_archived,
            verb="archived",
            reason="Archived",
            label="Archive",
        ),
        Transition(
            name="restore",
            source=Status.ARCHIVED,
            target=Status.DRAFT,
            who=Who.EDITOR,
            apply=_restored,
            verb="restored",
            reason="Restored to draft",
            label="Restore to draft",
        ),
    )
}
