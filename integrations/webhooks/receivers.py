"""Domain events of the apps below turned into outbox rows (same transaction)."""

from __future__ import annotations

from typing import Any

from integrations.webhooks.events import plan_data, session_data
from integrations.webhooks.services import event_publish, messages_about_erase
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


def on_patient_erasing(sender: Any, *, patient: User, **_: Any) -> None:
    messages_about_erase(patient_id=patient.pk)


def connect() -> None:
    session_changed.connect(on_session_changed, dispatch_uid="integrations.webhooks")
    plan_changed.connect(on_plan_changed, dispatch_uid="integrations.webhooks")
    patient_erasing.connect(on_patient_erasing, dispatch_uid="integrations.webhooks")
