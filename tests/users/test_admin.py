"""The users admin: administrators manage accounts; clinicians cannot reach it."""

import pytest
from django.contrib.auth.models import Group

from tests.factories import PatientFactory
from users.admin import EMAIL_TAKEN
from users.models import CLINICIANS_GROUP, User

pytestmark = pytest.mark.django_db

USERS_URL = "/admin/users/user/"
GROUPS_URL = "/admin/auth/group/"


@pytest.fixture
def admin_client_logged(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def clinician_admin_client(client, clinician):
    client.force_login(clinician)
    return client


@pytest.mark.parametrize(
    "url",
    [
        USERS_URL,
        f"{USERS_URL}add/",
        GROUPS_URL,
        f"{GROUPS_URL}add/",
    ],
)
def test_clinician_is_forbidden_from_user_and_group_pages(clinician_admin_client, url):
    response = clinician_admin_client.get(url)

    assert response.status_code == 403


def test_clinician_cannot_open_or_change_a_user(clinician_admin_client, clinician):
    patient = PatientFactory()
    url = f"{USERS_URL}{patient.pk}/change/"

    assert clinician_admin_client.get(url).status_code == 403
    response = clinician_admin_client.post(
        f"{USERS_URL}{clinician.pk}/change/",
        {"email": clinician.email, "is_superuser": "on", "is_staff": "on"},
    )

    assert response.status_code == 403
    clinician.refresh_from_db()
    assert clinician.is_superuser is False


def test_clinician_admin_index_lists_the_library_but_not_users(clinician_admin_client):
    response = clinician_admin_client.get("/admin/")

    assert response.status_code == 200
    app_labels = {app["app_label"] for app in response.context["app_list"]}
    assert "exercises" in app_labels
    assert "users" not in app_labels
    assert "auth" not in app_labels


def test_admin_lists_and_searches_users(admin_client_logged):
    PatientFactory(email="findme@example.com", name="Find Me")
    PatientFactory(email="other@example.com", name="Other")

    response = admin_client_logged.get(USERS_URL, {"q": "findme"})

    assert response.status_code == 200
    emails = [user.email for user in response.context["cl"].result_list]
    assert emails == ["findme@example.com"]


def test_admin_creates_a_user_with_email_and_password(admin_client_logged):
    response = admin_client_logged.post(
        f"{USERS_URL}add/",
        {
            "email": "New.Clinician@Example.com",
            "name": "New Clinician",
            "usable_password": "true",
            "password1": "a-long-enough-passphrase-42",
            "password2": "a-long-enough-passphrase-42",
        },
    )

    assert response.status_code == 302
    user = User.objects.get(email="new.clinician@example.com")
    assert user.name == "New Clinician"
    assert user.check_password("a-long-enough-passphrase-42")
    assert user.is_staff is False


def test_admin_add_form_rejects_an_email_taken_in_another_case(admin_client_logged):
    PatientFactory(email="taken@example.com")

    response = admin_client_logged.post(
        f"{USERS_URL}add/",
        {
            "email": "TAKEN@example.com",
            "usable_password": "true",
            "password1": "a-long-enough-passphrase-42",
            "password2": "a-long-enough-passphrase-42",
        },
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["email"] == [EMAIL_TAKEN]
    assert User.objects.filter(email__iexact="taken@example.com").count() == 1


def test_admin_makes_a_user_a_clinician(admin_client_logged):
    user = PatientFactory(email="promote@example.com", name="Promote")
    group = Group.objects.get(name=CLINICIANS_GROUP)

    response = admin_client_logged.post(
        f"{USERS_URL}{user.pk}/change/",
        {
            "email": "promote@example.com",
            "name": "Promote",
            "timezone": "Europe/Paris",
            "role": User.Role.CLINICIAN,
            "is_active": "on",
            "is_staff": "on",
            "groups": [group.pk],
        },
    )

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.is_staff is True
    assert user.role == User.Role.CLINICIAN
    assert user.timezone == "Europe/Paris"
    assert list(user.groups.all()) == [group]


def test_admin_change_form_rejects_an_unknown_timezone(admin_client_logged):
    user = PatientFactory(email="tz@example.com")

    response = admin_client_logged.post(
        f"{USERS_URL}{user.pk}/change/",
        {
            "email": "tz@example.com",
            "timezone": "Mars/Base",
            "role": User.Role.PATIENT,
            "is_active": "on",
        },
    )

    assert response.status_code == 200
    assert "timezone" in response.context["adminform"].form.errors
    user.refresh_from_db()
    assert user.timezone == "UTC"


def test_admin_can_open_the_user_pages(admin_client_logged, clinician):
    for url in (
        USERS_URL,
        f"{USERS_URL}add/",
        f"{USERS_URL}{clinician.pk}/change/",
        f"{USERS_URL}{clinician.pk}/password/",
        GROUPS_URL,
    ):
        assert admin_client_logged.get(url).status_code == 200, url
