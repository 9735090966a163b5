"""Seed the fuzzing database: the demo content and logins, and patients with real data.

Run as ``python -m tests.contract.seed`` with DEBUG on (``load_demo`` creates its logins
only then) and ``DATABASE_URL`` pointing at the fuzzing database. Writes go through the
services, as the API's would. Idempotent: a second run adds nothing.

- the demo logins of ``load_demo`` (admin, clinician, reviewer) and its library;
- ``PATIENT``: the demo patient of sessions/demo.py (also loaded by ``load_demo``), in
  the demo clinician's care with a plan and weeks of sessions; created here with a plan
  and a few sessions (one deleted, so sync returns a tombstone) if the demo has none;
- ``ERASABLE``: another patient of the clinician, created that way, whose only fuzzing
  run is ``DELETE me/`` (erasure would end any other run's login).
"""

from __future__ import annotations

import datetime as dt
import io
import uuid
from dataclasses import dataclass


@dataclass(frozen=True)
class Login:
    email: str
    password: str
    name: str


# The demo clinician of exercises/demo.py (load_demo) and the demo patient of sessions/demo.py.
CLINICIAN = Login("clinician@rehabit.dev", "rehabit-clinician", "Demo Clinician")
PATIENT = Login("patient@rehabit.dev", "rehabit-patient", "Demo Patient")
ERASABLE = Login("erasable@rehabit.dev", "wobbly-knees-at-noon", "Erasable Patient")
SESSIONS_PER_PATIENT = 4


def seed() -> None:
    """Load the demo, then make sure both patients exist with a plan and sessions."""
    from django.conf import settings
    from django.core.management import call_command

    if not settings.DEBUG:
        raise SystemExit("seed needs DEBUG on: load_demo creates its logins only then")
    call_command("load_demo", stdout=io.StringIO())

    from django.db import transaction

    with transaction.atomic():
        for login in (PATIENT, ERASABLE):
            _patient_with_history(login)


def _patient_with_history(login: Login) -> None:
    from django.utils import timezone

    from exercises.models import Routine
    from sessions.models import Plan, Session
    from sessions.services.logs import session_delete, session_upload
    from sessions.services.plans import plan_prescribe
    from users.models import CareRelationship, User
    from users.services import care_link, user_register

    clinician = User.objects.get(email=CLINICIAN.email)
    patient = User.objects.filter(email=login.email).first()
    if patient is None:
        patient = user_register(
            email=login.email,
            password=login.password,
            name=login.name,
            timezone="Europe/Paris",
        )
    if not CareRelationship.objects.filter(clinician=clinician, patient=patient):
        care_link(clinician=clinician, patient=patient)

    plan = Plan.objects.filter(patient=patient).first()
    if plan is None:
        routine = Routine.objects.filter(status="published").order_by("slug").first()
        if routine is None:
            raise SystemExit("load_demo published no routine")
        plan = plan_prescribe(
            prescriber=clinician,
            patient=patient,
            routine=routine,
            start_date=timezone.localdate() - dt.timedelta(weeks=6),
            days_of_week=[1, 3, 5],
            note="Seeded for contract fuzzing.",
        )

    if Session.objects.filter(patient=patient).exists():
        return
    items = list(plan.items.order_by("order"))
    now = timezone.now()
    sessions = []
    for index in range(SESSIONS_PER_PATIENT):
        started = now - dt.timedelta(days=3 * index + 1, hours=2)
        data = {
            "id": uuid.uuid4(),
            "plan": plan.pk,
            "started_at": started,
            "ended_at": started + dt.timedelta(minutes=25),
            "pain_before": 5 - index % 3,
            "pain_after": 3 - index % 2,
            "effort": 6,
            "notes": "Seeded session.",
            "exercises": [
                {
                    "exercise": item.exercise_id,
                    "plan_item": item.pk,
                    "status": "done",
                    "pain_during": 2,
                    "notes": "",
                    "sets": [
                        {"side": "both", "reps": 10, "load": "band", "completed": True}
                        for _ in range(item.sets or 1)
                    ],
                }
                for item in items
            ],
        }
        session, _ = session_upload(patient=patient, data=data)
        sessions.append(session)
    # A tombstone, so that `sessions/?updated_since=0` carries a deleted one.
    session_delete(session=sessions[-1])


def main() -> None:
    import django

    django.setup()
    seed()


if __name__ == "__main__":
    main()
