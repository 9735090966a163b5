"""Outcome measures over HTTP: assignments, what is due, idempotent answers, reads."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from outcomes.models import (
    Alert,
    AlertKind,
    Questionnaire,
    QuestionnaireAssignment,
    QuestionnaireResponse,
)
from tests.conftest import client_for
from tests.factories import PlanFactory
from tests.factories.outcomes import shipped
from tests.outcomes.conftest import iso
from users.models import PatientAccessLog

pytestmark = pytest.mark.django_db

RESPONSES = "/api/v1/questionnaire-responses/"
ASSIGNMENTS = "/api/v1/questionnaire-assignments/"
DUE = "/api/v1/me/questionnaires/due/"


@pytest.fixture
def nprs():
    return shipped("nprs")


@pytest.fixture
def assignment(plan, nprs, clinician):
    return QuestionnaireAssignment.objects.create(
        plan=plan,
        questionnaire=nprs,
        start_date=timezone.localdate() - dt.timedelta(days=30),
        every_weeks=4,
        assigned_by=clinician,
    )


def answers(questionnaire, pain, *, assignment=None, authored=None, answer_id=None):
    if authored is None:
        # Five minutes ago, but today (UTC, the patients' zone here) at any hour: an
        # answer authored before midnight would not count for what falls due today.
        now = timezone.now()
        authored = max(now - dt.timedelta(minutes=5), now.replace(hour=0, minute=0))
    return {
        "id": str(answer_id or uuid.uuid4()),
        "questionnaire": str(questionnaire.pk),
        "assignment": str(assignment.pk) if assignment else None,
        "authored": iso(authored),
        "item": [{"linkId": "pain", "answer": [{"valueInteger": pain}]}],
    }


@pytest.fixture
def answer(patient, django_capture_on_commit_callbacks):
    client = client_for(patient)

    def send(body):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(RESPONSES, body, format="json")

    return send


# -- assignments -------------------------------------------------------------------
def test_a_clinician_assigns_a_questionnaire_to_their_patients_plan(
    clinician, plan, nprs
):
    response = client_for(clinician).post(
        ASSIGNMENTS,
        {"plan": str(plan.pk), "questionnaire": str(nprs.pk), "every_weeks": 4},
        format="json",
    )

    assert response.status_code == 201, response.content
    assignment = QuestionnaireAssignment.objects.get()
    assert (assignment.plan, assignment.every_weeks, assignment.start_date) == (
        plan,
        4,
        plan.start_date,
    )
    assert response.json()["assigned_by"] == str(clinician.pk)


def test_assigning_to_another_clinicians_patient_is_an_unknown_plan(
    other_clinician, plan, nprs
):
    response = client_for(other_clinician).post(
        ASSIGNMENTS,
        {"plan": str(plan.pk), "questionnaire": str(nprs.pk)},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "plan"
    assert not QuestionnaireAssignment.objects.exists()


def test_assigning_twice_is_a_400(clinician, assignment, plan, nprs):
    response = client_for(clinician).post(
        ASSIGNMENTS,
        {"plan": str(plan.pk), "questionnaire": str(nprs.pk)},
        format="json",
    )

    assert response.status_code == 400
    assert QuestionnaireAssignment.objects.count() == 1


def test_patients_cannot_assign(patient, plan, nprs):
    response = client_for(patient).post(
        ASSIGNMENTS,
        {"plan": str(plan.pk), "questionnaire": str(nprs.pk)},
        format="json",
    )

    assert response.status_code == 403


# -- due -------------------------------------------------------------------------
def test_the_baseline_is_due_then_the_next_follow_up(patient, assignment, answer, nprs):
    client = client_for(patient)

    due = client.get(DUE).json()
    assert [(d["assignment"], d["occurrence"]) for d in due] == [
        (str(assignment.pk), 1)
    ]
    assert due[0]["questionnaire"]["name"] == "nprs"
    assert due[0]["due_date"] == str(assignment.start_date + dt.timedelta(weeks=4))

    answer(answers(nprs, 5, assignment=assignment))

    assert client.get(DUE).json() == []


def test_a_baseline_only_assignment_is_due_once(patient, plan, nprs, answer):
    assignment = QuestionnaireAssignment.objects.create(
        plan=plan, questionnaire=nprs, start_date=timezone.localdate()
    )
    client = client_for(patient)

    first = client.get(DUE).json()
    answer(answers(nprs, 4, assignment=assignment))

    assert [d["occurrence"] for d in first] == [0]
    assert client.get(DUE).json() == []


def test_nothing_is_due_on_a_paused_plan_or_before_the_start(patient, plan, nprs):
    QuestionnaireAssignment.objects.create(
        plan=plan,
        questionnaire=nprs,
        start_date=timezone.localdate() + dt.timedelta(days=3),
    )
    paused = PlanFactory(patient=patient, status="paused")
    QuestionnaireAssignment.objects.create(
        plan=paused, questionnaire=nprs, start_date=dt.date(2026, 1, 5)
    )

    assert client_for(patient).get(DUE).json() == []


@pytest.mark.parametrize("who", ["clinician", "admin_user"])
def test_due_is_for_patients(request, who):
    assert client_for(request.getfixturevalue(who)).get(DUE).status_code == 403


# -- answers ---------------------------------------------------------------------
def test_answers_are_scored_on_the_server_and_a_retry_is_a_200(
    answer, nprs, assignment
):
    body = answers(nprs, 6, assignment=assignment)

    first, retry = answer(body), answer(body)

    assert (first.status_code, retry.status_code) == (201, 200)
    assert first.json() == retry.json()
    assert first.json()["score"] == 6.0
    assert (
        first.json()["questionnaire_canonical"]
        == "urn:rehabit:questionnaire:nprs|1.0.0"
    )
    assert QuestionnaireResponse.objects.count() == 1


def test_the_same_id_with_another_body_is_a_409(answer, nprs):
    body = answers(nprs, 6)
    answer(body)

    response = answer(
        {**body, "item": [{"linkId": "pain", "answer": [{"valueInteger": 2}]}]}
    )

    assert response.status_code == 409
    assert QuestionnaireResponse.objects.get().score == 6.0


def test_another_patients_id_is_a_409(answer, nprs, other_patient):
    body = answers(nprs, 6)
    client_for(other_patient).post(RESPONSES, body, format="json")

    assert answer(body).status_code == 409


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (
            {"item": [{"linkId": "pain", "answer": [{"valueInteger": 12}]}]},
            "item.0.answer.0",
        ),
        ({"item": []}, "item.pain"),
        ({"questionnaire": str(uuid.uuid4())}, "questionnaire"),
        ({"assignment": str(uuid.uuid4())}, "assignment"),
        ({"authored": "2999-01-01T00:00:00Z"}, "authored"),
        ({"id": "not-a-uuid"}, "id"),
        ({"item": [{"linkId": 5, "answer": [{"valueInteger": 1}]}]}, "item.0.linkId"),
    ],
)
def test_bad_answers_are_a_400_naming_the_field(answer, nprs, change, field):
    response = answer({**answers(nprs, 4), **change})

    assert response.status_code == 400, response.content
    assert field in [error["field"] for error in response.json()["errors"]]
    assert not QuestionnaireResponse.objects.exists()


def test_another_patients_assignment_is_unknown(answer, other_patient, nprs):
    theirs = QuestionnaireAssignment.objects.create(
        plan=PlanFactory(patient=other_patient),
        questionnaire=nprs,
        start_date=dt.date(2026, 1, 5),
    )

    response = answer(answers(nprs, 4, assignment=theirs))

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "assignment"


@pytest.mark.parametrize("who", ["clinician", "admin_user"])
def test_only_patients_answer(request, who, nprs):
    client = client_for(request.getfixturevalue(who))

    assert client.post(RESPONSES, answers(nprs, 4), format="json").status_code == 403


# -- the MCID alert ----------------------------------------------------------------
def test_a_follow_up_worse_by_the_mcid_raises_one_alert(
    answer, nprs, assignment, patient
):
    answer(
        answers(
            nprs,
            3,
            assignment=assignment,
            authored=timezone.now() - dt.timedelta(days=28),
        )
    )
    body = answers(nprs, 5, assignment=assignment)

    answer(body)
    answer(body)  # a retry raises nothing more

    alert = Alert.objects.get()
    assert (alert.kind, alert.patient, alert.plan_id) == (
        AlertKind.PROM_WORSE,
        patient,
        assignment.plan_id,
    )
    assert alert.evidence == {
        "baseline": 3.0,
        "latest": 5.0,
        "change": 2.0,
        "mcid": 2.0,
    }
    assert (
        alert.message
        == "Numeric Pain Rating Scale (NPRS) worse by 2 (baseline 3, now 5); MCID 2."
    )


def test_a_better_or_small_change_raises_nothing(answer, nprs):
    answer(answers(nprs, 6, authored=timezone.now() - dt.timedelta(days=28)))
    answer(answers(nprs, 7))
    answer(answers(nprs, 2))

    assert not Alert.objects.exists()


def test_a_groc_of_somewhat_worse_raises_an_alert(answer):
    groc = shipped("groc")
    body = answers(groc, 0)
    body["item"] = [{"linkId": "change", "answer": [{"valueCoding": {"code": "-3"}}]}]

    answer(body)

    assert Alert.objects.get().evidence["change"] == -3.0


# -- reads -------------------------------------------------------------------------
def test_clinicians_read_their_patients_answers_and_it_is_logged(
    clinician, patient, care, answer, nprs, other_patient
):
    answer(answers(nprs, 4))
    client_for(other_patient).post(RESPONSES, answers(nprs, 5), format="json")

    listed = client_for(clinician).get(RESPONSES, {"patient": patient.pk})

    assert [item["score"] for item in listed.json()["results"]] == [4.0]
    assert list(PatientAccessLog.objects.values_list("patient", "action")) == [
        (patient.pk, "questionnaire_responses.list")
    ]


def test_patients_read_only_their_own(patient, other_patient, answer, nprs):
    answer(answers(nprs, 4))
    theirs = (
        client_for(other_patient)
        .post(RESPONSES, answers(nprs, 5), format="json")
        .json()
    )

    client = client_for(patient)

    assert [i["score"] for i in client.get(RESPONSES).json()["results"]] == [4.0]
    assert client.get(f"{RESPONSES}{theirs['id']}/").status_code == 404


@pytest.mark.parametrize("rows", [1, 5])
def test_answers_list_query_count_is_fixed(
    clinician, care, patient, nprs, rows, django_assert_num_queries
):
    for index in range(rows):
        QuestionnaireResponse.objects.create(
            id=uuid.uuid4(),
            patient=patient,
            questionnaire=nprs,
            score=index,
            authored=timezone.now(),
            items=[],
            upload_hash="x",
        )
    client = client_for(clinician)

    # Savepoint, count, page (questionnaire joined), access-log insert, release.
    with django_assert_num_queries(5):
        response = client.get(RESPONSES)

    assert len(response.json()["results"]) == rows


def test_questionnaires_list_query_count_is_fixed(
    patient, nprs, django_assert_num_queries
):
    shipped("psfs")
    shipped("groc")
    client = client_for(patient)

    # Savepoint, count, page, release.
    with django_assert_num_queries(4):
        response = client.get("/api/v1/questionnaires/")

    assert {q["name"] for q in response.json()["results"]} >= {"nprs", "psfs", "groc"}


def test_due_query_count_is_fixed(patient, plan, nprs, django_assert_num_queries):
    for name in ("psfs", "groc"):
        QuestionnaireAssignment.objects.create(
            plan=PlanFactory(patient=patient),
            questionnaire=shipped(name),
            start_date=dt.date(2026, 1, 5),
            every_weeks=2,
        )
    client = client_for(patient)

    # The assignments (questionnaire joined), their answers (a read: no transaction).
    with django_assert_num_queries(2):
        assert len(client.get(DUE).json()) == 2
    # Again: the patient's cached answer (sessions/cache.py), no statement at all here
    # (force_authenticate: no user lookup).
    with django_assert_num_queries(0):
        assert len(client.get(DUE).json()) == 2


# -- loading instruments -------------------------------------------------------------
def test_load_questionnaires_from_a_file(tmp_path):
    doc = json.loads(json.dumps(shipped("nprs").items))  # a definition to reuse
    document = {
        "resourceType": "Questionnaire",
        "url": "urn:clinic:questionnaire:pain-now",
        "version": "2",
        "name": "pain-now",
        "title": "Pain now",
        "item": doc,
        "scoring": {**shipped("nprs").scoring},
    }
    path = tmp_path / "pain.json"
    path.write_text(json.dumps([document]))

    call_command("load_questionnaires", str(path))
    call_command("load_questionnaires", str(path))  # idempotent

    assert (
        Questionnaire.objects.filter(url="urn:clinic:questionnaire:pain-now").count()
        == 1
    )


def test_a_bad_file_loads_nothing(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(
        json.dumps({"url": "urn:x", "version": "1", "item": [], "scoring": {}})
    )

    with pytest.raises(CommandError):
        call_command("load_questionnaires", str(path))

    assert not Questionnaire.objects.filter(url="urn:x").exists()


def test_an_answered_version_cannot_change(answer, nprs, tmp_path):
    answer(answers(nprs, 4))
    from outcomes.instruments import shipped_documents

    document = next(d for d in shipped_documents() if d["name"] == "nprs")
    document["scoring"]["mcid"] = 3
    path = tmp_path / "nprs.json"
    path.write_text(json.dumps(document))

    with pytest.raises(CommandError, match="new version"):
        call_command("load_questionnaires", str(path))
