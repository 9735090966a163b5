"""load_demo shows the loop: PROM baselines and follow-ups, and an open alert."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from outcomes.models import Alert, AlertKind, QuestionnaireResponse
from sessions.demo import PATIENT

pytestmark = pytest.mark.django_db


def test_the_demo_patient_has_measures_and_an_open_alert_once(settings):
    settings.DEBUG = True

    call_command("load_demo", stdout=StringIO())
    call_command("load_demo", stdout=StringIO())

    alert = Alert.objects.get()
    assert (alert.patient.email, alert.kind, alert.status) == (
        PATIENT.email,
        AlertKind.PROM_WORSE,
        "open",
    )
    assert alert.evidence == {
        "baseline": 5.5,
        "latest": 3.5,
        "change": -2.0,
        "mcid": 2.0,
    }
    scores = QuestionnaireResponse.objects.order_by("authored").values_list(
        "questionnaire__name", "score"
    )
    assert sorted(scores) == [
        ("nprs", 3.0),
        ("nprs", 6.0),
        ("psfs", 3.5),
        ("psfs", 5.5),
    ]


def test_no_demo_outcomes_without_debug(settings):
    settings.DEBUG = False

    call_command("load_demo", stdout=StringIO())

    assert not QuestionnaireResponse.objects.exists()
