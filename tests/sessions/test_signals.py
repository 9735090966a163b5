"""Domain events: one per stored change, none for a retry or a refused write."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from sessions.models import Plan, Session
from sessions.services.logs import session_delete, session_update, session_upload
from sessions.services.plans import plan_update
from sessions.signals import plan_changed, session_changed
from tests.factories import CareRelationshipFactory, PlanFactory, PlanItemFactory
from tests.sessions.test_logs_services import data_for


@pytest.fixture
def events() -> Iterator[list[tuple[str, Any, str]]]:
    seen: list[tuple[str, Any, str]] = []

    def on_session(sender: type, session: Session, action: str, **kwargs: Any) -> None:
        seen.append(("session", session.pk, action))

    def on_plan(sender: type, plan: Plan, action: str, **kwargs: Any) -> None:
        seen.append(("plan", plan.pk, action))

    session_changed.connect(on_session)
    plan_changed.connect(on_plan)
    yield seen
    session_changed.disconnect(on_session)
    plan_changed.disconnect(on_plan)


@pytest.fixture
def started() -> dt.datetime:
    return (timezone.now() - dt.timedelta(hours=1)).replace(microsecond=0)


def test_upload_edit_and_delete_each_send_one_event_and_a_retry_none(
    patient, events, started
):
    item = PlanItemFactory(plan=PlanFactory(patient=patient))
    data = data_for(item, started)
    session, _ = session_upload(patient=patient, data=data)
    session_upload(patient=patient, data=data)  # the retry
    session = session_update(
        session=session, if_match=[session.etag], data={"pain_after": 1}
    )
    session_update(session=session, if_match=[session.etag], data={})  # no change
    session_delete(session=session)

    assert events == [
        ("session", session.pk, "created"),
        ("session", session.pk, "updated"),
        ("session", session.pk, "deleted"),
    ]


def test_a_refused_upload_sends_nothing(patient, events, started):
    item = PlanItemFactory(plan=PlanFactory(patient=patient))
    data = data_for(item, started, ended_at=started - dt.timedelta(minutes=1))

    with pytest.raises(ValidationError):
        session_upload(patient=patient, data=data)

    assert events == []


def test_adjusting_a_plan_sends_one_event_and_no_change_none(
    clinician, patient, events
):
    CareRelationshipFactory(clinician=clinician, patient=patient)
    plan = PlanFactory(patient=patient)

    plan_update(plan=plan, actor=clinician, changes={"note": "Slower on the way down."})
    plan_update(plan=plan, actor=clinician, changes={})

    assert events == [("plan", plan.pk, "updated")]
