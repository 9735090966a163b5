"""Privacy: me/export/ (all my data) and DELETE me/ (erasure)."""

import datetime as dt
import json

import pytest
from axes.models import AccessAttempt, AccessLog
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from rest_framework.test import APIClient

from exercises.models import Exercise
from sessions.models import Plan, PlanItem, Session, SessionExercise, SessionSet
from sessions.selectors.export import export_sessions
from sessions.services.privacy import patient_erase
from tests.conftest import body_bytes, body_json, client_for
from tests.factories import (
    CareRelationshipFactory,
    ClinicianFactory,
    PatientFactory,
    PlanFactory,
    PlanItemFactory,
    SessionExerciseFactory,
    SessionFactory,
    SessionSetFactory,
)
from tests.factories.users import PASSWORD
from users.models import CareRelationship, PatientAccessLog, User
from users.services import (
    ERASED_REPR,
    ERASURE_PATIENTS_ONLY,
    access_log_record,
    user_erase,
)

pytestmark = pytest.mark.django_db

ME = "/api/v1/me/"
EXPORT = "/api/v1/me/export/"
TOKEN = "/api/v1/auth/token/"
REFRESH = "/api/v1/auth/token/refresh/"
PROBLEM = "application/problem+json"


def patient_with_data(patient, clinician, *, sessions=1):
    """A plan with two items, ``sessions`` sessions (one exercise, two sets each), a read."""
    CareRelationshipFactory(clinician=clinician, patient=patient)
    plan = PlanFactory(patient=patient, prescribed_by=clinician, title="Hip plan")
    first = PlanItemFactory(plan=plan, order=0, reps=12, sets=3, load="light band")
    PlanItemFactory(plan=plan, order=1, reps=None, seconds=30, sets=2)
    logged = []
    for index in range(sessions):
        session = SessionFactory(
            patient=patient,
            plan=plan,
            started_at=timezone.now() - dt.timedelta(days=index + 1),
            notes=f"Session {index}",
        )
        entry = SessionExerciseFactory(
            session=session, exercise=first.exercise, plan_item=first, pain_during=3
        )
        SessionSetFactory(session_exercise=entry, order=0, reps=12, side="left")
        SessionSetFactory(session_exercise=entry, order=1, reps=10, side="right")
        logged.append(session)
    access_log_record(
        actor=clinician,
        patient=patient,
        action="sessions.list",
        path=f"/api/v1/sessions/?patient={patient.id}",
    )
    return plan, logged


# ---------------------------------------------------------------------------
# Export
# ---------------------------------------------------------------------------
def test_export_contains_all_my_data():
    patient = PatientFactory(
        email="ana@example.com", name="Ana", timezone="Europe/Lisbon"
    )
    clinician = ClinicianFactory(name="Dr. Rui Costa")
    plan, (session,) = patient_with_data(patient, clinician)
    tombstone = SessionFactory(
        patient=patient, deleted_at=timezone.now(), notes="", pain_before=None
    )

    response = client_for(patient).get(EXPORT)

    assert response.status_code == 200
    body = body_json(response)
    assert body["format_version"] == 2
    assert body["profile"]["id"] == str(patient.id)
    assert body["profile"]["email"] == "ana@example.com"
    assert body["profile"]["timezone"] == "Europe/Lisbon"
    assert [member["name"] for member in body["care_team"]] == ["Dr. Rui Costa"]

    (exported_plan,) = body["plans"]
    assert exported_plan["id"] == str(plan.id)
    assert exported_plan["title"] == "Hip plan"
    assert exported_plan["prescribed_by"] == "Dr. Rui Costa"
    assert exported_plan["days_of_week"] == [1, 3, 5]
    assert [(i["order"], i["reps"], i["seconds"]) for i in exported_plan["items"]] == [
        (0, 12, None),
        (1, None, 30),
    ]
    assert exported_plan["items"][0]["load"] == "light band"
    assert exported_plan["items"][0]["exercise"]["slug"]

    sessions = {s["id"]: s for s in body["sessions"]}
    assert set(sessions) == {str(session.id), str(tombstone.id)}
    exported = sessions[str(session.id)]
    assert exported["notes"] == "Session 0"
    assert exported["plan"] == str(plan.id)
    assert exported["deleted"] is False
    assert "deleted_at" not in exported
    (exercise,) = exported["exercises"]
    assert exercise["id"] == session.exercises.get().pk
    assert exercise["pain_during"] == 3
    assert [(s["side"], s["reps"]) for s in exercise["sets"]] == [
        ("left", 12),
        ("right", 10),
    ]
    assert sessions[str(tombstone.id)]["deleted"] is True
    assert sessions[str(tombstone.id)]["deleted_at"] is not None

    (entry,) = body["access_log"]
    assert entry["reader"] == "Dr. Rui Costa"
    assert entry["action"] == "sessions.list"


def test_export_contains_nothing_of_another_patient():
    patient, other = PatientFactory(), PatientFactory(name="Bea Other")
    clinician = ClinicianFactory()
    patient_with_data(patient, clinician)
    their_plan, their_sessions = patient_with_data(other, clinician, sessions=2)

    response = client_for(patient).get(EXPORT)

    text = body_bytes(response).decode()
    assert str(other.id) not in text
    assert other.email not in text
    assert "Bea Other" not in text
    assert str(their_plan.id) not in text
    for session in their_sessions:
        assert str(session.id) not in text
    body = json.loads(text)
    assert len(body["plans"]) == 1
    assert len(body["sessions"]) == 1
    assert len(body["access_log"]) == 1


def test_export_is_served_as_a_json_attachment(patient_client):
    response = patient_client.get(EXPORT)

    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"].startswith(
        'attachment; filename="rehabit-export-'
    )
    json.loads(body_bytes(response))


def test_export_of_a_new_account_is_empty_but_complete(patient_client, patient):
    body = body_json(patient_client.get(EXPORT))

    assert body["profile"]["id"] == str(patient.id)
    assert body["care_team"] == []
    assert body["plans"] == []
    assert body["sessions"] == []
    assert body["access_log"] == []


@pytest.mark.parametrize("sessions", [2, 10])
def test_export_query_count_does_not_grow_with_data(
    sessions, django_assert_num_queries
):
    patient, clinician = PatientFactory(), ClinicianFactory()
    patient_with_data(patient, clinician, sessions=sessions)
    client = client_for(patient)
    # savepoint + release (ATOMIC_REQUESTS in the test transaction: the view returns
    # before the document streams), care team with clinicians, plans (+ prescriber,
    # routine), plan items (+ exercise), one page of sessions (up to EXPORT_CHUNK),
    # its exercises (+ exercise) and sets, access log (+ reader), plan history, plan
    # item history, login records (three django-axes tables), logged-in devices; the
    # outcomes sections: alerts, questionnaire responses, assignments, calendar feed.
    with django_assert_num_queries(19):
        body = body_json(client.get(EXPORT))
    assert len(body["sessions"]) == sessions


# ---------------------------------------------------------------------------
# Erasure
# ---------------------------------------------------------------------------
def test_erasure_deletes_the_account_and_its_data():
    patient, other = PatientFactory(), PatientFactory()
    clinician = ClinicianFactory()
    plan, sessions = patient_with_data(patient, clinician, sessions=2)
    their_plan, _ = patient_with_data(other, clinician, sessions=1)
    exercise_ids = set(Exercise.objects.values_list("id", flat=True))

    response = client_for(patient).delete(ME, {"password": PASSWORD}, format="json")

    assert response.status_code == 204
    assert not User.objects.filter(pk=patient.pk).exists()
    assert not Plan.objects.filter(patient_id=patient.pk).exists()
    assert not PlanItem.objects.filter(plan_id=plan.pk).exists()
    assert not Session.objects.filter(patient_id=patient.pk).exists()
    assert not SessionExercise.objects.filter(
        session_id__in=[s.pk for s in sessions]
    ).exists()
    assert not SessionSet.objects.filter(
        session_exercise__session_id__in=[s.pk for s in sessions]
    ).exists()
    assert not CareRelationship.objects.filter(patient_id=patient.pk).exists()
    # Other people's data and the shared library are untouched.
    assert User.objects.filter(pk__in=[other.pk, clinician.pk]).count() == 2
    assert Plan.objects.filter(pk=their_plan.pk).exists()
    assert Session.objects.filter(patient=other).count() == 1
    assert (
        SessionSet.objects.filter(session_exercise__session__patient=other).count() == 2
    )
    assert set(Exercise.objects.values_list("id", flat=True)) == exercise_ids


def test_erasure_deletes_plan_history():
    patient, clinician = PatientFactory(), ClinicianFactory()
    plan, _ = patient_with_data(patient, clinician)
    item = plan.items.first()
    item.reps = 15
    item.save()  # a dosage tweak, kept in the history
    assert Plan.history.filter(id=plan.id).exists()
    assert PlanItem.history.filter(plan_id=plan.id).count() >= 2

    client_for(patient).delete(ME, {"password": PASSWORD}, format="json")

    assert not Plan.history.filter(id=plan.id).exists()
    assert not PlanItem.history.filter(plan_id=plan.id).exists()


def test_erasure_keeps_access_log_rows_without_the_patient():
    patient, other = PatientFactory(), PatientFactory()
    clinician = ClinicianFactory()
    patient_with_data(patient, clinician)
    patient_with_data(other, clinician)
    entry = PatientAccessLog.objects.get(patient=patient)

    client_for(patient).delete(ME, {"password": PASSWORD}, format="json")

    entry.refresh_from_db()
    assert entry.patient is None
    assert entry.actor == clinician
    assert entry.action == "sessions.list"
    assert PatientAccessLog.objects.filter(patient=other).count() == 1


def test_erasure_revokes_tokens(api_client, patient):
    tokens = api_client.post(
        TOKEN, {"email": patient.email, "password": PASSWORD}, format="json"
    ).json()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")

    assert client.delete(ME, {"password": PASSWORD}, format="json").status_code == 204

    refresh = api_client.post(REFRESH, {"refresh": tokens["refresh"]}, format="json")
    assert refresh.status_code == 401
    assert refresh.json()["code"] == "token_not_valid"
    again = client.get(ME)
    assert again.status_code == 401
    assert again["Content-Type"] == PROBLEM


def test_erasure_deletes_login_records(patient, other_patient):
    for email in (patient.email, other_patient.email):
        AccessAttempt.objects.create(
            username=email,
            ip_address="203.0.113.7",
            user_agent="app",
            failures_since_start=1,
        )
        AccessLog.objects.create(
            username=email, ip_address="203.0.113.7", user_agent="app"
        )

    client_for(patient).delete(ME, {"password": PASSWORD}, format="json")

    assert not AccessAttempt.objects.filter(username=patient.email).exists()
    assert not AccessLog.objects.filter(username=patient.email).exists()
    assert AccessAttempt.objects.filter(username=other_patient.email).exists()
    assert AccessLog.objects.filter(username=other_patient.email).exists()


def test_erasure_anonymizes_the_admin_change_log(patient, clinician):
    plan = PlanFactory(patient=patient, prescribed_by=clinician)
    for obj in (patient, plan):
        LogEntry.objects.create(
            user=clinician,
            content_type=ContentType.objects.get_for_model(obj),
            object_id=str(obj.pk),
            object_repr=str(obj),
            action_flag=CHANGE,
        )

    client_for(patient).delete(ME, {"password": PASSWORD}, format="json")

    entries = LogEntry.objects.filter(user=clinician)
    assert entries.count() == 2
    assert {entry.object_repr for entry in entries} == {ERASED_REPR}


def test_erased_email_can_register_again(api_client, patient):
    email = patient.email
    client_for(patient).delete(ME, {"password": PASSWORD}, format="json")

    response = api_client.post(
        "/api/v1/auth/register/",
        {"email": email, "password": "a-fresh-start-2026", "name": "Again"},
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["id"] != str(patient.id)


@pytest.mark.parametrize("fixture", ["clinician", "admin_user"])
def test_staff_cannot_erase_themselves(request, fixture):
    user = request.getfixturevalue(fixture)

    response = client_for(user).delete(ME, {"password": PASSWORD}, format="json")

    assert response.status_code == 403
    assert response["Content-Type"] == PROBLEM
    assert response.json()["code"] == "permission_denied"
    assert response.json()["detail"] == ERASURE_PATIENTS_ONLY
    assert User.objects.filter(pk=user.pk).exists()


def test_erasure_of_a_clinicians_patient_leaves_the_clinician(clinician):
    patient = PatientFactory()
    patient_with_data(patient, clinician)

    client_for(patient).delete(ME, {"password": PASSWORD}, format="json")

    clinician.refresh_from_db()
    assert clinician.is_active
    assert not CareRelationship.objects.filter(clinician=clinician).exists()


def test_user_erase_service_refuses_staff(clinician):
    with pytest.raises(PermissionDenied):
        user_erase(user=clinician)

    assert User.objects.filter(pk=clinician.pk).exists()


def test_patient_erase_refuses_staff_before_touching_anything(clinician):
    plan = PlanFactory(prescribed_by=clinician)
    entry = LogEntry.objects.create(
        user=clinician,
        content_type=ContentType.objects.get_for_model(Plan),
        object_id=str(plan.pk),
        object_repr=str(plan),
        action_flag=CHANGE,
    )

    with pytest.raises(PermissionDenied, match="Only patient accounts"):
        patient_erase(user=clinician, password=PASSWORD)

    entry.refresh_from_db()
    assert entry.object_repr == str(plan)
    assert User.objects.filter(pk=clinician.pk).exists()


def test_patient_erase_deletes_plans_with_their_history(patient, clinician):
    plan, _ = patient_with_data(patient, clinician)
    plan.title = "Renamed"
    plan.save()
    assert Plan.history.filter(id=plan.pk).count() >= 2

    patient_erase(user=patient, password=PASSWORD)

    assert not Plan.objects.filter(pk=plan.pk).exists()
    assert not Plan.history.filter(id=plan.pk).exists()
    assert not PlanItem.history.filter(plan_id=plan.pk).exists()
    assert not Session.objects.filter(patient_id=patient.pk).exists()


def test_export_sessions_reads_only_that_patients_sessions_in_pages(patient, clinician):
    _, mine = patient_with_data(patient, clinician, sessions=5)
    patient_with_data(PatientFactory(), clinician)

    # Pages of two: three pages, oldest first, none skipped or repeated.
    exported = list(export_sessions(user=patient, chunk=2))

    oldest_first = sorted(mine, key=lambda session: (session.started_at, session.pk))
    assert [row["id"] for row in exported] == [str(s.pk) for s in oldest_first]
