"""Rehabit's models as FHIR R4 resources (JSON dicts): mappings, never a second copy.

Ids are the REST API's ids. Codes: LOINC for pain (72514-3) and for the session
(73985-4 "Exercise activity", 55411-3 "Exercise duration", as the HL7 Physical Activity
IG uses them), SNOMED CT 229065009 "Exercise therapy" for prescribed exercises, and
Rehabit's own code system for what no standard code names (effort, exercises done).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sessions.models import Plan, PlanItem, Session
    from users.models import User

FHIR_VERSION = "4.0.1"
LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"


# Rehabit's own code systems: one canonical URI for every deployment (not a live URL).
REHABIT_CODE_SYSTEMS = "https://rehabit.dev/fhir/CodeSystem/"


def rehabit_system(name: str) -> str:
    return f"{REHABIT_CODE_SYSTEMS}{name}"


PAIN_CODE = "72514-3"
PAIN_DISPLAY = "Pain severity - 0-10 verbal numeric rating [Score] - Reported"
SESSION_CODE = "73985-4"
SESSION_DISPLAY = "Exercise activity"
DURATION_CODE = "55411-3"
DURATION_DISPLAY = "Exercise duration"
EXERCISE_THERAPY = {
    "system": SNOMED,
    "code": "229065009",
    "display": "Exercise therapy",
}

PAIN_BEFORE, PAIN_AFTER, SESSION = "pain-before", "pain-after", "session"
# Observation kinds by code (system, code), for the ``code`` search parameter.
OBSERVATION_KINDS: dict[tuple[str, str], tuple[str, ...]] = {
    (LOINC, PAIN_CODE): (PAIN_BEFORE, PAIN_AFTER),
    (LOINC, SESSION_CODE): (SESSION,),
}
PLAN_STATUS = {"active": "active", "paused": "on-hold", "ended": "completed"}
ACTIVITY_STATUS = {"active": "in-progress", "paused": "on-hold", "ended": "completed"}
WEEKDAYS = {1: "mon", 2: "tue", 3: "wed", 4: "thu", 5: "fri", 6: "sat", 7: "sun"}


def instant(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def ref(resource_type: str, pk: Any) -> dict[str, str]:
    return {"reference": f"{resource_type}/{pk}"}


def _person(user: User, resource_type: str) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": resource_type,
        "id": str(user.pk),
        "active": user.is_active,
        "telecom": [{"system": "email", "value": user.email, "use": "work"}],
    }
    if user.name:
        resource["name"] = [{"text": user.name}]
    return resource


def patient(user: User) -> dict[str, Any]:
    resource = _person(user, "Patient")
    resource["telecom"][0]["use"] = "home"
    return resource


def practitioner(user: User) -> dict[str, Any]:
    return _person(user, "Practitioner")


def timing(plan: Plan) -> dict[str, Any]:
    """The plan's schedule: weekdays (once on each) or times per week, within its dates."""
    bounds = {"start": plan.start_date.isoformat()}
    if plan.end_date:
        bounds["end"] = plan.end_date.isoformat()
    repeat: dict[str, Any] = {"boundsPeriod": bounds}
    if plan.days_of_week:
        repeat |= {"frequency": 1, "period": 1, "periodUnit": "d"}
        repeat["dayOfWeek"] = [WEEKDAYS[day] for day in sorted(plan.days_of_week)]
    elif plan.times_per_week:
        repeat |= {"frequency": plan.times_per_week, "period": 1, "periodUnit": "wk"}
    return {"repeat": repeat}


def dosage_text(item: PlanItem) -> str:
    """The dosage in words, e.g. "3 sets of 10 reps per side; hold 5 s; rest 30 s"."""
    if item.reps:
        amount = f"{item.reps} reps"
    elif item.steps:
        amount = f"{item.steps} steps"
    else:
        amount = f"{item.seconds} s"
    parts = [f"{item.sets} set{'s' if item.sets != 1 else ''} of {amount}"]
    if item.per_side:
        parts[0] += " per side"
    if item.hold_seconds:
        parts.append(f"hold {item.hold_seconds} s")
    if item.rest_seconds is not None:
        parts.append(f"rest {item.rest_seconds} s between sets")
    if item.load:
        parts.append(item.load)
    if item.tempo:
        parts.append(f"tempo {item.tempo}")
    text = "; ".join(parts) + "."
    return f"{text} {item.note}" if item.note else text


def _exercise_code(item: PlanItem) -> dict[str, Any]:
    exercise = item.exercise
    return {
        "coding": [
            EXERCISE_THERAPY,
            {
                "system": rehabit_system("exercise"),
                "code": exercise.slug,
                "display": exercise.name,
            },
        ],
        "text": exercise.name,
    }


def care_plan(plan: Plan, items: list[PlanItem]) -> dict[str, Any]:
    """A plan: one activity per item, each with the plan's schedule as a Timing."""
    period = {"start": plan.start_date.isoformat()}
    if plan.end_date:
        period["end"] = plan.end_date.isoformat()
    resource: dict[str, Any] = {
        "resourceType": "CarePlan",
        "id": str(plan.pk),
        "meta": {"lastUpdated": instant(plan.updated_at)},
        "status": PLAN_STATUS[plan.status],
        "intent": "plan",
        "category": [{"coding": [EXERCISE_THERAPY]}],
        "title": plan.title,
        "subject": ref("Patient", plan.patient_id),
        "period": period,
        "created": instant(plan.created_at),
        "activity": [
            {
                "detail": {
                    "kind": "ServiceRequest",
                    "code": _exercise_code(item),
                    "status": ACTIVITY_STATUS[plan.status],
                    "scheduledTiming": timing(plan),
                    "description": dosage_text(item),
                }
            }
            for item in items
        ],
    }
    if plan.note:
        resource["description"] = plan.note
    if plan.prescribed_by_id:
        resource["author"] = ref("Practitioner", plan.prescribed_by_id)
    return resource


def service_request(item: PlanItem) -> dict[str, Any]:
    """One prescribed exercise: dosage in ``quantity`` (sets) and ``patientInstruction``."""
    plan = item.plan
    resource: dict[str, Any] = {
        "resourceType": "ServiceRequest",
        "id": str(item.pk),
        "meta": {"lastUpdated": instant(plan.updated_at)},
        "basedOn": [ref("CarePlan", plan.pk)],
        "status": PLAN_STATUS[plan.status],
        "intent": "order",
        "category": [{"coding": [EXERCISE_THERAPY]}],
        "code": _exercise_code(item),
        "quantityQuantity": {
            "value": item.sets,
            "unit": "sets",
            "system": UCUM,
            "code": "{sets}",
        },
        "subject": ref("Patient", plan.patient_id),
        "occurrenceTiming": timing(plan),
        "authoredOn": instant(plan.created_at),
        "patientInstruction": dosage_text(item),
    }
    if plan.prescribed_by_id:
        resource["requester"] = ref("Practitioner", plan.prescribed_by_id)
    return resource


def observation_id(session_id: Any, kind: str) -> str:
    return str(session_id) if kind == SESSION else f"{session_id}-{kind}"


def _observation(session: Session, kind: str, category: str) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": observation_id(session.pk, kind),
        "meta": {"lastUpdated": instant(session.updated_at)},
        "status": "final" if session.version == 1 else "amended",
        "category": [{"coding": [{"system": OBSERVATION_CATEGORY, "code": category}]}],
        "subject": ref("Patient", session.patient_id),
        "issued": instant(session.created_at),
    }
    if session.plan_id:
        resource["basedOn"] = [ref("CarePlan", session.plan_id)]
    return resource


def pain_observation(session: Session, kind: str) -> dict[str, Any]:
    """Pain before or after the session (0-10), at the session's start or end."""
    before = kind == PAIN_BEFORE
    value = session.pain_before if before else session.pain_after
    when = session.started_at if before else (session.ended_at or session.started_at)
    resource = _observation(session, kind, "survey")
    resource["code"] = {
        "coding": [{"system": LOINC, "code": PAIN_CODE, "display": PAIN_DISPLAY}],
        "text": "Pain before the session" if before else "Pain after the session",
    }
    resource["effectiveDateTime"] = instant(when)
    resource["valueQuantity"] = {
        "value": value,
        "unit": "score",
        "system": UCUM,
        "code": "{score}",
    }
    return resource


def session_observation(session: Session, exercises_done: int) -> dict[str, Any]:
    """The session: its period, duration, effort, exercises done, and its pain scores."""
    resource = _observation(session, SESSION, "activity")
    resource["code"] = {
        "coding": [{"system": LOINC, "code": SESSION_CODE, "display": SESSION_DISPLAY}],
        "text": "Home exercise session",
    }
    period = {"start": instant(session.started_at)}
    components: list[dict[str, Any]] = []
    if session.ended_at:
        period["end"] = instant(session.ended_at)
        minutes = (session.ended_at - session.started_at).total_seconds() / 60
        components.append(
            {
                "code": {
                    "coding": [
                        {
                            "system": LOINC,
                            "code": DURATION_CODE,
                            "display": DURATION_DISPLAY,
                        }
                    ]
                },
                "valueQuantity": {
                    "value": round(minutes, 1),
                    "unit": "min",
                    "system": UCUM,
                    "code": "min",
                },
            }
        )
    if session.effort is not None:
        components.append(_local_component("effort", "Effort (0-10)", session.effort))
    components.append(
        _local_component("exercises-done", "Exercises done", exercises_done)
    )
    resource["effectivePeriod"] = period
    resource["component"] = components
    members = [
        ref("Observation", observation_id(session.pk, kind))
        for kind, value in (
            (PAIN_BEFORE, session.pain_before),
            (PAIN_AFTER, session.pain_after),
        )
        if value is not None
    ]
    if members:
        resource["hasMember"] = members
    if session.notes:
        resource["note"] = [{"text": session.notes}]
    return resource


def _local_component(code: str, display: str, value: int) -> dict[str, Any]:
    return {
        "code": {
            "coding": [
                {"system": rehabit_system("session"), "code": code, "display": display}
            ]
        },
        "valueInteger": value,
    }


def operation_outcome(*, severity: str, code: str, diagnostics: str) -> dict[str, Any]:
    """An OperationOutcome with one issue (FHIR's error body)."""
    return {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": severity, "code": code, "diagnostics": diagnostics}],
    }
