"""A patient's cached answers (sessions/cache.py): hits, invalidation, isolation, erasure."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import override_settings
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from exercises.cache import TOKEN_KEY as CATALOG_TOKEN_KEY
from outcomes.models import QuestionnaireAssignment
from sessions.cache import SLOTS
from sessions.models import Plan
from sessions.services.privacy import patient_erase
from tests.conftest import client_for
from tests.factories import (
    CareRelationshipFactory,
    ExerciseFactory,
    PatientFactory,
    PlanFactory,
    PlanItemFactory,
)
from tests.factories.outcomes import answered, shipped
from tests.sessions.test_plans import care, create_body, prescribe, routine
from tests.test_throttling import RedisCommands, needs_redis, on_redis, stored_in_redis
from users.models import PatientAccessLog

pytestmark = pytest.mark.django_db

__all__ = ["care", "routine"]  # fixtures used here, defined with the plan tests

PASSWORD = "correct horse battery staple"
SESSIONS = "/api/v1/sessions/"
SYNC = "/api/v1/sessions/?updated_since=0"
PLANS = "/api/v1/plans/"
PROGRESS = "/api/v1/progress/"
TODAY = "/api/v1/me/today/"


def plan_url(plan: Any) -> str:
    return f"{PLANS}{plan.pk}/"


def careplan_url(plan: Any) -> str:
    return f"/fhir/r4/CarePlan/{plan.pk}"


def own_urls(plan: Any) -> list[str]:
    """Every cached read of the patient's own data."""
    return [
        PLANS,
        plan_url(plan),
        SYNC,
        SESSIONS,
        PROGRESS,
        TODAY,
        careplan_url(plan),
    ]


def token_client(user: Any) -> APIClient:
    """A client with a real access token: authentication runs its own statement."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(user)}")
    return client


def iso(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def upload_body(plan: Any, item: Any, **extra: Any) -> dict[str, Any]:
    now = timezone.now().replace(microsecond=0)
    # An hour ago, but today (UTC, the patient's zone here) at any hour: me/today/
    # shows today's sessions.
    started = max(now - dt.timedelta(hours=1), now.replace(hour=0, minute=0, second=0))
    return {
        "id": str(uuid.uuid4()),
        "plan": str(plan.pk),
        "started_at": iso(started),
        "ended_at": iso(min(started + dt.timedelta(minutes=20), now)),
        "pain_before": 5,
        "pain_after": 3,
        "exercises": [
            {
                "exercise": str(item.exercise_id),
                "plan_item": item.pk,
                "status": "done",
                "sets": [{"reps": 10}, {"reps": 10}],
            }
        ],
        **extra,
    }


@pytest.fixture
def plan(patient):
    plan = PlanFactory(patient=patient, start_date=dt.date(2026, 1, 5))
    PlanItemFactory(plan=plan, exercise=ExerciseFactory(name="Glute bridge"))
    return plan


@pytest.fixture
def item(plan):
    return plan.items.get()


def warm(client: APIClient, url: str) -> Any:
    """Read ``url`` twice: the second answer is the cached one."""
    first = client.get(url)
    assert first.status_code == 200, first.content
    return client.get(url)


# ---------------------------------------------------------------------------
# Hits
# ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "which", ["plans", "plan", "sync", "sessions", "progress", "today", "careplan"]
)
def test_a_hit_runs_no_sql(patient, plan, which, django_assert_num_queries):
    url = dict(zip(["plans", "plan", "sync", "sessions", "progress", "today",
                    "careplan"], own_urls(plan), strict=True))[which]  # fmt: skip
    client = token_client(patient)
    first = client.get(url)
    assert first.status_code == 200, first.content

    # The access token's account comes from the account cache (users/cache.py): no
    # statement at all, no transaction either.
    with django_assert_num_queries(0):
        again = client.get(url)

    assert again.status_code == 200
    assert again.content == first.content
    assert again["ETag"] == first["ETag"]
    for header in ("Content-Type", "Cache-Control", "Vary"):
        assert again.get(header) == first.get(header)
    if url.startswith("/api/"):
        assert again["Cache-Control"] == "no-store"


def test_a_hit_answers_304_to_its_etag(patient_client, plan, django_assert_num_queries):
    cached = warm(patient_client, plan_url(plan))

    with django_assert_num_queries(0):
        response = patient_client.get(
            plan_url(plan), headers={"If-None-Match": cached["ETag"]}
        )

    assert response.status_code == 304
    assert response["ETag"] == cached["ETag"]


def test_errors_are_not_cached(patient_client, django_assert_num_queries):
    for _ in range(2):
        response = patient_client.get(PROGRESS, {"from": "not-a-date"})
        assert response.status_code == 400
    missing = f"{PLANS}{uuid.uuid4()}/"
    assert patient_client.get(missing).status_code == 404
    with django_assert_num_queries(1):
        assert patient_client.get(missing).status_code == 404


def test_cache_off_answers_from_the_database(
    settings, patient_client, plan, django_assert_num_queries
):
    settings.PATIENT_CACHE_SECONDS = 0
    first = patient_client.get(plan_url(plan))
    # The plan's reads, as without a cache (force_authenticate: no user lookup).
    with django_assert_num_queries(6):
        again = patient_client.get(plan_url(plan))
    assert again.content == first.content


# ---------------------------------------------------------------------------
# A patient never sees another's answer
# ---------------------------------------------------------------------------
def test_two_patients_reading_the_same_urls_get_their_own_answers(patient, plan, item):
    other = PatientFactory(timezone=patient.timezone)
    other_plan = PlanFactory(patient=other, start_date=dt.date(2026, 1, 5))
    other_item = PlanItemFactory(plan=other_plan)
    mine, theirs = client_for(patient), client_for(other)
    assert (
        mine.post(SESSIONS, upload_body(plan, item), format="json").status_code == 201
    )
    body = upload_body(other_plan, other_item, notes="theirs")
    assert theirs.post(SESSIONS, body, format="json").status_code == 201

    for url in (PLANS, SYNC, PROGRESS, TODAY):
        warm(mine, url)
        answer = warm(theirs, url).json()
        again = warm(mine, url).json()
        if url == PROGRESS:
            assert (answer["patient"], again["patient"]) == (
                str(other.pk),
                str(patient.pk),
            )
        elif url == TODAY:
            assert [p["plan"] for p in answer["plans"]] == [str(other_plan.pk)]
            assert [p["plan"] for p in again["plans"]] == [str(plan.pk)]
        elif url == PLANS:
            assert [p["id"] for p in answer["results"]] == [str(other_plan.pk)]
            assert [p["id"] for p in again["results"]] == [str(plan.pk)]
        else:
            assert [s["notes"] for s in answer["results"]] == ["theirs"]
            assert [s["notes"] for s in again["results"]] == [""]


def test_another_patients_plan_is_a_404_even_when_theirs_is_cached(
    patient, plan, other_patient
):
    warm(client_for(patient), plan_url(plan))
    warm(client_for(patient), careplan_url(plan))

    other = client_for(other_patient)
    assert other.get(plan_url(plan)).status_code == 404
    assert other.get(careplan_url(plan)).status_code == 404


# ---------------------------------------------------------------------------
# A change is visible on the next read
# ---------------------------------------------------------------------------
def test_an_upload_is_visible_on_the_next_read(patient_client, plan, item):
    before = {url: warm(patient_client, url).json() for url in (SYNC, PROGRESS, TODAY)}

    body = upload_body(plan, item)
    assert patient_client.post(SESSIONS, body, format="json").status_code == 201

    assert [s["id"] for s in before[SYNC]["results"]] == []
    assert [s["id"] for s in patient_client.get(SYNC).json()["results"]] == [body["id"]]
    assert before[PROGRESS]["summary"]["sessions_done"] == 0
    assert patient_client.get(PROGRESS).json()["summary"]["sessions_done"] == 1
    assert before[TODAY]["sessions"] == []
    assert len(patient_client.get(TODAY).json()["sessions"]) == 1


def test_an_edit_and_a_delete_are_visible_on_the_next_read(patient_client, plan, item):
    body = upload_body(plan, item)
    created = patient_client.post(SESSIONS, body, format="json")
    url = f"{SESSIONS}{body['id']}/"
    warm(patient_client, SYNC)

    edited = patient_client.patch(
        url, {"notes": "Edited"}, format="json", headers={"If-Match": created["ETag"]}
    )
    assert edited.status_code == 200, edited.content
    assert [s["notes"] for s in patient_client.get(SYNC).json()["results"]] == [
        "Edited"
    ]

    warm(patient_client, SYNC)
    deleted = patient_client.delete(url, headers={"If-Match": edited["ETag"]})
    assert deleted.status_code == 204
    assert [s["deleted"] for s in patient_client.get(SYNC).json()["results"]] == [True]


def test_plan_writes_are_visible_on_the_next_read(
    clinician, clinician_client, patient, care, routine
):
    patient_client = client_for(patient)
    assert warm(patient_client, PLANS).json()["results"] == []

    created = clinician_client.post(PLANS, create_body(patient, routine), format="json")
    assert created.status_code == 201, created.content
    plan = Plan.objects.get(pk=created.json()["id"])
    assert [p["id"] for p in patient_client.get(PLANS).json()["results"]] == [
        str(plan.pk)
    ]

    # Adjusted (status and an item's dosage): the plan, its CarePlan and the list.
    for url in (plan_url(plan), careplan_url(plan)):
        warm(patient_client, url)
    bridge = plan.items.get(order=2)
    adjust = {"status": "paused", "items": [{"id": bridge.pk, "reps": 8}]}
    assert (
        clinician_client.patch(plan_url(plan), adjust, format="json").status_code == 200
    )
    answer = patient_client.get(plan_url(plan)).json()
    assert answer["status"] == "paused"
    assert answer["items"][1]["reps"] == 8
    assert patient_client.get(careplan_url(plan)).json()["status"] == "on-hold"

    # Ended.
    warm(patient_client, plan_url(plan))
    ended = clinician_client.patch(plan_url(plan), {"status": "ended"}, format="json")
    assert ended.status_code == 200, ended.content
    assert patient_client.get(plan_url(plan)).json()["status"] == "ended"
    assert patient_client.get(careplan_url(plan)).json()["status"] == "completed"


def test_a_plan_prescribed_by_the_service_is_visible(clinician, patient, care, routine):
    patient_client = client_for(patient)
    warm(patient_client, TODAY)

    plan = prescribe(clinician, patient, routine, start_date=dt.date(2026, 1, 5))

    today = patient_client.get(TODAY).json()
    assert [p["plan"] for p in today["plans"]] == [str(plan.pk)]


def test_a_catalog_change_is_visible_in_the_plan(patient_client, plan, item):
    assert warm(patient_client, plan_url(plan)).json()["items"][0]["exercise"][
        "name"
    ] == ("Glute bridge")

    exercise = item.exercise
    exercise.name = "Bridge, both legs"
    exercise.save()  # a catalog write: exercises/cache.py replaces the catalog's token

    answer = patient_client.get(plan_url(plan)).json()
    assert answer["items"][0]["exercise"]["name"] == "Bridge, both legs"


def test_questionnaire_writes_are_visible_in_today(patient, patient_client, plan):
    assert warm(patient_client, TODAY).json()["questionnaires"] == []

    nprs = shipped("nprs")
    assignment = QuestionnaireAssignment.objects.create(
        plan=plan, questionnaire=nprs, start_date=dt.date(2026, 1, 5)
    )
    due = patient_client.get(TODAY).json()["questionnaires"]
    assert len(due) == 1

    warm(patient_client, TODAY)
    answered(patient, nprs, assignment=assignment)
    assert patient_client.get(TODAY).json()["questionnaires"] == []


def test_the_day_rolling_over_is_visible(patient, patient_client, plan, monkeypatch):
    patient.timezone = "Europe/Berlin"
    patient.save()
    evening = dt.datetime(2026, 12, 1, 22, 59, tzinfo=dt.UTC)  # 23:59 in Berlin
    monkeypatch.setattr(timezone, "now", lambda: evening)
    assert warm(patient_client, TODAY).json()["date"] == "2026-12-01"

    monkeypatch.setattr(timezone, "now", lambda: evening + dt.timedelta(minutes=2))
    assert patient_client.get(TODAY).json()["date"] == "2026-12-02"


def test_a_time_zone_change_is_visible(patient, patient_client, plan):
    patient.timezone = "Europe/Berlin"
    patient.save()
    assert warm(patient_client, TODAY).json()["timezone"] == "Europe/Berlin"

    patient.timezone = "America/New_York"
    patient.save()
    patient_client.force_authenticate(user=patient)
    assert patient_client.get(TODAY).json()["timezone"] == "America/New_York"


# ---------------------------------------------------------------------------
# Someone else's reads: never cached, always in the access log
# ---------------------------------------------------------------------------
def test_a_clinicians_reads_are_logged_every_time(
    clinician, clinician_client, patient, plan, item
):
    CareRelationshipFactory(clinician=clinician, patient=patient)
    patient_client = client_for(patient)
    body = upload_body(plan, item)
    assert patient_client.post(SESSIONS, body, format="json").status_code == 201
    for url in own_urls(plan):
        warm(patient_client, url)  # the patient's own answers are cached
    assert not PatientAccessLog.objects.exists()

    reads = [
        plan_url(plan),
        PLANS,
        f"{PROGRESS}?patient={patient.pk}",
        f"{SESSIONS}?patient={patient.pk}",
        careplan_url(plan),
    ]
    for _ in range(2):
        for url in reads:
            response = clinician_client.get(url)
            assert response.status_code == 200, (url, response.content)

    logged = PatientAccessLog.objects.filter(actor=clinician, patient=patient)
    assert logged.count() == 2 * len(reads)
    assert not PatientAccessLog.objects.exclude(actor=clinician).exists()


# ---------------------------------------------------------------------------
# Erasure
# ---------------------------------------------------------------------------
def _read_everything(patient: Any, plan: Any) -> None:
    client = client_for(patient)
    for url in own_urls(plan):
        warm(client, url)


def test_erasure_deletes_the_patients_cached_answers(patient, plan):
    patient.set_password(PASSWORD)
    patient.save()
    _read_everything(patient, plan)
    other = PatientFactory()
    _read_everything(other, PlanFactory(patient=other))
    patient_id = str(patient.pk)
    assert len(cached_keys(patient_id)) >= 2  # the token and answers

    patient_erase(user=patient, password=PASSWORD)

    assert cached_keys(patient_id) == []
    assert len(cached_keys(str(other.pk))) >= 2  # others' answers stay


def _answer_keys(keys: list[str], patient_id: str) -> list[str]:
    """Keys naming the patient: cached answers, tokens and rate-limit histories
    (``throttle_<scope>_<id>``, config/api/throttling.py)."""
    return [key for key in keys if patient_id in key]


def cached_keys(patient_id: str) -> list[str]:
    """The LocMemCache's keys (its own dict) that name the patient."""
    return _answer_keys(list(cache._cache), patient_id)  # type: ignore[attr-defined]


@needs_redis
def test_erasure_leaves_nothing_of_the_patient_in_redis(patient, plan):
    patient.set_password(PASSWORD)
    patient.save()
    with on_redis():
        _read_everything(patient, plan)
        patient_id = str(patient.pk)
        stored = stored_in_redis()
        # The token, answers and the rate-limit history of the patient's account.
        assert len(_answer_keys(list(stored), patient_id)) >= 3
        assert [k for k in stored if f"throttle_user_{patient_id}" in k]

        patient_erase(user=patient, password=PASSWORD)

        stored = stored_in_redis()
        assert _answer_keys(list(stored), patient_id) == []
        assert not [v for v in stored.values() if patient_id.encode() in v]


def _expires_in(key: str) -> float | None:
    """Seconds until the LocMemCache's ``key`` expires (None: never)."""
    expiry = cache._expire_info[cache.make_key(key)]  # type: ignore[attr-defined]
    return None if expiry is None else expiry - time.time()


def test_a_patients_token_lives_no_longer_than_their_answers(patient, plan, item):
    """No key naming the patient stays for good (a token started by a read in flight
    during their erasure goes with the answers' lifetime)."""
    cache.clear()
    client = client_for(patient)
    warm(client, PLANS)
    token = f"patient:{patient.pk}:token"
    started = _expires_in(token)
    assert started is not None
    assert 0 < started <= settings.PATIENT_CACHE_SECONDS

    assert (
        client.post(SESSIONS, upload_body(plan, item), format="json").status_code == 201
    )
    bumped = _expires_in(token)
    assert bumped is not None
    assert 0 < bumped <= settings.PATIENT_CACHE_SECONDS
    assert _expires_in(CATALOG_TOKEN_KEY) is None  # the catalog's: one key, kept


def test_every_key_of_a_patient_is_one_erasure_deletes(patient, plan):
    """Many variants of one read fill the patient's slots, never more keys."""
    client = client_for(patient)
    for size in range(1, 3 * SLOTS + 1):
        response = client.get(SESSIONS, {"updated_since": 0, "page_size": size})
        assert response.status_code == 200, response.content
    keys = cached_keys(str(patient.pk))
    assert 2 < len(keys) <= SLOTS + 1  # 24 variants: the slots (and the token), no more


# ---------------------------------------------------------------------------
# Redis down
# ---------------------------------------------------------------------------
def test_without_the_cache_answers_come_from_the_database(patient, plan, item):
    down = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            # Nothing listens on port 1: the cache is down.
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"IGNORE_EXCEPTIONS": True, "SOCKET_CONNECT_TIMEOUT": 1},
        }
    }
    with override_settings(CACHES=down):
        client = client_for(patient)
        for url in own_urls(plan):
            first = client.get(url)
            assert first.status_code == 200, (url, first.content)
        body = upload_body(plan, item)
        assert client.post(SESSIONS, body, format="json").status_code == 201
        assert [s["id"] for s in client.get(SYNC).json()["results"]] == [body["id"]]


# ---------------------------------------------------------------------------
# One Redis round trip per hit
# ---------------------------------------------------------------------------
@needs_redis
@pytest.mark.parametrize(
    "which", ["plans", "plan", "sync", "sessions", "progress", "today", "careplan"]
)
def test_a_hit_is_two_redis_round_trips(patient, plan, monkeypatch, which):
    """The token's account (users/cache.py), then the throttles' script, which also
    reads the patient's keys (config/api/throttling.py)."""
    url = dict(
        zip(
            ["plans", "plan", "sync", "sessions", "progress", "today", "careplan"],
            own_urls(plan),
            strict=True,
        )
    )[which]
    client = token_client(patient)
    with on_redis():
        first = client.get(url)  # a miss: stored
        commands = RedisCommands(monkeypatch)
        again = client.get(url)

        assert first.status_code == again.status_code == 200, first.content
        assert again.content == first.content
        assert again["ETag"] == first["ETag"]
        assert commands.sent == [["MGET"], ["EVALSHA", "MGET"]]


@needs_redis
def test_two_patients_on_redis_get_their_own_answers(patient, plan, item):
    """The keys read with the throttles are the caller's: never another's answer."""
    other = PatientFactory()
    other_plan = PlanFactory(patient=other, start_date=dt.date(2026, 1, 5))
    PlanItemFactory(plan=other_plan, exercise=ExerciseFactory(name="Clamshell"))
    mine, theirs = token_client(patient), token_client(other)
    with on_redis():
        uploaded = mine.post(SESSIONS, upload_body(plan, item), format="json")
        assert uploaded.status_code == 201, uploaded.content
        for url in (PLANS, SYNC, PROGRESS):
            mine_first = warm(mine, url)
            theirs_first = warm(theirs, url)
            assert mine.get(url).content == mine_first.content
            assert theirs.get(url).content == theirs_first.content
            assert mine_first.content != theirs_first.content, url
        assert b"Glute bridge" in mine.get(PLANS).content
        assert b"Clamshell" not in mine.get(PLANS).content
        assert b"Clamshell" in theirs.get(PLANS).content
