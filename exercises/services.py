"""Writes to the library: the review-and-publish workflow shared by the admin and the API.

Transitions (anything else raises WorkflowError):
    draft -> in_review            submit   (anyone who may change the content)
    in_review -> published        publish  (needs the publish permission; not the submitter,
                                            unless a superuser)
    in_review -> draft            reject   (same rule as publish: a reviewer sends it back)
    published -> archived         archive  (needs the publish permission)
    archived -> draft             restore  (anyone who may change the content)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from common.models import Reviewable, Status

if TYPE_CHECKING:
    from users.models import User

NOT_IN_STATE = "Only {expected} content can be {verb}; this is {actual}."
OWN_SUBMISSION = (
    "You cannot review your own submission; another clinician or an admin must."
)
NO_PUBLISH_PERMISSION = "You do not have permission to review and publish this content."


class WorkflowError(Exception):
    """A workflow transition that is not allowed (wrong state, or wrong person)."""


def _publish_permission(content: Reviewable) -> str:
    meta = content._meta
    return f"{meta.app_label}.publish_{meta.model_name}"


def can_review(*, content: Reviewable, user: User) -> bool:
    """Whether ``user`` may publish or reject ``content`` (permission, and not their own)."""
    if not user.has_perm(_publish_permission(content)):
        return False
    return user.is_superuser or content.submitted_by_id != user.pk


def _require_status(content: Reviewable, expected: str, verb: str) -> None:
    if content.status != expected:
        raise WorkflowError(
            NOT_IN_STATE.format(
                expected=Status(expected).label.lower(),
                verb=verb,
                actual=content.get_status_display().lower(),
            )
        )


def _save(
    content: Reviewable, user: User, reason: str, fields: list[str]
) -> Reviewable:
    # Recorded in the edit history: why, and who (API callers are not seen by the
    # history middleware, which runs before DRF authenticates the bearer token).
    content._change_reason = reason
    content._history_user = user
    content.save(update_fields=[*fields, "updated_at"])
    return content


@transaction.atomic
def content_submit(*, content: Reviewable, user: User) -> Reviewable:
    """Send a draft for review, recording who submitted it and when."""
    _require_status(content, Status.DRAFT, "submitted for review")
    content.status = Status.IN_REVIEW
    content.submitted_by = user
    content.submitted_at = timezone.now()
    content.reviewed_by = None
    content.reviewed_at = None
    return _save(
        content,
        user,
        "Submitted for review",
        ["status", "submitted_by", "submitted_at", "reviewed_by", "reviewed_at"],
    )


@transaction.atomic
def content_publish(*, content: Reviewable, user: User) -> Reviewable:
    """Publish content in review; the reviewer must not be the submitter (unless superuser)."""
    _require_status(content, Status.IN_REVIEW, "published")
    _require_reviewer(content, user)
    now = timezone.now()
    content.status = Status.PUBLISHED
    content.reviewed_by = user
    content.reviewed_at = now
    content.published_at = now
    return _save(
        content,
        user,
        "Published",
        ["status", "reviewed_by", "reviewed_at", "published_at"],
    )


@transaction.atomic
def content_reject(*, content: Reviewable, user: User) -> Reviewable:
    """Send content in review back to draft (changes requested)."""
    _require_status(content, Status.IN_REVIEW, "sent back to draft")
    _require_reviewer(content, user)
    content.status = Status.DRAFT
    content.reviewed_by = user
    content.reviewed_at = timezone.now()
    return _save(
        content, user, "Changes requested", ["status", "reviewed_by", "reviewed_at"]
    )


@transaction.atomic
def content_archive(*, content: Reviewable, user: User) -> Reviewable:
    """Withdraw published content from the public library."""
    _require_status(content, Status.PUBLISHED, "archived")
    if not user.has_perm(_publish_permission(content)):
        raise WorkflowError(NO_PUBLISH_PERMISSION)
    content.status = Status.ARCHIVED
    return _save(content, user, "Archived", ["status"])


@transaction.atomic
def content_restore(*, content: Reviewable, user: User) -> Reviewable:
    """Bring archived content back as a draft, to be reviewed again."""
    _require_status(content, Status.ARCHIVED, "restored")
    content.status = Status.DRAFT
    content.published_at = None
    return _save(content, user, "Restored to draft", ["status", "published_at"])


def _require_reviewer(content: Reviewable, user: User) -> None:
    if not user.has_perm(_publish_permission(content)):
        raise WorkflowError(NO_PUBLISH_PERMISSION)
    if not can_review(content=content, user=user):
        raise WorkflowError(OWN_SUBMISSION)
