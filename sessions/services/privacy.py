"""Erasure of a patient's data: composed above users and sessions (users knows nothing of
sessions, so the account's own erasure, ``users.services.user_erase``, runs last here).
"""

from __future__ import annotations

from django.db import transaction

from sessions.models import Plan, PlanItem, Session
from sessions.signals import patient_erased, patient_erasing
from users.models import User
from users.services import admin_log_scrub, user_erase, user_erase_check


@transaction.atomic
def patient_erase(*, user: User, password: str) -> None:
    """Erase a patient account and everything it owns; PermissionDenied for staff,
    ValidationError (``password``) unless ``password`` is the account's current one.

    Deleted: the user, care relationships, plans with items and their edit history,
    session logs (exercises, sets, tombstones), login records (django-axes) and
    refresh-token records; and what other modules keep (``patient_erasing``: alerts,
    questionnaires and the calendar feed go with the user row, webhook messages about
    the patient are deleted); their cached answers (sessions/cache.py) last. Kept with
    nothing that identifies the patient: access-log entries (readers stay accountable)
    and admin change-log entries (who did what).
    """
    user_erase_check(user=user, password=password)
    patient_id = user.pk
    plan_ids = [
        str(pk) for pk in Plan.objects.filter(patient=user).values_list("id", flat=True)
    ]
    session_ids = [
        str(pk)
        for pk in Session.objects.filter(patient=user).values_list("id", flat=True)
    ]
    # Apps above (outcomes, integrations) erase what they keep about the patient.
    patient_erasing.send(
        sender=User, patient=user, plan_ids=plan_ids, session_ids=session_ids
    )
    # Admin change log: keep who did what, forget who it was about.
    admin_log_scrub(about=[(Plan, plan_ids), (Session, session_ids)])
    # Cascades: sessions (with their exercises and sets), plans (with items) and care
    # relationships go with the user row.
    user_erase(user=user)
    # simple-history keeps copies of plans and items (and records their deletion just
    # now): those are the patient's data too.
    Plan.history.model.objects.filter(id__in=plan_ids).delete()
    PlanItem.history.model.objects.filter(plan_id__in=plan_ids).delete()
    # Last: what must follow every deletion above (patient_erased in sessions/signals.py).
    patient_erased.send(sender=User, patient_id=patient_id)
