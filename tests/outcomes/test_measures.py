"""Each measure's baseline, latest and change against its MCID (outcomes.selectors.proms)."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.utils import timezone

from outcomes.models import QuestionnaireResponse
from outcomes.selectors.proms import measures_progress
from tests.factories.outcomes import shipped

pytestmark = pytest.mark.django_db


def answered(patient, questionnaire, score, days_ago):
    return QuestionnaireResponse.objects.create(
        id=uuid.uuid4(),
        patient=patient,
        questionnaire=questionnaire,
        authored=timezone.now() - dt.timedelta(days=days_ago),
        items=[],
        score=score,
        upload_hash="x",
    )


def test_baseline_is_the_first_answer_and_change_is_against_it(patient):
    nprs = shipped("nprs")
    answered(patient, nprs, 7, 28)
    answered(patient, nprs, 6, 14)
    answered(patient, nprs, 4, 0)

    [measure] = measures_progress(patient_id=patient.pk)

    assert (measure.responses, measure.baseline, measure.latest) == (3, 7, 4)
    assert (measure.change, measure.important, measure.worse) == (-3, True, False)


def test_a_single_answer_has_a_baseline_but_no_change(patient):
    answered(patient, shipped("psfs"), 4.5, 0)

    [measure] = measures_progress(patient_id=patient.pk)

    assert (measure.baseline, measure.change, measure.important) == (4.5, None, False)


def test_a_global_rating_of_change_is_its_own_change(patient):
    groc = shipped("groc")
    answered(patient, groc, 1, 14)
    answered(patient, groc, 4, 0)

    [measure] = measures_progress(patient_id=patient.pk)

    assert (measure.baseline, measure.latest, measure.change) == (None, 4, 4)
    assert (measure.important, measure.worse) == (True, False)


def test_other_patients_answers_are_not_counted(patient, other_patient):
    answered(other_patient, shipped("nprs"), 9, 0)

    assert measures_progress(patient_id=patient.pk) == []
