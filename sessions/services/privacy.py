"""Erasure of a patient's data: composed above users and sessions (users knows nothing of
sessions, so the account's own erasure, ``users.services.user_erase``, runs last here).
"""

from __future__ import annotations

from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import transaction

from sessions.models import Plan, PlanItem
from users.models import User
from users.services import ERASED_REPR, user_erase, user_erase_check


@transaction.atomic
def patient_erase(*, user: User) -> None:
    """Erase a patient account and everything it owns; PermissionDenied for staff.

    Deleted: the user, care relationships, plans with items and their edit history,
    session logs (exercises, sets, tombstones), login records (django-axes) and
    refresh-token records' link to the account. Kept: access-log entries about the
    patient with ``patient`` emptied (readers stay accountable), and the revoked
    refresh tokens until they expire (so a copied token can never be replayed).
    """
    user_erase_check(user=user)
    plan_ids = list(Plan.objects.filter(patient=user).values_list("id", flat=True))
    if plan_ids:
        # Admin change log: keep who did what, forget who it was about.
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(Plan),
            object_id__in=[str(pk) for pk in plan_ids],
        ).update(object_repr=ERASED_REPR)
    # Cascades: sessions (with their exercises and sets), plans (with items) and care
    # relationships go with the user row.
    user_erase(user=user)
    # simple-history keeps copies of plans and items (and records their deletion just
    # now): those are the patient's data too.
    Plan.history.model.objects.filter(id__in=plan_ids).delete()
    PlanItem.history.model.objects.filter(plan_id__in=plan_ids).delete()
