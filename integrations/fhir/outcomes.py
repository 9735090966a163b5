"""Outcome measures and alerts as FHIR R4: ``QuestionnaireResponse`` and ``Flag``.

Mappings of the outcomes app's rows (never a second copy), ids the REST API's ids
(``questionnaire-responses/{id}``, ``alerts/{id}``), read and searched with the outcomes
app's own visibility rules (``response_visible``, ``alert_visible``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from integrations.fhir.mapping import instant, ref, rehabit_system
from integrations.fhir.selectors import fhir_alerts, fhir_questionnaire_responses
from integrations.fhir.types import (
    PATIENT_PARAM,
    UPDATED_PARAM,
    Found,
    Page,
    ResourceType,
    uuid_or_none,
    window,
)
from outcomes.models import AlertKind, AlertStatus

if TYPE_CHECKING:
    from collections.abc import Mapping

    from integrations.fhir.search import Search
    from outcomes.models import Alert, QuestionnaireResponse
    from users.models import User

# The score Rehabit computes from the answers (the questionnaire's scoring rule): not
# an answer the patient gave, so an extension rather than an item the Questionnaire
# does not define.
SCORE_EXTENSION = "https://rehabit.dev/fhir/StructureDefinition/questionnaire-score"
VALUE_KEYS = ("valueInteger", "valueDecimal", "valueString", "valueCoding")
FLAG_CATEGORY = "http://terminology.hl7.org/CodeSystem/flag-category"
ALERT_AUTHOR = "Rehabit alert rules"


# -- QuestionnaireResponse -------------------------------------------------------
def _answer(definition: Mapping[str, Any], answer: Mapping[str, Any]) -> dict[str, Any]:
    """One stored answer with its value only; a choice gets the option's coding."""
    if "valueCoding" in answer and definition.get("type") == "choice":
        code = answer["valueCoding"].get("code")
        for option in definition.get("answerOption", []):
            if option["valueCoding"]["code"] == code:
                return {"valueCoding": dict(option["valueCoding"])}
    return {key: answer[key] for key in VALUE_KEYS if key in answer}


def questionnaire_response(response: QuestionnaireResponse) -> dict[str, Any]:
    """A patient's answers: the questionnaire's canonical URL|version, items, the score."""
    questionnaire = response.questionnaire
    definitions = {item["linkId"]: item for item in questionnaire.items}
    items = []
    for entry in response.items:
        definition = definitions.get(entry["linkId"], {})
        item: dict[str, Any] = {"linkId": entry["linkId"]}
        if definition.get("text"):
            item["text"] = definition["text"]
        item["answer"] = [_answer(definition, a) for a in entry.get("answer", [])]
        items.append(item)
    resource: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "id": str(response.pk),
        "meta": {"lastUpdated": instant(response.created_at)},
        "extension": [{"url": SCORE_EXTENSION, "valueDecimal": response.score}],
        "questionnaire": questionnaire.canonical,
        "status": response.fhir_status,
        "subject": ref("Patient", response.patient_id),
        "authored": instant(response.authored),
        "author": ref("Patient", response.patient_id),
        "source": ref("Patient", response.patient_id),
        "item": items,
    }
    if response.assignment is not None:
        resource["basedOn"] = [ref("CarePlan", response.assignment.plan_id)]
    return resource


def _response_read(user: User, pk: str) -> Found | None:
    key = uuid_or_none(pk)
    response = (
        fhir_questionnaire_responses(user=user).filter(pk=key).first() if key else None
    )
    if response is None:
        return None
    return Found(questionnaire_response(response), response.patient_id)


def _response_search(user: User, query: Search) -> Page:
    responses = fhir_questionnaire_responses(user=user).filter(
        query.updated_filter("created_at")
    )
    if query.patient:
        responses = responses.filter(patient_id=query.patient)
    rows, total = window(responses.order_by("-authored", "pk"), query)
    return Page(
        [questionnaire_response(row) for row in rows],
        total,
        [row.patient_id for row in rows],
    )


# -- Flag --------------------------------------------------------------------------
def flag(alert: Alert) -> dict[str, Any]:
    """An alert: active while open or acknowledged, inactive once resolved.

    ``alert`` comes from ``fhir_alerts`` (annotated with ``last_updated``).
    """
    resolved = alert.status == AlertStatus.RESOLVED
    period = {"start": instant(alert.created_at)}
    if resolved and alert.resolved_at:
        period["end"] = instant(alert.resolved_at)
    return {
        "resourceType": "Flag",
        "id": str(alert.pk),
        "meta": {"lastUpdated": instant(alert.last_updated)},  # type: ignore[attr-defined]
        "status": "inactive" if resolved else "active",
        "category": [
            {
                "coding": [
                    {"system": FLAG_CATEGORY, "code": "clinical", "display": "Clinical"}
                ]
            }
        ],
        "code": {
            "coding": [
                {
                    "system": rehabit_system("alert-kind"),
                    "code": alert.kind,
                    "display": AlertKind(alert.kind).label,
                }
            ],
            "text": alert.message,
        },
        "subject": ref("Patient", alert.patient_id),
        "period": period,
        "author": {"display": ALERT_AUTHOR},
    }


def _flag_read(user: User, pk: str) -> Found | None:
    key = uuid_or_none(pk)
    alert = fhir_alerts(user=user).filter(pk=key).first() if key else None
    if alert is None:
        return None
    return Found(flag(alert), alert.patient_id)


def _flag_search(user: User, query: Search) -> Page:
    alerts = fhir_alerts(user=user).filter(query.updated_filter("last_updated"))
    if query.patient:
        alerts = alerts.filter(patient_id=query.patient)
    rows, total = window(alerts.order_by("-created_at", "pk"), query)
    return Page([flag(row) for row in rows], total, [row.patient_id for row in rows])


QUESTIONNAIRE_RESPONSE = ResourceType(
    "QuestionnaireResponse",
    _response_read,
    _response_search,
    PATIENT_PARAM | UPDATED_PARAM,
)
FLAG = ResourceType("Flag", _flag_read, _flag_search, PATIENT_PARAM | UPDATED_PARAM)
