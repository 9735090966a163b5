"""Webhooks end to end: a session upload, a real worker and Redis, a real receiver.

- An upload produces one signed delivery, verified with the Standard Webhooks library.
- A receiver answering 500 three times then 200 gets the event once more (same
  ``webhook-id``) and the message is marked delivered.
- A worker killed mid-delivery loses nothing: its lease runs out, the sweep (beat, in
  the next worker) hands the message on, and it is delivered.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from typing import Any

from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken
from standardwebhooks.webhooks import Webhook

from integrations.models import WebhookAttempt, WebhookMessage
from integrations.webhooks import services
from tests.factories import AdminFactory, PlanFactory, PlanItemFactory
from tests.live.conftest import wait_for

EVENTS = ["session.created", "session.updated", "session.deleted", "plan.updated"]


def upload(item: Any) -> str:
    """POST one session as its patient would (Bearer token); returns its id."""
    client = APIClient()
    client.credentials(
        HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(item.plan.patient)}"
    )
    started = (timezone.now() - dt.timedelta(hours=1)).replace(microsecond=0)
    session_id = str(uuid.uuid4())
    response = client.post(
        "/api/v1/sessions/",
        {
            "id": session_id,
            "plan": str(item.plan_id),
            "started_at": started.isoformat(),
            "ended_at": (started + dt.timedelta(minutes=20)).isoformat(),
            "pain_before": 4,
            "pain_after": 2,
            "exercises": [
                {
                    "exercise": str(item.exercise_id),
                    "plan_item": item.pk,
                    "status": "done",
                    "sets": [{"side": "both", "reps": 10}],
                }
            ],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    return session_id


def setup(receiver: Any) -> tuple[Any, str]:
    _, secret = services.endpoint_register(
        url=receiver.url, events=EVENTS, owner=AdminFactory()
    )
    return PlanItemFactory(plan=PlanFactory()), secret


def delivered() -> bool:
    return WebhookMessage.objects.filter(status="delivered").exists()


def test_an_upload_is_delivered_once_and_verifies(worker, receiver):
    item, secret = setup(receiver)

    session_id = upload(item)

    wait_for(delivered, 20, f"the delivery\n{worker.log_tail()}")
    time.sleep(2.5)  # two sweeps later: still exactly one request
    message = WebhookMessage.objects.get()
    assert len(receiver.requests) == 1
    request = receiver.requests[0]
    payload = Webhook(secret).verify(request.body, request.headers)
    assert request.headers["webhook-id"] == message.webhook_id
    assert payload["type"] == "session.created"
    assert payload["data"]["id"] == session_id
    assert message.attempts.get().outcome == WebhookAttempt.Outcome.SUCCESS


def test_three_failures_then_success_is_delivered_once_more(worker, receiver):
    receiver.answers = [500, 500, 500]
    item, secret = setup(receiver)

    upload(item)

    wait_for(delivered, 30, f"the delivery\n{worker.log_tail()}")
    message = WebhookMessage.objects.get()
    assert [r.headers["webhook-id"] for r in receiver.requests] == [
        message.webhook_id
    ] * 4
    for request in receiver.requests:
        Webhook(secret).verify(request.body, request.headers)
    assert list(message.attempts.values_list("status_code", flat=True)) == [
        500,
        500,
        500,
        200,
    ]
    assert message.status == "delivered"


def test_a_worker_killed_mid_delivery_loses_nothing(worker, receiver):
    receiver.answers = [0]  # the first request hangs until released
    item, secret = setup(receiver)

    upload(item)
    wait_for(receiver.arrived.is_set, 20, f"the first request\n{worker.log_tail()}")
    worker.kill()
    receiver.release.set()
    attempts = list(WebhookAttempt.objects.values_list("outcome", "error"))
    assert not delivered(), attempts
    assert attempts == [(WebhookAttempt.Outcome.IN_FLIGHT, "")]

    worker.start()
    wait_for(delivered, 30, f"the delivery after the restart\n{worker.log_tail()}")
    message = WebhookMessage.objects.get()
    assert {r.headers["webhook-id"] for r in receiver.requests} == {message.webhook_id}
    Webhook(secret).verify(receiver.requests[-1].body, receiver.requests[-1].headers)
    outcomes = list(message.attempts.values_list("outcome", flat=True))
    assert outcomes == [
        WebhookAttempt.Outcome.INTERRUPTED,
        WebhookAttempt.Outcome.SUCCESS,
    ]
