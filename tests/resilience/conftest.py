from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from rest_framework_simplejwt.tokens import AccessToken

from exercises.models import Exercise
from tests.factories import ExerciseFactory, PatientFactory
from tests.resilience.live import Cluster, start_cluster, stop_cluster
from users.models import User


@pytest.fixture(scope="session")
def live_cluster(django_db_setup, django_db_blocker) -> Iterator[Cluster]:
    """Two production web processes on the test database, for the whole session.

    Stopped before pytest-django tears the database down (this fixture depends on it).
    """
    with django_db_blocker.unblock():
        cluster = start_cluster()
    yield cluster
    stop_cluster(cluster)


@pytest.fixture
def cluster(live_cluster: Cluster) -> Cluster:
    """The running cluster, its rate-limit counters reset; both masters must be alive."""
    for server in live_cluster.servers:
        assert server.process.poll() is None, server.log_tail()
    live_cluster.redis().flushdb()
    return live_cluster


@dataclass
class Uploader:
    """A patient with an access token and an exercise to log."""

    patient: User
    token: str
    exercise: Exercise


@pytest.fixture
def uploader(transactional_db) -> Uploader:
    patient = PatientFactory()
    return Uploader(patient, str(AccessToken.for_user(patient)), ExerciseFactory())
