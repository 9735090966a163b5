"""Writes of outcome measures: load a questionnaire, assign it to a plan, store answers.

Errors: Django's ``ValidationError`` with dotted paths (map to 400) and
``ResponseConflict`` (an answer id taken by another body or patient: map to 409).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from outcomes import scoring
from outcomes.models import (
    Questionnaire,
    QuestionnaireAssignment,
    QuestionnaireResponse,
)
from outcomes.signals import questionnaire_response_created
from sessions.models import Plan
from sessions.services.plans import can_prescribe
from users.models import User

__all__ = [
    "ResponseConflict",
    "assignment_create",
    "questionnaire_load",
    "questionnaire_response_submit",
]

CONFLICT_OTHER_BODY = (
    "Answers with this id already exist with different content. Use a new id for "
    "new answers."
)
VERSION_ANSWERED = (
    "This version has answers already; publish the change as a new version."
)
INACTIVE_QUESTIONNAIRE = "This questionnaire is not active."
UNKNOWN_ASSIGNMENT = "Unknown assignment."
ASSIGNMENT_MISMATCH = "The assignment is for another questionnaire."
ALREADY_ASSIGNED = "This questionnaire is already assigned to this plan."
PLAN_NOT_ACTIVE = "Questionnaires can only be assigned to an active plan."
UNKNOWN_PLAN = "Unknown plan."


class ResponseConflict(Exception):
    """The response id is taken by another body or another patient."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def questionnaire_load(*, document: Mapping[str, Any]) -> tuple[Questionnaire, bool]:
    """Create or update a questionnaire from a FHIR-like document; (questionnaire, created).

    Keyed by canonical URL and version. A version with answers cannot change (the
    scores already given would no longer match): ValidationError.
    """
    if document.get("resourceType", "Questionnaire") != "Questionnaire":
        raise ValidationError({"resourceType": ["Must be Questionnaire."]})
    scoring.definition_check(document.get("item"), document.get("scoring"))
    fields = {
        "name": document.get("name", ""),
        "title": document.get("title", ""),
        "status": document.get("status", Questionnaire.Status.ACTIVE),
        "description": document.get("description", ""),
        "copyright": document.get("copyright", ""),
        "items": document["item"],
        "scoring": document["scoring"],
    }
    with transaction.atomic():
        found = (
            Questionnaire.objects.select_for_update()
            .filter(url=document.get("url", ""), version=document.get("version", ""))
            .first()
        )
        if found is None:
            found = Questionnaire(
                url=document.get("url", ""), version=document.get("version", "")
            )
            created = True
        else:
            created = False
            changed = any(getattr(found, key) != value for key, value in fields.items())
            if changed and found.responses.exists():
                raise ValidationError({"version": [VERSION_ANSWERED]})
        for key, value in fields.items():
            setattr(found, key, value)
        found.full_clean(validate_unique=False)
        found.save()
    return found, created


def assignment_create(
    *,
    by: User,
    plan_id: uuid.UUID,
    questionnaire_id: uuid.UUID,
    every_weeks: int | None,
    start_date: dt.date | None = None,
) -> QuestionnaireAssignment:
    """Assign a questionnaire to a plan: a baseline from ``start_date`` (the plan's start
    by default), then every ``every_weeks`` weeks.

    ``by`` must be allowed to prescribe to the plan's patient (their clinician, or an
    admin); otherwise the plan is as unknown as a missing one. ValidationError: unknown
    or inactive plan, inactive questionnaire, already assigned.
    """
    plan = Plan.objects.filter(pk=plan_id).first()
    if plan is None or not can_prescribe(user=by, patient_id=plan.patient_id):
        raise ValidationError({"plan": [UNKNOWN_PLAN]})
    questionnaire = Questionnaire.objects.filter(pk=questionnaire_id).first()
    errors: dict[str, list[str]] = {}
    if plan.status != Plan.Status.ACTIVE:
        errors["plan"] = [PLAN_NOT_ACTIVE]
    if questionnaire is None or questionnaire.status != Questionnaire.Status.ACTIVE:
        errors["questionnaire"] = [INACTIVE_QUESTIONNAIRE]
    if errors:
        raise ValidationError(errors)
    assignment = QuestionnaireAssignment(
        plan=plan,
        questionnaire=questionnaire,
        every_weeks=every_weeks,
        start_date=start_date or plan.start_date,
        assigned_by=by,
    )
    assignment.full_clean(validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():
            assignment.save()
    except IntegrityError:
        raise ValidationError({"questionnaire": [ALREADY_ASSIGNED]}) from None
    return assignment


def _hash(data: Mapping[str, Any]) -> str:
    canonical = {
        "questionnaire": str(data["questionnaire"]),
        "assignment": str(data.get("assignment") or ""),
        "authored": data["authored"].astimezone(dt.UTC).isoformat(),
        "item": data["item"],
    }
    text = json.dumps(
        canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _replay(
    existing: QuestionnaireResponse, *, patient: User, digest: str
) -> tuple[QuestionnaireResponse, bool]:
    if existing.patient_id != patient.pk or existing.upload_hash != digest:
        raise ResponseConflict(CONFLICT_OTHER_BODY, "conflict")
    return existing, False


@transaction.atomic
def questionnaire_response_submit(
    *, patient: User, data: Mapping[str, Any]
) -> tuple[QuestionnaireResponse, bool]:
    """Store a patient's answers, or recognise a retry; returns (response, created).

    ``data``: ``id`` (client UUID), ``questionnaire`` (id), optional ``assignment``
    (id, one of the patient's plans), ``authored`` and FHIR ``item`` answers. The
    score is computed here. Sends ``questionnaire_response_created`` in the transaction.
    """
    digest = _hash(data)
    # Serialise the patient's writes, as session uploads do: a retry racing the
    # first upload finds it instead of colliding.
    User.objects.select_for_update().filter(pk=patient.pk).exists()
    existing = QuestionnaireResponse.objects.filter(pk=data["id"]).first()
    if existing is not None:
        return _replay(existing, patient=patient, digest=digest)

    questionnaire = Questionnaire.objects.filter(
        pk=data["questionnaire"], status=Questionnaire.Status.ACTIVE
    ).first()
    if questionnaire is None:
        raise ValidationError({"questionnaire": [INACTIVE_QUESTIONNAIRE]})
    assignment = None
    if data.get("assignment") is not None:
        assignment = QuestionnaireAssignment.objects.filter(
            pk=data["assignment"], plan__patient=patient
        ).first()
        if assignment is None:
            raise ValidationError({"assignment": [UNKNOWN_ASSIGNMENT]})
        if assignment.questionnaire_id != questionnaire.pk:
            raise ValidationError({"assignment": [ASSIGNMENT_MISMATCH]})
    values = scoring.answers_read(questionnaire.items, data["item"])
    response = QuestionnaireResponse(
        id=data["id"],
        patient=patient,
        questionnaire=questionnaire,
        assignment=assignment,
        authored=data["authored"],
        items=data["item"],
        score=scoring.score(questionnaire.items, questionnaire.scoring, values),
        upload_hash=digest,
    )
    try:
        with transaction.atomic():
            response.save(force_insert=True)
    except IntegrityError:
        existing = QuestionnaireResponse.objects.filter(pk=data["id"]).first()
        if existing is None:
            raise
        return _replay(existing, patient=patient, digest=digest)
    questionnaire_response_created.send(sender=QuestionnaireResponse, response=response)
    return response, True
