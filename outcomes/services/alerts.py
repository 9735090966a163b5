"""Writes of alerts: raise one per cause, run the rules, acknowledge and resolve.

Errors: ``AlertStateConflict`` (acknowledging a resolved alert: map to 409).
"""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Max, OuterRef, Q, Subquery
from django.utils import timezone

from outcomes import rules, scoring
from outcomes.models import (
    UNRESOLVED,
    Alert,
    AlertKind,
    AlertStatus,
    QuestionnaireResponse,
)
from outcomes.signals import alert_created
from sessions.models import Plan, Session, SessionExercise

if TYPE_CHECKING:
    from users.models import User

__all__ = [
    "ALERT_RESOLVED",
    "AlertStateConflict",
    "alert_acknowledge",
    "alert_raise",
    "alert_resolve",
    "alerts_response_rules_run",
    "alerts_session_rules_run",
    "alerts_time_rules_run",
]

ALERT_RESOLVED = "This alert is resolved; it can no longer be acknowledged."


class AlertStateConflict(Exception):
    """The alert's status does not allow this transition."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def alert_raise(
    *,
    patient_id: uuid.UUID,
    finding: rules.Finding,
    session: Session | None = None,
    plan_id: uuid.UUID | None = None,
) -> tuple[Alert, bool]:
    """Store ``finding`` as an open alert unless its cause has one; returns (alert, created).

    Sends ``alert_created`` inside the transaction, only for a new alert. Safe under
    concurrency: the unique (patient, key) index decides, the loser reads the winner's.
    """
    with transaction.atomic():
        alert, created = Alert.objects.get_or_create(
            patient_id=patient_id,
            key=finding.key,
            defaults={
                "kind": finding.kind,
                "message": finding.message[:300],
                "evidence": finding.evidence,
                "session": session,
                "plan_id": plan_id,
            },
        )
        if created:
            alert_created.send(sender=Alert, alert=alert)
    return alert, created


def _trend_points(
    session: Session, limits: rules.Thresholds
) -> list[tuple[dt.datetime, int]]:
    """(started_at, pain after) of the patient's sessions in the trend window (1 query)."""
    since = session.started_at - dt.timedelta(days=limits.trend_days)
    rows = (
        Session.objects.filter(
            patient_id=session.patient_id,
            deleted_at__isnull=True,
            pain_after__isnull=False,
            started_at__gte=since,
            started_at__lte=session.started_at,
        )
        .order_by("started_at")
        .values_list("started_at", "pain_after")
    )
    return [(started_at, pain) for started_at, pain in rows if pain is not None]


def _too_hard_findings(
    session: Session, limits: rules.Thresholds
) -> list[rules.Finding | None]:
    """The repeated "too hard" rule for each exercise this session marked too hard.

    Counts the last too_hard_sessions live sessions that included the exercise, up to
    this one and after the session of the exercise's latest too_hard alert: nothing
    new while that alert is unresolved, and once it is resolved it takes a fresh run of
    marks to raise the next. A retry or a rerun finds its own alert (one per cause).
    One query, plus at most two per exercise marked.
    """
    marked = dict(
        SessionExercise.objects.filter(
            session=session, difficulty=SessionExercise.Difficulty.TOO_HARD
        ).values_list("exercise_id", "exercise__name")
    )
    findings: list[rules.Finding | None] = []
    for exercise_id, name in marked.items():
        prefix = f"{AlertKind.TOO_HARD}:{exercise_id}:"
        latest = (
            Alert.objects.filter(
                patient_id=session.patient_id,
                kind=AlertKind.TOO_HARD,
                key__startswith=prefix,
            )
            .order_by("-evidence__started_at")
            .values_list("evidence__started_at", "status")
            .first()
        )
        if latest is not None and latest[1] in UNRESOLVED:
            continue  # the clinician has not dealt with the last one yet
        last_alerted = latest[0] if latest else None
        entries = SessionExercise.objects.filter(
            session__patient_id=session.patient_id,
            session__deleted_at__isnull=True,
            session__started_at__lte=session.started_at,
            exercise_id=exercise_id,
        )
        if last_alerted:
            entries = entries.filter(
                session__started_at__gt=dt.datetime.fromisoformat(last_alerted)
            )
        rows = entries.order_by("-session__started_at", "session_id").values_list(
            "session_id", "difficulty"
        )[: limits.too_hard_sessions * 4]
        marks: dict[uuid.UUID, bool] = {}
        for session_id, difficulty in rows:
            too_hard = difficulty == SessionExercise.Difficulty.TOO_HARD
            marks[session_id] = marks.get(session_id, False) or too_hard
        finding = rules.too_hard(
            session_id=session.pk,
            exercise_id=exercise_id,
            exercise_name=name,
            started_at=session.started_at,
            marks=list(marks.values()),
            limits=limits,
        )
        findings.append(finding)
    return findings


def alerts_session_rules_run(*, session_id: uuid.UUID) -> list[Alert]:
    """Run the upload rules on one stored session; returns the alerts raised (new ones).

    Flare and pain during belong to the session; the trend to the two weeks up to it,
    and is not raised by a flare (its own alert says it) nor while an earlier trend
    alert is unresolved; "too hard" to each exercise the session marked so. A deleted or
    unknown session raises nothing (the task may run after a delete).
    """
    session = Session.objects.filter(pk=session_id, deleted_at__isnull=True).first()
    if session is None:
        return []
    limits = rules.Thresholds.from_settings()
    exercises = SessionExercise.objects.filter(session=session).values_list(
        "exercise__name", "pain_during"
    )
    flare = rules.pain_flare(
        session_id=session.pk,
        pain_before=session.pain_before,
        pain_after=session.pain_after,
        limits=limits,
    )
    findings = [
        flare,
        rules.pain_during(
            session_id=session.pk, exercises=list(exercises), limits=limits
        ),
    ]
    # A flare is its own alert: a "trend" it alone makes would say the same twice.
    trend_pending = (
        flare is not None
        or Alert.objects.filter(
            patient_id=session.patient_id,
            kind=AlertKind.PAIN_TREND,
            status__in=UNRESOLVED,
        ).exists()
    )
    if session.pain_after is not None and not trend_pending:
        findings.append(
            rules.pain_trend(points=_trend_points(session, limits), limits=limits)
        )
    findings.extend(_too_hard_findings(session, limits))
    raised = []
    for finding in findings:
        if finding is None:
            continue
        alert, created = alert_raise(
            patient_id=session.patient_id,
            finding=finding,
            session=session,
            plan_id=session.plan_id,
        )
        if created:
            raised.append(alert)
    return raised


def alerts_response_rules_run(*, response_id: uuid.UUID) -> list[Alert]:
    """Run the outcome-measure rule on stored answers: worse than the baseline by the MCID.

    The baseline is the patient's first answer to the same questionnaire; a global
    rating of change ("change" kind) is judged on its own.
    """
    response = (
        QuestionnaireResponse.objects.select_related("questionnaire", "assignment")
        .filter(pk=response_id)
        .first()
    )
    if response is None:
        return []
    questionnaire = response.questionnaire
    baseline = (
        QuestionnaireResponse.objects.filter(
            patient_id=response.patient_id, questionnaire=questionnaire
        )
        .exclude(pk=response.pk)
        .filter(authored__lt=response.authored)
        .order_by("authored", "created_at")
        .values_list("score", flat=True)
        .first()
    )
    is_change = questionnaire.scoring.get("kind", "status") == "change"
    base = None if is_change else baseline
    change, _, worse = scoring.change_assessed(
        questionnaire.scoring, base, response.score
    )
    finding = rules.prom_worse(
        response_id=response.pk,
        title=questionnaire.title,
        baseline=base,
        latest=response.score,
        change=change,
        worse=worse,
        mcid=float(questionnaire.scoring["mcid"]),
    )
    if finding is None:
        return []
    plan_id = response.assignment.plan_id if response.assignment else None
    alert, created = alert_raise(
        patient_id=response.patient_id, finding=finding, plan_id=plan_id
    )
    return [alert] if created else []


def alerts_time_rules_run(*, now: dt.datetime | None = None) -> list[Alert]:
    """Run the periodic rules (inactivity on active plans); returns the alerts raised.

    One query for the plans active today with each patient's last session, then one
    insert per new alert. A rerun the same day (or after a crash) raises nothing twice.
    """
    now = now or timezone.now()
    limits = rules.Thresholds.from_settings()
    last_session = (
        Session.objects.filter(
            patient_id=OuterRef("patient_id"), deleted_at__isnull=True
        )
        .values("patient_id")
        .annotate(last=Max("started_at"))
        .values("last")
    )
    plans = (
        Plan.objects.filter(status=Plan.Status.ACTIVE, patient__is_active=True)
        .filter(start_date__lte=now.date() + dt.timedelta(days=1))
        .filter(
            Q(end_date__isnull=True)
            | Q(end_date__gte=now.date() - dt.timedelta(days=1))
        )
        .annotate(last_session=Subquery(last_session))
        .values_list(
            "pk",
            "patient_id",
            "title",
            "start_date",
            "end_date",
            "patient__timezone",
            "last_session",
        )
    )
    raised = []
    for plan_id, patient_id, title, start, end, tz_name, last in plans:
        tz = zoneinfo.ZoneInfo(tz_name)
        today = now.astimezone(tz).date()
        if start > today or (end is not None and end < today):
            continue
        since = start if last is None else max(start, last.astimezone(tz).date())
        finding = rules.inactivity(
            plan_id=plan_id, plan_title=title, since=since, today=today, limits=limits
        )
        if finding is None:
            continue
        alert, created = alert_raise(
            patient_id=patient_id, finding=finding, plan_id=plan_id
        )
        if created:
            raised.append(alert)
    return raised


@transaction.atomic
def alert_acknowledge(*, alert: Alert, by: User, note: str = "") -> Alert:
    """Mark an open alert as seen by ``by`` (now); an acknowledged one is returned as is.

    Raises AlertStateConflict for a resolved alert.
    """
    current = Alert.objects.select_for_update().get(pk=alert.pk)
    if current.status == AlertStatus.RESOLVED:
        raise AlertStateConflict(ALERT_RESOLVED, "alert_resolved")
    if current.status == AlertStatus.OPEN:
        current.status = AlertStatus.ACKNOWLEDGED
        current.acknowledged_at = timezone.now()
        current.acknowledged_by = by
        if note:
            current.note = note
        current.save(
            update_fields=["status", "acknowledged_at", "acknowledged_by", "note"]
        )
    return current


@transaction.atomic
def alert_resolve(*, alert: Alert, by: User, note: str = "") -> Alert:
    """Close an alert (acknowledging it too if nobody had); a resolved one is returned as is."""
    current = Alert.objects.select_for_update().get(pk=alert.pk)
    if current.status == AlertStatus.RESOLVED:
        return current
    now = timezone.now()
    if current.acknowledged_at is None:
        current.acknowledged_at, current.acknowledged_by = now, by
    current.status = AlertStatus.RESOLVED
    current.resolved_at, current.resolved_by = now, by
    if note:
        current.note = note
    current.save(
        update_fields=[
            "status",
            "acknowledged_at",
            "acknowledged_by",
            "resolved_at",
            "resolved_by",
            "note",
        ]
    )
    return current
