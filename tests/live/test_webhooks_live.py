"""Webhooks end to end: a session upload, a real worker and Redis, a real receiver.

- An upload produces one signed delivery, verified with the Standard Webhooks library.
- A receiver answering 500 three times then 200 gets the event once more (same
  ``webhook-id``) and the message is marked delivered.
- A worker killed mid-delivery loses nothing: its lease runs out, the sweep (beat, in
  the next worker) hands the message on, and it is delivered.
- Never sent twice: the same message queued three more times while it is being sent
  gives one request and one attempt.
- Redis down for the web process (its broker refuses): the upload succeeds, the outbox
  row waits, and the worker's sweep delivers it.
- A pain flare upload: the worker runs the alert rules, and ``alert.created`` is
  delivered.
"""

from __future__ import annotations

import datetime as dt
import os
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
from tests.live.conftest import REDIS_URL, publish_to, wait_for

EVENTS = ["session.created", "session.updated", "session.deleted", "plan.updated"]
# A broker nobody answers on (connection refused): Redis down, as the web process sees it.
UNREACHABLE_BROKER = os.environ.get(
    "LIVE_UNREACHABLE_BROKER_URL", "redis://127.0.0.1:1/0"
)


def upload(item: Any, pain_before: int = 4, pain_after: int = 2) -> str:
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
            "pain_before": pain_before,
            "pain_after": pain_after,
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


def test_a_message_queued_again_and_again_is_sent_once(worker, receiver):
    """Duplicate tasks (a sweep racing a retry, a redelivery) find the message claimed."""
    from integrations.tasks import webhook_deliver

    receiver.answers = [0]  # the first request hangs: the message stays claimed
    item, secret = setup(receiver)

    upload(item)
    wait_for(receiver.arrived.is_set, 20, f"the first request\n{worker.log_tail()}")
    message = WebhookMessage.objects.get()
    for _ in range(3):
        webhook_deliver.apply_async(args=(str(message.pk),))
    receiver.release.set()

    wait_for(delivered, 20, f"the delivery\n{worker.log_tail()}")
    time.sleep(2.5)  # the duplicates and two sweeps have run
    assert len(receiver.requests) == 1
    Webhook(secret).verify(receiver.requests[0].body, receiver.requests[0].headers)
    assert message.attempts.count() == 1


def test_an_upload_while_redis_is_unreachable_is_delivered_by_the_sweep(
    worker, receiver, caplog
):
    """The web process cannot queue (its broker refuses): the outbox row waits."""
    item, secret = setup(receiver)
    publish_to(UNREACHABLE_BROKER)
    try:
        upload(item)  # answered 201: the request does not depend on Redis
    finally:
        publish_to(REDIS_URL)

    assert "webhook enqueue failed" in caplog.text
    wait_for(delivered, 20, f"the sweep's delivery\n{worker.log_tail()}")
    assert len(receiver.requests) == 1
    Webhook(secret).verify(receiver.requests[0].body, receiver.requests[0].headers)


def test_a_pain_flare_upload_raises_an_alert_delivered_as_alert_created(
    worker, receiver
):
    """The worker runs the alert rules, and the alert's event is delivered."""
    _, secret = services.endpoint_register(
        url=receiver.url, events=["alert.created"], owner=AdminFactory()
    )
    item = PlanItemFactory(plan=PlanFactory())

    session_id = upload(item, pain_before=2, pain_after=8)

    wait_for(delivered, 30, f"the alert's delivery\n{worker.log_tail()}")
    assert len(receiver.requests) == 1
    payload = Webhook(secret).verify(
        receiver.requests[0].body, receiver.requests[0].headers
    )
    assert payload["type"] == "alert.created"
    assert payload["data"]["session"] == session_id
