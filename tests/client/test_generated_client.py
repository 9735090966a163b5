"""The mobile journey through a Python client generated from ``/api/schema/``.

openapi-python-client (a generator no one here wrote) generates a package from the
schema that ``/api/schema/`` serves, once per test session (per xdist worker that runs
these tests), into a temporary directory that is never committed. Any generator warning
fails the build. The journey then runs through the generated functions and models against a real
HTTP server (pytest-django's ``live_server``), and asserts on typed model attributes:
if the schema says something the server does not do, parsing or the types break here.

See docs/clients.md for generating a client by hand.
"""

from __future__ import annotations

import datetime as dt
import enum
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from types import ModuleType
from typing import Any, get_args

import pytest
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.test import Client as DjangoClient
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator

from exercises.demo import ROUTINES, demo_load
from exercises.models import Routine
from sessions.services.plans import plan_prescribe
from tests.factories import ClinicianFactory
from users.models import User
from users.services import care_link

PACKAGE = "rehabit_client"  # the generated package's import name (any name works)
GENERATOR_TIMEOUT = 120  # seconds; generation takes about 2 s
PASSWORD = "knee-bends-at-dawn-42"
DEMO_ROUTINE = ROUTINES[0].slug

# Data migrations whose rows the flush after a transactional test (live_server) removes.
DATA_MIGRATIONS = [
    ("exercises", "0003_clinicians_group", "exercises.migrations", "create_group"),
    (
        "training_sessions",
        "0003_clinicians_care_permissions",
        "sessions.migrations",
        "grant",
    ),
]


@dataclass(frozen=True)
class GeneratedClient:
    """The imported generated package, and what the generator printed."""

    package: ModuleType
    models: ModuleType
    output: str

    def operation(self, tag: str, operation_id: str) -> Any:
        """The module of one operation, e.g. ``operation("sessions", "sessions_create")``."""
        return import_module(f"{PACKAGE}.api.{tag}.{operation_id}")


def generate(schema: Path, output: Path) -> str:
    """Run openapi-python-client on ``schema``; return what it printed (fails on errors)."""
    venv_bin = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": f"{venv_bin}{os.pathsep}{os.environ.get('PATH', '')}"}
    # The generator formats its output with ruff (its default post hooks) and warns when
    # ruff is missing, so the virtualenv's bin goes first on PATH.
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "openapi_python_client",
            "generate",
            "--path",
            str(schema),
            "--output-path",
            str(output),
            "--meta",
            "none",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=GENERATOR_TIMEOUT,
        check=False,
    )
    printed = result.stdout + result.stderr
    assert result.returncode == 0, printed
    return printed


@pytest.fixture(scope="session")
def generated_client(
    tmp_path_factory: pytest.TempPathFactory,
    django_db_setup: None,  # the request below must only ever see the test database
    django_db_blocker: Any,
) -> Iterator[GeneratedClient]:
    root = tmp_path_factory.mktemp("generated-client")
    schema = root / "schema.json"
    # The schema exactly as the service serves it at /api/schema/. Fetched in-process:
    # it reads no rows, but Django touches its connection around every request, and a
    # live server thread would still be finishing after the fixture closed the DB again.
    with django_db_blocker.unblock():
        response = DjangoClient().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200, response.content
    schema.write_bytes(response.content)
    output = generate(schema, root / PACKAGE)

    sys.path.insert(0, str(root))
    try:
        package = import_module(PACKAGE)
        models = import_module(f"{PACKAGE}.models")
        yield GeneratedClient(package=package, models=models, output=output)
    finally:
        sys.path.remove(str(root))
        for name in [m for m in sys.modules if m.split(".")[0] == PACKAGE]:
            del sys.modules[name]


@pytest.fixture(scope="module", autouse=True)
def _restore_data_migrations(
    django_db_setup: None, django_db_blocker: Any
) -> Iterator[None]:
    """Put back the data migrations' rows (the Clinicians group) once these tests are done.

    ``live_server`` makes a test transactional, and pytest-django empties every table
    after one: content types and permissions come back through post_migrate, the group
    and its permissions do not; with --reuse-db the emptied database would outlive the run.
    """
    yield
    with django_db_blocker.unblock():
        restore_data_migrations()


def restore_data_migrations() -> None:
    """Re-run the data migrations' forward functions (idempotent: get_or_create, add)."""
    loader = MigrationLoader(connection)
    for app_label, name, package, function in DATA_MIGRATIONS:
        state = loader.project_state((app_label, name))
        migration = import_module(f"{package}.{name}")
        getattr(migration, function)(state.apps, None)


def test_operations_without_credentials_declare_no_security_requirement():
    # security: [{}] made openapi-python-client demand an AuthenticatedClient for
    # registration; "no credentials" is written as no security key (config/api/schema.py).
    schema = SchemaGenerator().get_schema(request=None, public=True)

    only_anonymous = [
        (method, path)
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if "security" in operation and not any(operation["security"])
    ]

    assert only_anonymous == []
    assert "security" not in schema["paths"]["/api/v1/auth/register/"]["post"]


def test_descending_sort_keys_have_member_names_in_the_schema():
    # "-name" is not an identifier: without x-enum-varnames openapi-python-client named
    # the members VALUE_0, VALUE_1... (config.api.schema.name_enum_members).
    schema = SchemaGenerator().get_schema(request=None, public=True)
    parameters = schema["paths"]["/api/v1/exercises/"]["get"]["parameters"]
    ordering = next(p for p in parameters if p["name"] == "ordering")["schema"]["items"]

    names = dict(zip(ordering["enum"], ordering["x-enum-varnames"], strict=True))

    assert names["-name"] == "NAME_DESC"
    assert names["difficulty"] == "DIFFICULTY"
    # Enums of plain identifiers need no names.
    status = schema["components"]["schemas"]["PlanStatusEnum"]
    assert "x-enum-varnames" not in status


@pytest.mark.django_db
def test_repeated_ordering_parameter_sorts_like_the_comma_separated_form(api_client):
    # openapi-python-client sends ?ordering=a&ordering=b whatever the schema's
    # explode: false says; the server used to keep only the last key.
    demo_load(logins=False)
    url = "/api/v1/exercises/"

    repeated = api_client.get(f"{url}?ordering=-name&ordering=difficulty").json()
    comma = api_client.get(f"{url}?ordering=-name,difficulty").json()

    names = [row["name"] for row in repeated["results"]]
    assert names == sorted(names, reverse=True)
    assert repeated["results"] == comma["results"]
    invalid = api_client.get(f"{url}?ordering=-name&ordering=nonsense")
    assert invalid.status_code == 400
    assert invalid.json()["errors"][0]["field"] == "ordering"


def test_client_generates_without_warnings(generated_client: GeneratedClient):
    printed = [line for line in generated_client.output.splitlines() if line.strip()]

    assert len(printed) == 1, generated_client.output
    assert printed[0].startswith("Generating "), generated_client.output
    # Registration and login are callable without credentials.
    register = generated_client.operation("auth", "auth_register")
    client_types = get_args(register.sync_detailed.__annotations__["client"])
    assert generated_client.package.Client in client_types
    # Every enum member has a name taken from its value or x-enum-varnames.
    members = [
        member
        for model in vars(generated_client.models).values()
        if isinstance(model, type) and issubclass(model, enum.Enum)
        for member in model.__members__
    ]
    assert "NAME_DESC" in members
    assert [m for m in members if m.startswith("VALUE_")] == []


def test_mobile_journey_through_the_generated_client(
    generated_client: GeneratedClient, live_server: Any
):
    # An earlier transactional test in this process may have emptied the tables.
    restore_data_migrations()
    gen = generated_client
    m = gen.models
    op = gen.operation
    Client = gen.package.Client
    AuthenticatedClient = gen.package.AuthenticatedClient
    email = "ana.silva@example.com"
    demo_load(logins=False)  # the published library, with the demo routine
    routine = Routine.objects.get(slug=DEMO_ROUTINE)

    with Client(base_url=live_server.url, raise_on_unexpected_status=True) as anon:
        # Browse the public library before signing up. The function is annotated with
        # AuthenticatedClient (optional auth, openapi-python-client#1372) but takes an
        # anonymous Client at runtime; docs/clients.md says so.
        library = op("routines", "routines_list").sync(client=anon)
        assert isinstance(library, m.PaginatedRoutineSummaryList)
        assert [r.slug for r in library.results] == [DEMO_ROUTINE]
        assert library.results[0].status is m.ContentStatusEnum.PUBLISHED
        # Sent as ?ordering=-name&ordering=difficulty (the generator ignores the
        # schema's explode: false); the server reads it like "-name,difficulty".
        order = m.ExercisesListOrderingItem
        exercises = op("library", "exercises_list").sync(
            client=anon, ordering=[order.NAME_DESC, order.DIFFICULTY]
        )
        names = [exercise.name for exercise in exercises.results]
        assert len(names) > 1
        assert names == sorted(names, reverse=True)

        # Register and log in.
        account = op("auth", "auth_register").sync(
            client=anon,
            body=m.RegisterRequest(
                email=email,
                password=PASSWORD,
                name="Ana Silva",
                timezone="Europe/Lisbon",
            ),
        )
        assert isinstance(account, m.Account)
        assert account.role is m.RoleEnum.PATIENT
        assert isinstance(account.id, uuid.UUID)
        # The same email again answers alike (201, an Account): registration never
        # says whether an email has an account; the login then tells the owner apart.
        again = op("auth", "auth_register").sync(
            client=anon,
            body=m.RegisterRequest(
                email=email, password=PASSWORD + "-other", name="Not Ana"
            ),
        )
        assert isinstance(again, m.Account)
        assert again.id != account.id

        tokens = op("auth", "auth_token").sync(
            client=anon, body=m.LoginRequest(email=email, password=PASSWORD)
        )
        assert isinstance(tokens, m.TokenPair)

    # The clinician side (admin or clinician API) puts her in care and prescribes the
    # demo routine.
    patient = User.objects.get(pk=account.id)
    clinician = ClinicianFactory(name="Dr Rui Costa")
    care_link(clinician=clinician, patient=patient)
    today = timezone.localdate()
    plan_prescribe(
        prescriber=clinician,
        patient=patient,
        routine=routine,
        start_date=today - dt.timedelta(days=14),
        days_of_week=[1, 3, 5],
    )

    with AuthenticatedClient(
        base_url=live_server.url, token=tokens.access, raise_on_unexpected_status=True
    ) as api:
        # Read the plan, expanded for offline use.
        plans = op("plans", "plans_list").sync(client=api)
        assert isinstance(plans, m.PaginatedPlanList)
        assert plans.count == 1
        plan = plans.results[0]
        assert isinstance(plan, m.Plan)
        assert plan.routine == routine.pk
        assert plan.status is m.PlanStatusEnum.ACTIVE
        assert plan.days_of_week == [1, 3, 5]
        assert plan.start_date == today - dt.timedelta(days=14)
        assert plan.prescribed_by.name == "Dr Rui Costa"
        assert [item.exercise.slug for item in plan.items] == [
            item.exercise.slug for item in routine.items.order_by("order", "id")
        ]
        for item in plan.items:
            assert isinstance(item.block, m.BlockEnum)
            assert item.exercise.instructions
            assert all(
                isinstance(i.kind, m.InstructionKindEnum)
                for i in item.exercise.instructions
            )

        # Upload a session done offline, then retry the upload.
        started = (timezone.now() - dt.timedelta(hours=1)).replace(microsecond=0)
        upload = m.SessionCreateRequest(
            id=uuid.uuid4(),
            plan=plan.id,
            started_at=started,
            ended_at=started + dt.timedelta(minutes=25),
            pain_before=5,
            pain_after=3,
            effort=6,
            exercises=[
                m.SessionExerciseInputRequest(
                    exercise=item.exercise.id,
                    plan_item=item.id,
                    status=m.SessionExerciseStatusEnum.DONE,
                    sets=[
                        m.SessionSetInputRequest(reps=item.reps or item.steps)
                        for _ in range(item.sets)
                    ],
                )
                for item in plan.items
            ],
        )
        create = op("sessions", "sessions_create")
        created = create.sync_detailed(client=api, body=upload)
        assert created.status_code == 201
        session = created.parsed
        assert isinstance(session, m.Session)
        assert session.id == upload.id
        assert session.plan == plan.id
        assert session.started_at == started
        assert session.version == 1
        assert len(session.exercises) == len(plan.items)
        assert session.exercises[0].status is m.SessionExerciseStatusEnum.DONE
        assert session.exercises[0].sets[0].side is m.SideEnum.BOTH
        assert created.headers["ETag"] == f'"{upload.id}-1"'

        retried = create.sync_detailed(client=api, body=upload)
        assert retried.status_code == 200
        assert retried.content == created.content
        assert retried.parsed == session

        # Edit it with the ETag (If-Match); a stale ETag is refused.
        edit = op("sessions", "sessions_partial_update")
        edited = edit.sync_detailed(
            upload.id,
            client=api,
            body=m.PatchedSessionUpdateRequest(pain_after=2),
            if_match=created.headers["ETag"],
        )
        assert edited.status_code == 200
        assert edited.parsed.pain_after == 2
        assert edited.parsed.version == 2
        stale = edit.sync_detailed(
            upload.id,
            client=api,
            body=m.PatchedSessionUpdateRequest(pain_after=1),
            if_match=created.headers["ETag"],
        )
        assert stale.status_code == 412
        assert isinstance(stale.parsed, m.Problem)

        # A session uploaded by mistake is deleted: the sync shows a tombstone.
        mistake = m.SessionCreateRequest(id=uuid.uuid4(), started_at=started)
        assert create.sync_detailed(client=api, body=mistake).status_code == 201
        deleted = op("sessions", "sessions_destroy").sync_detailed(
            mistake.id, client=api
        )
        assert deleted.status_code == 204

        # Sync: everything since 0, then nothing new since the returned cursor.
        sync = op("sessions", "sessions_list")
        page = sync.sync(client=api, updated_since=0)
        assert isinstance(page, m.PaginatedSessionOrTombstoneList)
        kept, tombstone = page.results
        assert isinstance(kept, m.Session)
        assert (kept.id, kept.version, kept.pain_after) == (upload.id, 2, 2)
        assert isinstance(tombstone, m.SessionTombstone)
        assert tombstone.id == mistake.id
        assert tombstone.deleted is True
        assert page.sync_cursor == tombstone.revision > kept.revision
        assert page.next_ is None

        later = sync.sync(client=api, updated_since=page.sync_cursor)
        assert later.results == []
        assert later.sync_cursor == page.sync_cursor

        # Progress: the session counts, the deleted one does not.
        progress = op("progress", "progress_retrieve").sync(client=api)
        assert isinstance(progress, m.Progress)
        assert progress.patient == account.id
        assert progress.timezone == "Europe/Lisbon"
        assert isinstance(progress.from_, dt.date)
        assert all(isinstance(week, m.ProgressWeek) for week in progress.weeks)
        assert sum(week.sessions_done for week in progress.weeks) == 1
        summary = progress.summary
        assert summary.sessions_done == 1
        assert summary.sessions_scheduled > 0
        assert isinstance(summary.adherence, float)
        assert (summary.pain_before_avg, summary.pain_after_avg) == (5.0, 2.0)
        assert summary.trend.direction is m.DirectionEnum.INSUFFICIENT_DATA
