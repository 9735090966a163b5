"""The outcomes sections of a patient's data export (``me/export/``).

``sessions`` composes the export but may not import this app: ``OutcomesConfig.ready``
registers these readers with ``sessions.selectors.export.export_section_register``.
Each returns JSON-ready values; lists are read in chunks (``iterator``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from outcomes.models import (
    Alert,
    CalendarFeed,
    QuestionnaireAssignment,
    QuestionnaireResponse,
)
from sessions.selectors.export import export_datetime, export_section_register
from users.models import User

CHUNK = 500


def _name(user: User | None) -> str | None:
    return user.name if user is not None else None


def _questionnaire(questionnaire: Any) -> dict[str, Any]:
    return {
        "url": questionnaire.url,
        "version": questionnaire.version,
        "title": questionnaire.title,
    }


def export_alerts(patient: User) -> Iterator[dict[str, Any]]:
    """Every alert raised about ``patient``, oldest first, with who handled it."""
    alerts = (
        Alert.objects.filter(patient=patient)
        .select_related("acknowledged_by", "resolved_by")
        .order_by("created_at", "id")
    )
    for alert in alerts.iterator(chunk_size=CHUNK):
        yield {
            "id": str(alert.pk),
            "kind": alert.kind,
            "status": alert.status,
            "message": alert.message,
            "evidence": alert.evidence,
            "session": str(alert.session_id) if alert.session_id else None,
            "plan": str(alert.plan_id) if alert.plan_id else None,
            "created_at": export_datetime(alert.created_at),
            "acknowledged_at": export_datetime(alert.acknowledged_at),
            "acknowledged_by": _name(alert.acknowledged_by),
            "resolved_at": export_datetime(alert.resolved_at),
            "resolved_by": _name(alert.resolved_by),
            "note": alert.note,
        }


def export_questionnaire_responses(patient: User) -> Iterator[dict[str, Any]]:
    """Every questionnaire ``patient`` answered, oldest first, with its score."""
    responses = (
        QuestionnaireResponse.objects.filter(patient=patient)
        .select_related("questionnaire")
        .order_by("authored", "id")
    )
    for response in responses.iterator(chunk_size=CHUNK):
        yield {
            "id": str(response.pk),
            "questionnaire": _questionnaire(response.questionnaire),
            "assignment": str(response.assignment_id)
            if response.assignment_id
            else None,
            "authored": export_datetime(response.authored),
            "items": response.items,
            "score": response.score,
            "created_at": export_datetime(response.created_at),
        }


def export_questionnaire_assignments(patient: User) -> Iterator[dict[str, Any]]:
    """Every questionnaire assigned on ``patient``'s plans, with its schedule."""
    assignments = (
        QuestionnaireAssignment.objects.filter(plan__patient=patient)
        .select_related("questionnaire", "assigned_by")
        .order_by("start_date", "created_at", "id")
    )
    for assignment in assignments.iterator(chunk_size=CHUNK):
        yield {
            "id": str(assignment.pk),
            "plan": str(assignment.plan_id),
            "questionnaire": _questionnaire(assignment.questionnaire),
            "start_date": assignment.start_date.isoformat(),
            "every_weeks": assignment.every_weeks,
            "assigned_by": _name(assignment.assigned_by),
            "created_at": export_datetime(assignment.created_at),
        }


def export_calendar_feed(patient: User) -> dict[str, Any] | None:
    """Whether ``patient`` has a calendar feed, and when its URL was last made.

    Never the token: the secret URL is a credential (whoever has it reads the schedule).
    """
    rotated_at = (
        CalendarFeed.objects.filter(patient=patient)
        .values_list("rotated_at", flat=True)
        .first()
    )
    if rotated_at is None:
        return None
    return {"exists": True, "rotated_at": export_datetime(rotated_at)}


def register() -> None:
    """Add the outcomes sections to the export (``OutcomesConfig.ready``)."""
    export_section_register("alerts", export_alerts)
    export_section_register("questionnaire_responses", export_questionnaire_responses)
    export_section_register(
        "questionnaire_assignments", export_questionnaire_assignments
    )
    export_section_register("calendar_feed", export_calendar_feed)
