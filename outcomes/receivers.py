"""Receivers of the sessions app's domain events: queue the alert rules after the commit;
and the patient's cached answers made stale by this app's writes that they show.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save

from outcomes.models import (
    Questionnaire,
    QuestionnaireAssignment,
    QuestionnaireResponse,
)
from outcomes.signals import questionnaire_response_created
from outcomes.tasks import alerts_response_rules, alerts_session_rules
from sessions.cache import patient_changed
from sessions.models import Plan, Session
from sessions.signals import session_changed

DISPATCH_UID = "outcomes.alerts_on_session_changed"


def on_session_changed(sender: Any, *, session: Session, action: str, **_: Any) -> None:
    """An upload or an edit: run the upload rules once the write has committed.

    ``robust``: a failure to queue (a broker down) is logged and never fails the
    upload that already committed; the periodic rules do not depend on it.
    """
    if action not in {"created", "updated"}:
        return
    session_id = str(session.pk)
    transaction.on_commit(lambda: alerts_session_rules.delay(session_id), robust=True)


def on_response_created(
    sender: Any, *, response: QuestionnaireResponse, **_: Any
) -> None:
    """New answers: run the outcome-measure rule once they have committed."""
    response_id = str(response.pk)
    transaction.on_commit(lambda: alerts_response_rules.delay(response_id), robust=True)


def on_assignment_written(
    sender: Any, *, instance: QuestionnaireAssignment, **_: Any
) -> None:
    """What is due changed (``me/today/``, ``me/questionnaires/due/``): the plan's
    patient's answers are stale."""
    patient_id = (
        Plan.objects.filter(pk=instance.plan_id).values_list("patient_id", flat=True)
    ).first()
    if patient_id is not None:
        patient_changed(patient_id)


def on_questionnaire_written(sender: Any, *, instance: Questionnaire, **_: Any) -> None:
    """An instrument reloaded (its title, items or status: ``load_questionnaires``):
    what is due shows it, so the answers of every patient it is assigned to are stale."""
    patient_ids = Plan.objects.filter(
        questionnaire_assignments__questionnaire=instance
    ).values_list("patient_id", flat=True)
    for patient_id in set(patient_ids):
        patient_changed(patient_id)


def on_response_written(
    sender: Any, *, instance: QuestionnaireResponse, **_: Any
) -> None:
    """New answers change what is due (``me/today/``) and the progress' measures."""
    patient_changed(instance.patient_id)


def connect() -> None:
    for signal in (post_save, post_delete):
        signal.connect(
            on_assignment_written,
            sender=QuestionnaireAssignment,
            dispatch_uid=f"outcomes.patient_cache_assignment_{signal is post_save}",
        )
        signal.connect(
            on_response_written,
            sender=QuestionnaireResponse,
            dispatch_uid=f"outcomes.patient_cache_response_{signal is post_save}",
        )
    post_save.connect(
        on_questionnaire_written,
        sender=Questionnaire,
        dispatch_uid="outcomes.patient_cache_questionnaire",
    )
    session_changed.connect(
        on_session_changed, sender=Session, dispatch_uid=DISPATCH_UID
    )
    questionnaire_response_created.connect(
        on_response_created,
        sender=QuestionnaireResponse,
        dispatch_uid="outcomes.alerts_on_response_created",
    )
