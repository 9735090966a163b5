"""me/questionnaires/due/ from the patient answer cache (sessions/cache.py): a hit, a
change visible on the next read, the day rolling over, isolation, erasure."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from outcomes.models import Questionnaire, QuestionnaireAssignment
from outcomes.services.proms import questionnaire_load
from sessions.services.privacy import patient_erase
from tests.conftest import client_for
from tests.factories import CareRelationshipFactory, PatientFactory, PlanFactory
from tests.factories.outcomes import answered, shipped
from tests.sessions.test_patient_cache import (
    PASSWORD,
    cached_keys,
    token_client,
    warm,
)
from tests.test_throttling import RedisCommands, needs_redis, on_redis

pytestmark = pytest.mark.django_db

DUE = "/api/v1/me/questionnaires/due/"


@pytest.fixture
def nprs():
    return shipped("nprs")


@pytest.fixture
def plan(patient):
    return PlanFactory(patient=patient, start_date=dt.date(2026, 1, 5))


def assign(plan, questionnaire, start: dt.date, every_weeks: int = 0):
    return QuestionnaireAssignment.objects.create(
        plan=plan,
        questionnaire=questionnaire,
        start_date=start,
        every_weeks=every_weeks,
    )


def due_ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [due["assignment"] for due in response.json()]


def test_a_hit_runs_no_sql(patient, plan, nprs, django_assert_num_queries):
    assign(plan, nprs, timezone.localdate())
    client = token_client(patient)
    first = client.get(DUE)
    assert len(first.json()) == 1

    # The access token's account is cached too (users/cache.py): no statement at all.
    with django_assert_num_queries(0):
        again = client.get(DUE)

    assert again.content == first.content
    assert again["ETag"] == first["ETag"]
    assert again["Cache-Control"] == "no-store"


def test_a_miss_reads_without_a_transaction(
    patient, plan, nprs, django_assert_num_queries
):
    assign(plan, nprs, timezone.localdate())
    # The assignments (questionnaire joined), their answers; no savepoint.
    with django_assert_num_queries(2) as captured:
        response = client_for(patient).get(DUE)
    assert len(response.json()) == 1
    assert "SAVEPOINT" not in str(captured.captured_queries)


def test_assignments_and_answers_are_visible_on_the_next_read(patient, plan, nprs):
    client = client_for(patient)
    assert warm(client, DUE).json() == []

    assignment = assign(plan, nprs, dt.date(2026, 1, 5))
    assert due_ids(client.get(DUE)) == [str(assignment.pk)]

    warm(client, DUE)
    answered(patient, nprs, assignment=assignment)
    assert client.get(DUE).json() == []

    warm(client, DUE)
    assignment.delete()
    assert client.get(DUE).json() == []


def test_a_plan_ending_is_visible_on_the_next_read(patient, plan, nprs):
    client = client_for(patient)
    assign(plan, nprs, dt.date(2026, 1, 5))
    assert len(warm(client, DUE).json()) == 1

    plan.status = "ended"
    plan.save()
    from sessions.signals import plan_changed

    plan_changed.send(sender=type(plan), plan=plan, action="updated")
    assert client.get(DUE).json() == []


def test_a_retired_questionnaire_is_visible_on_the_next_read(patient, plan, nprs):
    client = client_for(patient)
    assign(plan, nprs, dt.date(2026, 1, 5))
    assert len(warm(client, DUE).json()) == 1

    from outcomes.instruments import shipped_documents

    document = next(doc for doc in shipped_documents() if doc["name"] == "nprs")
    questionnaire_load(document={**document, "status": Questionnaire.Status.RETIRED})

    assert client.get(DUE).json() == []


def test_an_occurrence_falling_due_at_the_patients_midnight_is_visible(
    patient, plan, nprs, monkeypatch
):
    patient.timezone = "Europe/Berlin"
    patient.save()
    evening = dt.datetime(2026, 12, 1, 22, 59, tzinfo=dt.UTC)  # 23:59 in Berlin
    monkeypatch.setattr(timezone, "now", lambda: evening)
    # Baseline answered; the first follow-up falls due on 2 December (Berlin).
    assignment = assign(plan, nprs, dt.date(2026, 11, 4), every_weeks=4)
    answered(patient, nprs, assignment=assignment)
    client = client_for(patient)
    assert warm(client, DUE).json() == []

    monkeypatch.setattr(timezone, "now", lambda: evening + dt.timedelta(minutes=2))
    due = client.get(DUE).json()
    assert [(d["occurrence"], d["due_date"]) for d in due] == [(1, "2026-12-02")]


def test_two_patients_get_their_own_answers(patient, plan, nprs):
    other = PatientFactory(timezone=patient.timezone)
    other_plan = PlanFactory(patient=other, start_date=dt.date(2026, 1, 5))
    mine = assign(plan, nprs, dt.date(2026, 1, 5))
    theirs = assign(other_plan, nprs, dt.date(2026, 1, 5))
    me, them = client_for(patient), client_for(other)

    warm(me, DUE)
    assert due_ids(warm(them, DUE)) == [str(theirs.pk)]
    assert due_ids(warm(me, DUE)) == [str(mine.pk)]


def test_only_patients_read_it_and_nothing_of_theirs_is_served_to_others(
    clinician, patient, plan, nprs
):
    CareRelationshipFactory(clinician=clinician, patient=patient)
    assign(plan, nprs, dt.date(2026, 1, 5))
    warm(client_for(patient), DUE)

    assert client_for(clinician).get(DUE).status_code == 403


def test_erasure_deletes_the_cached_answer(
    patient, plan, nprs, django_capture_on_commit_callbacks
):
    patient.set_password(PASSWORD)
    patient.save()
    assignment = assign(plan, nprs, dt.date(2026, 1, 5))
    answered(patient, nprs, assignment=assignment)
    warm(client_for(patient), DUE)
    patient_id = str(patient.pk)
    assert len(cached_keys(patient_id)) >= 2  # the token and the answer

    # The cascade deletes the assignment and the answer, whose receivers make the
    # patient's answers stale (writing the token again, now and on commit): the
    # patient's keys are forgotten after them.
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        patient_erase(user=patient, password=PASSWORD)
        assert cached_keys(patient_id) == []

    assert callbacks
    assert cached_keys(patient_id) == []


@needs_redis
def test_a_hit_is_two_redis_round_trips(patient, plan, nprs, monkeypatch):
    """The token's account, then the throttles' script, which also reads the patient's
    keys (config/api/throttling.py)."""
    assign(plan, nprs, dt.date(2026, 1, 5))
    client = token_client(patient)
    with on_redis():
        first = client.get(DUE)  # a miss: stored
        commands = RedisCommands(monkeypatch)
        again = client.get(DUE)

        assert len(first.json()) == 1
        assert again.content == first.content
        assert commands.sent == [["MGET"], ["EVALSHA", "MGET"]]
