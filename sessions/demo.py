"""Demo patient: in the demo clinician's care, the demo routine prescribed, ~4 weeks logged.

``manage.py load_demo`` calls ``demo_patient_load`` after the library and the staff
logins (exercises.demo, users.demo), so a mobile developer can log in as the patient and
see real-looking data at once, and the demo clinician sees a patient in the admin. The
account is created and restored like the staff logins (users.demo.demo_user_sync).

Like the other development logins it is only created when DEBUG is on and logins are
requested. Its content is written the way the app writes it: the plan through
``plan_prescribe`` (items copied from the routine) and every session through
``session_upload`` (the sync service).

Dates are relative to the day of the first load: the plan starts 4 weeks before it
(Mondays, Wednesdays and Fridays) and the sessions fill the days up to yesterday, two
of them missed. So idempotency is by presence: once the demo patient has sessions,
a load adds nothing (one query), even weeks later: the log simply ages. ``reset``
brings the patient's login back (password, name, role, time zone, the care link) but
never rewrites the logs: they are the patient's words.
"""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef

from common.demo import DemoReport, DemoUser
from common.models import Band, Status
from exercises.demo_content import (
    FORWARD_BACK_WALK,
    LATERAL_WALK,
    LATERAL_WALK_SHORT,
    ROUTINES,
    SQUAT,
)
from exercises.models import Exercise, Routine
from sessions.models import Plan, Session, SessionExercise, SessionSet
from sessions.progress import local_today
from sessions.services.logs import session_upload
from sessions.services.plans import plan_prescribe
from users.demo import CLINICIAN, demo_user_sync
from users.models import CareRelationship, User
from users.services import care_link

if TYPE_CHECKING:
    from sessions.models import PlanItem

PATIENT_TIMEZONE = "Europe/London"
PATIENT = DemoUser(
    "patient",
    "patient@rehabit.dev",
    "rehabit-patient",
    "Demo Patient",
    "patient",
    timezone=PATIENT_TIMEZONE,
)
ROUTINE_SLUG = ROUTINES[0].slug  # "glute-activation-lower-back"
PLAN_DAYS = (1, 3, 5)  # ISO: Monday, Wednesday, Friday
PLAN_WEEKS = 4
PLAN_NOTE = (
    "Before your walk on Monday, Wednesday and Friday mornings. Start with the light "
    "band. Stop any exercise that makes your back pain sharper, and tell me at your "
    "next visit."
)
# Scheduled days (0 = the plan's first) with no session: nobody is perfect.
MISSED = frozenset({4, 9})
MORNING = dt.time(7, 30)
EVENING = dt.time(18, 10)
# Band strength: the clinician's choice for this patient (the notes give none).
LIGHT_BAND = Band.LIGHT
MEDIUM_BAND = Band.MEDIUM
NO_CLINICIAN = "Demo patient not created: the demo clinician is missing."
NO_ROUTINE = "Demo patient has no plan: the demo routine is not published."

Done = SessionExercise.Status.DONE
Partial = SessionExercise.Status.PARTIAL
Skipped = SessionExercise.Status.SKIPPED
Side = SessionSet.Side


def demo_patient_load(*, report: DemoReport, logins: bool, reset: bool) -> None:
    """Create the demo patient with a plan and logged sessions, unless they have sessions.

    Does nothing without DEBUG or with logins off; records what it created in ``report``
    and adds the patient's login to it.
    """
    if not (logins and settings.DEBUG):
        return
    patient = (
        User.objects.filter(email=PATIENT.email)
        .annotate(has_sessions=Exists(Session.objects.filter(patient=OuterRef("pk"))))
        .first()
    )
    if patient is not None and patient.has_sessions and not reset:
        report.logins.append(PATIENT)
        return
    with transaction.atomic():
        _DemoPatientLoader(report=report, patient=patient, reset=reset).load()


class _DemoPatientLoader:
    def __init__(self, *, report: DemoReport, patient: User | None, reset: bool):
        self.report = report
        self.patient = patient
        self.reset = reset

    def load(self) -> None:
        clinician = User.objects.filter(
            email=CLINICIAN.email, role=User.Role.CLINICIAN, is_active=True
        ).first()
        if clinician is None:
            self.report.logins_note = NO_CLINICIAN
            return
        patient = demo_user_sync(
            PATIENT, user=self.patient, reset=self.reset, report=self.report
        )
        self.report.logins.append(PATIENT)
        if not CareRelationship.objects.filter(
            clinician=clinician, patient=patient
        ).exists():
            care_link(clinician=clinician, patient=patient)
            self.report.created["care relationships"] += 1
        if getattr(patient, "has_sessions", False):
            return  # reset: the login is back; the logs are never rewritten

        today = local_today(tz_name=patient.timezone)
        plan = self._plan(patient, clinician, today)
        if plan is None:
            self.report.logins_note = NO_ROUTINE
            return
        self._upload_sessions(patient, plan, today)

    # -- the plan -----------------------------------------------------------------
    def _plan(self, patient: User, clinician: User, today: dt.date) -> Plan | None:
        """The patient's plan of the demo routine (an earlier partial load's), or a new one."""
        existing = (
            Plan.objects.filter(patient=patient, routine__slug=ROUTINE_SLUG)
            .exclude(status=Plan.Status.ENDED)
            .first()
        )
        if existing is not None:
            return existing
        routine = Routine.objects.filter(
            slug=ROUTINE_SLUG, status=Status.PUBLISHED
        ).first()
        if routine is None:
            return None
        plan = plan_prescribe(
            prescriber=clinician,
            patient=patient,
            routine=routine,
            start_date=today - dt.timedelta(weeks=PLAN_WEEKS),
            days_of_week=list(PLAN_DAYS),
            note=PLAN_NOTE,
            items=[
                {"routine_item": item_id, "band": LIGHT_BAND}
                for item_id in routine.items.values_list("id", flat=True)
            ],
        )
        self.report.created["plans"] += 1
        return plan

    # -- the session logs -----------------------------------------------------------
    def _upload_sessions(self, patient: User, plan: Plan, today: dt.date) -> None:
        items = {
            item.exercise.slug: item for item in plan.items.select_related("exercise")
        }
        swaps = dict(
            Exercise.objects.filter(slug=LATERAL_WALK_SHORT).values_list("slug", "id")
        )
        tz = zoneinfo.ZoneInfo(patient.timezone)
        days = [
            plan.start_date + dt.timedelta(days=n)
            for n in range((today - plan.start_date).days)
            if (plan.start_date + dt.timedelta(days=n)).isoweekday()
            in plan.days_of_week
        ]
        logged = [day for index, day in enumerate(days) if index not in MISSED]
        for number, day in enumerate(logged):
            script = _script(number, len(logged))
            # Monday and Wednesday mornings before the walk, Friday after work.
            start = EVENING if day.isoweekday() == 5 else MORNING
            started_at = dt.datetime.combine(day, start, tzinfo=tz)
            data = {
                "id": uuid.uuid4(),
                "plan": plan.pk,
                "started_at": started_at,
                "ended_at": started_at + dt.timedelta(minutes=script.minutes),
                "pain_before": script.pain_before,
                "pain_after": script.pain_after,
                "effort": script.effort,
                "notes": script.notes,
                "exercises": [
                    _exercise(items[slug], entry, swaps)
                    for slug, entry in script.entries
                ],
            }
            session_upload(patient=patient, data=data)
        self.report.created["sessions"] += len(logged)


# ---------------------------------------------------------------------------
# What the patient did: a fixed script, pain easing a little week after week
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class DemoEntry:
    """One exercise of a session: status, pain during, notes and sets (side, amount).

    ``swap``: the slug of the linked exercise done instead of the item's (a regression
    on the bad day); ``difficulty`` and ``rpe`` (Borg CR10) are the patient's ratings.
    """

    status: str
    sets: tuple[
        tuple[str, int, bool], ...
    ]  # (side or direction, reps or steps, completed)
    band: str
    pain_during: int | None = None
    notes: str = ""
    difficulty: str = ""
    rpe: int | None = None
    swap: str = ""


@dataclass(frozen=True)
class DemoSession:
    minutes: int
    pain_before: int
    pain_after: int
    effort: int
    notes: str
    entries: tuple[tuple[str, DemoEntry], ...]


# Session notes by position (the rest have none).
NOTES = {
    0: "First time with the band: it kept rolling up my shins.",
    2: "Had to leave early for work.",
    5: "Back felt tight after the side steps today.",
    7: "Moved up to the medium band.",
}


def _script(number: int, total: int) -> DemoSession:
    """The ``number``-th logged session of ``total``: deterministic, slowly improving."""
    progress = number / max(total - 1, 1)
    # Pain before eases from 5 to 3, pain after from 4 to 1 (with a bad day at #5).
    pain_before = round(5 - 2 * progress)
    pain_after = round(4 - 3 * progress) + (1 if number == 5 else 0)
    band = LIGHT_BAND if number < 7 else MEDIUM_BAND
    # Easier as the weeks go by, harder again with the medium band.
    rpe = 5 if number < 3 else (4 if number < 7 else 6)
    short = number < 2  # the first sessions fall short on the squat's last set
    squat = DemoEntry(
        Done,
        tuple((Side.BOTH, 8 if short and n == 2 else 10, True) for n in range(3)),
        band,
        pain_during=max(pain_before - 1, 0),
        difficulty=SessionExercise.Difficulty.TOO_HARD
        if short
        else SessionExercise.Difficulty.JUST_RIGHT,
        rpe=rpe + (2 if short else 0),
    )
    # One set: 5 steps to the right, then 5 to the left (a row each way).
    lateral = DemoEntry(
        Done,
        tuple((side, 5, True) for _ in range(3) for side in (Side.RIGHT, Side.LEFT)),
        band,
        pain_during=max(pain_before - 2, 0),
        difficulty=SessionExercise.Difficulty.JUST_RIGHT,
        rpe=rpe,
    )
    # One set: 5 steps forward, then 5 back.
    forward_back = DemoEntry(
        Done,
        tuple(
            (side, 5, True) for _ in range(3) for side in (Side.FORWARD, Side.BACKWARD)
        ),
        band,
        pain_during=1,
        difficulty=SessionExercise.Difficulty.JUST_RIGHT,
        rpe=rpe,
    )
    if number == 5:
        # A bad day: the trunk leaned, so the patient took the regression the plan
        # offers (short steps), as the notes advise.
        lateral = DemoEntry(
            Done,
            tuple(
                (side, 5, True) for _ in range(3) for side in (Side.RIGHT, Side.LEFT)
            ),
            band,
            pain_during=4,
            notes="My trunk kept leaning, so I took smaller steps.",
            difficulty=SessionExercise.Difficulty.JUST_RIGHT,
            rpe=7,
            swap=LATERAL_WALK_SHORT,
        )
    if number == 2:
        forward_back = DemoEntry(Skipped, (), band, notes="No time.")
    if number == 8:
        squat = DemoEntry(
            Partial,
            ((Side.BOTH, 10, True), (Side.BOTH, 10, True)),
            band,
            pain_during=2,
            notes="Two sets only, knees tired from yesterday's hike.",
            difficulty=SessionExercise.Difficulty.TOO_HARD,
            rpe=8,
        )
    return DemoSession(
        minutes=16 if forward_back.status == Skipped else 20,
        pain_before=pain_before,
        pain_after=pain_after,
        effort=6 if number < 7 else 5,
        notes=NOTES.get(number, ""),
        entries=(
            (SQUAT, squat),
            (LATERAL_WALK, lateral),
            (FORWARD_BACK_WALK, forward_back),
        ),
    )


def _exercise(
    item: PlanItem, entry: DemoEntry, swaps: dict[str, uuid.UUID]
) -> dict[str, Any]:
    """An upload's exercise entry (the shape session_upload takes)."""
    swapped = swaps.get(entry.swap) if entry.swap else None
    return {
        "exercise": swapped or item.exercise_id,
        "plan_item": item.pk,
        "substitution": SessionExercise.Substitution.REGRESSION if swapped else "",
        "status": entry.status,
        "pain_during": entry.pain_during if entry.status != Skipped else None,
        "difficulty": entry.difficulty,
        "rpe": entry.rpe,
        "notes": entry.notes,
        "sets": [
            {
                "side": side,
                "reps": amount,
                "seconds": None,
                "load": "",
                "band": entry.band,
                "completed": completed,
            }
            for side, amount, completed in entry.sets
        ],
    }
