"""Who may do what on every endpoint: a principal x object x operation matrix.

Principals: anonymous, patient A, patient B, a clinician of A (care relationship), a
clinician of nobody, an admin (superuser). Objects: A's and B's plans and sessions, a
tombstone of A's, published and draft exercises and routines. Every operation of the
OpenAPI schema appears in ``CASES`` with the expected status for all six principals;
``test_every_schema_operation_is_in_the_matrix`` fails when an endpoint is added without
being put here.

Rules the matrix pins (with the design choices read from the views):
- Anonymous callers of protected operations get a 401 problem with WWW-Authenticate.
- Objects outside the caller's scope answer 404, exactly like missing ids, to every
  authenticated caller; 403 only when the caller may see the object (or the endpoint)
  but not do this (a patient adjusting their own plan, a clinician editing a session,
  a patient listing patients, staff erasing their own account).
- List filters naming someone outside the caller's scope (``?patient=``) give an empty
  list for plans and sessions, and 404 for progress.
- Writes: every 2xx changes the database as asked; every refusal changes nothing, and
  reads change nothing (the access log, django-axes records and last_login aside).

Library reads are public for published content; drafts, content in review and archived
content are readable by staff only (404 for everyone else, as if they did not exist).
Library endpoints are read-only for everyone through the API (curation is in the admin).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.urls import URLResolver, get_resolver
from django.utils import timezone
from drf_spectacular.generators import EndpointEnumerator, SchemaGenerator
from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import (
    BlacklistedToken,
    OutstandingToken,
)
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from common.models import Status
from config.api.exceptions import PROBLEM_CONTENT_TYPE
from exercises.models import Exercise, Routine
from outcomes.models import (
    Alert,
    CalendarFeed,
    ClinicianAlertSettings,
    QuestionnaireAssignment,
    QuestionnaireResponse,
)
from sessions.models import (
    PatientSyncState,
    Plan,
    PlanItem,
    Session,
    SessionExercise,
    SessionSet,
)
from tests.conftest import client_for
from tests.factories import (
    AdminFactory,
    CareRelationshipFactory,
    ClinicianFactory,
    ExerciseFactory,
    PatientFactory,
    PlanFactory,
    PlanItemFactory,
    RoutineFactory,
    RoutineItemFactory,
    SessionExerciseFactory,
    SessionFactory,
    SessionSetFactory,
)
from tests.factories.outcomes import AlertFactory, shipped
from tests.factories.users import PASSWORD
from users.invitations import invitation_create
from users.models import CareRelationship, Invitation, User

pytestmark = pytest.mark.django_db

API = "/api/v1"
PRINCIPALS = (
    "anonymous",
    "patient_a",
    "patient_b",
    "clinician_a",
    "clinician_none",
    "admin",
)
NEW_PASSWORD = "a-brand-new-passphrase-42"
HTTP_METHODS = {"get", "post", "put", "patch", "delete"}


def row(
    anonymous: Any,
    patient_a: Any,
    patient_b: Any,
    clinician_a: Any,
    clinician_none: Any,
    admin: Any,
) -> dict[str, Any]:
    """One value per principal, in PRINCIPALS order (all six are required)."""
    return dict(
        zip(
            PRINCIPALS,
            (anonymous, patient_a, patient_b, clinician_a, clinician_none, admin),
            strict=True,
        )
    )


def every(value: Any) -> dict[str, Any]:
    return row(*[value] * len(PRINCIPALS))


def authenticated(value: Any) -> dict[str, Any]:
    """401 for anonymous callers, ``value`` for everyone else."""
    return row(401, *[value] * (len(PRINCIPALS) - 1))


# ---------------------------------------------------------------------------
# The world: principals and objects
# ---------------------------------------------------------------------------
@dataclass
class World:
    users: dict[str, User | None]
    objects: dict[str, Any]
    scratch: dict[str, Any] = field(default_factory=dict)

    def user(self, principal: str) -> User:
        user = self.users[principal]
        assert user is not None, f"{principal} has no account"
        return user

    def pk(self, key: str) -> str:
        """The id of a world object or principal, as the API writes it."""
        obj = self.objects[key] if key in self.objects else self.users[key]
        return str(obj.pk)

    def client(self, principal: str) -> APIClient:
        """A client with a real Bearer access token (the authentication mobile apps use)."""
        client = APIClient()
        user = self.users[principal]
        if user is not None:
            token = AccessToken.for_user(user)
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        return client


@pytest.fixture
def world() -> World:
    patient_a = PatientFactory(email="patient-a@example.com", name="Patient A")
    patient_b = PatientFactory(email="patient-b@example.com", name="Patient B")
    clinician_a = ClinicianFactory(email="clinician-a@example.com")
    clinician_none = ClinicianFactory(email="clinician-none@example.com")
    admin = AdminFactory(email="admin@example.com")
    clinician_b = ClinicianFactory(email="clinician-b@example.com")  # not a principal
    CareRelationshipFactory(clinician=clinician_a, patient=patient_a)
    CareRelationshipFactory(clinician=clinician_b, patient=patient_b)

    exercise_published = ExerciseFactory(slug="published-bridge")
    exercise_draft = ExerciseFactory(slug="draft-bridge", status=Status.DRAFT)
    routine_published = RoutineFactory(slug="published-routine")
    routine_item = RoutineItemFactory(
        routine=routine_published, exercise=exercise_published
    )
    routine_draft = RoutineFactory(slug="draft-routine", status=Status.DRAFT)
    RoutineItemFactory(routine=routine_draft, exercise=exercise_published)

    plan_a = PlanFactory(
        patient=patient_a, prescribed_by=clinician_a, routine=routine_published
    )
    item_a = PlanItemFactory(
        plan=plan_a, exercise=exercise_published, routine_item=routine_item
    )
    plan_b = PlanFactory(
        patient=patient_b, prescribed_by=clinician_b, routine=routine_published
    )
    item_b = PlanItemFactory(
        plan=plan_b, exercise=exercise_published, routine_item=routine_item
    )

    def logged(patient: User, plan: Plan, item: PlanItem, revision: int) -> Session:
        session = SessionFactory(patient=patient, plan=plan, revision=revision)
        entry = SessionExerciseFactory(
            session=session, exercise=item.exercise, plan_item=item
        )
        SessionSetFactory(session_exercise=entry)
        return session

    session_a = logged(patient_a, plan_a, item_a, 1)
    session_b = logged(patient_b, plan_b, item_b, 1)
    tombstone_a = SessionFactory(
        patient=patient_a,
        revision=2,
        version=2,
        deleted_at=timezone.now(),
        ended_at=None,
        pain_before=None,
        pain_after=None,
        effort=None,
    )
    PatientSyncState.objects.create(patient=patient_a, revision=2)
    PatientSyncState.objects.create(patient=patient_b, revision=1)
    nprs = shipped("nprs")

    def answered(patient: User, pain: int) -> QuestionnaireResponse:
        return QuestionnaireResponse.objects.create(
            id=uuid.uuid4(),
            patient=patient,
            questionnaire=nprs,
            authored=timezone.now() - dt.timedelta(days=1),
            items=[{"linkId": "pain", "answer": [{"valueInteger": pain}]}],
            score=pain,
            upload_hash="0" * 64,
        )

    invitation_a, invite_code_a = invitation_create(
        clinician=clinician_a, email="invitee@example.com"
    )
    invitation_b, _ = invitation_create(clinician=clinician_b, email="b@example.com")

    return World(
        users={
            "anonymous": None,
            "patient_a": patient_a,
            "patient_b": patient_b,
            "clinician_a": clinician_a,
            "clinician_none": clinician_none,
            "admin": admin,
        },
        objects={
            "exercise_published": exercise_published,
            "exercise_draft": exercise_draft,
            "routine_published": routine_published,
            "routine_item": routine_item,
            "routine_draft": routine_draft,
            "plan_a": plan_a,
            "item_a": item_a,
            "plan_b": plan_b,
            "item_b": item_b,
            "session_a": session_a,
            "session_b": session_b,
            "tombstone_a": tombstone_a,
            "alert_a": AlertFactory(patient=patient_a, session=session_a),
            "alert_b": AlertFactory(patient=patient_b, session=session_b),
            "nprs": nprs,
            "answers_a": answered(patient_a, 4),
            "answers_b": answered(patient_b, 6),
            "feed_a": CalendarFeed.objects.create(patient=patient_a),
            "feed_gone": type("Gone", (), {"token": "no-such-secret"})(),
            "missing": type("Missing", (), {"pk": uuid.uuid4()})(),
            "invitation_a": invitation_a,
            "invitation_b": invitation_b,
        },
        scratch={"invite_code_a": invite_code_a},
    )


def fingerprint() -> dict[str, Any]:
    """What a write could change, row by row (access log, axes, last_login excluded)."""

    def rows(queryset: Any, *fields: str) -> dict[Any, tuple]:
        return {values[0]: values for values in queryset.values_list("pk", *fields)}

    return {
        "users": rows(
            User.objects,
            "email",
            "name",
            "timezone",
            "role",
            "is_staff",
            "is_superuser",
            "is_active",
            "password",
        ),
        "care": rows(CareRelationship.objects, "clinician_id", "patient_id"),
        "invitations": rows(Invitation.objects, "redeemed_at", "revoked_at"),
        "plans": rows(
            Plan.objects,
            "patient_id",
            "status",
            "note",
            "end_date",
            "days_of_week",
            "times_per_week",
            "updated_at",
        ),
        "plan_items": rows(PlanItem.objects, "plan_id", "sets", "reps", "note"),
        "sessions": rows(
            Session.objects,
            "patient_id",
            "plan_id",
            "version",
            "revision",
            "deleted_at",
            "effort",
            "notes",
            "updated_at",
        ),
        "session_exercises": rows(SessionExercise.objects, "session_id"),
        "session_sets": rows(SessionSet.objects, "session_exercise_id"),
        "exercises": rows(Exercise.objects, "status", "updated_at"),
        "routines": rows(Routine.objects, "status", "updated_at"),
        "outstanding_tokens": rows(OutstandingToken.objects, "user_id"),
        "blacklisted_tokens": rows(BlacklistedToken.objects, "token_id"),
        "alerts": rows(Alert.objects, "status", "acknowledged_by_id", "resolved_by_id"),
        "alert_settings": rows(ClinicianAlertSettings.objects, "daily_digest"),
        "answers": rows(QuestionnaireResponse.objects, "patient_id", "score"),
        "assignments": rows(QuestionnaireAssignment.objects, "plan_id"),
        "calendar_feeds": rows(CalendarFeed.objects, "token"),
    }


# ---------------------------------------------------------------------------
# Cases
# ---------------------------------------------------------------------------
Body = Callable[[World, str], dict[str, Any]]
Effect = Callable[[World, str, Any], None]


@dataclass(frozen=True)
class Case:
    """One request (operation + object + input) and what each principal gets."""

    method: str
    path: str  # the schema's path template, e.g. /api/v1/plans/{id}/
    label: str
    expected: dict[str, int]
    target: str | None = None  # world key put in {id}
    query: dict[str, str] = field(default_factory=dict)  # "@key" = a world id
    body: Body | None = None
    if_match: str | None = None  # world key of the session whose ETag is sent
    # Principal -> world keys expected in ``results`` (checked on 200s).
    listed: dict[str, set[str]] | None = None
    # Keys whose presence is checked; None: the results must be exactly ``listed``.
    universe: frozenset[str] | None = None
    effect: Effect | None = None  # more checks of a 2xx

    @property
    def id(self) -> str:
        return f"{self.method} {self.path.removeprefix(API)} [{self.label}]"

    def url(self, world: World) -> str:
        path = self.path
        if self.target is not None and "{token}" in path:
            path = path.replace("{token}", world.objects[self.target].token)
        elif self.target is not None:
            path = path.replace("{id}", world.pk(self.target))
        return path

    def params(self, world: World) -> dict[str, str]:
        return {
            name: world.pk(value[1:]) if value.startswith("@") else value
            for name, value in self.query.items()
        }


def iso(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


# -- bodies ------------------------------------------------------------------
def register_body(extra: dict[str, Any] | None = None) -> Body:
    def build(world: World, principal: str) -> dict[str, Any]:
        email = f"new-{principal}@example.com"
        world.scratch["email"] = email
        return {
            "email": email,
            "password": "knee-bends-at-dawn",
            "name": "New Patient",
            # Self-registration must never grant a role or staff rights.
            "role": "admin",
            "is_staff": True,
            "is_superuser": True,
            **(extra or {}),
        }

    return build


def taken_email_body(world: World, principal: str) -> dict[str, Any]:
    return {
        "email": world.user("patient_a").email,
        "password": "knee-bends-at-dawn",
        "name": "Impostor",
    }


def credentials_of_a(world: World, principal: str) -> dict[str, Any]:
    return {"email": world.user("patient_a").email, "password": PASSWORD}


def wrong_password_of_a(world: World, principal: str) -> dict[str, Any]:
    return {"email": world.user("patient_a").email, "password": "not-the-password"}


def refresh_of_a(world: World, principal: str) -> dict[str, Any]:
    token = RefreshToken.for_user(world.user("patient_a"))
    world.scratch["jti"] = token["jti"]
    return {"refresh": str(token)}


def garbage_refresh(world: World, principal: str) -> dict[str, Any]:
    return {"refresh": "not-a-token"}


def rename_body(world: World, principal: str) -> dict[str, Any]:
    return {
        "name": "Renamed",
        "timezone": "Europe/Paris",
        # Read-only: a caller must not change their login or promote themselves.
        "email": "someone-else@example.com",
        "role": "admin",
    }


def erase_body(world: World, principal: str) -> dict[str, Any]:
    return {"password": PASSWORD}


def password_body(world: World, principal: str) -> dict[str, Any]:
    return {"current_password": PASSWORD, "new_password": NEW_PASSWORD}


def prescription(patient: str, routine: str = "routine_published") -> Body:
    def build(world: World, principal: str) -> dict[str, Any]:
        return {
            "patient": world.pk(patient),
            "routine": world.pk(routine),
            "title": "Prescribed in the matrix",
            "start_date": "2026-03-02",
            "days_of_week": [2, 4],
            "note": "Matrix prescription.",
        }

    return build


def pause_body(world: World, principal: str) -> dict[str, Any]:
    return {"status": "paused", "note": "Paused by the matrix."}


def adjust_item_of_b(world: World, principal: str) -> dict[str, Any]:
    return {"items": [{"id": world.objects["item_b"].pk, "sets": 9}]}


def upload(
    *,
    session_id: str | None = None,
    plan: str | None = None,
    exercise: str = "exercise_published",
) -> Body:
    def build(world: World, principal: str) -> dict[str, Any]:
        started = (timezone.now() - dt.timedelta(hours=1)).replace(microsecond=0)
        exercise_entry: dict[str, Any] = {
            "exercise": world.pk(exercise),
            "status": "done",
            "sets": [{"side": "both", "reps": 10}],
        }
        body: dict[str, Any] = {
            "id": world.pk(session_id) if session_id else str(uuid.uuid4()),
            "started_at": iso(started),
            "ended_at": iso(started + dt.timedelta(minutes=20)),
            "pain_before": 3,
            "pain_after": 2,
            "effort": 4,
            "notes": "Uploaded by the matrix.",
            "exercises": [exercise_entry],
        }
        if plan is not None:
            body["plan"] = world.pk(plan)
            exercise_entry["plan_item"] = world.objects[
                "item_a" if plan == "plan_a" else "item_b"
            ].pk
        world.scratch["session_id"] = body["id"]
        return body

    return build


def effort_body(world: World, principal: str) -> dict[str, Any]:
    return {"effort": 1, "notes": "Edited by the matrix."}


def move_to_plan_b(world: World, principal: str) -> dict[str, Any]:
    return {"plan": world.pk("plan_b")}


# -- effects (checked on 2xx) ------------------------------------------------
def registered_a_patient(world: World, principal: str, response: Any) -> None:
    user = User.objects.get(email=world.scratch["email"])
    assert (user.role, user.is_staff, user.is_superuser) == ("patient", False, False)
    assert response.json()["role"] == "patient"


def tokens_for(key: str) -> Effect:
    def check(world: World, principal: str, response: Any) -> None:
        access = AccessToken(response.json()["access"])
        assert access["user_id"] == world.pk(key)

    return check


def refresh_revoked(world: World, principal: str, response: Any) -> None:
    assert BlacklistedToken.objects.filter(token__jti=world.scratch["jti"]).exists()


def is_the_caller(world: World, principal: str, response: Any) -> None:
    assert response.json()["id"] == world.pk(principal)


def is_object(key: str) -> Effect:
    def check(world: World, principal: str, response: Any) -> None:
        assert response.json()["id"] == world.pk(key)

    return check


def sync_cursor_is(expected: dict[str, int | None]) -> Effect:
    """The cursor given is the caller's own or that of a patient they may read, never more."""

    def check(world: World, principal: str, response: Any) -> None:
        assert response.json()["sync_cursor"] == expected[principal]

    return check


def renamed_only(world: World, principal: str, response: Any) -> None:
    before = world.user(principal)
    after = User.objects.get(pk=before.pk)
    assert (after.name, after.timezone) == ("Renamed", "Europe/Paris")
    assert (after.email, after.role) == (before.email, before.role)


def erased(world: World, principal: str, response: Any) -> None:
    assert not User.objects.filter(pk=world.user(principal).pk).exists()
    other = "patient_b" if principal == "patient_a" else "patient_a"
    assert Session.objects.filter(patient=world.user(other)).exists()
    assert Plan.objects.filter(patient=world.user(other)).exists()


def password_changed(world: World, principal: str, response: Any) -> None:
    assert User.objects.get(pk=world.user(principal).pk).check_password(NEW_PASSWORD)


def export_is_the_callers(world: World, principal: str, response: Any) -> None:
    data = response.json()
    user = world.user(principal)
    assert data["profile"]["id"] == str(user.pk)
    assert {plan["id"] for plan in data["plans"]} == {
        str(pk) for pk in Plan.objects.filter(patient=user).values_list("pk", flat=True)
    }
    assert {session["id"] for session in data["sessions"]} == {
        str(pk)
        for pk in Session.objects.filter(patient=user).values_list("pk", flat=True)
    }


def prescribed_to(key: str) -> Effect:
    def check(world: World, principal: str, response: Any) -> None:
        plan = Plan.objects.get(pk=response.json()["id"])
        assert plan.patient_id == world.user(key).pk
        assert plan.prescribed_by_id == world.user(principal).pk
        assert plan.items.count() == 1

    return check


def nprs_answers(answers_id: str | None) -> Body:
    def build(world: World, principal: str) -> dict[str, Any]:
        return {
            "id": world.pk(answers_id) if answers_id else str(uuid.uuid4()),
            "questionnaire": world.pk("nprs"),
            "authored": iso(timezone.now() - dt.timedelta(minutes=5)),
            "item": [{"linkId": "pain", "answer": [{"valueInteger": 9}]}],
        }

    return build


def assignment_to(plan: str) -> Body:
    def build(world: World, principal: str) -> dict[str, Any]:
        return {"plan": world.pk(plan), "questionnaire": world.pk("nprs")}

    return build


def alert_handled(key: str, status: str) -> Effect:
    def check(world: World, principal: str, response: Any) -> None:
        alert = Alert.objects.get(pk=world.objects[key].pk)
        assert (alert.status, alert.note) == (status, "Seen by the matrix.")
        assert alert.acknowledged_by_id == world.user(principal).pk

    return check


def paused(world: World, principal: str, response: Any) -> None:
    plan = Plan.objects.get(pk=response.json()["id"])
    assert (plan.status, plan.note) == ("paused", "Paused by the matrix.")


def uploaded_by_the_caller(world: World, principal: str, response: Any) -> None:
    session = Session.objects.get(pk=world.scratch["session_id"])
    assert session.patient_id == world.user(principal).pk
    assert session.exercises.count() == 1


def edited(key: str) -> Effect:
    def check(world: World, principal: str, response: Any) -> None:
        session = Session.objects.get(pk=world.objects[key].pk)
        assert (session.effort, session.version) == (1, 2)

    return check


def deleted(key: str) -> Effect:
    def check(world: World, principal: str, response: Any) -> None:
        assert Session.objects.get(pk=world.objects[key].pk).deleted_at is not None

    return check


def progress_of(key: str | None) -> Effect:
    """The progress read is about ``key`` (None: about the caller)."""

    def check(world: World, principal: str, response: Any) -> None:
        assert response.json()["patient"] == world.pk(key or principal)

    return check


# -- the matrix ----------------------------------------------------------------
STAFF_SEE_DRAFTS = row(
    set(),
    set(),
    set(),
    {"draft"},
    {"draft"},
    {"draft"},
)


def library_listing(kind: str) -> dict[str, set[str]]:
    return {
        who: {f"{kind}_published"} | {f"{kind}_{extra}" for extra in drafts}
        for who, drafts in STAFF_SEE_DRAFTS.items()
    }


PATIENTS = f"{API}/patients/"
ALERTS = f"{API}/alerts/"
ANSWERS = f"{API}/questionnaire-responses/"
INVITATIONS = f"{API}/invitations/"


def own_invitations(world: World, principal: str, response: Any) -> None:
    ids = {item["id"] for item in response.json()["results"]}
    mine = principal in ("clinician_a", "admin")
    assert (world.objects["invitation_a"].pk in ids) == mine
    assert all("code" not in item for item in response.json()["results"])


def invitation_sent(world: World, principal: str, response: Any) -> None:
    assert response.json()["code"]
    assert Invitation.objects.filter(
        clinician=world.user(principal), email="someone@example.com"
    ).exists()


def invitation_revoked(world: World, principal: str, response: Any) -> None:
    assert response.json()["status"] == "revoked"


def redeemed_into_care(world: World, principal: str, response: Any) -> None:
    assert response.json()["in_care"] is True
    assert CareRelationship.objects.filter(
        clinician=world.user("clinician_a"), patient=world.user(principal)
    ).exists()


def invite_code_body(world: World, principal: str) -> dict[str, Any]:
    return {"code": world.scratch["invite_code_a"]}


PLANS = f"{API}/plans/"
SESSIONS = f"{API}/sessions/"
SYNC_A = {"patient": "@patient_a", "updated_since": "0"}

CASES: list[Case] = [
    # -- the API's own description (public; credentials are not even read) -------
    Case("GET", f"{API}/", "public", every(200)),
    Case("GET", f"{API}/status/", "public", every(200)),
    # -- library (public reads) ------------------------------------------------
    Case(
        "GET",
        f"{API}/exercises/",
        "drafts for staff only",
        every(200),
        listed=library_listing("exercise"),
        universe=frozenset({"exercise_published", "exercise_draft"}),
    ),
    Case(
        "GET",
        f"{API}/exercises/{{id}}/",
        "published",
        every(200),
        target="exercise_published",
    ),
    Case(
        "GET",
        f"{API}/exercises/{{id}}/",
        "draft",
        row(404, 404, 404, 200, 200, 200),
        target="exercise_draft",
    ),
    Case(
        "GET",
        f"{API}/routines/",
        "drafts for staff only",
        every(200),
        listed=library_listing("routine"),
        universe=frozenset({"routine_published", "routine_draft"}),
    ),
    Case(
        "GET",
        f"{API}/routines/{{id}}/",
        "published",
        every(200),
        target="routine_published",
    ),
    Case(
        "GET",
        f"{API}/routines/{{id}}/",
        "draft",
        row(404, 404, 404, 200, 200, 200),
        target="routine_draft",
    ),
    Case("GET", f"{API}/muscles/", "public", every(200)),
    Case("GET", f"{API}/equipment/", "public", every(200)),
    Case("GET", f"{API}/conditions/", "public", every(200)),
    # -- auth (the credential is in the body; the caller does not matter) --------
    Case(
        "POST",
        f"{API}/auth/register/",
        "always a patient",
        every(201),
        body=register_body(),
        effect=registered_a_patient,
    ),
    Case(
        "POST",
        f"{API}/auth/register/",
        "email taken",
        every(400),
        body=taken_email_body,
    ),
    Case(
        "POST",
        f"{API}/auth/token/",
        "patient A's credentials",
        every(200),
        body=credentials_of_a,
        effect=tokens_for("patient_a"),
    ),
    Case(
        "POST",
        f"{API}/auth/token/",
        "wrong password",
        every(401),
        body=wrong_password_of_a,
    ),
    Case(
        "POST",
        f"{API}/auth/token/refresh/",
        "patient A's refresh token",
        every(200),
        body=refresh_of_a,
        effect=tokens_for("patient_a"),
    ),
    Case(
        "POST",
        f"{API}/auth/token/refresh/",
        "not a token",
        every(401),
        body=garbage_refresh,
    ),
    Case(
        "POST",
        f"{API}/auth/logout/",
        "patient A's refresh token",
        every(204),
        body=refresh_of_a,
        effect=refresh_revoked,
    ),
    Case(
        "POST",
        f"{API}/auth/logout/",
        "not a token",
        every(401),
        body=garbage_refresh,
    ),
    # -- me (always the caller's own account) ------------------------------------
    Case("GET", f"{API}/me/", "own", authenticated(200), effect=is_the_caller),
    Case(
        "PATCH",
        f"{API}/me/",
        "name and time zone only",
        authenticated(200),
        body=rename_body,
        effect=renamed_only,
    ),
    Case(
        "DELETE",
        f"{API}/me/",
        "patients only, with the current password",
        row(401, 204, 204, 403, 403, 403),
        body=erase_body,
        effect=erased,
    ),
    Case(
        "POST",
        f"{API}/me/password/",
        "own",
        authenticated(204),
        body=password_body,
        effect=password_changed,
    ),
    Case(
        "GET",
        f"{API}/me/export/",
        "own data only",
        authenticated(200),
        effect=export_is_the_callers,
    ),
    # -- invitations (clinicians send and revoke; patients redeem) ----------------
    Case(
        "GET",
        INVITATIONS,
        "own invitations",
        row(401, 403, 403, 200, 200, 200),
        effect=own_invitations,
    ),
    Case(
        "POST",
        INVITATIONS,
        "clinicians invite (admins are in nobody's care team)",
        row(401, 403, 403, 201, 201, 403),
        body=lambda world, principal: {"email": "someone@example.com"},
        effect=invitation_sent,
    ),
    Case(
        "POST",
        f"{INVITATIONS}{{id}}/revoke/",
        "clinician A's invitation",
        row(401, 403, 403, 200, 404, 200),
        target="invitation_a",
        effect=invitation_revoked,
    ),
    Case(
        "POST",
        f"{INVITATIONS}{{id}}/revoke/",
        "another clinician's invitation",
        row(401, 403, 403, 404, 404, 200),
        target="invitation_b",
        effect=invitation_revoked,
    ),
    Case(
        "POST",
        f"{API}/me/invitations/redeem/",
        "patients only",
        row(401, 200, 200, 403, 403, 403),
        body=invite_code_body,
        effect=redeemed_into_care,
    ),
    # -- patients (care staff only) --------------------------------------------
    Case(
        "GET",
        PATIENTS,
        "care list",
        row(401, 403, 403, 200, 200, 200),
        listed=row(None, None, None, {"patient_a"}, set(), {"patient_a", "patient_b"}),
    ),
    Case(
        "GET",
        f"{PATIENTS}{{id}}/",
        "patient A",
        row(401, 403, 403, 200, 404, 200),
        target="patient_a",
        effect=is_object("patient_a"),
    ),
    Case(
        "GET",
        f"{PATIENTS}{{id}}/",
        "patient B",
        row(401, 403, 403, 404, 404, 200),
        target="patient_b",
    ),
    Case(
        "GET",
        f"{PATIENTS}{{id}}/",
        "a clinician is not a patient",
        row(401, 403, 403, 404, 404, 404),
        target="clinician_a",
    ),
    Case(
        "GET",
        f"{PATIENTS}{{id}}/",
        "missing",
        row(401, 403, 403, 404, 404, 404),
        target="missing",
    ),
    # -- plans ------------------------------------------------------------------
    Case(
        "GET",
        PLANS,
        "scoped",
        authenticated(200),
        listed=row(
            None, {"plan_a"}, {"plan_b"}, {"plan_a"}, set(), {"plan_a", "plan_b"}
        ),
    ),
    Case(
        "GET",
        PLANS,
        "?patient=A",
        authenticated(200),
        query={"patient": "@patient_a"},
        listed=row(None, {"plan_a"}, set(), {"plan_a"}, set(), {"plan_a"}),
    ),
    Case(
        "GET",
        PLANS,
        "?patient=B",
        authenticated(200),
        query={"patient": "@patient_b"},
        listed=row(None, set(), {"plan_b"}, set(), set(), {"plan_b"}),
    ),
    Case(
        "GET",
        f"{PLANS}{{id}}/",
        "A's plan",
        row(401, 200, 404, 200, 404, 200),
        target="plan_a",
    ),
    Case(
        "GET",
        f"{PLANS}{{id}}/",
        "B's plan",
        row(401, 404, 200, 404, 404, 200),
        target="plan_b",
    ),
    Case(
        "GET",
        f"{PLANS}{{id}}/",
        "missing",
        authenticated(404),
        target="missing",
    ),
    Case(
        "POST",
        PLANS,
        "for patient A",
        row(401, 403, 403, 201, 400, 201),
        body=prescription("patient_a"),
        effect=prescribed_to("patient_a"),
    ),
    Case(
        "POST",
        PLANS,
        "for patient B",
        row(401, 403, 403, 400, 400, 201),
        body=prescription("patient_b"),
        effect=prescribed_to("patient_b"),
    ),
    Case(
        "POST",
        PLANS,
        "draft routine for patient A",
        row(401, 403, 403, 400, 400, 400),
        body=prescription("patient_a", routine="routine_draft"),
    ),
    Case(
        "PATCH",
        f"{PLANS}{{id}}/",
        "pause A's plan",
        row(401, 403, 404, 200, 404, 200),
        target="plan_a",
        body=pause_body,
        effect=paused,
    ),
    Case(
        "PATCH",
        f"{PLANS}{{id}}/",
        "pause B's plan",
        row(401, 404, 403, 404, 404, 200),
        target="plan_b",
        body=pause_body,
        effect=paused,
    ),
    Case(
        "PATCH",
        f"{PLANS}{{id}}/",
        "A's plan with an item of B's",
        row(401, 403, 404, 400, 404, 400),
        target="plan_a",
        body=adjust_item_of_b,
    ),
    Case(
        "PATCH",
        f"{PLANS}{{id}}/",
        "missing",
        row(401, 404, 404, 404, 404, 404),
        target="missing",
        body=pause_body,
    ),
    # -- sessions ---------------------------------------------------------------
    Case(
        "GET",
        SESSIONS,
        "scoped",
        authenticated(200),
        listed=row(
            None,
            {"session_a"},
            {"session_b"},
            {"session_a"},
            set(),
            {"session_a", "session_b"},
        ),
    ),
    Case(
        "GET",
        SESSIONS,
        "?patient=A",
        authenticated(200),
        query={"patient": "@patient_a"},
        listed=row(None, {"session_a"}, set(), {"session_a"}, set(), {"session_a"}),
        # A's latest change number is 2 and B's 1: nobody learns A's unless allowed.
        effect=sync_cursor_is(row(None, 2, 1, 2, None, 2)),
    ),
    Case(
        "GET",
        SESSIONS,
        "?patient=B",
        authenticated(200),
        query={"patient": "@patient_b"},
        listed=row(None, set(), {"session_b"}, set(), set(), {"session_b"}),
    ),
    Case(
        "GET",
        SESSIONS,
        "sync own",
        row(401, 200, 200, 400, 400, 400),
        query={"updated_since": "0"},
        listed=row(None, {"session_a", "tombstone_a"}, {"session_b"}, None, None, None),
    ),
    Case(
        "GET",
        SESSIONS,
        "sync ?patient=A",
        authenticated(200),
        query=SYNC_A,
        listed=row(
            None,
            {"session_a", "tombstone_a"},
            set(),
            {"session_a", "tombstone_a"},
            set(),
            {"session_a", "tombstone_a"},
        ),
    ),
    Case(
        "GET",
        f"{SESSIONS}{{id}}/",
        "A's session",
        row(401, 200, 404, 200, 404, 200),
        target="session_a",
    ),
    Case(
        "GET",
        f"{SESSIONS}{{id}}/",
        "B's session",
        row(401, 404, 200, 404, 404, 200),
        target="session_b",
    ),
    Case(
        "GET",
        f"{SESSIONS}{{id}}/",
        "A's tombstone",
        authenticated(404),
        target="tombstone_a",
    ),
    Case(
        "POST",
        SESSIONS,
        "free session",
        row(401, 201, 201, 403, 403, 403),
        body=upload(),
        effect=uploaded_by_the_caller,
    ),
    Case(
        "POST",
        SESSIONS,
        "following A's plan",
        row(401, 201, 400, 403, 403, 403),
        body=upload(plan="plan_a"),
        effect=uploaded_by_the_caller,
    ),
    Case(
        "POST",
        SESSIONS,
        "a draft exercise",
        row(401, 400, 400, 403, 403, 403),
        body=upload(exercise="exercise_draft"),
    ),
    Case(
        "POST",
        SESSIONS,
        "the id of A's session",
        row(401, 409, 409, 403, 403, 403),
        body=upload(session_id="session_a"),
    ),
    Case(
        "POST",
        SESSIONS,
        "the id of A's tombstone",
        row(401, 409, 409, 403, 403, 403),
        body=upload(session_id="tombstone_a"),
    ),
    Case(
        "PATCH",
        f"{SESSIONS}{{id}}/",
        "A's session",
        row(401, 200, 404, 403, 404, 403),
        target="session_a",
        body=effort_body,
        if_match="session_a",
        effect=edited("session_a"),
    ),
    Case(
        "PATCH",
        f"{SESSIONS}{{id}}/",
        "B's session",
        row(401, 404, 200, 404, 404, 403),
        target="session_b",
        body=effort_body,
        if_match="session_b",
        effect=edited("session_b"),
    ),
    Case(
        "PATCH",
        f"{SESSIONS}{{id}}/",
        "A's session onto B's plan",
        row(401, 400, 404, 403, 404, 403),
        target="session_a",
        body=move_to_plan_b,
        if_match="session_a",
    ),
    Case(
        "PATCH",
        f"{SESSIONS}{{id}}/",
        "A's tombstone",
        authenticated(404),
        target="tombstone_a",
        body=effort_body,
        if_match="tombstone_a",
    ),
    Case(
        "DELETE",
        f"{SESSIONS}{{id}}/",
        "A's session",
        row(401, 204, 404, 403, 404, 403),
        target="session_a",
        effect=deleted("session_a"),
    ),
    Case(
        "DELETE",
        f"{SESSIONS}{{id}}/",
        "B's session",
        row(401, 404, 204, 404, 404, 403),
        target="session_b",
        effect=deleted("session_b"),
    ),
    Case(
        "DELETE",
        f"{SESSIONS}{{id}}/",
        "A's tombstone",
        authenticated(404),
        target="tombstone_a",
    ),
    # -- progress ---------------------------------------------------------------
    Case(
        "GET",
        f"{API}/progress/",
        "own (staff must name a patient)",
        row(401, 200, 200, 400, 400, 400),
        effect=progress_of(None),
    ),
    Case(
        "GET",
        f"{API}/progress/",
        "?patient=A",
        row(401, 200, 404, 200, 404, 200),
        query={"patient": "@patient_a"},
        effect=progress_of("patient_a"),
    ),
    Case(
        "GET",
        f"{API}/progress/",
        "?patient=B",
        row(401, 404, 200, 404, 404, 200),
        query={"patient": "@patient_b"},
        effect=progress_of("patient_b"),
    ),
    # -- alerts (the care team's; patients get 403) --------------------------------
    Case(
        "GET",
        ALERTS,
        "care team's patients",
        row(401, 403, 403, 200, 200, 200),
        listed=row(None, None, None, {"alert_a"}, set(), {"alert_a", "alert_b"}),
    ),
    Case(
        "GET",
        f"{ALERTS}{{id}}/",
        "A's",
        row(401, 403, 403, 200, 404, 200),
        target="alert_a",
        effect=is_object("alert_a"),
    ),
    Case(
        "GET",
        f"{ALERTS}{{id}}/",
        "B's",
        row(401, 403, 403, 404, 404, 200),
        target="alert_b",
    ),
    *[
        Case(
            "POST",
            f"{ALERTS}{{id}}/{name}/",
            label,
            expected,
            target=target,
            body=lambda world, principal: {"note": "Seen by the matrix."},
            effect=alert_handled(target, status),
        )
        for name, status in [("acknowledge", "acknowledged"), ("resolve", "resolved")]
        for label, target, expected in [
            ("A's", "alert_a", row(401, 403, 403, 200, 404, 200)),
            ("B's", "alert_b", row(401, 403, 403, 404, 404, 200)),
        ]
    ],
    Case(
        "GET",
        f"{API}/me/alert-settings/",
        "clinicians only",
        row(401, 403, 403, 200, 200, 403),
    ),
    Case(
        "PATCH",
        f"{API}/me/alert-settings/",
        "clinicians only",
        row(401, 403, 403, 200, 200, 403),
        body=lambda world, principal: {"daily_digest": True},
    ),
    # -- outcome measures ------------------------------------------------------------
    Case("GET", f"{API}/questionnaires/", "signed-in users", authenticated(200)),
    Case(
        "GET",
        f"{API}/me/questionnaires/due/",
        "patients only",
        row(401, 200, 200, 403, 403, 403),
    ),
    Case(
        "GET",
        ANSWERS,
        "own or the care team's",
        authenticated(200),
        listed=row(
            None,
            {"answers_a"},
            {"answers_b"},
            {"answers_a"},
            set(),
            {"answers_a", "answers_b"},
        ),
    ),
    Case(
        "GET",
        f"{ANSWERS}{{id}}/",
        "A's",
        row(401, 200, 404, 200, 404, 200),
        target="answers_a",
        effect=is_object("answers_a"),
    ),
    Case(
        "GET",
        f"{ANSWERS}{{id}}/",
        "B's",
        row(401, 404, 200, 404, 404, 200),
        target="answers_b",
    ),
    Case(
        "POST",
        ANSWERS,
        "new answers",
        row(401, 201, 201, 403, 403, 403),
        body=nprs_answers(None),
    ),
    Case(
        "POST",
        ANSWERS,
        "A's id, another body",
        row(401, 409, 409, 403, 403, 403),
        body=nprs_answers("answers_a"),
    ),
    Case(
        "POST",
        f"{API}/questionnaire-assignments/",
        "A's plan",
        row(401, 403, 403, 201, 400, 201),
        body=assignment_to("plan_a"),
    ),
    Case(
        "POST",
        f"{API}/questionnaire-assignments/",
        "B's plan",
        row(401, 403, 403, 400, 400, 201),
        body=assignment_to("plan_b"),
    ),
    # -- reminders -----------------------------------------------------------------
    *[
        Case(
            "GET",
            f"{API}/me/{name}/",
            "patients only",
            row(401, 200, 200, 403, 403, 403),
        )
        for name in ("today", "calendar")
    ],
    Case(
        "POST",
        f"{API}/me/calendar/rotate/",
        "patients only",
        row(401, 200, 200, 403, 403, 403),
    ),
    Case(
        "GET",
        f"{API}/calendar/{{token}}.ics",
        "the secret is the credential",
        every(200),
        target="feed_a",
    ),
    Case(
        "GET",
        f"{API}/calendar/{{token}}.ics",
        "unknown or rotated secret",
        every(404),
        target="feed_gone",
    ),
]


def _prepare(world: World, case: Case, principal: str) -> Callable[[], Any]:
    """Build the request (bodies may create tokens) and return what sends it."""
    client = world.client(principal)
    send = getattr(client, case.method.lower())
    url = case.url(world)
    kwargs: dict[str, Any] = {"format": "json"}
    if case.if_match is not None:
        kwargs["headers"] = {"If-Match": world.objects[case.if_match].etag}
    if case.method == "GET":
        data = case.params(world)
    else:
        data = case.body(world, principal) if case.body is not None else None
    return lambda: send(url, data, **kwargs)


def _results(world: World, case: Case, principal: str, response: Any) -> None:
    expected_keys = case.listed[principal] if case.listed else None
    if expected_keys is None:
        return
    listed = {item["id"] for item in response.json()["results"]}
    if case.universe is None:
        assert listed == {world.pk(key) for key in expected_keys}
    else:
        present = {key for key in case.universe if world.pk(key) in listed}
        assert present == expected_keys


def _problem(response: Any) -> None:
    assert response["Content-Type"] == PROBLEM_CONTENT_TYPE
    body = response.json()
    assert body["status"] == response.status_code
    if response.status_code == 401:
        # RFC 9110: a 401 names the scheme to use.
        assert response["WWW-Authenticate"].startswith("Bearer")
    if response.status_code == 404:
        # Someone else's object reads exactly like a missing one.
        assert (body["code"], body["detail"]) == ("not_found", "Not found.")
    if response.status_code == 403:
        assert body["code"] == "permission_denied"


@pytest.mark.parametrize("principal", PRINCIPALS)
@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_matrix(world, case, principal):
    send = _prepare(world, case, principal)
    before = fingerprint()

    response = send()

    expected = case.expected[principal]
    assert response.status_code == expected, response.content
    after = fingerprint()
    if expected >= 400:
        _problem(response)
        assert after == before, "a refused request changed data"
        return
    if case.method == "GET":
        assert after == before, "a read changed data"
    else:
        assert after != before, "a successful write changed nothing"
    _results(world, case, principal, response)
    if case.effect is not None:
        case.effect(world, principal, response)


# ---------------------------------------------------------------------------
# The matrix covers the whole schema
# ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def schema_operations() -> dict[tuple[str, str], dict[str, Any]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {
        (method.upper(), path): operation
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in HTTP_METHODS
    }


def test_every_schema_operation_is_in_the_matrix(schema_operations):
    covered = {(case.method, case.path) for case in CASES}

    assert set(schema_operations) - covered == set(), "operations missing from CASES"
    assert covered - set(schema_operations) == set(), "CASES name unknown operations"


def test_the_schema_marks_as_protected_exactly_what_refuses_anonymous_callers(
    schema_operations,
):
    for operation_key, operation in schema_operations.items():
        security = operation.get("security")
        # drf-spectacular lists {} among the schemes when anonymous access is allowed.
        protected = bool(security) and {} not in security
        anonymous = {
            case.expected["anonymous"]
            for case in CASES
            if (case.method, case.path) == operation_key
        }
        if protected:
            assert anonymous == {401}, operation_key
        else:
            assert anonymous - {401}, operation_key


def _api_routes(patterns: list[Any], prefix: str = "") -> list[tuple[str, Any]]:
    routes = []
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            routes += _api_routes(pattern.url_patterns, route)
        elif route.startswith("api/v1/"):
            routes.append((route, pattern.callback))
    return routes


def test_every_api_route_is_a_view_of_the_schema():
    """No URL under /api/v1/ escapes the schema (and so the coverage check above)."""
    in_schema = {
        callback.cls for *_, callback in EndpointEnumerator().get_api_endpoints()
    }
    routes = _api_routes(get_resolver().url_patterns)

    assert routes
    for route, callback in routes:
        assert getattr(callback, "cls", None) in in_schema, route


def test_every_operation_on_an_id_is_tried_on_a_hidden_object():
    """Each operation on an {id} is tried on someone else's object or a hidden one."""
    foreign = {
        "plan_b",
        "session_b",
        "patient_b",
        "exercise_draft",
        "routine_draft",
        "alert_b",
        "answers_b",
        "invitation_b",
    }
    for method, path in {(case.method, case.path) for case in CASES}:
        if "{id}" not in path:
            continue
        targets = {
            case.target for case in CASES if (case.method, case.path) == (method, path)
        }
        assert targets & foreign, f"{method} {path} is never tried on a hidden object"


# ---------------------------------------------------------------------------
# Library details: every content status (the matrix above covers published/draft)
# ---------------------------------------------------------------------------
ROLES = ["anonymous", "patient", "clinician", "admin"]
STAFF = {"clinician", "admin"}
UNPUBLISHED = [Status.DRAFT, Status.IN_REVIEW, Status.ARCHIVED]


@pytest.fixture
def cast():
    """One user per role; the clinician authored the content below, the admin did not."""
    return {
        "anonymous": None,
        "patient": PatientFactory(),
        "clinician": ClinicianFactory(),
        "admin": AdminFactory(),
    }


def client_as(cast, role) -> APIClient:
    user = cast[role]
    return APIClient() if user is None else client_for(user)


@pytest.fixture
def content(cast):
    """An exercise and a routine in every status, authored by the clinician."""
    author = cast["clinician"]
    return {
        status: {
            "exercise": ExerciseFactory(status=status, author=author),
            "routine": RoutineFactory(status=status, author=author),
        }
        for status in Status.values
    }


# (role, status) -> expected status code of GET on the detail.
DETAIL_MATRIX = [
    (role, status, 200 if status == Status.PUBLISHED or role in STAFF else 404)
    for role in ROLES
    for status in Status.values
]


@pytest.mark.parametrize("kind", ["exercise", "routine"])
@pytest.mark.parametrize(("role", "status", "expected"), DETAIL_MATRIX)
def test_detail_read_matrix(cast, content, kind, role, status, expected):
    obj = content[status][kind]

    response = client_as(cast, role).get(f"/api/v1/{kind}s/{obj.pk}/")

    assert response.status_code == expected
    if expected == 200:
        assert response.json()["status"] == status


@pytest.mark.parametrize("kind", ["exercise", "routine"])
@pytest.mark.parametrize("role", ROLES)
def test_list_read_matrix(cast, content, kind, role):
    response = client_as(cast, role).get(f"/api/v1/{kind}s/")

    assert response.status_code == 200
    listed = {item["id"] for item in response.json()["results"]}
    visible = Status.values if role in STAFF else [Status.PUBLISHED]
    assert listed == {str(content[status][kind].pk) for status in visible}


WRITES = [
    ("post", "exercises/"),
    ("put", "exercises/{exercise}/"),
    ("patch", "exercises/{exercise}/"),
    ("delete", "exercises/{exercise}/"),
    ("post", "routines/"),
    ("put", "routines/{routine}/"),
    ("patch", "routines/{routine}/"),
    ("delete", "routines/{routine}/"),
    ("post", "muscles/"),
    ("post", "equipment/"),
    ("post", "conditions/"),
]


@pytest.mark.parametrize(("method", "path"), WRITES)
@pytest.mark.parametrize("role", ROLES)
def test_library_is_read_only_through_the_api(cast, content, role, method, path):
    published = content[Status.PUBLISHED]
    url = "/api/v1/" + path.format(
        exercise=published["exercise"].pk, routine=published["routine"].pk
    )

    response = getattr(client_as(cast, role), method)(url, {}, format="json")

    assert response.status_code == 405
    published["exercise"].refresh_from_db()
    assert published["exercise"].status == Status.PUBLISHED


@pytest.mark.parametrize("status", UNPUBLISHED)
def test_patient_cannot_reach_unpublished_content_through_filters(
    cast, content, status
):
    client = client_as(cast, "patient")

    exercises = client.get("/api/v1/exercises/", {"status": status}).json()
    routines = client.get("/api/v1/routines/", {"status": status}).json()

    assert exercises["count"] == 0
    assert routines["count"] == 0


# ---------------------------------------------------------------------------
# Methods outside the schema, revocation
# ---------------------------------------------------------------------------
GET_CASES = [case for case in CASES if case.method == "GET"]


@pytest.mark.parametrize("case", GET_CASES, ids=[case.id for case in GET_CASES])
def test_head_answers_like_get(world, case):
    for principal in PRINCIPALS:
        client = world.client(principal)
        url, params = case.url(world), case.params(world)

        head = client.head(url, params)

        assert head.status_code == case.expected[principal], principal
        assert head.content == b""


PROTECTED_GETS = [case for case in GET_CASES if case.expected["anonymous"] == 401]


@pytest.mark.parametrize(
    "case", PROTECTED_GETS, ids=[case.id for case in PROTECTED_GETS]
)
def test_options_needs_authentication_where_get_does(world, case):
    response = world.client("anonymous").options(case.url(world))

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_ending_the_care_relationship_ends_the_clinicians_access_at_once(world):
    client = world.client("clinician_a")
    reads = [
        f"{PLANS}{world.pk('plan_a')}/",
        f"{SESSIONS}{world.pk('session_a')}/",
        f"{PATIENTS}{world.pk('patient_a')}/",
        f"{API}/progress/?patient={world.pk('patient_a')}",
    ]
    assert [client.get(url).status_code for url in reads] == [200] * len(reads)

    CareRelationship.objects.filter(clinician=world.user("clinician_a")).delete()

    assert [client.get(url).status_code for url in reads] == [404] * len(reads)
    assert client.get(PLANS).json()["results"] == []
    assert client.get(SESSIONS).json()["results"] == []


@pytest.mark.parametrize("principal", PRINCIPALS[1:])
def test_a_deactivated_accounts_access_token_is_refused(world, principal):
    client = world.client(principal)  # token issued while active
    User.objects.filter(pk=world.user(principal).pk).update(is_active=False)

    response = client.get(f"{API}/me/")

    assert response.status_code == 401
    assert response["Content-Type"] == PROBLEM_CONTENT_TYPE


# ---------------------------------------------------------------------------
# FHIR R4 (/fhir/r4/, integrations.fhir): not OpenAPI operations, the same rules
# ---------------------------------------------------------------------------
FHIR = "/fhir/r4"


@dataclass(frozen=True)
class FhirCase:
    path: str  # a FHIR path; {id} is replaced by the target's id
    expected: dict[str, int]
    target: str | None = None
    listed: dict[str, set[str]] | None = None  # principal -> world keys in the Bundle

    @property
    def id(self) -> str:
        return f"GET {self.path} [{self.target or 'search'}]"


def _fhir_read(resource: str, target: str, expected: dict[str, int]) -> FhirCase:
    return FhirCase(f"{FHIR}/{resource}/{{id}}", expected, target=target)


A_ONLY = row(401, 200, 404, 200, 404, 200)
B_ONLY = row(401, 404, 200, 404, 404, 200)
NOBODY = row(401, 404, 404, 404, 404, 404)
FHIR_CASES = [
    FhirCase(f"{FHIR}/metadata", every(200)),
    _fhir_read("Patient", "patient_a", A_ONLY),
    _fhir_read("Patient", "patient_b", B_ONLY),
    _fhir_read("Patient", "clinician_a", NOBODY),
    _fhir_read("Practitioner", "clinician_a", row(401, 200, 404, 200, 404, 200)),
    _fhir_read("Practitioner", "clinician_none", row(401, 404, 404, 404, 200, 200)),
    _fhir_read("Practitioner", "patient_a", NOBODY),
    _fhir_read("CarePlan", "plan_a", A_ONLY),
    _fhir_read("CarePlan", "plan_b", B_ONLY),
    _fhir_read("CarePlan", "missing", NOBODY),
    _fhir_read("ServiceRequest", "item_a", A_ONLY),
    _fhir_read("ServiceRequest", "item_b", B_ONLY),
    _fhir_read("Observation", "session_a", A_ONLY),
    _fhir_read("Observation", "session_b", B_ONLY),
    _fhir_read("Observation", "tombstone_a", row(401, 410, 404, 410, 404, 410)),
    _fhir_read("Observation", "missing", NOBODY),
    _fhir_read("QuestionnaireResponse", "answers_a", A_ONLY),
    _fhir_read("QuestionnaireResponse", "answers_b", B_ONLY),
    _fhir_read("QuestionnaireResponse", "missing", NOBODY),
    # Alerts are the care team's (as alerts/ in the API): patients never see a Flag.
    _fhir_read("Flag", "alert_a", row(401, 404, 404, 200, 404, 200)),
    _fhir_read("Flag", "alert_b", row(401, 404, 404, 404, 404, 200)),
    _fhir_read("Flag", "missing", NOBODY),
    FhirCase(
        f"{FHIR}/Patient",
        authenticated(200),
        listed=row(
            None,
            {"patient_a"},
            {"patient_b"},
            {"patient_a"},
            set(),
            {"patient_a", "patient_b"},
        ),
    ),
    FhirCase(
        f"{FHIR}/CarePlan",
        authenticated(200),
        listed=row(
            None, {"plan_a"}, {"plan_b"}, {"plan_a"}, set(), {"plan_a", "plan_b"}
        ),
    ),
    FhirCase(
        f"{FHIR}/ServiceRequest",
        authenticated(200),
        listed=row(
            None, {"item_a"}, {"item_b"}, {"item_a"}, set(), {"item_a", "item_b"}
        ),
    ),
    FhirCase(
        f"{FHIR}/Observation?code=http://loinc.org|73985-4",
        authenticated(200),
        listed=row(
            None,
            {"session_a"},
            {"session_b"},
            {"session_a"},
            set(),
            {"session_a", "session_b"},
        ),
    ),
    FhirCase(
        # Naming someone else's patient finds nothing (as ?patient= does in the API).
        f"{FHIR}/Observation?patient={{id}}",
        authenticated(200),
        target="patient_b",
        listed=row(None, set(), {"session_b"}, set(), set(), {"session_b"}),
    ),
    FhirCase(
        f"{FHIR}/QuestionnaireResponse",
        authenticated(200),
        listed=row(
            None,
            {"answers_a"},
            {"answers_b"},
            {"answers_a"},
            set(),
            {"answers_a", "answers_b"},
        ),
    ),
    FhirCase(
        f"{FHIR}/Flag",
        authenticated(200),
        listed=row(None, set(), set(), {"alert_a"}, set(), {"alert_a", "alert_b"}),
    ),
    FhirCase(
        f"{FHIR}/Practitioner",
        authenticated(200),
        listed=row(
            None,
            {"clinician_a"},
            set(),
            {"clinician_a"},
            {"clinician_none"},
            {"clinician_a", "clinician_none"},
        ),
    ),
]


@pytest.mark.parametrize("principal", PRINCIPALS)
@pytest.mark.parametrize("case", FHIR_CASES, ids=[case.id for case in FHIR_CASES])
def test_fhir_matrix(world, case, principal):
    path = (
        case.path.replace("{id}", world.pk(case.target)) if case.target else case.path
    )
    before = fingerprint()

    response = world.client(principal).get(path)

    assert response.status_code == case.expected[principal], response.content
    assert response["Content-Type"] == "application/fhir+json"
    assert fingerprint() == before, "a FHIR read changed data"
    body = response.json()
    if response.status_code >= 400:
        assert body["resourceType"] == "OperationOutcome"
        if response.status_code == 401:
            assert response["WWW-Authenticate"].startswith("Bearer")
        return
    if case.listed is not None:
        expected = {world.pk(key) for key in case.listed[principal]}
        found = {entry["resource"]["id"] for entry in body["entry"]}
        # Observation ids of a session are its id (and "<id>-pain-..."): the session's.
        found = {pk[:36] for pk in found}
        if "Practitioner" in path:
            # B's clinician is not a principal: look at the principals' ids only.
            found &= {world.pk("clinician_a"), world.pk("clinician_none")}
        assert found == expected


def test_every_fhir_interaction_is_in_the_matrix():
    from integrations.fhir.resources import RESOURCE_TYPES

    covered = {case.path.split("?")[0] for case in FHIR_CASES}
    served = {f"{FHIR}/metadata"}
    for name in RESOURCE_TYPES:
        served |= {f"{FHIR}/{name}", f"{FHIR}/{name}/{{id}}"}
    assert served == covered
    for name in RESOURCE_TYPES:
        hidden = [
            case
            for case in FHIR_CASES
            if case.path == f"{FHIR}/{name}/{{id}}"
            and case.target != "missing"
            and case.expected["patient_a"] == 404
        ]
        assert hidden, f"{name} is never read on an object hidden from patient A"
