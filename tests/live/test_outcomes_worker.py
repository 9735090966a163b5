"""Outcomes on a real Celery worker and Redis: a flare upload's rules run in another
process, and a repeated or retried task never raises a second alert.

Self-contained: starts its own worker (``celery --app=config worker``) against
pytest-django's PostgreSQL test database, with Redis DB 12 as the broker and DB 13 as
its cache, and stops it by its pid. Runs only with ``REHABIT_LIVE_TESTS=1`` on
PostgreSQL (the worker is another process: it must see the committed rows).
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
from celery import Celery
from django.db import connection
from django.utils import timezone

from outcomes.models import Alert, AlertKind
from tests.factories import (
    CareRelationshipFactory,
    ClinicianFactory,
    PatientFactory,
    PlanFactory,
    SessionFactory,
)

ROOT = Path(__file__).resolve().parents[2]
REDIS = os.environ.get("LIVE_REDIS_URL", "redis://127.0.0.1:6379")
BROKER = f"{REDIS}/12"
CACHE = f"{REDIS}/13"
WAIT_SECONDS = 60

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs PostgreSQL (DATABASE_URL)"
    ),
    pytest.mark.skipif(
        os.environ.get("REHABIT_LIVE_TESTS") != "1",
        reason="starts a Celery worker: set REHABIT_LIVE_TESTS=1",
    ),
    pytest.mark.django_db(transaction=True),
]


def database_url() -> str:
    """pytest-django's test database, as a URL for the worker process."""
    db = connection.settings_dict
    user = quote(db.get("USER") or "", safe="")
    password = quote(db.get("PASSWORD") or "", safe="")
    credentials = f"{user}:{password}" if password else user
    host = f"{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}"
    return f"postgres://{credentials}@{host}/{db['NAME']}"


@pytest.fixture
def worker(tmp_path) -> Iterator[Celery]:
    """A real worker process on Redis DB 12; yields a client app that sends it tasks."""
    redis.Redis.from_url(BROKER).flushdb()
    log = (tmp_path / "worker.log").open("w")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DJANGO_DEBUG": "false",
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": BROKER,
        "REDIS_URL": CACHE,
    }
    process = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "celery"),
            "--app=config",
            "worker",
            "--pool=solo",
            "--loglevel=INFO",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    # Not the current app: shared tasks of this process must keep resolving to
    # config.celery (the webhook tests publish through it after this module).
    client = Celery("live-client", broker=BROKER, set_as_current=False)
    try:
        yield client
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        log.close()
        redis.Redis.from_url(BROKER).flushdb()


def wait_for(predicate, what: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.5)
    pytest.fail(f"timed out waiting for {what}")


def test_the_worker_raises_one_alert_per_cause(worker):
    patient = PatientFactory()
    clinician = ClinicianFactory()
    CareRelationshipFactory(clinician=clinician, patient=patient)
    plan = PlanFactory(
        patient=patient,
        prescribed_by=clinician,
        start_date=timezone.localdate() - dt.timedelta(days=30),
    )
    flare = SessionFactory(
        patient=patient,
        plan=plan,
        started_at=timezone.now() - dt.timedelta(days=10),
        pain_before=3,
        pain_after=8,
    )

    # The same task delivered three times (a retry, a redelivery, a double click).
    for _ in range(3):
        worker.send_task("outcomes.tasks.alerts_session_rules", args=[str(flare.pk)])
    worker.send_task("outcomes.tasks.alerts_time_rules_run_task")
    worker.send_task("outcomes.tasks.alerts_time_rules_run_task")

    wait_for(
        lambda: Alert.objects.filter(patient=patient).count() >= 2,
        "the flare and inactivity alerts",
    )
    time.sleep(2)  # let any duplicate delivery finish
    assert sorted(
        Alert.objects.filter(patient=patient).values_list("kind", flat=True)
    ) == [
        AlertKind.INACTIVITY,
        AlertKind.PAIN_FLARE,
    ]
