"""The demo patient's FHIR resources all validate, and so do the examples in docs/fhir.md."""

from __future__ import annotations

import json
import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from integrations.fhir.resources import RESOURCE_TYPES
from tests.integrations.fhir_world import FHIR, bearer, validate
from users.models import User

pytestmark = pytest.mark.django_db

DOC = Path(__file__).resolve().parents[2] / "docs" / "fhir.md"


# Alerts are the care team's: the demo patient's Flag is read by the demo clinician.
CARE_TEAM_ONLY = {"Flag"}


def test_every_resource_of_the_demo_patient_validates(settings):
    settings.DEBUG = True  # the demo logins exist only in development
    call_command("load_demo", stdout=StringIO())
    patient = bearer(User.objects.get(email="patient@rehabit.dev"))
    clinician = bearer(User.objects.get(email="clinician@rehabit.dev"))
    read = 0
    for name in RESOURCE_TYPES:
        client = clinician if name in CARE_TEAM_ONLY else patient
        bundle = validate(client.get(f"{FHIR}/{name}", {"_count": 100}).json())
        assert bundle["total"] == len(bundle["entry"]) > 0, name
        for entry in bundle["entry"]:
            resource = entry["resource"]
            one = client.get(f"{FHIR}/{name}/{resource['id']}")
            assert one.status_code == 200
            assert validate(one.json()) == resource
            read += 1
    assert read > 20  # a plan, its items, weeks of sessions with pain scores


def test_the_examples_in_the_docs_validate():
    blocks = re.findall(r"```json\n(.*?)\n```", DOC.read_text(), flags=re.DOTALL)
    kinds = [validate(json.loads(block))["resourceType"] for block in blocks]
    assert set(kinds) == {*RESOURCE_TYPES, "Bundle"}
