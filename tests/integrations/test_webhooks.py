"""Webhooks: outbox rows with the change, signed deliveries, retries, give-up, policy."""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid
from typing import Any

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from integrations.models import WebhookAttempt, WebhookEndpoint, WebhookMessage
from integrations.tasks import webhooks_sweep
from integrations.webhooks import services, transport
from integrations.webhooks.events import SESSION_CREATED
from sessions.services.logs import session_delete, session_upload
from sessions.services.plans import plan_update
from tests.conftest import client_for
from tests.factories import (
    AdminFactory,
    CareRelationshipFactory,
    ClinicianFactory,
    PatientFactory,
    PlanFactory,
    PlanItemFactory,
)
from tests.sessions.test_logs_services import data_for

pytestmark = pytest.mark.django_db

ALL_EVENTS = ["session.created", "session.updated", "session.deleted", "plan.updated"]


def register(url: str, owner: Any = None, events: list[str] | None = None) -> tuple:
    return services.endpoint_register(
        url=url, events=events or ALL_EVENTS, owner=owner or AdminFactory()
    )


def upload_body(item: Any) -> dict[str, Any]:
    started = (timezone.now() - dt.timedelta(hours=1)).replace(microsecond=0)
    return {
        "id": str(uuid.uuid4()),
        "plan": str(item.plan_id),
        "started_at": started.isoformat(),
        "ended_at": (started + dt.timedelta(minutes=20)).isoformat(),
        "pain_before": 4,
        "pain_after": 2,
        "effort": 5,
        "notes": "Knee felt warm.",
        "exercises": [
            {
                "exercise": str(item.exercise_id),
                "plan_item": item.pk,
                "status": "done",
                "sets": [{"side": "both", "reps": 10}],
            }
        ],
    }


def make_due(message: WebhookMessage) -> None:
    WebhookMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())


@pytest.fixture
def item() -> Any:
    return PlanItemFactory(plan=PlanFactory(patient=PatientFactory()))


def test_a_session_upload_is_delivered_once_signed_with_ids_and_links(
    receiver, item, django_capture_on_commit_callbacks
):
    _endpoint, secret = register(receiver.url)
    body = upload_body(item)

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(item.plan.patient).post("/api/v1/sessions/", body)

    assert response.status_code == 201, response.content
    assert len(receiver.requests) == 1
    request = receiver.requests[0]
    payload = Webhook(secret).verify(request.body, request.headers)
    message = WebhookMessage.objects.get()
    assert request.headers["webhook-id"] == message.webhook_id
    assert payload["type"] == "session.created"
    assert payload["data"] == {
        "id": body["id"],
        "patient": str(item.plan.patient_id),
        "plan": str(item.plan_id),
        "version": 1,
        "links": {
            "self": f"http://127.0.0.1:8000/api/v1/sessions/{body['id']}/",
            "fhir": f"http://127.0.0.1:8000/fhir/r4/Observation/{body['id']}",
        },
    }
    # Ids and links only: no pain scores, notes or exercises travel in the payload.
    assert b"Knee" not in request.body
    assert b"pain" not in request.body
    message.refresh_from_db()
    assert (message.status, message.attempt_count) == ("delivered", 1)
    attempt = message.attempts.get()
    assert (attempt.outcome, attempt.status_code, attempt.response_excerpt) == (
        "success",
        200,
        "ok",
    )
    assert attempt.latency_ms is not None
    assert attempt.finished_at is not None
    # A retry of the same upload is not a new event.
    with django_capture_on_commit_callbacks(execute=True):
        retry = client_for(item.plan.patient).post("/api/v1/sessions/", body)
    assert retry.status_code == 200
    assert WebhookMessage.objects.count() == 1
    assert len(receiver.requests) == 1


def test_the_outbox_row_commits_or_rolls_back_with_the_change(item):
    register("https://hooks.example.com/rehabit")
    started = timezone.now() - dt.timedelta(hours=1)

    written = []

    def upload_then_fail() -> None:
        with transaction.atomic():
            session_upload(patient=item.plan.patient, data=data_for(item, started))
            written.append(WebhookMessage.objects.count())
            raise RuntimeError("the request failed after the write")

    with pytest.raises(RuntimeError):
        upload_then_fail()

    assert written == [1]
    assert WebhookMessage.objects.count() == 0


def test_events_follow_what_the_endpoints_owner_may_see(item):
    patient = item.plan.patient
    carer, stranger = ClinicianFactory(), ClinicianFactory()
    CareRelationshipFactory(clinician=carer, patient=patient)
    ours, _ = register("https://a.example.com/", owner=carer)
    register("https://b.example.com/", owner=stranger)
    admins, _ = register("https://c.example.com/", events=["plan.updated"])
    off, _ = register("https://d.example.com/")
    WebhookEndpoint.objects.filter(pk=off.pk).update(is_active=False)

    session, _ = session_upload(
        patient=patient, data=data_for(item, timezone.now() - dt.timedelta(hours=1))
    )
    session_delete(session=session)
    plan_update(plan=item.plan, actor=carer, changes={"note": "Slower."})

    sent = set(WebhookMessage.objects.values_list("endpoint_id", "event_type"))
    assert sent == {
        (ours.pk, "session.created"),
        (ours.pk, "session.deleted"),
        (ours.pk, "plan.updated"),
        (admins.pk, "plan.updated"),
    }


def test_a_failing_receiver_is_retried_with_backoff_until_it_answers(
    receiver, item, settings
):
    receiver.answers = [500, 503]
    receiver.answer_body = b"x" * 5000
    _endpoint, secret = register(receiver.url)
    [message] = services.event_publish(
        event_type=SESSION_CREATED, patient_id=item.plan.patient_id, data={"id": "s"}
    )

    first = services.message_deliver(message_id=message.pk)
    message.refresh_from_db()
    assert first is not None
    assert first.outcome == "http_error"
    assert first.status_code == 500
    assert len(first.response_excerpt) == settings.WEBHOOK_RESPONSE_EXCERPT_BYTES
    assert message.status == "pending"
    assert message.lease_until is None
    delay = (message.next_attempt_at - first.finished_at).total_seconds()
    assert 5 * 0.75 <= delay <= 5 * 1.25
    # Not due yet: a second task (a sweep racing the countdown) sends nothing.
    assert services.message_deliver(message_id=message.pk) is None

    make_due(message)
    second = services.message_deliver(message_id=message.pk)
    message.refresh_from_db()
    delay = (message.next_attempt_at - second.finished_at).total_seconds()
    assert second.status_code == 503
    assert 15 * 0.75 <= delay <= 15 * 1.25

    make_due(message)
    services.message_deliver(message_id=message.pk)
    message.refresh_from_db()
    assert message.status == "delivered"
    assert message.attempt_count == 3
    ids = {request.headers["webhook-id"] for request in receiver.requests}
    assert ids == {message.webhook_id}
    assert len(receiver.requests) == 3
    for request in receiver.requests:
        Webhook(secret).verify(request.body, request.headers)
    assert list(message.attempts.values_list("number", "status_code")) == [
        (1, 500),
        (2, 503),
        (3, 200),
    ]


def _schedule(factor: float, monkeypatch: Any) -> list[float]:
    monkeypatch.setattr(services.random, "uniform", lambda low, high: factor)
    return [services.retry_delay(n) for n in range(1, 15)]


def test_the_backoff_grows_by_three_to_a_cap_with_jitter(monkeypatch):
    assert _schedule(1.0, monkeypatch)[:10] == [
        5,
        15,
        45,
        135,
        405,
        1215,
        3645,
        10935,
        21600,
        21600,
    ]
    monkeypatch.undo()
    for n in range(1, 12):
        delay = services.retry_delay(n)
        exact = min(5 * 3 ** (n - 1), 21600)
        assert exact * 0.75 <= delay <= exact * 1.25


@pytest.mark.parametrize("factor", [0.75, 1.0, 1.25])
def test_the_retries_span_about_a_day(factor, monkeypatch):
    elapsed, attempts = 0.0, 1
    for delay in _schedule(factor, monkeypatch):
        if elapsed + delay > 86400:
            break
        elapsed += delay
        attempts += 1
    assert 10 <= attempts <= 15
    assert elapsed > 18 * 3600


def test_after_the_window_the_message_fails_and_the_endpoint_is_disabled(
    receiver, item, django_capture_on_commit_callbacks
):
    receiver.answers = [500]
    owner = AdminFactory(email="integrations@clinic.example")
    endpoint, _ = register(receiver.url, owner=owner)
    [message] = services.event_publish(
        event_type=SESSION_CREATED, patient_id=item.plan.patient_id, data={"id": "s"}
    )
    WebhookMessage.objects.filter(pk=message.pk).update(
        retry_until=timezone.now() + dt.timedelta(seconds=1)
    )

    with django_capture_on_commit_callbacks(execute=True):
        services.message_deliver(message_id=message.pk)

    message.refresh_from_db()
    endpoint.refresh_from_db()
    assert message.status == "failed"
    assert not endpoint.is_active
    assert "Gave up" in endpoint.disabled_reason
    assert [m.to for m in mail.outbox] == [["integrations@clinic.example"]]
    assert receiver.url in mail.outbox[0].body
    # Disabled: new events are not written for it, and nothing is due.
    assert (
        services.event_publish(
            event_type=SESSION_CREATED, patient_id=item.plan.patient_id, data={}
        )
        == []
    )

    # Fixed receiver: enable, send again (same webhook-id), delivered.
    services.endpoint_enable(endpoint=endpoint)
    services.message_resend(messages=[message])
    services.message_deliver(message_id=message.pk)
    message.refresh_from_db()
    assert message.status == "delivered"
    assert [r.headers["webhook-id"] for r in receiver.requests] == [
        message.webhook_id
    ] * 2


def test_a_claim_is_exclusive_and_a_dead_workers_claim_expires(receiver, item):
    register(receiver.url)
    [message] = services.event_publish(
        event_type=SESSION_CREATED, patient_id=item.plan.patient_id, data={}
    )
    claim = services._claim(message.pk)
    assert claim is not None
    assert services._claim(message.pk) is None  # another worker: nothing to do
    assert services.messages_due() == []

    # The first worker died mid-delivery: its lease runs out, the sweep hands it on.
    WebhookMessage.objects.filter(pk=message.pk).update(lease_until=timezone.now())
    assert services.messages_due() == [message.pk]
    assert webhooks_sweep() == 1  # eager in tests: delivered now

    message.refresh_from_db()
    assert message.status == "delivered"
    assert len(receiver.requests) == 1
    assert list(message.attempts.values_list("number", "outcome")) == [
        (1, WebhookAttempt.Outcome.INTERRUPTED),
        (2, WebhookAttempt.Outcome.SUCCESS),
    ]


def test_a_receiver_that_hangs_times_out(receiver, item, settings):
    settings.WEBHOOK_READ_TIMEOUT = 0.3
    receiver.answers = [0]  # hold the request
    register(receiver.url)
    [message] = services.event_publish(
        event_type=SESSION_CREATED, patient_id=item.plan.patient_id, data={}
    )

    started = time.monotonic()
    attempt = services.message_deliver(message_id=message.pk)

    assert time.monotonic() - started < 3
    assert attempt.outcome == "network_error"
    assert "timed out" in attempt.error
    receiver.release.set()


def test_private_addresses_are_refused_unless_allowed(receiver, item, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = False
    register(receiver.url)
    [message] = services.event_publish(
        event_type=SESSION_CREATED, patient_id=item.plan.patient_id, data={}
    )

    attempt = services.message_deliver(message_id=message.pk)

    assert attempt.outcome == "refused"
    assert "127.0.0.1" in attempt.error
    assert receiver.requests == []


@pytest.mark.parametrize(
    "address",
    ["10.1.2.3", "192.168.0.10", "169.254.169.254", "100.64.0.1", "::1", "fd00::1"],
)
def test_the_policy_refuses_internal_addresses(address, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = False
    with pytest.raises(transport.DeliveryRefused):
        transport.resolve(address, 443)


def test_a_public_address_passes_the_policy(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = False
    assert transport.resolve("93.184.215.14", 443) == "93.184.215.14"


@pytest.mark.parametrize(
    ("url", "allow_http", "message"),
    [
        ("http://hooks.example.com/", False, transport.SCHEME_REFUSED),
        ("https://user:pw@hooks.example.com/", True, transport.CREDENTIALS_REFUSED),
        ("ftp://hooks.example.com/", True, transport.BAD_SCHEME),
    ],
)
def test_registering_a_url_outside_the_policy_is_refused(
    url, allow_http, message, settings
):
    from django.core.exceptions import ValidationError

    settings.WEBHOOK_ALLOW_HTTP = allow_http
    with pytest.raises(ValidationError) as raised:
        register(url)
    assert message in str(raised.value)
    assert WebhookEndpoint.objects.count() == 0


def test_an_endpoint_needs_known_events_and_a_staff_owner():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="Unknown event type"):
        register("https://a.example.com/", events=["session.exploded"])
    with pytest.raises(ValidationError, match="administrator or a clinician"):
        register("https://a.example.com/", owner=PatientFactory())


def test_secrets_are_standard_webhooks_secrets_and_rotate():
    endpoint, secret = register("https://a.example.com/")
    assert secret.startswith("whsec_")
    Webhook(secret)  # decodes
    rotated = services.endpoint_secret_rotate(endpoint=endpoint)
    assert rotated != secret
    endpoint.refresh_from_db()
    assert endpoint.secret == rotated


def test_enqueue_failures_leave_the_row_for_the_sweep(item, monkeypatch, receiver):
    """Redis down at commit time: the request succeeds, the row waits, the sweep sends."""
    from integrations import tasks

    def broker_down(*args: Any, **kwargs: Any) -> None:
        raise ConnectionError("Redis is down")

    register(receiver.url)
    monkeypatch.setattr(tasks.webhook_deliver, "apply_async", broker_down)
    services._enqueue(uuid.uuid4())  # logs, does not raise
    [message] = services.event_publish(
        event_type=SESSION_CREATED, patient_id=item.plan.patient_id, data={}
    )
    monkeypatch.undo()

    assert webhooks_sweep() == 1
    message.refresh_from_db()
    assert message.status == "delivered"
    assert json.loads(receiver.requests[0].body)["type"] == SESSION_CREATED


# ---------------------------------------------------------------------------
# The event types the active endpoints subscribe to (cached: a write no endpoint
# listens for runs no query for them)
# ---------------------------------------------------------------------------
def test_a_write_no_endpoint_listens_for_runs_no_endpoint_query(
    item, django_assert_num_queries
):
    register("https://hooks.example.com/", events=["plan.updated"])
    assert services.subscribed_event_types() == {"plan.updated"}  # read and cached

    with django_assert_num_queries(0):
        assert (
            services.endpoints_for(event_type=SESSION_CREATED, patient_id=item.pk) == []
        )


def test_a_new_endpoint_hears_the_next_write(item):
    assert services.subscribed_event_types() == frozenset()  # cached: none listen
    endpoint, _ = register("https://hooks.example.com/")

    session_upload(
        patient=item.plan.patient,
        data=data_for(item, timezone.now() - dt.timedelta(hours=1)),
    )

    assert list(WebhookMessage.objects.values_list("endpoint_id", "event_type")) == [
        (endpoint.pk, SESSION_CREATED)
    ]


def test_re_enabling_or_subscribing_an_endpoint_is_heard_at_once(item):
    endpoint, _ = register("https://hooks.example.com/", events=["plan.updated"])
    endpoint.is_active = False
    endpoint.save()
    assert services.subscribed_event_types() == frozenset()

    endpoint.is_active = True
    endpoint.events = ["plan.updated", SESSION_CREATED]
    endpoint.save()

    assert services.subscribed_event_types() == {"plan.updated", SESSION_CREATED}
    endpoint.delete()
    assert services.subscribed_event_types() == frozenset()


def test_without_the_cache_every_call_reads_the_endpoints(
    settings, item, django_assert_num_queries
):
    settings.WEBHOOK_EVENTS_CACHE_SECONDS = 0
    services.subscribed_event_types()

    with django_assert_num_queries(1):
        assert services.subscribed_event_types() == frozenset()
