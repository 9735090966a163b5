"""Issue 10, findings 1-3: staff brute force, forged X-Forwarded-For, victim lockouts.

Every address below is what the server sees: REMOTE_ADDR is the connection (the load
balancer's when one is trusted), X-Forwarded-For is text any client can write.
"""

from __future__ import annotations

import datetime as dt

import pytest
import structlog
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client, RequestFactory, override_settings
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle

from config.access_log import AccessLogMiddleware
from config.security import client_ip
from tests.factories import ClinicianFactory
from tests.factories.users import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = "/api/v1/auth/token/"
ADMIN_LOGIN = "/admin/login/"
BALANCER = "10.0.0.1"


def api_login(client, email, password=PASSWORD, **extra):
    return client.post(
        LOGIN, {"email": email, "password": password}, format="json", **extra
    )


def admin_login(client, email, password=PASSWORD, **extra):
    return client.post(
        ADMIN_LOGIN,
        {"username": email, "password": password, "next": "/admin/"},
        **extra,
    )


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


@pytest.fixture
def staff(db):
    return ClinicianFactory()


# ---------------------------------------------------------------------------
# 1. The admin login locks staff accounts exactly as the API does
# ---------------------------------------------------------------------------
def test_admin_brute_force_locks_the_staff_account_even_for_the_right_password(staff):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        admin_login(client, staff.email, "wrong-password")

    response = admin_login(client, staff.email)

    assert response.status_code == 429
    assert not logged_in(client)


def test_admin_failures_are_recorded_under_the_normalised_email(staff):
    admin_login(Client(), f"  {staff.email.upper()} ", "wrong-password")

    assert list(AccessAttempt.objects.values_list("username", flat=True)) == [
        staff.email
    ]


def test_admin_and_api_failures_count_against_one_account(staff):
    api, browser = APIClient(), Client()
    for index in range(settings.AXES_FAILURE_LIMIT):
        if index % 2:
            admin_login(browser, staff.email.upper(), "wrong-password")
        else:
            api_login(api, staff.email, "wrong-password")

    assert api_login(api, staff.email).status_code == 429
    assert admin_login(browser, staff.email).status_code == 429
    assert not logged_in(browser)


def test_admin_login_still_works_below_the_limit(staff):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        admin_login(client, staff.email, "wrong-password")

    response = admin_login(client, staff.email)

    assert response.status_code == 302
    assert logged_in(client)


# ---------------------------------------------------------------------------
# 2. No proxy trusted by default: a forged X-Forwarded-For changes nothing
# ---------------------------------------------------------------------------
def test_a_made_up_forwarded_for_does_not_reset_a_rate_limit(staff, monkeypatch):
    monkeypatch.setattr(
        ScopedRateThrottle,
        "THROTTLE_RATES",
        {**ScopedRateThrottle.THROTTLE_RATES, "auth": "2/min"},
    )
    client = APIClient()
    statuses = [
        api_login(
            client, staff.email, HTTP_X_FORWARDED_FOR=f"198.51.100.{n}"
        ).status_code
        for n in range(1, 4)
    ]

    assert statuses == [200, 200, 429]


def test_a_made_up_forwarded_for_does_not_dodge_the_lockout(staff):
    client = APIClient()
    for n in range(settings.AXES_FAILURE_LIMIT):
        api_login(client, staff.email, "wrong", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")

    response = api_login(client, staff.email, HTTP_X_FORWARDED_FOR="198.51.100.99")

    assert response.status_code == 429
    assert response.json()["code"] == "locked_out"


def test_by_default_every_reader_of_the_address_ignores_the_header():
    request = RequestFactory().get(
        "/", REMOTE_ADDR="192.0.2.10", HTTP_X_FORWARDED_FOR="6.6.6.6, 7.7.7.7"
    )

    assert settings.TRUSTED_PROXY_COUNT == 0
    assert client_ip(request) == "192.0.2.10"
    # The access log's "ip".
    structlog.contextvars.clear_contextvars()
    AccessLogMiddleware.bind_ip(request)
    assert structlog.contextvars.get_contextvars()["ip"] == "192.0.2.10"
    structlog.contextvars.clear_contextvars()


# ---------------------------------------------------------------------------
# 3. Behind a trusted balancer, locks key on the client, never on the balancer
# ---------------------------------------------------------------------------
@pytest.fixture
def one_trusted_proxy():
    rest = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    with override_settings(TRUSTED_PROXY_COUNT=1, REST_FRAMEWORK=rest):
        yield


def test_with_one_trusted_proxy_the_client_address_is_the_one_it_appended(
    one_trusted_proxy,
):
    request = RequestFactory().get(
        "/", REMOTE_ADDR=BALANCER, HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.5"
    )
    garbage = RequestFactory().get(
        "/", REMOTE_ADDR=BALANCER, HTTP_X_FORWARDED_FOR="not-an-address"
    )

    assert client_ip(request) == "203.0.113.5"
    # Never store client-written text as an address: the connection's instead.
    assert client_ip(garbage) == BALANCER


def test_an_attacker_behind_the_balancer_cannot_lock_the_owner_out(
    one_trusted_proxy, staff
):
    via_balancer = APIClient(REMOTE_ADDR=BALANCER)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        api_login(
            via_balancer, staff.email, "wrong", HTTP_X_FORWARDED_FOR="198.51.100.7"
        )
    assert (
        api_login(
            via_balancer, staff.email, HTTP_X_FORWARDED_FOR="198.51.100.7"
        ).status_code
        == 429
    )

    owner = api_login(via_balancer, staff.email, HTTP_X_FORWARDED_FOR="203.0.113.5")
    admin = admin_login(
        Client(REMOTE_ADDR=BALANCER), staff.email, HTTP_X_FORWARDED_FOR="203.0.113.5"
    )

    assert owner.status_code == 200
    assert admin.status_code == 302


def test_behind_the_balancer_rate_limits_key_on_the_client(
    one_trusted_proxy, staff, monkeypatch
):
    monkeypatch.setattr(
        ScopedRateThrottle,
        "THROTTLE_RATES",
        {**ScopedRateThrottle.THROTTLE_RATES, "auth": "1/min"},
    )
    client = APIClient(REMOTE_ADDR=BALANCER)

    first = api_login(client, staff.email, HTTP_X_FORWARDED_FOR="198.51.100.7")
    again = api_login(client, staff.email, HTTP_X_FORWARDED_FOR="198.51.100.7")
    other = api_login(client, staff.email, HTTP_X_FORWARDED_FOR="203.0.113.5")

    assert (first.status_code, again.status_code, other.status_code) == (200, 429, 200)


# ---------------------------------------------------------------------------
# Account delay and address lock (users/lockout.py)
# ---------------------------------------------------------------------------
def fail_from_many_addresses(email: str, count: int) -> None:
    for n in range(count):
        api_login(APIClient(REMOTE_ADDR=f"198.51.100.{n + 1}"), email, "wrong")


def test_distributed_guessing_meets_a_growing_delay_not_a_lock(staff):
    free = settings.LOGIN_ACCOUNT_FREE_FAILURES
    fail_from_many_addresses(staff.email, free)  # each address below the pair limit
    owner = APIClient(REMOTE_ADDR="203.0.113.5")

    refused = api_login(owner, staff.email)

    assert refused.status_code == 429
    assert refused.json()["code"] == "locked_out"
    assert int(refused["Retry-After"]) == 1
    # Refused attempts are not failures: the delay did not grow.
    assert api_login(owner, staff.email, "wrong").status_code == 429
    failures = sum(AccessAttempt.objects.values_list("failures_since_start", flat=True))
    assert failures == free
    # Once the delay is over, the owner logs in.
    AccessAttempt.objects.update(attempt_time=timezone.now() - dt.timedelta(seconds=2))
    assert api_login(owner, staff.email).status_code == 200


def test_the_account_delay_is_capped():
    from users.lockout import account_delay

    free = settings.LOGIN_ACCOUNT_FREE_FAILURES
    cap = settings.LOGIN_ACCOUNT_DELAY_MAX_SECONDS

    assert account_delay(free - 1) == 0
    assert [account_delay(free + n) for n in range(3)] == [1, 2, 4]
    assert account_delay(free + 1000) == cap


def test_one_address_spraying_many_accounts_is_locked(staff):
    sprayer = APIClient(REMOTE_ADDR="198.51.100.66")
    for n in range(settings.LOGIN_ADDRESS_FAILURE_LIMIT):
        api_login(sprayer, f"guess{n}@example.com", "Winter2026!")

    assert api_login(sprayer, staff.email).status_code == 429
    assert (
        api_login(APIClient(REMOTE_ADDR="203.0.113.5"), staff.email).status_code == 200
    )
