"""Writes about people: accounts, care relationships, the patient-data access log, privacy."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib.admin.models import LogEntry
from django.contrib.auth.password_validation import validate_password
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.timezone import now
from rest_framework_simplejwt.token_blacklist.models import (
    BlacklistedToken,
    OutstandingToken,
)

from users.models import CareRelationship, PatientAccessLog, User

if TYPE_CHECKING:
    from collections.abc import Iterable
    from uuid import UUID

# Messages the tests assert on (HackSoft: constants beside the raiser).
EMAIL_TAKEN = "An account with this email address already exists."
WRONG_CURRENT_PASSWORD = "The current password is not correct."
ERASURE_PATIENTS_ONLY = (
    "Only patient accounts can be erased here; staff accounts are closed by an "
    "administrator."
)
ERASED_REPR = "(erased account)"


def care_link(*, clinician: User, patient: User) -> CareRelationship:
    """Put ``patient`` in ``clinician``'s care (idempotent); ValidationError on wrong roles."""
    link = CareRelationship(clinician=clinician, patient=patient)
    link.full_clean(validate_unique=False, validate_constraints=False)
    link, _ = CareRelationship.objects.get_or_create(
        clinician=clinician, patient=patient
    )
    return link


def access_log_record(*, actor: User, patient: User, action: str, path: str) -> None:
    """Record that ``actor`` read ``patient``'s data, unless the patient is reading their own."""
    if actor.pk == patient.pk:
        return
    PatientAccessLog.objects.create(
        actor=actor, patient=patient, action=action, path=path[:500]
    )


# ---------------------------------------------------------------------------
# Accounts
# ---------------------------------------------------------------------------
def email_normalize(email: str) -> str:
    """The stored form of an email address: trimmed and lower-cased (logins match it)."""
    return email.strip().lower()


@transaction.atomic
def user_register(
    *,
    email: str,
    password: str,
    name: str,
    timezone: str = "UTC",
    invite_code: str | None = None,
) -> User:
    """Create a patient account (self-registration never creates staff).

    With ``invite_code`` the new patient is put in the inviting clinician's care
    (users.invitations; the code is spent). ValidationError with field errors on a
    taken email, a weak password, an unknown time zone or a bad invitation code
    (checked first: nothing is created with a wrong code).
    """
    if invite_code is not None:
        from users.invitations import invitation_check, invitation_redeem

        invitation_check(code=invite_code)
        user = _register(email=email, password=password, name=name, timezone=timezone)
        invitation_redeem(patient=user, code=invite_code)
        return user
    return _register(email=email, password=password, name=name, timezone=timezone)


def _register(*, email: str, password: str, name: str, timezone: str) -> User:
    email = email_normalize(email)
    candidate = User(email=email, name=name, timezone=timezone, role=User.Role.PATIENT)
    errors: dict[str, list[ValidationError]] = {}
    try:
        candidate.full_clean(exclude=["password"], validate_unique=False)
    except ValidationError as exc:
        errors.update(exc.error_dict)
    try:
        # The candidate lets UserAttributeSimilarityValidator compare with the email.
        validate_password(password, user=candidate)
    except ValidationError as exc:
        errors["password"] = exc.error_list
    if "email" not in errors and User.objects.filter(email__iexact=email).exists():
        errors["email"] = [_email_taken()]
    if errors:
        raise ValidationError(errors)
    try:
        # A savepoint: two simultaneous registrations of one address race to the
        # unique index; the loser gets the same 400 as a sequential duplicate.
        with transaction.atomic():
            return User.objects.create_user(
                email=email,
                password=password,
                name=name,
                timezone=timezone,
                role=User.Role.PATIENT,
            )
    except IntegrityError as exc:
        raise ValidationError({"email": [_email_taken()]}) from exc
    except ValidationError as exc:
        # create_user's full_clean() also checks uniqueness (same race, other side).
        if "email" in getattr(exc, "error_dict", {}):
            raise ValidationError({"email": [_email_taken()]}) from exc
        raise


def _email_taken() -> ValidationError:
    return ValidationError(EMAIL_TAKEN, code="email_taken")


def user_refresh_tokens_revoke(*, user: User) -> int:
    """Blacklist every unexpired refresh token issued to ``user``; returns how many."""
    outstanding = OutstandingToken.objects.filter(
        user=user, expires_at__gt=now(), blacklistedtoken__isnull=True
    ).only("id")
    created = BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token=token) for token in outstanding],
        # A token blacklisted concurrently (rotation, logout) is already revoked.
        ignore_conflicts=True,
    )
    return len(created)


@transaction.atomic
def user_change_password(
    *, user: User, current_password: str, new_password: str
) -> User:
    """Set a new password after checking the current one; logs out every device.

    ValidationError on ``current_password`` (wrong) or ``new_password`` (too weak).
    All the user's refresh tokens are revoked, so every device must log in again.
    """
    if not user.check_password(current_password):
        raise ValidationError(
            {
                "current_password": ValidationError(
                    WRONG_CURRENT_PASSWORD, code="wrong_password"
                )
            }
        )
    try:
        validate_password(new_password, user=user)
    except ValidationError as exc:
        raise ValidationError({"new_password": exc.error_list}) from exc
    user.set_password(new_password)
    user.save(update_fields=["password"])
    user_refresh_tokens_revoke(user=user)
    return user


# ---------------------------------------------------------------------------
# Privacy: the account's part of an erasure
# ---------------------------------------------------------------------------
def user_erase_check(*, user: User) -> None:
    """PermissionDenied unless ``user`` is a patient account (staff are closed by an admin)."""
    if user.role != User.Role.PATIENT or user.is_staff or user.is_superuser:
        raise PermissionDenied(ERASURE_PATIENTS_ONLY)


@transaction.atomic
def user_erase(*, user: User) -> None:
    """Delete a patient account, its care links and login records; PermissionDenied for staff.

    Only the account's own part: what other apps hold about the patient is erased by
    the service composed above them (``sessions.services.privacy.patient_erase``), which
    calls this one. Rows that reference the user cascade with it. Kept: access-log
    entries about the patient with ``patient`` emptied (readers stay accountable), and
    the revoked refresh tokens until they expire (a copied token can never be replayed).
    """
    user_erase_check(user=user)
    user_id = user.pk
    email = user.email
    # Revoke first: the token rows outlive the user (user set to NULL) as a blacklist.
    user_refresh_tokens_revoke(user=user)
    # Admin change log: keep who did what, forget who it was about.
    LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(User), object_id=str(user_id)
    ).update(object_repr=ERASED_REPR)
    # Cascades: care relationships and whatever other apps keep per user; the access
    # log's ``patient`` is SET_NULL by the model.
    user.delete()
    _login_records_delete(email=email)


def _login_records_delete(*, email: str) -> None:
    """Delete django-axes records (email, IP address, user agent) of logins by ``email``."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    for model in (AccessAttempt, AccessLog, AccessFailureLog):
        model.objects.filter(username__iexact=email).delete()


def user_profile_update(*, user: User, data: dict[str, Any]) -> User:
    """Change the editable profile fields (name, timezone); ValidationError on bad values."""
    editable = {"name", "timezone"}
    changed = [key for key in data if key in editable]
    for key in changed:
        setattr(user, key, data[key])
    if changed:
        user.full_clean(exclude=["password"], validate_unique=False)
        user.save(update_fields=changed)
    return user


def access_log_record_many(
    *, actor: User, patient_ids: Iterable[UUID], action: str, path: str
) -> None:
    """Record one read by ``actor`` per distinct patient in one INSERT (own data skipped).

    For list endpoints: a page of rows about many patients costs one query, not one per patient.
    """
    rows = [
        PatientAccessLog(actor=actor, patient_id=pid, action=action, path=path[:500])
        for pid in dict.fromkeys(patient_ids)
        if pid != actor.pk
    ]
    if rows:
        PatientAccessLog.objects.bulk_create(rows)
