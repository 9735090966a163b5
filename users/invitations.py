"""Invitations: from "registered" to "in my clinician's care" (services and the list).

A clinician invites an email address; the answer carries a single-use code (shown once:
only its hash is stored) and the same code goes out by email (users.tasks, through
Django's email backend, after the transaction commits). A new patient gives the code at
registration (``user_register(invite_code=...)``), an existing patient redeems it; either
way the patient is put in the inviting clinician's care (``care_link``).

Codes: 10 characters of Crockford's base32 (no I, L, O, U), shown as XXXXX-XXXXX: 50
random bits, so with the API's rate limits guessing one is hopeless. Input is forgiving
(case, spaces, hyphens; O read as 0, I and L as 1). Wrong, used, expired and revoked
codes are ValidationErrors with their own codes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from users.models import Invitation, User
from users.services import care_link, email_normalize

__all__ = [
    "CODE_EXPIRED",
    "CODE_INVALID",
    "CODE_REVOKED",
    "CODE_USED",
    "INVITATION_TTL",
    "ONLY_CLINICIANS_INVITE",
    "ONLY_PATIENTS_REDEEM",
    "code_normalize",
    "invitation_check",
    "invitation_create",
    "invitation_list",
    "invitation_redeem",
    "invitation_revoke",
]

INVITATION_TTL = dt.timedelta(days=14)
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base32
CODE_LENGTH = 10
READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})

CODE_INVALID = "This invitation code is not valid. Check it against your invitation."
CODE_USED = "This invitation code has already been used."
CODE_EXPIRED = "This invitation code has expired: ask your clinician for a new one."
CODE_REVOKED = "This invitation was withdrawn: ask your clinician for a new one."
ONLY_CLINICIANS_INVITE = "Only clinicians invite patients."
ONLY_PATIENTS_REDEEM = "Only patient accounts redeem invitations."
ALREADY_CLOSED = "This invitation is no longer pending (used, revoked or expired)."


def _new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    return f"{raw[:5]}-{raw[5:]}"


def code_normalize(code: str) -> str:
    """The canonical form of a typed code: upper case, no separators, O->0, I/L->1."""
    kept = "".join(ch for ch in code.upper() if ch.isalnum())
    return kept.translate(READ_AS)


def _hash(code: str) -> str:
    return hashlib.sha256(code_normalize(code).encode("ascii", "replace")).hexdigest()


@transaction.atomic
def invitation_create(
    *, clinician: User, email: str, note: str = ""
) -> tuple[Invitation, str]:
    """Create an invitation and queue its email; returns (invitation, code).

    PermissionDenied unless ``clinician`` is an active clinician. The email is sent
    after commit (users.tasks.invitation_email_send).
    """
    from users.tasks import invitation_email_send

    if not (clinician.is_active and clinician.role == User.Role.CLINICIAN):
        raise PermissionDenied(ONLY_CLINICIANS_INVITE)
    code = _new_code()
    invitation = Invitation(
        clinician=clinician,
        email=email_normalize(email),
        note=note,
        code_hash=_hash(code),
        expires_at=timezone.now() + INVITATION_TTL,
    )
    invitation.full_clean()
    invitation.save()
    invitation_id = invitation.pk
    transaction.on_commit(
        lambda: invitation_email_send.delay(invitation_id=invitation_id, code=code)
    )
    return invitation, code


def invitation_check(*, code: str, lock: bool = False) -> Invitation:
    """The pending invitation ``code`` names; ValidationError keyed ``invite_code``.

    Codes: ``invite_code_invalid``, ``invite_code_used``, ``invite_code_expired``,
    ``invite_code_revoked``. ``lock`` locks the row (use inside a transaction).
    """
    rows = Invitation.objects.select_related("clinician")
    if lock:
        rows = rows.select_for_update(of=("self",))
    invitation = rows.filter(code_hash=_hash(code)).first()
    now = timezone.now()
    status = invitation.status_at(now) if invitation is not None else "invalid"
    if invitation is not None and not invitation.clinician.is_active:
        status = "revoked"
    messages = {
        "invalid": CODE_INVALID,
        "redeemed": CODE_USED,
        "expired": CODE_EXPIRED,
        "revoked": CODE_REVOKED,
    }
    if status != "pending":
        code_name = "used" if status == "redeemed" else status
        raise ValidationError(
            {
                "invite_code": [
                    ValidationError(messages[status], code=f"invite_code_{code_name}")
                ]
            }
        )
    assert invitation is not None
    return invitation


@transaction.atomic
def invitation_redeem(*, patient: User, code: str) -> Invitation:
    """Use ``code``: ``patient`` joins the inviting clinician's care; the code is spent.

    PermissionDenied for accounts that are not patients; ValidationError as
    invitation_check. Registration calls this inside its own transaction.
    """
    if patient.role != User.Role.PATIENT:
        raise PermissionDenied(ONLY_PATIENTS_REDEEM)
    invitation = invitation_check(code=code, lock=True)
    care_link(clinician=invitation.clinician, patient=patient)
    invitation.redeemed_at = timezone.now()
    invitation.redeemed_by = patient
    invitation.save(update_fields=["redeemed_at", "redeemed_by", "updated_at"])
    return invitation


def invitation_list(*, clinician: User) -> QuerySet[Invitation]:
    """The invitations ``clinician`` sent, newest first (superusers: everyone's)."""
    rows = Invitation.objects.select_related("redeemed_by")
    if clinician.is_superuser:
        return rows.order_by("-created_at", "-id")
    return rows.filter(clinician=clinician).order_by("-created_at", "-id")


@transaction.atomic
def invitation_revoke(*, clinician: User, invitation_id: int) -> Invitation:
    """Withdraw a pending invitation of ``clinician``'s.

    Invitation.DoesNotExist when it is not theirs (the API answers 404);
    ValidationError (code ``invitation_closed``) when it is no longer pending.
    """
    invitation = (
        invitation_list(clinician=clinician).select_for_update(of=("self",))
    ).get(pk=invitation_id)
    if invitation.status_at(timezone.now()) != "pending":
        raise ValidationError(ALREADY_CLOSED, code="invitation_closed")
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at", "updated_at"])
    return invitation
