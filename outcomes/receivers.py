"""Receivers of the sessions app's domain events: queue the alert rules after the commit."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from outcomes.tasks import alerts_session_rules
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


def connect() -> None:
    session_changed.connect(
        on_session_changed, sender=Session, dispatch_uid=DISPATCH_UID
    )
