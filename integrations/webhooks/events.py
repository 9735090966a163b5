"""The webhook event types and their payloads: ids and links, never health data.

A payload says *what* changed and *where to read it*: the receiver fetches the resource
through the REST or FHIR API with its own credentials, so the API's authorization and
access log apply to every read of a patient's data (docs/integrations.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings

if TYPE_CHECKING:
    import datetime as dt

    from outcomes.models import Alert, QuestionnaireResponse
    from sessions.models import Plan, Session

SESSION_CREATED = "session.created"
SESSION_UPDATED = "session.updated"
SESSION_DELETED = "session.deleted"
PLAN_CREATED = "plan.created"
PLAN_UPDATED = "plan.updated"
ALERT_CREATED = "alert.created"
QUESTIONNAIRE_RESPONSE_CREATED = "questionnaire_response.created"

EVENT_TYPES: dict[str, str] = {
    SESSION_CREATED: "A patient uploaded a session log.",
    SESSION_UPDATED: "A session log was edited.",
    SESSION_DELETED: "A session log was deleted (a tombstone remains).",
    PLAN_CREATED: "A clinician prescribed a plan.",
    PLAN_UPDATED: "A plan's schedule, status or items changed.",
    ALERT_CREATED: "An alert was raised for the care team.",
    QUESTIONNAIRE_RESPONSE_CREATED: "A patient answered an outcome measure.",
}


def link(path: str) -> str:
    """An absolute URL on this service (PUBLIC_BASE_URL), for payload links."""
    return f"{settings.PUBLIC_BASE_URL.rstrip('/')}{path}"


def links(rest_path: str, fhir_path: str) -> dict[str, str]:
    """A payload's links: the REST resource (``self``) and its FHIR mapping."""
    return {"self": link(rest_path), "fhir": link(fhir_path)}


def envelope(
    *, event_type: str, at: dt.datetime, data: dict[str, Any]
) -> dict[str, Any]:
    """The Standard Webhooks payload shape: type, timestamp, data."""
    return {
        "type": event_type,
        "timestamp": at.isoformat().replace("+00:00", "Z"),
        "data": data,
    }


def session_data(session: Session) -> dict[str, Any]:
    """Ids and links of a session (its tombstone after a delete)."""
    return {
        "id": str(session.id),
        "patient": str(session.patient_id),
        "plan": str(session.plan_id) if session.plan_id else None,
        "version": session.version,
        "links": links(
            f"/api/v1/sessions/{session.id}/", f"/fhir/r4/Observation/{session.id}"
        ),
    }


def plan_data(plan: Plan) -> dict[str, Any]:
    """Ids and links of a plan."""
    return {
        "id": str(plan.id),
        "patient": str(plan.patient_id),
        "links": links(f"/api/v1/plans/{plan.id}/", f"/fhir/r4/CarePlan/{plan.id}"),
    }


def alert_data(alert: Alert) -> dict[str, Any]:
    """Ids and links of an alert (its kind and message stay behind the API)."""
    return {
        "id": str(alert.id),
        "patient": str(alert.patient_id),
        "session": str(alert.session_id) if alert.session_id else None,
        "plan": str(alert.plan_id) if alert.plan_id else None,
        "links": links(f"/api/v1/alerts/{alert.id}/", f"/fhir/r4/Flag/{alert.id}"),
    }


def questionnaire_response_data(response: QuestionnaireResponse) -> dict[str, Any]:
    """Ids and links of a patient's answers (the answers and score stay behind the API)."""
    return {
        "id": str(response.id),
        "patient": str(response.patient_id),
        "questionnaire": str(response.questionnaire_id),
        "links": links(
            f"/api/v1/questionnaire-responses/{response.id}/",
            f"/fhir/r4/QuestionnaireResponse/{response.id}",
        ),
    }
