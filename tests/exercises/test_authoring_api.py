"""Library writes over the API: private exercises and routines, draft edits, sharing
through review, governed edits of published content and the review queue."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from common.models import Status
from exercises.models import ContentRevision, Exercise, Routine
from exercises.revisions import revision_propose
from exercises.services import authoring
from tests.conftest import client_for
from tests.factories import (
    ConditionFactory,
    ExerciseFactory,
    MuscleFactory,
    RoutineFactory,
    RoutineItemFactory,
)

pytestmark = pytest.mark.django_db

API = "/api/v1"
BRIDGE = {
    "name": "Dr. Solo's bridge",
    "summary": "A glute bridge with a pause at the top.",
    "sets": 2,
    "reps": 10,
    "hold_seconds": 2,
    "instructions": [
        {"kind": "setup", "text": "Lie on your back, knees bent."},
        {"kind": "step", "text": "Lift your hips; hold two seconds."},
    ],
}


def test_a_clinician_writes_a_private_exercise_seen_by_nobody_else(
    clinician, other_clinician, patient
):
    muscle = MuscleFactory(slug="gluteus-maximus")

    response = client_for(clinician).post(
        f"{API}/exercises/",
        {**BRIDGE, "primary_muscles": ["gluteus-maximus"]},
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["private"], body["slug"]) == (
        "draft",
        True,
        "dr-solos-bridge",
    )
    assert [i["text"] for i in body["instructions"]] == [
        "Lie on your back, knees bent.",
        "Lift your hips; hold two seconds.",
    ]
    assert body["default_dosage"]["reps"] == 10
    exercise = Exercise.objects.get(pk=body["id"])
    assert exercise.author == clinician
    assert list(exercise.primary_muscles.all()) == [muscle]
    assert exercise.history.first().history_user == clinician
    # Never in the public library, nor another clinician's.
    for user in (other_clinician, patient, None):
        client = client_for(user) if user else client_for(None)
        listed = client.get(f"{API}/exercises/").json()["results"]
        assert body["id"] not in {row["id"] for row in listed}
        assert client.get(f"{API}/exercises/{body['id']}/").status_code == 404


def test_bad_input_is_a_400_and_writes_nothing(clinician):
    client = client_for(clinician)
    cases = [
        ({**BRIDGE, "steps": 5}, {"reps", "steps"}),  # two amounts
        ({"summary": "no name"}, {"name"}),
        ({**BRIDGE, "primary_muscles": ["no-such-muscle"]}, {"primary_muscles.0"}),
        ({**BRIDGE, "reps": "10"}, {"reps"}),  # JSON types are checked
        ({**BRIDGE, "instructions": [{"kind": "dance", "text": "x"}]}, None),
    ]
    for body, fields in cases:
        response = client.post(f"{API}/exercises/", body, format="json")
        assert response.status_code == 400, body
        if fields is not None:
            assert {e["field"] for e in response.json()["errors"]} == fields
    assert not Exercise.objects.exists()


def test_patients_may_not_write_and_anonymous_callers_must_log_in(patient):
    assert (
        client_for(patient).post(f"{API}/exercises/", BRIDGE, format="json").status_code
        == 403
    )
    assert (
        client_for(None).post(f"{API}/exercises/", BRIDGE, format="json").status_code
        == 401
    )
    assert not Exercise.objects.exists()


def test_a_draft_is_edited_in_place_and_lists_are_replaced(clinician):
    client = client_for(clinician)
    exercise_id = client.post(f"{API}/exercises/", BRIDGE, format="json").json()["id"]

    response = client.patch(
        f"{API}/exercises/{exercise_id}/",
        {
            "summary": "Pause longer.",
            "instructions": [{"kind": "step", "text": "Lift."}],
        },
        format="json",
    )

    assert response.status_code == 200, response.content
    assert response.json()["summary"] == "Pause longer."
    assert [i["text"] for i in response.json()["instructions"]] == ["Lift."]
    assert not ContentRevision.objects.exists()


def test_another_clinicians_private_draft_is_a_404_and_private_is_the_authors(
    clinician, other_clinician
):
    mine = ExerciseFactory(status=Status.DRAFT, private=True, author=clinician)
    shared = ExerciseFactory(status=Status.DRAFT, private=False, author=clinician)
    other = client_for(other_clinician)

    assert (
        other.patch(
            f"{API}/exercises/{mine.pk}/", {"summary": "x"}, format="json"
        ).status_code
        == 404
    )
    response = other.patch(
        f"{API}/exercises/{shared.pk}/", {"private": True}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "private"
    shared.refresh_from_db()
    assert shared.private is False


def test_sharing_is_submitting_for_review(clinician, other_clinician):
    client = client_for(clinician)
    exercise_id = client.post(f"{API}/exercises/", BRIDGE, format="json").json()["id"]

    response = client.post(f"{API}/exercises/{exercise_id}/submit/")

    assert response.status_code == 200
    assert response.json()["status"] == "in_review"
    # The reviewer now sees it; a second submit is a 409 and editing is refused.
    assert (
        client_for(other_clinician).get(f"{API}/exercises/{exercise_id}/").status_code
        == 200
    )
    again = client.post(f"{API}/exercises/{exercise_id}/submit/")
    assert (again.status_code, again.json()["code"]) == (409, "workflow_conflict")
    edit = client.patch(
        f"{API}/exercises/{exercise_id}/", {"summary": "x"}, format="json"
    )
    assert edit.status_code == 400


def test_an_edit_of_published_content_is_a_pending_revision_until_approved(
    clinician, other_clinician
):
    published = ExerciseFactory(status=Status.PUBLISHED, summary="Small steps.")
    proposer, reviewer = client_for(clinician), client_for(other_clinician)

    response = proposer.patch(
        f"{API}/exercises/{published.pk}/", {"summary": "Shorter steps."}, format="json"
    )

    assert response.status_code == 202, response.content
    revision = response.json()
    assert revision["state"] == "pending"
    assert revision["diff"] == [
        {
            "field": "summary",
            "label": "summary",
            "published": "Small steps.",
            "proposed": "Shorter steps.",
        }
    ]
    public = client_for(None).get(f"{API}/exercises/{published.pk}/").json()
    assert public["summary"] == "Small steps."
    # The proposer's queue does not hold it; the reviewer's does.
    assert proposer.get(f"{API}/revisions/").json()["results"] == []
    queue = reviewer.get(f"{API}/revisions/").json()["results"]
    assert [row["id"] for row in queue] == [revision["id"]]
    own = proposer.post(f"{API}/revisions/{revision['id']}/approve/")
    assert own.status_code == 403

    approved = reviewer.post(
        f"{API}/revisions/{revision['id']}/approve/",
        {"note": "Clearer."},
        format="json",
    )

    assert approved.status_code == 200, approved.content
    assert approved.json()["state"] == "approved"
    public = client_for(None).get(f"{API}/exercises/{published.pk}/").json()
    assert (public["id"], public["summary"]) == (str(published.pk), "Shorter steps.")
    twice = reviewer.post(f"{API}/revisions/{revision['id']}/reject/")
    assert twice.status_code == 400


def test_a_rejected_revision_leaves_the_content(clinician, other_clinician):
    published = ExerciseFactory(status=Status.PUBLISHED, summary="Small steps.")
    revision = revision_propose(
        content=published, user=clinician, changes={"summary": "Huge steps."}
    )

    response = client_for(other_clinician).post(
        f"{API}/revisions/{revision.pk}/reject/"
    )

    assert response.json()["state"] == "rejected"
    published.refresh_from_db()
    assert published.summary == "Small steps."


def test_a_revision_may_not_restructure_published_content(clinician):
    published = ExerciseFactory(status=Status.PUBLISHED)

    response = client_for(clinician).patch(
        f"{API}/exercises/{published.pk}/",
        {"instructions": [{"kind": "step", "text": "x"}]},
        format="json",
    )

    assert response.status_code == 400
    assert not ContentRevision.objects.exists()


def test_a_private_routine_of_own_and_published_exercises(clinician, other_clinician):
    mine = ExerciseFactory(status=Status.DRAFT, private=True, author=clinician)
    public = ExerciseFactory(status=Status.PUBLISHED)
    theirs = ExerciseFactory(status=Status.DRAFT, private=True, author=other_clinician)
    ConditionFactory(slug="lower-back-pain")
    client = client_for(clinician)

    response = client.post(
        f"{API}/routines/",
        {
            "title": "Dr. Solo's hips",
            "conditions": ["lower-back-pain"],
            "items": [
                {"exercise": str(mine.pk), "sets": 2, "reps": 10},
                {
                    "exercise": str(public.pk),
                    "sets": 3,
                    "steps": 5,
                    "direction": "sideways",
                },
            ],
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["private"], body["status"]) == (True, "draft")
    assert [i["exercise"]["id"] for i in body["items"]] == [
        str(mine.pk),
        str(public.pk),
    ]
    assert body["items"][1]["per_side"] is True
    refused = client.post(
        f"{API}/routines/",
        {
            "title": "Borrowed",
            "items": [{"exercise": str(theirs.pk), "sets": 1, "reps": 5}],
        },
        format="json",
    )
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["field"] == "items.0.exercise"
    assert Routine.objects.count() == 1


def test_a_published_routine_gets_a_revision_of_its_own_fields(
    clinician, other_clinician
):
    routine = RoutineFactory(status=Status.PUBLISHED, goal="Old goal.")
    RoutineItemFactory(routine=routine)

    response = client_for(clinician).patch(
        f"{API}/routines/{routine.pk}/", {"goal": "New goal."}, format="json"
    )

    assert response.status_code == 202
    assert response.json()["kind"] == "routine"
    routine.refresh_from_db()
    assert routine.goal == "Old goal."


def test_the_review_queue_reads_a_flat_number_of_queries(clinician, other_clinician):
    reviewer = client_for(other_clinician)

    def propose(n: int) -> None:
        for _ in range(n):
            exercise = ExerciseFactory(status=Status.PUBLISHED)
            revision_propose(
                content=exercise, user=clinician, changes={"summary": "New"}
            )
            routine = RoutineFactory(status=Status.PUBLISHED)
            revision_propose(content=routine, user=clinician, changes={"goal": "New"})

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = reviewer.get(f"{API}/revisions/")
        assert response.status_code == 200
        return len(queries)

    propose(1)
    few = count()
    propose(5)
    # The page and its count (content and proposer joined; the diff reads no more),
    # plus the caller's permissions (cached after the first check).
    assert count() == few
    assert len(reviewer.get(f"{API}/revisions/").json()["results"]) == 12


def test_a_revision_detail_reads_a_fixed_number_of_queries(
    clinician, other_clinician, django_assert_num_queries
):
    exercise = ExerciseFactory(status=Status.PUBLISHED)
    revision = revision_propose(
        content=exercise, user=clinician, changes={"summary": "New"}
    )
    reviewer = client_for(other_clinician)

    # The caller's user and group permissions (two), the revision with its content and
    # proposer (one join); the diff reads no more. Plus the request's savepoint pair.
    with django_assert_num_queries(5):
        response = reviewer.get(f"{API}/revisions/{revision.pk}/")

    assert response.json()["content_name"] == exercise.name


def test_the_api_submits_but_never_publishes(clinician):
    """Publishing (and its rule: every exercise of a routine published first) is a
    reviewer's, in the admin: the API offers no way around it."""
    mine = ExerciseFactory(status=Status.DRAFT, private=True, author=clinician)
    client = client_for(clinician)
    routine = client.post(
        f"{API}/routines/",
        {"title": "Mine", "items": [{"exercise": str(mine.pk), "sets": 1, "reps": 5}]},
        format="json",
    ).json()
    assert client.post(f"{API}/routines/{routine['id']}/submit/").status_code == 200

    for verb in ("publish", "approve"):
        assert client.post(f"{API}/routines/{routine['id']}/{verb}/").status_code == 404
    assert (
        client.patch(
            f"{API}/routines/{routine['id']}/", {"status": "published"}, format="json"
        ).status_code
        == 400
    )  # in review: not editable (and status is not a field)
    assert Routine.objects.get(pk=routine["id"]).status == Status.IN_REVIEW


def test_a_slug_taken_between_the_check_and_the_insert_is_a_400(clinician, monkeypatch):
    """Two clinicians writing the same slug at once: the second insert hits the unique
    index after its full_clean() saw the slug free. Simulated by skipping that check."""
    ExerciseFactory(slug="dr-solos-bridge")
    monkeypatch.setattr(authoring, "_full_clean", lambda content, prefix="": None)

    response = client_for(clinician).post(
        f"{API}/exercises/", {**BRIDGE, "slug": "dr-solos-bridge"}, format="json"
    )

    assert response.status_code == 400, response.content
    assert response.json()["errors"] == [
        {"field": "slug", "code": "invalid", "message": authoring.SLUG_TAKEN}
    ]
    assert Exercise.objects.filter(slug="dr-solos-bridge").count() == 1
