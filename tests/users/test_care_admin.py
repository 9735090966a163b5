"""Care teams and the access log in the admin: admins link people; the log is read-only."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Group

from tests.factories import (
    AdminFactory,
    CareRelationshipFactory,
    ClinicianFactory,
    PatientFactory,
)
from users.models import CLINICIANS_GROUP, CareRelationship, PatientAccessLog
from users.services import access_log_record

pytestmark = pytest.mark.django_db

CARE_URL = "/admin/users/carerelationship/"
LOG_URL = "/admin/users/patientaccesslog/"
USERS_URL = "/admin/users/user/"
AUTOCOMPLETE_URL = "/admin/autocomplete/"


@pytest.fixture
def admin_web(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def clinician_web(client, clinician):
    client.force_login(clinician)
    return client


# ---------------------------------------------------------------------------
# Care relationships
# ---------------------------------------------------------------------------
def test_admin_links_a_clinician_to_a_patient(admin_web, clinician, patient):
    response = admin_web.post(
        f"{CARE_URL}add/", {"clinician": str(clinician.pk), "patient": str(patient.pk)}
    )

    assert response.status_code == 302
    assert CareRelationship.objects.filter(
        clinician=clinician, patient=patient
    ).exists()


def test_care_link_refuses_wrong_roles(admin_web):
    patient = PatientFactory()
    other_patient = PatientFactory()

    response = admin_web.post(
        f"{CARE_URL}add/",
        {"clinician": str(other_patient.pk), "patient": str(patient.pk)},
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors["clinician"] == ["Only a clinician can be in a patient's care team."]
    assert not CareRelationship.objects.exists()


def test_care_link_refuses_a_duplicate(admin_web, clinician, patient):
    CareRelationshipFactory(clinician=clinician, patient=patient)

    response = admin_web.post(
        f"{CARE_URL}add/", {"clinician": str(clinician.pk), "patient": str(patient.pk)}
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert CareRelationship.objects.count() == 1


@pytest.mark.parametrize(
    ("field_name", "expected"), [("clinician", "clinician"), ("patient", "patient")]
)
def test_care_autocomplete_offers_only_the_fields_role(admin_web, field_name, expected):
    people = {
        "clinician": ClinicianFactory(name="Kim Clinician"),
        "patient": PatientFactory(name="Kim Patient"),
    }
    AdminFactory(name="Kim Admin")

    response = admin_web.get(
        AUTOCOMPLETE_URL,
        {
            "term": "Kim",
            "app_label": "users",
            "model_name": "carerelationship",
            "field_name": field_name,
        },
    )

    assert response.status_code == 200
    ids = [result["id"] for result in response.json()["results"]]
    assert ids == [str(people[expected].pk)]


def test_user_page_shows_the_care_team_with_links(admin_web, clinician, patient):
    link = CareRelationshipFactory(clinician=clinician, patient=patient)

    patient_page = admin_web.get(f"{USERS_URL}{patient.pk}/change/").content.decode()
    clinician_page = admin_web.get(
        f"{USERS_URL}{clinician.pk}/change/"
    ).content.decode()

    assert f"{CARE_URL}{link.pk}/change/" in patient_page
    assert clinician.email in patient_page
    assert f"{CARE_URL}add/?patient={patient.pk}" in patient_page
    assert patient.email in clinician_page
    assert f"{CARE_URL}add/?clinician={clinician.pk}" in clinician_page


def test_clinician_cannot_manage_care_teams(clinician_web, clinician, patient):
    link = CareRelationshipFactory(clinician=clinician, patient=patient)

    for url in (CARE_URL, f"{CARE_URL}add/", f"{CARE_URL}{link.pk}/change/"):
        assert clinician_web.get(url).status_code == 403, url
    response = clinician_web.post(
        f"{CARE_URL}add/",
        {"clinician": str(clinician.pk), "patient": str(PatientFactory().pk)},
    )
    assert response.status_code == 403
    assert CareRelationship.objects.count() == 1


# ---------------------------------------------------------------------------
# The access log
# ---------------------------------------------------------------------------
@pytest.fixture
def entries(clinician, other_clinician, patient, other_patient):
    access_log_record(
        actor=clinician, patient=patient, action="plans.list", path="/api/v1/plans/"
    )
    access_log_record(
        actor=other_clinician,
        patient=other_patient,
        action="sessions.retrieve",
        path="/api/v1/sessions/x/",
    )
    return list(PatientAccessLog.objects.order_by("created_at", "id"))


def test_staff_admin_lists_access_log_entries(admin_web, entries):
    response = admin_web.get(LOG_URL)

    assert response.status_code == 200
    assert {e.pk for e in response.context["cl"].result_list} == {e.pk for e in entries}
    assert "sessions.retrieve" in response.content.decode()


@pytest.mark.parametrize("by", ["actor", "patient"])
def test_access_log_filters_by_actor_and_patient(admin_web, entries, by):
    first = entries[0]

    response = admin_web.get(LOG_URL, {f"{by}__id__exact": str(getattr(first, by).pk)})

    assert [e.pk for e in response.context["cl"].result_list] == [first.pk]


def test_access_log_filters_by_date(admin_web, entries):
    old = entries[1]
    PatientAccessLog.objects.filter(pk=old.pk).update(
        created_at=dt.datetime(2020, 1, 1, 10, tzinfo=dt.UTC)
    )

    by_year = admin_web.get(LOG_URL, {"created_at__year": "2020"})
    by_day = admin_web.get(
        LOG_URL,
        {"created_at__year": "2020", "created_at__month": "1", "created_at__day": "1"},
    )

    assert [e.pk for e in by_year.context["cl"].result_list] == [old.pk]
    assert [e.pk for e in by_day.context["cl"].result_list] == [old.pk]
    # The sidebar's own "Past 7 days" link.
    listing = admin_web.get(LOG_URL)
    (date_filter,) = [
        spec
        for spec in listing.context["cl"].filter_specs
        if getattr(spec, "field_path", "") == "created_at"
    ]
    choices = {
        c["display"]: c["query_string"]
        for c in date_filter.choices(listing.context["cl"])
    }
    recent = admin_web.get(LOG_URL + choices["Past 7 days"])
    assert [e.pk for e in recent.context["cl"].result_list] == [entries[0].pk]


def test_access_log_is_read_only_even_for_superusers(admin_web, entries):
    entry = entries[0]
    url = f"{LOG_URL}{entry.pk}/"

    assert admin_web.get(f"{LOG_URL}add/").status_code == 403
    view = admin_web.get(f"{url}change/")
    assert view.status_code == 200
    assert view.context["has_change_permission"] is False
    assert admin_web.post(f"{url}change/", {"action": "x"}).status_code == 403
    assert admin_web.get(f"{url}delete/").status_code == 403
    assert admin_web.post(f"{url}delete/", {"post": "yes"}).status_code == 403
    listing = admin_web.get(LOG_URL)
    assert listing.context["action_form"] is None  # no bulk delete
    entry.refresh_from_db()
    assert entry.action == "plans.list"
    assert PatientAccessLog.objects.count() == 2


def test_access_log_shows_erased_patients_as_such(admin_web, entries, patient):
    patient.delete()  # SET_NULL keeps the entry

    content = admin_web.get(LOG_URL).content.decode()

    assert "(erased account)" in content


def test_clinicians_cannot_read_the_access_log(clinician_web, entries):
    assert clinician_web.get(LOG_URL).status_code == 403
    assert clinician_web.get(f"{LOG_URL}{entries[0].pk}/change/").status_code == 403


# ---------------------------------------------------------------------------
# The Clinicians group
# ---------------------------------------------------------------------------
def test_clinicians_group_may_follow_patients_but_not_manage_people():
    group = Group.objects.get(name=CLINICIANS_GROUP)

    care = set(
        group.permissions.filter(
            content_type__app_label="training_sessions"
        ).values_list("codename", flat=True)
    )

    assert care == {
        "view_patient",
        "view_plan",
        "add_plan",
        "change_plan",
        "view_planitem",
        "change_planitem",
        "view_session",
        "view_sessionexercise",
        "view_sessionset",
    }
    assert not group.permissions.filter(
        content_type__app_label__in=["users", "auth"]
    ).exists()


def test_a_clinician_has_no_delete_or_session_write_permissions(clinician):
    for perm in (
        "delete_plan",
        "add_session",
        "change_session",
        "delete_session",
        "change_patient",
        "users.view_patientaccesslog",
        "users.add_carerelationship",
    ):
        label = perm if "." in perm else f"training_sessions.{perm}"
        assert not clinician.has_perm(label), label
    assert clinician.has_perm("training_sessions.change_plan")
