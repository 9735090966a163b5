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
    """The statements of a read, the caller's account already cached (users/cache.py)."""
    client.get(f"{FHIR}/{path}")
    with CaptureQueriesContext(connection) as captured:
        response = client.get(f"{FHIR}/{path}")
    assert response.status_code == 200, response.content
    return len(captured)


# The request's transaction: none (FHIR reads run outside ATOMIC_REQUESTS; they were
# a savepoint and its release in tests).
TX = 0
# Queries for a clinician: the rows, the count or a prefetch, the access log (the
# clinician's account comes from the account cache).
SEARCHES = {
    "Patient?_count=100": TX + 3,  # patients, count, log
    "Practitioner?_count=100": TX + 2,  # practitioners, count
    "CarePlan?_count=100": TX + 4,  # plans, items (+exercise), count, log
    "ServiceRequest?_count=100": TX + 3,  # items (+plan, exercise), count, log
    "Observation?_count=100": TX + 4,  # union page, count, sessions, log
    # answers (+questionnaire, assignment), count, log
    "QuestionnaireResponse?_count=100": TX + 3,
    "Flag?_count=100": TX + 3,  # alerts (last update computed), count, log
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
    expected = {  # the account is cached: the rows and the access log
        f"Patient/{world.patient.pk}": TX + 2,  # patient, log
        f"Practitioner/{world.clinician.pk}": TX + 1,  # practitioner
        f"CarePlan/{world.plan.pk}": TX + 3,  # plan, items, log
        f"ServiceRequest/{world.items[0].pk}": TX + 2,  # item (+joins), log
        f"Observation/{session.pk}": TX + 2,  # session (+done count), log
        f"Observation/{session.pk}-pain-after": TX + 2,
        # answers (+questionnaire, assignment), log
        f"QuestionnaireResponse/{world.responses[0].pk}": TX + 2,
        f"Flag/{world.alerts[0].pk}": TX + 2,  # alert, log
    }
    first = {path: queries(client, path) for path in expected}
    grow(world, 5)
    second = {path: queries(client, path) for path in expected}
    assert first == second == expected
