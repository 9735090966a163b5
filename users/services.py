"""Writes about people: accounts, care relationships, the patient-data access log, privacy."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any, cast

from django.contrib.admin.models import LogEntry
from django.contrib.auth.password_validation import validate_password
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Model, Q
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
ERASED_ID = "(erased)"


def care_link(*, clinician: User, patient: User) -> CareRelationship:
    """Put ``patient`` in ``clinician``'s care (idempotent); ValidationError on wrong roles."""
    link = CareRelationship(clinician=clinician, patient=patient)
    link.full_clean(validate_unique=False, validate_constraints=False)
    link, _ = CareRelationship.objects.get_or_create(
        clinician=clinician, patient=patient
    )
    return link


def _logged_path(path: str) -> str:
    """The path without its query string: a search (``?q=<email>``) is not kept."""
    return path.split("?", 1)[0][:500]


def access_log_record(*, actor: User, patient: User, action: str, path: str) -> None:
    """Record that ``actor`` read ``patient``'s data, unless the patient is reading their own."""
    access_log_record_many(
        actor=actor, patient_ids=[patient.pk], action=action, path=path
    )


# ---------------------------------------------------------------------------
# Accounts
# ---------------------------------------------------------------------------
def email_normalize(email: str) -> str:
    """The stored form of an email address: trimmed and lower-cased (logins match it)."""
    return email.strip().lower()


@transaction.atomic
def user_register_errors(
    *,
    email: str | None,
    password: str | None,
    name: str | None,
    timezone: str | None,
    check_email_free: bool = True,
) -> dict[str, list[ValidationError]]:
    """The rules of ``user_register`` broken by the fields given, by field.

    A field given as None could not be read (the caller reports why) and is not
    checked, so a caller can report every broken rule in one answer. Queries only to
    check that ``email`` is free (unless ``check_email_free`` is False: the public
    registration never says whether an email has an account).
    """
    candidate = User(
        email=email_normalize(email) if email is not None else "",
        name=name if name is not None else "",
        timezone=timezone if timezone is not None else "UTC",
        role=User.Role.PATIENT,
    )
    unread = [
        field
        for field, value in (("email", email), ("name", name), ("timezone", timezone))
        if value is None
    ]
    errors: dict[str, list[ValidationError]] = {}
    try:
        candidate.full_clean(exclude=["password", *unread], validate_unique=False)
    except ValidationError as exc:
        errors.update(exc.error_dict)
    if password is not None:
        try:
            # The candidate lets UserAttributeSimilarityValidator compare with the email.
            validate_password(password, user=candidate)
        except ValidationError as exc:
            errors["password"] = exc.error_list
    if (
        check_email_free
        and email is not None
        and "email" not in errors
        and User.objects.filter(email__iexact=candidate.email).exists()
    ):
        errors["email"] = [_email_taken()]
    return errors


def user_register(
    *,
    email: str,
    password: str,
    name: str,
    timezone: str = "UTC",
    invite_code: str | None = None,
) -> User:
    """Create a patient account (self-registration never creates staff).

    ValidationError with field errors on a taken email, a weak password or an
    unknown time zone (``user_register_errors``). With ``invite_code`` the new patient
    is put in the inviting clinician's care (users.invitations; the code is spent); a
    bad code is checked first, so nothing is created with a wrong code.
    """
    if invite_code is not None:
        from users.invitations import invitation_check, invitation_redeem

        invitation_check(code=invite_code)
        user = _register(email=email, password=password, name=name, timezone=timezone)
        invitation_redeem(patient=user, code=invite_code)
        return user
    return _register(email=email, password=password, name=name, timezone=timezone)


def _register(*, email: str, password: str, name: str, timezone: str) -> User:
    errors = user_register_errors(
        email=email, password=password, name=name, timezone=timezone
    )
    email = email_normalize(email)
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
def user_erase_check(*, user: User, password: str | None = None) -> None:
    """PermissionDenied unless ``user`` is a patient account (staff are closed by an admin).

    With ``password``: ValidationError on ``password`` unless it is the account's current
    one (an irreversible erasure asks for it, not only for a 5-minute token; ASVS 3.7.1).
    """
    if not user.is_patient or user.is_staff or user.is_superuser:
        raise PermissionDenied(ERASURE_PATIENTS_ONLY)
    if password is not None and not user.check_password(password):
        raise ValidationError(
            {"password": ValidationError(WRONG_CURRENT_PASSWORD, code="wrong_password")}
        )


@transaction.atomic
def user_erase(*, user: User) -> None:
    """Delete a patient account, its care links, tokens and login records; PermissionDenied
    for staff.

    Only the account's own part: what other apps hold about the patient is erased by
    the service composed above them (``sessions.services.privacy.patient_erase``), which
    calls this one. Rows that reference the user cascade with it. Kept, emptied of
    anything that identifies the patient: access-log entries (readers stay accountable;
    the patient's id is removed from their paths) and admin change-log entries about the
    patient (who did what and when; the object's id, name and message are removed).
    The account's refresh-token records (their text holds the account id) are deleted:
    a copy of a token then names no account and is refused.
    """
    user_erase_check(user=user)
    user_id = str(user.pk)
    email = user.email
    care_ids = [str(pk) for pk in user.care_team.values_list("pk", flat=True)]
    admin_log_scrub(
        about=[(User, [user_id]), (CareRelationship, care_ids)],
        mentions=[email, user.name],
    )
    _access_log_paths_scrub(user=user)
    OutstandingToken.objects.filter(user=user).delete()  # blacklist rows cascade
    # Cascades: care relationships and whatever other apps keep per user; the access
    # log's ``patient`` is SET_NULL by the model.
    user.delete()
    _login_records_delete(email=email)


def admin_log_scrub(
    *, about: Iterable[tuple[type[Model], list[str]]], mentions: Iterable[str] = ()
) -> int:
    """Empty the admin change-log entries about these objects or mentioning these texts.

    Kept: who acted, when, on what kind of object, and whether it was an addition, a
    change or a deletion. Removed: the object's id, its name and the change message
    (which can quote names). Returns how many entries were scrubbed.
    """
    about_them = Q(pk__in=[])
    for model, ids in about:
        if ids:
            about_them |= Q(
                content_type=ContentType.objects.get_for_model(
                    model, for_concrete_model=False
                ),
                object_id__in=ids,
            ) | Q(
                content_type=ContentType.objects.get_for_model(model),
                object_id__in=ids,
            )
    for text in mentions:
        if text and len(text) >= 3:
            about_them |= Q(object_repr__icontains=text) | Q(
                change_message__icontains=text
            )
    return LogEntry.objects.filter(about_them).update(
        object_id=None, object_repr=ERASED_REPR, change_message=""
    )


def _access_log_paths_scrub(*, user: User) -> None:
    """Take the patient's id (and any query string) out of the access-log paths."""
    rows = list(PatientAccessLog.objects.filter(patient=user).only("id", "path"))
    ids = (str(user.pk), user.pk.hex) if hasattr(user.pk, "hex") else (str(user.pk),)
    for row in rows:
        path = _logged_path(row.path)
        for text in ids:
            path = path.replace(text, ERASED_ID)
        row.path = path
    PatientAccessLog.objects.bulk_update(rows, ["path"], batch_size=500)


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


# The access log's columns an INSERT writes (every one but the serial id), in order.
_ACCESS_LOG_FIELDS = [
    field for field in PatientAccessLog._meta.concrete_fields if not field.primary_key
]
_ACCESS_LOG_PATIENT = PatientAccessLog._meta.get_field("patient")


def access_log_record_many(
    *, actor: User, patient_ids: Iterable[UUID], action: str, path: str
) -> None:
    """Record one read by ``actor`` per distinct patient in one INSERT (own data skipped).

    For list endpoints: a page of rows about many patients costs one statement, not one
    per patient: ``INSERT ... SELECT <the row's shared values>, column1 FROM (VALUES
    (<patient>), ...)``, standard SQL that PostgreSQL and SQLite both run, its values
    prepared by the fields as the ORM prepares them (``get_db_prep_save``) but each
    shared value once (four parameters plus one per patient, so psycopg's cache of
    parsed queries, 50 parameters at most, keeps a page's statement). The ORM's bulk
    insert (a model instance per row, its compiler, arrays) was most of the CPU of a
    clinician's cached alert list, whose only statement this is (docs/performance.md).
    No transaction around it: one statement is atomic by itself, and a read (outside
    ATOMIC_REQUESTS) pays one round trip instead of three (BEGIN, INSERT, COMMIT).
    Inside a transaction (a state change) it is part of that transaction. Rows go in
    batches the database accepts (SQLite's limit on parameters; one on PostgreSQL).
    """
    patients = [pid for pid in dict.fromkeys(patient_ids) if pid != actor.pk]
    if not patients:
        return
    shared = {
        "created_at": now(),
        "actor": actor.pk,
        "action": action,
        "path": _logged_path(path),
    }
    shared_params = [
        field.get_db_prep_save(shared[field.name], connection)
        for field in _ACCESS_LOG_FIELDS
        if field is not _ACCESS_LOG_PATIENT
    ]
    batch = connection.ops.bulk_batch_size(_ACCESS_LOG_FIELDS, patients) or 1
    with connection.cursor() as cursor:
        for start in range(0, len(patients), batch):
            chunk = patients[start : start + batch]
            cursor.execute(
                _access_log_insert(len(chunk)),
                shared_params
                + [
                    _ACCESS_LOG_PATIENT.get_db_prep_save(pid, connection)
                    for pid in chunk
                ],
            )


@functools.lru_cache(maxsize=256)
def _access_log_insert(rows: int) -> str:
    """The statement of ``access_log_record_many`` for ``rows`` patients, built once per
    number of rows (it depends on nothing else)."""
    quote = connection.ops.quote_name
    columns = ", ".join(quote(cast(str, field.column)) for field in _ACCESS_LOG_FIELDS)
    values = ", ".join(
        "column1" if field is _ACCESS_LOG_PATIENT else "%s"
        for field in _ACCESS_LOG_FIELDS
    )
    return (
        f"INSERT INTO {quote(PatientAccessLog._meta.db_table)} ({columns}) "
        f"SELECT {values} FROM (VALUES {', '.join(['(%s)'] * rows)}) AS patients"
    )
