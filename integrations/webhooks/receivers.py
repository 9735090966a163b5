"""Domain events of the apps below turned into outbox rows (same transaction).

Sessions and plans (``sessions.signals``), alerts and answers (``outcomes.signals``):
each is sent inside the write's transaction, so the outbox row commits or rolls back
with the change, and a retried upload (which sends nothing) adds no row.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save

from integrations.models import WebhookEndpoint
from integrations.webhooks.events import (
    ALERT_CREATED,
    QUESTIONNAIRE_RESPONSE_CREATED,
    alert_data,
    plan_data,
    questionnaire_response_data,
    session_data,
)
from integrations.webhooks.services import (
    event_publish,
    messages_about_erase,
    subscribed_event_types_changed,
)
from outcomes.models import Alert, QuestionnaireResponse
from outcomes.signals import alert_created, questionnaire_response_created
from sessions.models import Plan, Session
from sessions.signals import patient_erasing, plan_changed, session_changed
from users.models import User


def on_session_changed(sender: Any, *, session: Session, action: str, **_: Any) -> None:
    event_publish(
        event_type=f"session.{action}",
        patient_id=session.patient_id,
        data=session_data(session),
    )


def on_plan_changed(sender: Any, *, plan: Plan, action: str, **_: Any) -> None:
    event_publish(
        event_type=f"plan.{action}", patient_id=plan.patient_id, data=plan_data(plan)
    )


def on_alert_created(sender: Any, *, alert: Alert, **_: Any) -> None:
    event_publish(
        event_type=ALERT_CREATED, patient_id=alert.patient_id, data=alert_data(alert)
    )


def on_questionnaire_response_created(
    sender: Any, *, response: QuestionnaireResponse, **_: Any
) -> None:
    event_publish(
        event_type=QUESTIONNAIRE_RESPONSE_CREATED,
        patient_id=response.patient_id,
        data=questionnaire_response_data(response),
    )


def on_patient_erasing(sender: Any, *, patient: User, **_: Any) -> None:
    messages_about_erase(patient_id=patient.pk)


def on_endpoint_written(sender: Any, **_: Any) -> None:
    """An endpoint saved or deleted (a cascade included): the cached event types go."""
    subscribed_event_types_changed()


def connect() -> None:
    uid = "integrations.webhooks"
    post_save.connect(on_endpoint_written, sender=WebhookEndpoint, dispatch_uid=uid)
    post_delete.connect(on_endpoint_written, sender=WebhookEndpoint, dispatch_uid=uid)
    session_changed.connect(on_session_changed, dispatch_uid=uid)
    plan_changed.connect(on_plan_changed, dispatch_uid=uid)
    alert_created.connect(on_alert_created, dispatch_uid=uid)
    questionnaire_response_created.connect(
        on_questionnaire_response_created, dispatch_uid=uid
    )
    patient_erasing.connect(on_patient_erasing, dispatch_uid=uid)
