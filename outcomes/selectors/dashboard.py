"""The clinician's dashboard: patients needing attention and content waiting for review.

A fixed number of queries whatever the caseload (see ``clinician_dashboard``).
"""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db.models import Max
from django.utils import timezone

from common.models import Status
from exercises.models import ContentRevision, Exercise, Routine
from outcomes.models import (
    Questionnaire,
    QuestionnaireAssignment,
    QuestionnaireResponse,
)
from outcomes.selectors.alerts import open_alert_count_subquery
from outcomes.selectors.proms import occurrence_current
from sessions.progress import adherence_recent
from sessions.schedules import local_today
from users.models import User
from users.selectors import patient_list

# Adherence is "falling" when the last ADHERENCE_DAYS are at least ADHERENCE_DROP
# (a fraction) below the ADHERENCE_DAYS before them.
ADHERENCE_DAYS = 14
ADHERENCE_DROP = 0.25
# A questionnaire is overdue once its occurrence has been unanswered this many days.
OVERDUE_DAYS = 3
# The most patients the dashboard weighs (an admin sees everyone's: the first by open
# alerts, then name) and lists.
MAX_PATIENTS = 500
MAX_ROWS = 25


@dataclass(frozen=True)
class Overdue:
    title: str
    due_date: dt.date


@dataclass
class AttentionRow:
    """A patient with at least one reason for attention."""

    patient: User
    open_alerts: int
    adherence: float | None = None
    adherence_before: float | None = None
    falling: bool = False
    overdue: list[Overdue] = field(default_factory=list)


@dataclass(frozen=True)
class Dashboard:
    attention: list[AttentionRow]  # at most MAX_ROWS, most urgent first
    attention_total: int
    exercises_in_review: int
    routines_in_review: int
    revisions_pending: int


def _overdue(
    patients: Sequence[User], now: dt.datetime
) -> dict[uuid.UUID, list[Overdue]]:
    """Overdue questionnaires per patient (two queries)."""
    assignments = list(
        QuestionnaireAssignment.objects.filter(
            plan__patient__in=[p.pk for p in patients],
            plan__status="active",
            questionnaire__status=Questionnaire.Status.ACTIVE,
        ).values_list(
            "pk",
            "plan__patient_id",
            "start_date",
            "every_weeks",
            "questionnaire__title",
        )
    )
    latest = dict(
        QuestionnaireResponse.objects.filter(
            assignment_id__in=[row[0] for row in assignments]
        )
        .values("assignment_id")
        .annotate(last=Max("authored"))
        .values_list("assignment_id", "last")
    )
    zones = {p.pk: p.timezone for p in patients}
    out: dict[uuid.UUID, list[Overdue]] = {}
    for pk, patient_id, start_date, every_weeks, title in assignments:
        today = local_today(tz_name=zones[patient_id], now=now)
        occurrence = occurrence_current(
            QuestionnaireAssignment(start_date=start_date, every_weeks=every_weeks),
            today,
        )
        if occurrence is None or (today - occurrence[1]).days < OVERDUE_DAYS:
            continue
        answered = latest.get(pk)
        zone = zoneinfo.ZoneInfo(zones[patient_id])
        if answered is not None and answered.astimezone(zone).date() >= occurrence[1]:
            continue
        out.setdefault(patient_id, []).append(Overdue(title, occurrence[1]))
    return out


def clinician_dashboard(*, user: User, now: dt.datetime | None = None) -> Dashboard:
    """What ``user`` (a clinician, or an admin for everyone) should look at first.

    Attention: open alerts, adherence over the last 14 days at least 25 points below
    the 14 days before, questionnaires overdue by 3 days or more. Review: exercises and
    routines in review submitted by others, content revisions proposed by others.
    Queries: patients 1, adherence 6, questionnaires 2, review 3.
    """
    now = now or timezone.now()
    patients = list(
        patient_list(user=user)
        .annotate(open_alerts=open_alert_count_subquery())
        .order_by("-open_alerts", "name", "email", "pk")
        .only("id", "name", "email", "timezone")[:MAX_PATIENTS]
    )
    recent = adherence_recent(patients=patients, now=now, days=ADHERENCE_DAYS)
    before = adherence_recent(
        patients=patients,
        now=now - dt.timedelta(days=ADHERENCE_DAYS),
        days=ADHERENCE_DAYS,
    )
    overdue = _overdue(patients, now) if patients else {}
    rows = []
    for patient in patients:
        row = AttentionRow(
            patient=patient,
            open_alerts=getattr(patient, "open_alerts", 0),
            adherence=recent.get(patient.pk),
            adherence_before=before.get(patient.pk),
            overdue=overdue.get(patient.pk, []),
        )
        row.falling = (
            row.adherence is not None
            and row.adherence_before is not None
            and row.adherence_before - row.adherence >= ADHERENCE_DROP
        )
        if row.open_alerts or row.falling or row.overdue:
            rows.append(row)
    rows.sort(key=lambda r: (-r.open_alerts, not r.falling, -len(r.overdue)))
    by_others = {"status": Status.IN_REVIEW}
    return Dashboard(
        attention=rows[:MAX_ROWS],
        attention_total=len(rows),
        exercises_in_review=Exercise.objects.filter(**by_others)
        .exclude(submitted_by=user)
        .count(),
        routines_in_review=Routine.objects.filter(**by_others)
        .exclude(submitted_by=user)
        .count(),
        revisions_pending=ContentRevision.objects.filter(
            state=ContentRevision.State.PENDING
        )
        .exclude(proposed_by=user)
        .count(),
    )
