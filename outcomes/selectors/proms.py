"""Reads of outcome measures: what is due, answers in the caller's scope, each measure's
baseline, latest score and change against its MCID.
"""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet

from outcomes import scoring
from outcomes.models import (
    Questionnaire,
    QuestionnaireAssignment,
    QuestionnaireResponse,
)
from users.models import User
from users.selectors import patient_list

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser


@dataclass(frozen=True)
class DueQuestionnaire:
    """An assignment whose current occurrence (baseline or a follow-up) is unanswered."""

    assignment: QuestionnaireAssignment
    due_date: dt.date
    occurrence: int  # 0 = baseline, 1 = first follow-up...


@dataclass(frozen=True)
class MeasureProgress:
    """One instrument's scores for one patient (scoring.change_assessed)."""

    questionnaire: Questionnaire
    responses: int
    baseline: float | None
    baseline_at: dt.datetime | None
    latest: float
    latest_at: dt.datetime
    change: float | None
    important: bool
    worse: bool


def occurrence_current(
    assignment: QuestionnaireAssignment, today: dt.date
) -> tuple[int, dt.date] | None:
    """(number, date) of the latest occurrence on or before ``today``; None before start."""
    if assignment.start_date > today:
        return None
    if not assignment.every_weeks:
        return 0, assignment.start_date
    period = 7 * assignment.every_weeks
    number = (today - assignment.start_date).days // period
    return number, assignment.start_date + dt.timedelta(days=number * period)


def questionnaires_due(*, patient: User, today: dt.date) -> list[DueQuestionnaire]:
    """Assignments on the patient's active plans whose current occurrence is unanswered.

    Two queries: the assignments (questionnaire joined), the latest answer of each.
    ``today`` is the patient's local date; an answer counts for an occurrence when it
    was authored (in the patient's time zone) on or after the occurrence's date.
    """
    assignments = list(
        QuestionnaireAssignment.objects.filter(
            plan__patient=patient,
            plan__status="active",
            questionnaire__status=Questionnaire.Status.ACTIVE,
        )
        .select_related("questionnaire")
        .order_by("start_date", "created_at")
    )
    latest: dict[uuid.UUID, dt.datetime] = {}
    for assignment_id, authored in QuestionnaireResponse.objects.filter(
        assignment__in=assignments
    ).values_list("assignment_id", "authored"):
        if assignment_id not in latest or authored > latest[assignment_id]:
            latest[assignment_id] = authored
    due = []
    zone = zoneinfo.ZoneInfo(patient.timezone)
    for assignment in assignments:
        current = occurrence_current(assignment, today)
        if current is None:
            continue
        number, date = current
        answered = latest.get(assignment.pk)
        if answered is not None and answered.astimezone(zone).date() >= date:
            continue
        due.append(
            DueQuestionnaire(assignment=assignment, due_date=date, occurrence=number)
        )
    return due


def response_visible(*, user: User | AnonymousUser) -> QuerySet[QuestionnaireResponse]:
    """Answers ``user`` may read: their own (patients), their patients' (clinicians), all
    (admins); nothing for anyone else.
    """
    if not user.is_authenticated or not user.is_active:
        return QuestionnaireResponse.objects.none()
    if user.is_superuser:
        return QuestionnaireResponse.objects.all()
    if user.is_clinician:
        return QuestionnaireResponse.objects.filter(patient__in=patient_list(user=user))
    if user.role == User.Role.PATIENT:
        return QuestionnaireResponse.objects.filter(patient=user)
    return QuestionnaireResponse.objects.none()


def response_list(
    *,
    user: User | AnonymousUser,
    patient_id: uuid.UUID | None = None,
    questionnaire_id: uuid.UUID | None = None,
) -> QuerySet[QuestionnaireResponse]:
    """The caller's answers, newest first, with the questionnaire joined (1 query a page)."""
    responses = response_visible(user=user)
    if patient_id is not None:
        responses = responses.filter(patient_id=patient_id)
    if questionnaire_id is not None:
        responses = responses.filter(questionnaire_id=questionnaire_id)
    return responses.select_related("questionnaire").order_by("-authored", "id")


def response_get(
    *, user: User | AnonymousUser, response_id: Any
) -> QuestionnaireResponse | None:
    """One answer visible to ``user``, or None (unknown, not theirs, malformed id)."""
    try:
        pk = uuid.UUID(str(response_id))
    except ValueError:
        return None
    return response_list(user=user).filter(pk=pk).first()


def measures_progress(*, patient_id: Any) -> list[MeasureProgress]:
    """Each instrument the patient answered: baseline (first answer), latest, change.

    Two queries (the scores in time order, then their questionnaires).
    """
    rows = list(
        QuestionnaireResponse.objects.filter(patient_id=patient_id)
        .order_by("authored", "created_at")
        .values_list("questionnaire_id", "authored", "score")
    )
    first: dict[uuid.UUID, tuple[dt.datetime, float]] = {}
    last: dict[uuid.UUID, tuple[dt.datetime, float]] = {}
    counts: dict[uuid.UUID, int] = {}
    for questionnaire_id, authored, value in rows:
        first.setdefault(questionnaire_id, (authored, value))
        last[questionnaire_id] = (authored, value)
        counts[questionnaire_id] = counts.get(questionnaire_id, 0) + 1
    questionnaires = Questionnaire.objects.in_bulk(list(first))
    out = []
    for questionnaire_id, (baseline_at, baseline) in first.items():
        questionnaire = questionnaires[questionnaire_id]
        latest_at, latest = last[questionnaire_id]
        is_change = questionnaire.scoring.get("kind", "status") == "change"
        base = None if is_change or counts[questionnaire_id] < 2 else baseline
        change, important, worse = scoring.change_assessed(
            questionnaire.scoring, base, latest
        )
        out.append(
            MeasureProgress(
                questionnaire=questionnaire,
                responses=counts[questionnaire_id],
                baseline=None if is_change else baseline,
                baseline_at=None if is_change else baseline_at,
                latest=latest,
                latest_at=latest_at,
                change=change,
                important=important,
                worse=worse,
            )
        )
    return sorted(out, key=lambda measure: measure.questionnaire.title)
