from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integrations.fhir_world import FhirWorld, build_world
from tests.integrations.receiver import Receiver, running_receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as running:
        yield running


@pytest.fixture
def fw(db) -> FhirWorld:
    return build_world()
