"""Reads about people and care relationships, scoped to the caller."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils.timezone import now
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from users.models import CareRelationship, PatientAccessLog, User

if TYPE_CHECKING:
    from uuid import UUID


def patient_rule(*, user: User, via: str = "") -> Q | None:
    """Who ``user`` may see (``patient_list``'s rule) as one filter on the patient, or
    on a relation to them (``via="patient"``: joined, no subquery); None for no one.

    A clinician sees their own active patients; an admin every active patient.
    """
    prefix = f"{via}__" if via else ""
    rule = {f"{prefix}role": User.Role.PATIENT, f"{prefix}is_active": True}
    if user.is_superuser:
        return Q(**rule)
    if user.is_authenticated and user.is_clinician:
        # One care relationship per (clinician, patient): the join adds no row.
        return Q(**rule, **{f"{prefix}care_team__clinician": user})
    return None


def patient_list(*, user: User) -> QuerySet[User]:
    """The patients ``user`` may see: a clinician's own patients; everyone's for admins.

    Patients and anyone else get an empty queryset.
    """
    rule = patient_rule(user=user)
    return User.objects.none() if rule is None else User.objects.filter(rule)


def patient_get_for(*, user: User, patient_id: UUID | str) -> User | None:
    """One patient visible to ``user`` (see patient_list), or None (unknown or not theirs)."""
    try:
        return patient_list(user=user).get(pk=patient_id)
    except (User.DoesNotExist, ValidationError, ValueError, TypeError):
        # A malformed id is as unknown as a missing one.
        return None


def care_team_of(*, patient: User) -> QuerySet[CareRelationship]:
    """``patient``'s care relationships with their clinicians, oldest first (one query)."""
    return (
        CareRelationship.objects.filter(patient=patient)
        .select_related("clinician")
        .order_by("created_at")
    )


def access_log_about(*, patient: User) -> QuerySet[PatientAccessLog]:
    """Every recorded read of ``patient``'s data by someone else, oldest first (one query)."""
    return (
        PatientAccessLog.objects.filter(patient=patient)
        .select_related("actor")
        .order_by("created_at", "id")
    )


def login_records_of(*, user: User) -> list[dict[str, object]]:
    """django-axes' records of logins with ``user``'s email: successes and failures kept
    for the lockout (when, from which address and device), oldest first (three queries).
    """
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    fields = ("attempt_time", "ip_address", "user_agent", "path_info")
    records: list[dict[str, object]] = []
    for model, kind in (
        (AccessLog, "login"),
        (AccessFailureLog, "failed"),
        (AccessAttempt, "failures_counted"),
    ):
        for row in model.objects.filter(username__iexact=user.email).values(*fields):
            records.append({"kind": kind, **row})
    records.sort(key=lambda record: str(record["attempt_time"]))
    return records


def active_refresh_tokens_of(*, user: User) -> QuerySet[OutstandingToken]:
    """``user``'s refresh tokens that still work (their logged-in devices), oldest first."""
    return OutstandingToken.objects.filter(
        user=user, expires_at__gt=now(), blacklistedtoken__isnull=True
    ).order_by("created_at", "id")


def user_in_care(*, user: User) -> bool:
    """Whether ``user`` is in an active clinician's care (one query; False for staff).

    Lets the app tell a patient without a plan why: nobody has taken them on yet (an
    invitation code puts them in their clinician's care).
    """
    if not user.is_patient:
        return False
    return user.care_team.filter(clinician__is_active=True).exists()
