"""The webhook admin: register (secret shown once), read attempts, send again."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from integrations.models import WebhookEndpoint, WebhookMessage
from integrations.webhooks import services
from integrations.webhooks.events import SESSION_CREATED
from tests.factories import AdminFactory, ClinicianFactory, PatientFactory
from users.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_browser(client) -> tuple:
    admin = AdminFactory()
    client.force_login(admin)
    return client, admin


def test_registering_an_endpoint_shows_its_secret_once(admin_browser):
    client, admin = admin_browser
    response = client.post(
        reverse("admin:integrations_webhookendpoint_add"),
        {
            "url": "https://ehr.example.com/hooks",
            "description": "Clinic EHR",
            "events": ["session.created", "plan.updated"],
            "owner": admin.pk,
        },
        follow=True,
    )

    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.events == ["session.created", "plan.updated"]
    shown = [str(m) for m in get_messages(response.wsgi_request)]
    assert any(endpoint.secret in text for text in shown)
    page = client.get(
        reverse("admin:integrations_webhookendpoint_change", args=[endpoint.pk])
    )
    assert page.status_code == 200
    assert endpoint.secret not in page.content.decode()


def test_the_admin_refuses_a_url_outside_the_policy(admin_browser, settings):
    settings.WEBHOOK_ALLOW_HTTP = False
    client, admin = admin_browser
    response = client.post(
        reverse("admin:integrations_webhookendpoint_add"),
        {
            "url": "http://ehr.example.com/",
            "events": ["session.created"],
            "owner": admin.pk,
        },
    )
    assert response.status_code == 200
    assert "Only https URLs are allowed" in response.content.decode()
    assert WebhookEndpoint.objects.count() == 0


def test_a_message_page_lists_its_attempts_and_send_again_requeues_it(
    admin_browser, receiver
):
    client, admin = admin_browser
    receiver.answers = [500]
    services.endpoint_register(url=receiver.url, events=[SESSION_CREATED], owner=admin)
    patient = PatientFactory()
    [message] = services.event_publish(
        event_type=SESSION_CREATED, patient_id=patient.pk, data={"id": "x"}
    )
    services.message_deliver(message_id=message.pk)

    page = client.get(
        reverse("admin:integrations_webhookmessage_change", args=[message.pk])
    ).content.decode()
    assert message.webhook_id in page
    assert "HTTP error" in page
    assert "500" in page

    with pytest.MonkeyPatch.context() as patch:
        # Run the queued task at once (the test transaction never commits).
        patch.setattr(services, "_enqueue_on_commit", services._enqueue)
        client.post(
            reverse("admin:integrations_webhookmessage_changelist"),
            {"action": "send_again", "_selected_action": [message.pk]},
        )
    message.refresh_from_db()
    assert message.status == "delivered"
    assert message.attempt_count == 2


@pytest.mark.parametrize("role", ["clinician", "patient"])
def test_only_administrators_reach_the_webhook_pages(client, role):
    user = ClinicianFactory() if role == "clinician" else PatientFactory()
    User.objects.filter(pk=user.pk).update(is_staff=True)
    client.force_login(user)
    for name in ("webhookendpoint", "webhookmessage"):
        response = client.get(reverse(f"admin:integrations_{name}_changelist"))
        assert response.status_code == 403
    assert WebhookMessage.objects.count() == 0
