"""FHIR queries per request are fixed, whatever the number of rows on the page."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import PlanItemFactory
from tests.factories.outcomes import AlertFactory
from tests.integrations.fhir_world import (
    FHIR,
    FhirWorld,
    answer,
    bearer,
    build_world,
    session_for,
)

pytestmark = pytest.mark.django_db


def grow(world: FhirWorld, extra: int) -> None:
    """More rows of every kind for the same patient."""
    for n in range(extra):
        item = PlanItemFactory(plan=world.plan)
        session_for(world.patient, world.plan, item, hours_ago=10 + n)
        answer(world.patient, "nprs", {"valueInteger": n}, days_ago=3 + n)
        AlertFactory(patient=world.patient)


def queries(client: Any, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(f"{FHIR}/{path}")
    assert response.status_code == 200, response.content
    return len(captured)


# The request's transaction: none (FHIR reads run outside ATOMIC_REQUESTS; they were
# a savepoint and its release in tests).
TX = 0
# Queries for a clinician: the user, the rows, the count or a prefetch, the access log.
SEARCHES = {
    "Patient?_count=100": TX + 4,  # user, patients, count, log
    "Practitioner?_count=100": TX + 3,  # user, practitioners, count
    "CarePlan?_count=100": TX + 5,  # user, plans, items (+exercise), count, log
    "ServiceRequest?_count=100": TX + 4,  # user, items (+plan, exercise), count, log
    "Observation?_count=100": TX + 5,  # user, union page, count, sessions, log
    # user, answers (+questionnaire, assignment), count, log
    "QuestionnaireResponse?_count=100": TX + 4,
    "Flag?_count=100": TX + 4,  # user, alerts (last update computed), count, log
}


@pytest.mark.parametrize("path", list(SEARCHES))
def test_search_queries_do_not_grow_with_the_page(path):
    world = build_world(sessions=1)
    client = bearer(world.clinician)
    small = queries(client, path)
    grow(world, 8)
    large = queries(client, path)

    assert small == large == SEARCHES[path]


def test_reads_run_a_fixed_number_of_queries():
    world = build_world(sessions=1)
    session = world.sessions[0]
    client = bearer(world.clinician)
    expected = {
        f"Patient/{world.patient.pk}": TX + 3,  # user, patient, log
        f"Practitioner/{world.clinician.pk}": TX + 2,  # user, practitioner
        f"CarePlan/{world.plan.pk}": TX + 4,  # user, plan, items, log
        f"ServiceRequest/{world.items[0].pk}": TX + 3,  # user, item (+joins), log
        f"Observation/{session.pk}": TX + 3,  # user, session (+done count), log
        f"Observation/{session.pk}-pain-after": TX + 3,
        # user, answers (+questionnaire, assignment), log
        f"QuestionnaireResponse/{world.responses[0].pk}": TX + 3,
        f"Flag/{world.alerts[0].pk}": TX + 3,  # user, alert, log
    }
    first = {path: queries(client, path) for path in expected}
    grow(world, 5)
    second = {path: queries(client, path) for path in expected}
    assert first == second == expected
