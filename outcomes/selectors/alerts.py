"""Reads of alerts, scoped to the caller: a clinician's patients, every patient for admins.

Patients (and anyone else) see none: alerts are for the care team.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from outcomes.models import UNRESOLVED, Alert, AlertStatus
from users.models import User
from users.selectors import patient_rule

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser


# An alert's own columns, and what its answer shows of each person joined to it
# (AlertPersonSerializer: id and name): a page reads three people's names, not their
# whole accounts (password hashes included).
ALERT_FIELDS = tuple(field.name for field in Alert._meta.concrete_fields)
PERSON_FIELDS = ("name",)


def alert_visible(*, user: User | AnonymousUser) -> QuerySet[Alert]:
    """Alerts ``user`` may read (see the module doc).

    A clinician's: their patients' rule joined on the alert's patient (the join
    ``select_related("patient")`` reuses), not a subquery of ``patient_list``: the same
    rows, its count built and compiled in about 30% less CPU (a list read's fixed cost).
    """
    if not user.is_authenticated or not user.is_active:
        return Alert.objects.none()
    if user.is_superuser:
        return Alert.objects.all()
    if user.is_clinician:
        rule = patient_rule(user=user, via="patient")
        return Alert.objects.none() if rule is None else Alert.objects.filter(rule)
    return Alert.objects.none()


def alert_list(
    *,
    user: User | AnonymousUser,
    patient_id: uuid.UUID | None = None,
    status: str | None = None,
    kind: str | None = None,
) -> QuerySet[Alert]:
    """The caller's alerts, newest first, with patient and handlers joined (1 query a page)."""
    alerts = alert_visible(user=user)
    if patient_id is not None:
        alerts = alerts.filter(patient_id=patient_id)
    if status is not None:
        alerts = alerts.filter(status=status)
    if kind is not None:
        alerts = alerts.filter(kind=kind)
    people = ("patient", "acknowledged_by", "resolved_by")
    return (
        alerts.select_related(*people)
        .only(
            *ALERT_FIELDS,
            *(f"{person}__{field}" for person in people for field in PERSON_FIELDS),
        )
        .order_by("-created_at", "id")
    )


def alert_get(*, user: User | AnonymousUser, alert_id: Any) -> Alert | None:
    """One alert visible to ``user``, or None (unknown, not theirs or a malformed id)."""
    try:
        pk = uuid.UUID(str(alert_id))
    except ValueError:
        return None
    return alert_list(user=user).filter(pk=pk).first()


def open_alert_count_subquery() -> Coalesce:
    """An expression counting a patient's open alerts (for ``annotate`` on users)."""
    counts = (
        Alert.objects.filter(patient_id=OuterRef("pk"), status=AlertStatus.OPEN)
        .values("patient_id")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Coalesce(Subquery(counts, output_field=IntegerField()), 0)


def open_alert_counts(*, patient_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, int]:
    """Open alerts per patient (0 for none), in one query."""
    ids = list(patient_ids)
    counts = dict.fromkeys(ids, 0)
    rows = (
        Alert.objects.filter(patient_id__in=ids, status=AlertStatus.OPEN)
        .values("patient_id")
        .annotate(count=Count("pk"))
        .values_list("patient_id", "count")
    )
    counts.update(dict(rows))
    return counts


def digest_alerts(*, clinician: User) -> list[Alert]:
    """The unresolved alerts of ``clinician``'s patients, oldest first (1 query)."""
    return list(
        alert_visible(user=clinician)
        .filter(status__in=UNRESOLVED)
        .select_related("patient", "acknowledged_by")
        .order_by("created_at", "id")
    )
