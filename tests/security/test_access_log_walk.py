"""Issue 10, finding 9: every read of a patient's data by someone else is logged.

Walks the admin pages of every model that holds patient data (changelist, change page,
history page) and every GET operation of the API schema (enumerated from the schema,
so a new one cannot be missed), as a clinician in the patient's care and as a
superuser. The rule checked is the one docs/security.md states: an answer whose body
shows the patient (their id, email or name) writes an access-log row naming that
patient, by that reader, for that request.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator

from outcomes.models import QuestionnaireAssignment
from sessions.models import PatientSyncState
from tests.conftest import body_bytes, client_for
from tests.factories import (
    AdminFactory,
    CareRelationshipFactory,
    ClinicianFactory,
    PatientFactory,
    PlanFactory,
    PlanItemFactory,
    SessionExerciseFactory,
    SessionFactory,
    SessionSetFactory,
)
from tests.factories.outcomes import AlertFactory, answered, shipped
from users.models import CareRelationship, PatientAccessLog

pytestmark = pytest.mark.django_db

NAME = "Orsolya Patientdata"
EMAIL = "orsolya.patientdata@example.org"

# Models whose admin pages show one patient's data, by the label of their model.
PATIENT_DATA_MODELS = {
    "users.User",
    "users.CareRelationship",
    "training_sessions.Patient",
    "training_sessions.Plan",
    "training_sessions.Session",
    "outcomes.Alert",
    "outcomes.QuestionnaireResponse",
}


@pytest.fixture
def world():
    patient = PatientFactory(email=EMAIL, name=NAME)
    clinician = ClinicianFactory()
    link = CareRelationshipFactory(clinician=clinician, patient=patient)
    plan = PlanFactory(patient=patient, prescribed_by=clinician)
    item = PlanItemFactory(plan=plan)
    session = SessionFactory(
        patient=patient,
        plan=plan,
        revision=1,
        started_at=timezone.now() - dt.timedelta(days=1),
    )
    entry = SessionExerciseFactory(
        session=session, exercise=item.exercise, plan_item=item
    )
    SessionSetFactory(session_exercise=entry)
    PatientSyncState.objects.create(patient=patient, revision=1)
    nprs = shipped("nprs")
    assignment = QuestionnaireAssignment.objects.create(
        plan=plan, questionnaire=nprs, start_date=timezone.localdate()
    )
    response = answered(patient, nprs, assignment=assignment)
    alert = AlertFactory(patient=patient, session=session)
    return {
        "patient": patient,
        "clinician": clinician,
        "objects": {
            "users.User": patient.pk,
            "training_sessions.Patient": patient.pk,
            "users.CareRelationship": link.pk,
            "training_sessions.Plan": plan.pk,
            "training_sessions.Session": session.pk,
            "outcomes.Alert": alert.pk,
            "outcomes.QuestionnaireResponse": response.pk,
        },
        "ids": {
            "plans": plan.pk,
            "sessions": session.pk,
            "patients": patient.pk,
            "alerts": alert.pk,
            "questionnaire-responses": response.pk,
            "questionnaire-assignments": assignment.pk,
        },
    }


def shows_patient(text: str, patient) -> bool:
    return any(
        needle.lower() in text.lower()
        for needle in (str(patient.pk), patient.pk.hex, EMAIL, NAME)
    )


def unlogged(reader, patient, get, urls: list[str]) -> dict[str, int]:
    """The URLs whose 200 answer shows the patient without writing exactly one log
    row naming them (value: how many rows it wrote)."""
    missing = {}
    for url in urls:
        before = PatientAccessLog.objects.filter(actor=reader, patient=patient).count()
        response = get(url)
        if response.status_code != 200:
            continue
        text = body_bytes(response).decode("utf-8", "replace")
        after = PatientAccessLog.objects.filter(actor=reader, patient=patient).count()
        if shows_patient(text, patient) and after - before != 1:
            missing[url] = after - before
    return missing


def admin_urls(world) -> list[str]:
    urls = []
    for model in admin.site._registry:
        label = model._meta.label
        if label not in PATIENT_DATA_MODELS:
            continue
        opts = model._meta
        pk = world["objects"][label]
        base = f"admin:{opts.app_label}_{opts.model_name}"
        urls.append(reverse(f"{base}_changelist"))
        for view in ("change", "history"):
            try:
                urls.append(reverse(f"{base}_{view}", args=[pk]))
            except NoReverseMatch:
                continue
    return urls


def autocomplete_urls() -> list[str]:
    """Autocomplete answers of every admin form field pointing at patients."""
    urls = []
    for model, model_admin in admin.site._registry.items():
        for field_name in getattr(model_admin, "autocomplete_fields", ()):
            opts = model._meta
            urls.append(
                f"{reverse('admin:autocomplete')}?app_label={opts.app_label}"
                f"&model_name={opts.model_name}&field_name={field_name}&term=Orsolya"
            )
    return urls


@pytest.mark.parametrize("who", ["clinician", "superuser"])
def test_every_admin_page_showing_a_patient_logs_the_read(world, who):
    reader = world["clinician"] if who == "clinician" else AdminFactory()
    browser = Client()
    browser.force_login(reader)

    missing = unlogged(
        reader,
        world["patient"],
        browser.get,
        [*admin_urls(world), *autocomplete_urls()],
    )

    assert missing == {}


def api_get_urls(world) -> list[str]:
    """Every GET operation of the schema, its path parameters filled with the world's
    objects, and ``patient=`` where the operation takes it."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    urls = []
    patient = world["patient"].pk
    for path, operations in schema["paths"].items():
        if "get" not in operations or not path.startswith("/api/v1/"):
            continue
        names = {p["name"] for p in operations["get"].get("parameters", [])}
        resource = path.removeprefix("/api/v1/").split("/")[0]
        filled = re.sub(r"\{(\w+)\}", str(world["ids"].get(resource, patient)), path)
        query = f"?patient={patient}" if "patient" in names else ""
        urls.append(filled + query)
    return urls


@pytest.mark.parametrize("who", ["clinician", "superuser"])
def test_every_api_read_showing_a_patient_logs_the_read(world, who):
    reader = world["clinician"] if who == "clinician" else AdminFactory()
    api = client_for(reader)

    missing = unlogged(reader, world["patient"], api.get, api_get_urls(world))

    assert missing == {}


def test_the_walk_reaches_the_pages_it_must(world):
    urls = admin_urls(world)
    api = api_get_urls(world)

    assert any("/history/" in url for url in urls)
    assert len([u for u in urls if u.endswith("/change/")]) == len(PATIENT_DATA_MODELS)
    assert any(url.startswith("/api/v1/sessions/") for url in api)
    assert CareRelationship.objects.exists()
