"""The benchmark's data set, built on an empty PostgreSQL database, and the load's fixtures.

``python -m bench.dataset build --patients 1000 --sessions 200000`` (run by bench.run
with ``DJANGO_SETTINGS_MODULE=bench.settings`` and the bench database's URL):

1. ``migrate``, ``load_demo`` (the demo routine and its exercises) and
   ``import_exercises`` of the Free Exercise DB (868 exercises), all published as a
   reviewer would;
2. 60 more published routines of 3 to 6 library exercises;
3. the clinicians (one per 40 patients: 25 for the full set) and the patients, each in
   one clinician's care with one active plan prescribed through ``plan_prescribe`` (the
   app's own path: items copied, history);
4. the sessions, written with PostgreSQL COPY: about three a week per patient going
   back from yesterday, each with its plan's exercises and their sets (one row per side
   for per-side exercises; some partial or skipped; 1% deleted, kept as tombstones),
   revisions 1..n per patient in time order and the patient's sync counter = n, as the upload
   service leaves them;
5. the alerts the product's own rules raise on those sessions: each patient's latest
   session through the upload rules (as the Celery task after an upload does), then the
   periodic rules (inactivity). About one patient in four has one, so a clinician's
   alerts list is a page of real alerts (about ten). Then ANALYZE.

Everything is drawn from a seeded random generator, so a build is repeatable.

``python -m bench.dataset fixtures`` prints, as JSON, what the load scripts need: access
tokens (patients', and their clinicians' for the alerts list), plan ids and items,
latest revisions of some patients; exercise and routine ids; filter values that match
many exercises.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import math
import os
import random
import sys
import time
import uuid
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

PATIENTS_PER_CLINICIAN = 40
ROUTINES = 60
SESSIONS_PER_WEEK = 3
DELETED_SHARE = 0.01
SKIPPED_SHARE = 0.05
PARTIAL_SHARE = 0.10
TIMEZONES = ["Europe/London", "Europe/Paris", "America/New_York", "Asia/Tokyo", "UTC"]
NOTES = [
    "",
    "",
    "",
    "Felt good.",
    "Stiff at first.",
    "Short on time.",
    "Back ached a bit.",
]
LOADS = ["", "", "light loop band", "medium loop band", "2 kg", "5 kg"]


def _log(message: str) -> None:
    print(f"[dataset] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------
# Build
# ---------------------------------------------------------------------------
def build(*, patients: int, sessions: int, seed: int = 7) -> None:
    from django.core.management import call_command

    rng = random.Random(seed)
    started = time.monotonic()
    call_command("migrate", verbosity=0, interactive=False)
    call_command("load_demo", verbosity=0)
    # No path: the Free Exercise DB shipped in data/free-exercise-db/.
    call_command("import_exercises", verbosity=0)
    _publish_library()
    _routines_create(rng)
    _log(f"library ready ({time.monotonic() - started:.0f} s)")
    plans = _patients_create(rng, patients)
    _log(f"{patients} patients with plans ({time.monotonic() - started:.0f} s)")
    _sessions_copy(rng, plans, sessions)
    _log(f"{sessions} sessions ({time.monotonic() - started:.0f} s)")
    alerts = _alerts_raise(plans)
    _log(f"{alerts} alerts ({time.monotonic() - started:.0f} s)")
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    _log(f"built in {time.monotonic() - started:.0f} s")


def _publish_library() -> None:
    """Publish every imported draft, as a reviewer working through the import would."""
    from django.utils import timezone

    from common.models import Status
    from exercises.models import Exercise

    now = timezone.now()
    Exercise.objects.filter(status=Status.DRAFT).update(
        status=Status.PUBLISHED, published_at=now, reviewed_at=now
    )


def _routines_create(rng: random.Random) -> None:
    from django.utils import timezone

    from common.models import Status
    from exercises.models import Condition, Exercise, Routine, RoutineItem

    exercises = list(
        Exercise.objects.filter(status=Status.PUBLISHED).values_list("pk", "laterality")
    )
    conditions = list(Condition.objects.values_list("pk", flat=True))
    now = timezone.now()
    routines = Routine.objects.bulk_create(
        Routine(
            slug=f"bench-routine-{n:03d}",
            title=f"Home programme {n:03d}",
            summary="A home programme of strength and mobility work.",
            goal="Build strength and confidence for daily activities.",
            status=Status.PUBLISHED,
            published_at=now,
        )
        for n in range(ROUTINES)
    )
    items = []
    for routine in routines:
        chosen = rng.sample(exercises, rng.randint(3, 6))
        for order, (exercise_id, laterality) in enumerate(chosen):
            amount = rng.choice(["reps", "reps", "reps", "steps", "seconds"])
            items.append(
                RoutineItem(
                    routine=routine,
                    exercise_id=exercise_id,
                    order=order,
                    sets=rng.randint(2, 3),
                    per_side=laterality != "bilateral",
                    rest_seconds=30,
                    **{amount: rng.choice([8, 10, 12]) if amount != "seconds" else 30},
                )
            )
        if conditions:
            routine.conditions.set(rng.sample(conditions, 1))
    RoutineItem.objects.bulk_create(items)


def _patients_create(rng: random.Random, count: int) -> list[Any]:
    """Clinicians and patients (one shared password hash), care links, one plan each."""
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from common.models import Status
    from exercises.models import Routine
    from sessions.services.plans import plan_prescribe
    from users.models import CareRelationship, User

    password = make_password("rehabit-bench")
    clinician_count = math.ceil(count / PATIENTS_PER_CLINICIAN)
    clinicians = User.objects.bulk_create(
        User(
            email=f"clinician{n:03d}@bench.rehabit.dev",
            name=f"Clinician {n:03d}",
            role=User.Role.CLINICIAN,
            is_staff=True,
            password=password,
        )
        for n in range(clinician_count)
    )
    patients = User.objects.bulk_create(
        User(
            email=f"patient{n:05d}@bench.rehabit.dev",
            name=f"Patient {n:05d}",
            role=User.Role.PATIENT,
            timezone=rng.choice(TIMEZONES),
            password=password,
        )
        for n in range(count)
    )
    links = [
        CareRelationship(clinician=clinicians[n % clinician_count], patient=patient)
        for n, patient in enumerate(patients)
    ]
    CareRelationship.objects.bulk_create(links)
    routines = list(
        Routine.objects.filter(status=Status.PUBLISHED).prefetch_related("items")
    )
    today = timezone.localdate()
    plans = []
    for link in links:
        plans.append(
            plan_prescribe(
                prescriber=link.clinician,
                patient=link.patient,
                routine=rng.choice(routines),
                start_date=today - dt.timedelta(days=rng.randint(28, 450)),
                days_of_week=[1, 3, 5],
            )
        )
    return plans


def _sessions_copy(rng: random.Random, plans: Sequence[Any], total: int) -> None:
    """Write ``total`` sessions spread over the plans' patients, with PostgreSQL COPY."""
    from django.core.management.color import no_style
    from django.db import connection, transaction

    from sessions.models import (
        PatientSyncState,
        Session,
        SessionExercise,
        SessionSet,
    )

    items_by_plan: dict[Any, list[Any]] = {plan.pk: [] for plan in plans}
    for plan in plans:
        items_by_plan[plan.pk] = list(plan.items.all())
    per_patient = _spread(total, len(plans))
    session_columns = [f.column for f in Session._meta.concrete_fields]
    exercise_columns = [f.column for f in SessionExercise._meta.concrete_fields]
    set_columns = [f.column for f in SessionSet._meta.concrete_fields]
    # Columns the generator does not set take the model's default (e.g. no swap, no
    # feedback): the rows stay what an upload without those fields would store.
    exercise_defaults = _column_defaults(SessionExercise)
    set_defaults = _column_defaults(SessionSet)

    session_values: list[dict[str, Any]] = []
    exercise_rows: list[tuple[Any, ...]] = []
    set_rows: list[tuple[Any, ...]] = []
    revisions: list[tuple[Any, int]] = []
    exercise_id = set_id = 0
    now = dt.datetime.now(dt.UTC)
    yesterday = now.replace(hour=7, minute=30, second=0, microsecond=0) - dt.timedelta(
        days=1
    )
    for plan, count in zip(plans, per_patient, strict=True):
        items = items_by_plan[plan.pk]
        days_back = sorted(
            rng.sample(range(count * 7 // SESSIONS_PER_WEEK + 7), count), reverse=True
        )
        for revision, days in enumerate(days_back, start=1):
            session_id = uuid.UUID(int=rng.getrandbits(128), version=4)
            started = yesterday - dt.timedelta(days=days, minutes=rng.randint(0, 600))
            ended = started + dt.timedelta(minutes=rng.randint(12, 35))
            deleted = rng.random() < DELETED_SHARE
            written = ended + dt.timedelta(minutes=rng.randint(1, 180))
            values = {
                "id": session_id,
                "patient_id": plan.patient_id,
                "plan_id": plan.pk,
                "started_at": started,
                "ended_at": None if deleted else ended,
                "pain_before": None if deleted else rng.randint(2, 7),
                "pain_after": None if deleted else rng.randint(0, 5),
                "effort": None if deleted else rng.randint(3, 8),
                "notes": "" if deleted else rng.choice(NOTES),
                "upload_hash": hashlib.sha256(session_id.bytes).hexdigest(),
                "version": 2 if deleted else 1,
                "revision": revision,
                "created_at": written,
                "updated_at": written,
                "deleted_at": written if deleted else None,
                "set_count": 0,  # counted below, as the upload service stores it
            }
            session_values.append(values)
            if deleted:
                continue
            for order, item in enumerate(items):
                exercise_id += 1
                roll = rng.random()
                status = (
                    "skipped"
                    if roll < SKIPPED_SHARE
                    else "partial"
                    if roll < SKIPPED_SHARE + PARTIAL_SHARE
                    else "done"
                )
                row = {
                    **exercise_defaults,
                    "id": exercise_id,
                    "session_id": session_id,
                    "exercise_id": item.exercise_id,
                    "plan_item_id": item.pk,
                    "order": order,
                    "status": status,
                    "pain_during": rng.choice([None, rng.randint(0, 6)]),
                    "notes": "",
                }
                exercise_rows.append(tuple(row[c] for c in exercise_columns))
                if status == "skipped":
                    continue
                sides = ("left", "right") if item.per_side else ("both",)
                load = rng.choice(LOADS)
                for number in range(item.sets):
                    for side in sides:
                        set_id += 1
                        amount = item.reps or item.steps
                        set_row = {
                            **set_defaults,
                            "id": set_id,
                            "session_exercise_id": exercise_id,
                            "order": number * len(sides) + sides.index(side),
                            "side": side,
                            "reps": max(amount - rng.randint(0, 2), 1)
                            if amount
                            else None,
                            "seconds": item.seconds,
                            "load": load,
                            "completed": status == "done" or number == 0,
                        }
                        set_rows.append(tuple(set_row[c] for c in set_columns))
                        values["set_count"] += 1
        revisions.append((plan.patient_id, len(days_back)))

    session_rows = [tuple(v[c] for c in session_columns) for v in session_values]
    with transaction.atomic(), connection.cursor() as cursor:
        _copy(cursor, Session._meta.db_table, session_columns, session_rows)
        _copy(cursor, SessionExercise._meta.db_table, exercise_columns, exercise_rows)
        _copy(cursor, SessionSet._meta.db_table, set_columns, set_rows)
        for sql in connection.ops.sequence_reset_sql(
            no_style(), [SessionExercise, SessionSet]
        ):
            cursor.execute(sql)
        PatientSyncState.objects.bulk_create(
            [PatientSyncState(patient_id=pk, revision=n) for pk, n in revisions],
            update_conflicts=True,
            unique_fields=["patient"],
            update_fields=["revision"],
        )
    _log(
        f"copied {len(session_rows)} sessions, {len(exercise_rows)} exercises, "
        f"{len(set_rows)} sets"
    )


def _alerts_raise(plans: Sequence[Any]) -> int:
    """The alerts the rules raise: each plan's patient's latest session through the
    upload rules, then the periodic ones. Returns how many alerts were raised."""
    from outcomes.services.alerts import (
        alerts_session_rules_run,
        alerts_time_rules_run,
    )
    from sessions.models import Session

    latest = (
        Session.objects.filter(
            patient_id__in=[plan.patient_id for plan in plans], deleted_at__isnull=True
        )
        .order_by("patient_id", "-started_at")
        .distinct("patient_id")
        .values_list("pk", flat=True)
    )
    raised = sum(len(alerts_session_rules_run(session_id=pk)) for pk in latest)
    return raised + len(alerts_time_rules_run())


def _spread(total: int, parts: int) -> list[int]:
    """``total`` split into ``parts`` whole numbers that differ by at most one."""
    base, extra = divmod(total, parts)
    return [base + (1 if n < extra else 0) for n in range(parts)]


def _column_defaults(model: Any) -> dict[str, Any]:
    """Each concrete column's default value, as the model would store it."""
    return {field.column: field.get_default() for field in model._meta.concrete_fields}


def _copy(
    cursor: Any, table: str, columns: Sequence[str], rows: Iterable[tuple[Any, ...]]
) -> None:
    names = ", ".join(f'"{c}"' for c in columns)
    with cursor.cursor.copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row(row)


# ---------------------------------------------------------------------------
# Fixtures for the load
# ---------------------------------------------------------------------------
def fixtures(*, patients: int) -> dict[str, Any]:
    """What the load scripts need, for ``patients`` patients drawn across the data set."""
    from django.db.models import Count, Value
    from django.db.models.functions import Coalesce
    from rest_framework_simplejwt.tokens import AccessToken

    from common.models import Status
    from exercises.models import Equipment, Exercise, Muscle, Routine
    from sessions.models import Plan
    from users.models import CareRelationship, User

    users = list(
        User.objects.filter(
            role=User.Role.PATIENT, email__endswith="@bench.rehabit.dev"
        )
        .order_by("email")
        .annotate(sync_revision=Coalesce("sync_state__revision", Value(0)))
        .only("pk")
    )
    step = max(len(users) // patients, 1)
    chosen = users[::step][:patients]
    plans = {
        plan.patient_id: plan
        for plan in Plan.objects.filter(patient__in=chosen).prefetch_related(
            "items__exercise"
        )
    }
    published = Exercise.objects.filter(status=Status.PUBLISHED)
    # The chosen patients' clinicians (the alerts list is a care team's read).
    clinicians = User.objects.filter(
        pk__in=CareRelationship.objects.filter(patient__in=chosen).values(
            "clinician_id"
        )
    ).order_by("email")
    return {
        "patients": [
            {
                "token": str(AccessToken.for_user(user)),
                "plan": str(plans[user.pk].pk),
                "sync_revision": user.sync_revision,
                "items": [
                    {
                        "id": item.pk,
                        "exercise": str(item.exercise_id),
                        "sets": item.sets,
                        "per_side": item.per_side,
                        "reps": item.reps or item.steps,
                        "seconds": item.seconds,
                    }
                    for item in plans[user.pk].items.all()
                ],
            }
            for user in chosen
        ],
        "clinicians": [str(AccessToken.for_user(user)) for user in clinicians],
        "exercises": [str(pk) for pk in published.values_list("pk", flat=True)],
        "routines": [
            str(pk)
            for pk in Routine.objects.filter(status=Status.PUBLISHED).values_list(
                "pk", flat=True
            )
        ],
        "muscles": _popular(Muscle, "primary_for", Count),
        "equipment": _popular(Equipment, "exercises", Count),
    }


def _popular(model: Any, relation: str, count: Any) -> list[str]:
    """The slugs of the taxonomy terms with the most published exercises."""
    return list(
        model.objects.annotate(n=count(relation))
        .order_by("-n", "slug")
        .values_list("slug", flat=True)[:5]
    )


# ---------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------
def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.dataset")
    commands = parser.add_subparsers(dest="command", required=True)
    build_parser = commands.add_parser("build", help="Build the data set.")
    build_parser.add_argument("--patients", type=int, required=True)
    build_parser.add_argument("--sessions", type=int, required=True)
    fixtures_parser = commands.add_parser("fixtures", help="Print the load's fixtures.")
    fixtures_parser.add_argument("--patients", type=int, default=200)
    args = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()
    if args.command == "build":
        build(patients=args.patients, sessions=args.sessions)
    else:
        json.dump(fixtures(patients=args.patients), sys.stdout)


if __name__ == "__main__":
    main()
