"""Receivers of the sessions app's domain events: queue the alert rules after the commit."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from outcomes.models import QuestionnaireResponse
from outcomes.signals import questionnaire_response_created
from outcomes.tasks import alerts_response_rules, alerts_session_rules
from sessions.models import Session
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


def connect() -> None:
    session_changed.connect(
        on_session_changed, sender=Session, dispatch_uid=DISPATCH_UID
    )
    questionnaire_response_created.connect(
        on_response_created,
        sender=QuestionnaireResponse,
        dispatch_uid="outcomes.alerts_on_response_created",
    )
