"""What the admin's patient page draws: pain per session, adherence per week, each
outcome measure's scores, and the alerts, over the last weeks (a fixed number of queries).
"""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils import timezone

from outcomes.models import Alert, AlertKind, Questionnaire, QuestionnaireResponse
from sessions.models import Session
from sessions.progress import WeekProgress, progress_get

if TYPE_CHECKING:
    from users.models import User

CHART_WEEKS = 12
# At most this many sessions and answers are drawn (the most recent ones).
MAX_POINTS = 400
ALERT_KIND_LABELS = dict(AlertKind.choices)


@dataclass(frozen=True)
class MeasureSeries:
    """One instrument's scores in time order; the first is the baseline."""

    questionnaire: Questionnaire
    scores: list[tuple[dt.datetime, float]]


@dataclass(frozen=True)
class PatientCharts:
    """The data of the patient page's charts, times in the patient's time zone."""

    start: dt.datetime
    end: dt.datetime
    sessions: list[tuple[dt.datetime, int | None, int | None]]
    weeks: list[WeekProgress]
    measures: list[MeasureSeries]
    # (when: the session's start for a session's alert, else when raised; kind; message)
    alerts: list[tuple[dt.datetime, str, str]]


def patient_charts(
    *, patient: User, now: dt.datetime | None = None, weeks: int = CHART_WEEKS
) -> PatientCharts:
    """The last ``weeks`` weeks of ``patient``'s data for the charts.

    The caller has checked that the reader may see this patient (and logs the read).
    Queries: sessions 1, adherence per week 6 (``progress_get``), answers 1 and their
    questionnaires 1, alerts 1: ten, however many rows.
    """
    now = now or timezone.now()
    zone = zoneinfo.ZoneInfo(patient.timezone)
    end = now.astimezone(zone)
    today = end.date()
    first_day = today - dt.timedelta(days=7 * weeks - 1)
    first_day -= dt.timedelta(days=first_day.weekday())  # whole weeks, from a Monday
    start = dt.datetime.combine(first_day, dt.time(), tzinfo=zone)
    sessions = list(
        Session.objects.filter(
            patient_id=patient.pk, deleted_at__isnull=True, started_at__gte=start
        )
        .order_by("-started_at")
        .values_list("started_at", "pain_before", "pain_after")[:MAX_POINTS]
    )
    progress = progress_get(
        patient=patient, date_from=first_day, date_to=today, now=now
    )
    answers = list(
        QuestionnaireResponse.objects.filter(patient_id=patient.pk)
        .order_by("-authored", "-created_at")
        .values_list("questionnaire_id", "authored", "score")[:MAX_POINTS]
    )
    scores: dict[uuid.UUID, list[tuple[dt.datetime, float]]] = {}
    for questionnaire_id, authored, value in reversed(answers):
        scores.setdefault(questionnaire_id, []).append(
            (authored.astimezone(zone), value)
        )
    questionnaires = Questionnaire.objects.in_bulk(list(scores))
    alerts = Alert.objects.filter(patient_id=patient.pk, created_at__gte=start)
    return PatientCharts(
        start=start,
        end=end,
        sessions=[
            (started.astimezone(zone), before, after)
            for started, before, after in reversed(sessions)
        ],
        weeks=progress.weeks,
        measures=sorted(
            (
                MeasureSeries(questionnaire=questionnaires[pk], scores=points)
                for pk, points in scores.items()
            ),
            key=lambda series: series.questionnaire.title,
        ),
        alerts=[
            ((started or created).astimezone(zone), ALERT_KIND_LABELS[kind], message)
            for created, started, kind, message in alerts.order_by(
                "created_at"
            ).values_list("created_at", "session__started_at", "kind", "message")[
                :MAX_POINTS
            ]
        ],
    )
