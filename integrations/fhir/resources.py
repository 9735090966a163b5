"""The resource types served: each reads by id and searches, scoped to the caller.

A read returns the resource and the patient whose data it is (for the access log), a
search a page of resources with the total and the patients on the page. Queries per
request are fixed whatever the page size (tests/integrations/test_fhir_queries.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import CharField, QuerySet, Value

from integrations.fhir import mapping
from integrations.fhir.outcomes import FLAG, QUESTIONNAIRE_RESPONSE
from integrations.fhir.search import Search
from integrations.fhir.selectors import (
    fhir_patients,
    fhir_plan_items,
    fhir_plans,
    fhir_practitioners,
    fhir_sessions,
    with_exercises_done,
)
from integrations.fhir.types import (
    PATIENT_PARAM,
    UPDATED_PARAM,
    Found,
    Gone,
    Page,
    ResourceType,
)
from integrations.fhir.types import uuid_or_none as _uuid
from integrations.fhir.types import window as _window
from sessions.models import Session
from users.models import User

__all__ = ["RESOURCE_TYPES", "Found", "Gone", "Page", "ResourceType"]


# -- Patient, Practitioner ----------------------------------------------------
def _person_read(
    select: Callable[..., QuerySet[User]], to_fhir: Callable[[User], dict[str, Any]]
) -> Callable[[User, str], Found | None]:
    def read(user: User, pk: str) -> Found | None:
        key = _uuid(pk)
        person = select(user=user).filter(pk=key).first() if key else None
        if person is None:
            return None
        own = to_fhir is mapping.patient
        return Found(to_fhir(person), person.pk if own else None)

    return read


def _person_search(
    select: Callable[..., QuerySet[User]], to_fhir: Callable[[User], dict[str, Any]]
) -> Callable[[User, Search], Page]:
    def search(user: User, query: Search) -> Page:
        people, total = _window(select(user=user).order_by("email", "pk"), query)
        own = to_fhir is mapping.patient
        return Page(
            [to_fhir(p) for p in people], total, [p.pk for p in people] if own else []
        )

    return search


# -- CarePlan, ServiceRequest --------------------------------------------------
def _care_plan_read(user: User, pk: str) -> Found | None:
    key = _uuid(pk)
    plan = fhir_plans(user=user).filter(pk=key).first() if key else None
    if plan is None:
        return None
    return Found(mapping.care_plan(plan, list(plan.items.all())), plan.patient_id)


def _care_plan_search(user: User, query: Search) -> Page:
    plans = fhir_plans(user=user).filter(query.updated_filter("updated_at"))
    if query.patient:
        plans = plans.filter(patient_id=query.patient)
    rows, total = _window(plans.order_by("-updated_at", "pk"), query)
    return Page(
        [mapping.care_plan(plan, list(plan.items.all())) for plan in rows],
        total,
        [plan.patient_id for plan in rows],
    )


def _service_request_read(user: User, pk: str) -> Found | None:
    if not pk.isdigit() or len(pk) > 18:
        return None
    item = fhir_plan_items(user=user).filter(pk=int(pk)).first()
    if item is None:
        return None
    return Found(mapping.service_request(item), item.plan.patient_id)


def _service_request_search(user: User, query: Search) -> Page:
    items = fhir_plan_items(user=user).filter(query.updated_filter("plan__updated_at"))
    if query.patient:
        items = items.filter(plan__patient_id=query.patient)
    rows, total = _window(
        items.order_by("-plan__updated_at", "plan_id", "order", "pk"), query
    )
    return Page(
        [mapping.service_request(item) for item in rows],
        total,
        [item.plan.patient_id for item in rows],
    )


# -- Observation: a session and its pain scores ----------------------------------
KINDS = (mapping.SESSION, mapping.PAIN_BEFORE, mapping.PAIN_AFTER)
KIND_FIELD = {mapping.PAIN_BEFORE: "pain_before", mapping.PAIN_AFTER: "pain_after"}


def _observation_fhir(session: Session, kind: str) -> dict[str, Any]:
    if kind == mapping.SESSION:
        return mapping.session_observation(session, session.exercises_done)  # type: ignore[attr-defined]
    return mapping.pain_observation(session, kind)


def _observation_read(user: User, pk: str) -> Found | None:
    session_part, kind = pk[:36], pk[37:] or mapping.SESSION
    key = _uuid(session_part)
    if key is None or kind not in KINDS or (len(pk) > 36 and pk[36] != "-"):
        return None
    session = with_exercises_done(fhir_sessions(user=user).filter(pk=key)).first()
    if session is None:
        if fhir_sessions(user=user, deleted=True).filter(pk=key).exists():
            raise Gone
        return None
    if kind != mapping.SESSION and getattr(session, KIND_FIELD[kind]) is None:
        return None
    return Found(_observation_fhir(session, kind), session.patient_id)


def _kinds(query: Search) -> list[str]:
    if query.codes is None:
        return list(KINDS)
    wanted: list[str] = []
    for system, code in query.codes:
        for (known_system, known_code), kinds in mapping.OBSERVATION_KINDS.items():
            if code == known_code and system in (None, known_system):
                wanted += [kind for kind in kinds if kind not in wanted]
    return wanted


def _observation_search(user: User, query: Search) -> Page:
    sessions = fhir_sessions(user=user).filter(query.updated_filter("updated_at"))
    if query.patient:
        sessions = sessions.filter(patient_id=query.patient)
    parts = []
    for kind in _kinds(query):
        rows = (
            sessions
            if kind == mapping.SESSION
            else sessions.filter(**{f"{KIND_FIELD[kind]}__isnull": False})
        )
        parts.append(
            rows.annotate(kind=Value(kind, output_field=CharField()))
            .values_list("started_at", "id", "kind")
            .order_by()
        )
    if not parts:
        return Page([], 0, [])
    union = parts[0].union(*parts[1:], all=True).order_by("-started_at", "id", "kind")
    keys, total = _window(union, query)
    by_id = {
        session.pk: session
        for session in with_exercises_done(
            Session.objects.filter(pk__in={pk for _, pk, _ in keys})
        )
    }
    return Page(
        [_observation_fhir(by_id[pk], kind) for _, pk, kind in keys],
        total,
        [by_id[pk].patient_id for _, pk, _ in keys],
    )


CODE_PARAM = {
    "code": (
        "token",
        f"{mapping.LOINC}|{mapping.PAIN_CODE} (pain, 0-10) or "
        f"{mapping.LOINC}|{mapping.SESSION_CODE} (the session).",
    )
}

RESOURCE_TYPES: dict[str, ResourceType] = {
    rt.name: rt
    for rt in (
        ResourceType(
            "Patient",
            _person_read(fhir_patients, mapping.patient),
            _person_search(fhir_patients, mapping.patient),
            {},
        ),
        ResourceType(
            "Practitioner",
            _person_read(fhir_practitioners, mapping.practitioner),
            _person_search(fhir_practitioners, mapping.practitioner),
            {},
            logged=False,
        ),
        ResourceType(
            "CarePlan",
            _care_plan_read,
            _care_plan_search,
            PATIENT_PARAM | UPDATED_PARAM,
        ),
        ResourceType(
            "ServiceRequest",
            _service_request_read,
            _service_request_search,
            PATIENT_PARAM | UPDATED_PARAM,
        ),
        ResourceType(
            "Observation",
            _observation_read,
            _observation_search,
            PATIENT_PARAM | UPDATED_PARAM | CODE_PARAM,
        ),
        QUESTIONNAIRE_RESPONSE,
        FLAG,
    )
}
