"""Issue 10, finding 4: admin changelists accept only their declared filters.

Django lets any lookup on a model's own fields through the changelist's query string;
``?password__regex=^pbkdf2`` answered "1 patient" or "0 patients", an oracle that
recovered a hash prefix. Every registered admin is walked here, so a new admin that
forgets the rule fails this test.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib import admin
from django.db import models
from django.test import Client
from django.urls import reverse

from common.admin_lookups import DeclaredLookupsOnly, lookup_is_declared
from tests.factories import (
    AdminFactory,
    CareRelationshipFactory,
    ClinicianFactory,
    PatientFactory,
    PlanFactory,
    SessionFactory,
)

pytestmark = pytest.mark.django_db

ADMINS = sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)


def changelist(model: type[models.Model]) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def relation_to_user(model: type[models.Model]) -> str | None:
    for field in model._meta.get_fields():
        if (
            isinstance(field, models.ForeignKey)
            and field.related_model._meta.label == "users.User"
        ):
            return field.name
    return None


def oracle_lookups(model: type[models.Model]) -> list[str]:
    """Query strings an attacker would try on this model's changelist."""
    names = {field.name for field in model._meta.get_fields()}
    lookups = []
    if "password" in names:
        lookups += ["password__regex=^pbkdf2", "password__startswith=md5"]
    if "email" in names:
        lookups += ["email__regex=^a", "email__contains=%40"]
    relation = relation_to_user(model)
    if relation:
        lookups += [
            f"{relation}__password__regex=^pbkdf2",
            f"{relation}__email__startswith=a",
        ]
    return lookups


CASES = [
    pytest.param(model, lookup, id=f"{model._meta.label}?{lookup}")
    for model, _ in ADMINS
    for lookup in oracle_lookups(model)
]


@pytest.fixture
def superuser_web() -> Client:
    user = AdminFactory()
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def clinician_web() -> tuple[Client, Any]:
    clinician = ClinicianFactory()
    client = Client()
    client.force_login(clinician)
    return client, clinician


def test_every_admin_uses_declared_lookups_only():
    for model, model_admin in ADMINS:
        assert isinstance(model_admin, DeclaredLookupsOnly), model._meta.label


@pytest.mark.parametrize(("model", "lookup"), CASES)
def test_undeclared_lookups_are_refused(superuser_web, model, lookup):
    PatientFactory()
    response = superuser_web.get(f"{changelist(model)}?{lookup}")

    assert response.status_code == 400, lookup


def test_the_password_oracle_on_the_patient_list_is_closed(clinician_web):
    client, clinician = clinician_web
    patient = PatientFactory()
    CareRelationshipFactory(clinician=clinician, patient=patient)
    url = reverse("admin:training_sessions_patient_changelist")
    prefix = patient.password[:3]

    matching = client.get(f"{url}?password__startswith={prefix}")
    not_matching = client.get(f"{url}?password__startswith=zzz")

    assert matching.status_code == not_matching.status_code == 400
    assert patient.email not in matching.content.decode()


def test_declared_filters_and_search_still_work(superuser_web):
    clinician, patient = ClinicianFactory(), PatientFactory()
    CareRelationshipFactory(clinician=clinician, patient=patient)
    SessionFactory(patient=patient, plan=PlanFactory(patient=patient))
    urls = [
        f"{changelist_of('users', 'carerelationship')}?clinician__id__exact={clinician.pk}",
        f"{changelist_of('users', 'carerelationship')}?patient__id__exact={patient.pk}",
        f"{changelist_of('users', 'user')}?role__exact=patient&is_active__exact=1",
        f"{changelist_of('users', 'user')}?q={patient.email}",
        f"{changelist_of('users', 'patientaccesslog')}?created_at__year=2026",
        f"{changelist_of('training_sessions', 'session')}?patient={patient.pk}",
        f"{changelist_of('training_sessions', 'plan')}?status__exact=active",
        f"{changelist_of('exercises', 'exercise')}?status__exact=published",
    ]
    for url in urls:
        assert superuser_web.get(url).status_code == 200, url


def changelist_of(app_label: str, model_name: str) -> str:
    return reverse(f"admin:{app_label}_{model_name}_changelist")


@pytest.mark.parametrize(
    ("lookup", "allowed"),
    [
        ("status", True),
        ("status__exact", True),
        ("status__isnull", True),
        ("patient__id__exact", True),
        ("patient__pk__in", True),
        ("created_at__gte", True),
        ("created_at__year", True),
        ("status__regex", False),
        ("password__regex", False),
        ("patient__password", False),
        ("patient__email__exact", False),
        ("patient__id__regex", False),
        ("statusx__exact", False),
    ],
)
def test_lookup_rule(lookup, allowed):
    paths = {"status", "patient", "created_at"}

    assert lookup_is_declared(lookup, paths, date_hierarchy="created_at") is allowed


# ---------------------------------------------------------------------------
# The lookups that are allowed never crash (a 500 is an oracle too)
# ---------------------------------------------------------------------------
def allowed_lookup_queries(model_admin: Any) -> list[str]:
    """Hand-typed values for every lookup a changelist allows: naive dates, garbage."""
    from common.admin_lookups import declared_filters

    paths, parameters = declared_filters(model_admin, None)
    queries = []
    for path in sorted(paths):
        queries += [
            f"{path}__gte=2026-01-01",
            f"{path}__lt=2026-01-01T10:00:00",
            f"{path}__gte=2026-02-31",
            f"{path}__lt=not-a-date",
            f"{path}__exact=not-a-value",
            f"{path}__in=a,b",
            f"{path}__isnull=maybe",
            f"{path}__id__exact=12%00",
        ]
    queries += [f"{parameter}=not-a-value" for parameter in sorted(parameters)]
    hierarchy = getattr(model_admin, "date_hierarchy", None)
    if hierarchy:
        queries += [
            f"{hierarchy}__year=abc",
            f"{hierarchy}__year=2026&{hierarchy}__month=13",
            f"{hierarchy}__year=2026&{hierarchy}__month=2&{hierarchy}__day=31",
        ]
    return queries


@pytest.mark.parametrize(
    ("model", "model_admin"), ADMINS, ids=[m._meta.label for m, _ in ADMINS]
)
def test_allowed_lookups_with_bad_values_never_answer_500(model, model_admin):
    client = Client(raise_request_exception=False)
    client.force_login(AdminFactory())
    url = changelist(model)

    answers = {
        query: client.get(f"{url}?{query}").status_code
        for query in allowed_lookup_queries(model_admin)
    }

    assert {query: code for query, code in answers.items() if code >= 500} == {}


def test_a_typed_date_filters_the_access_log(clinician, patient):
    import datetime as dt

    from django.utils import timezone

    from users.models import PatientAccessLog
    from users.services import access_log_record

    access_log_record(actor=clinician, patient=patient, action="a", path="/a/")
    PatientAccessLog.objects.update(created_at=timezone.now() - dt.timedelta(days=40))
    access_log_record(actor=clinician, patient=patient, action="b", path="/b/")
    client = Client()
    client.force_login(AdminFactory())
    since = (timezone.localdate() - dt.timedelta(days=10)).isoformat()

    response = client.get(f"/admin/users/patientaccesslog/?created_at__gte={since}")

    assert response.status_code == 200
    assert [row.action for row in response.context["cl"].result_list] == ["b"]
