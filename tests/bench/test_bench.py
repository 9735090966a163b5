"""`make bench`'s own parts: the ceiling view, the query counter, the data set and the load.

The benchmark is only as honest as its data and requests: these tests build a small data
set with the same code (PostgreSQL COPY) and send every kind of request the load sends
through the API, expecting the statuses the load expects.
"""

from __future__ import annotations

import json
import random
import uuid

import pytest
from django.db import connection
from django.http import HttpResponse
from django.test import RequestFactory
from rest_framework.test import APIClient

from bench import dataset
from bench import run as bench_run
from bench.middleware import QueryCountMiddleware
from bench.run import scenarios
from bench.views import ceiling
from common.models import Status
from outcomes.models import Alert
from sessions.models import Plan, Session, SessionSet
from sessions.selectors.logs import patient_sync_revision
from tests.factories import ExerciseFactory, MuscleFactory
from users.models import CareRelationship, User


@pytest.mark.parametrize("size", [2, 3, 1000, 123_457])
def test_ceiling_answers_exactly_the_size_asked_for(size):
    response = ceiling(RequestFactory().get("/"), size)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert len(response.content) == size
    assert isinstance(json.loads(response.content), str)


def test_query_counter_reports_the_statements_of_the_request(db):
    def view(request):
        list(User.objects.all())
        User.objects.count()
        return HttpResponse()

    response = QueryCountMiddleware(view)(RequestFactory().get("/"))

    assert response["X-DB-Queries"] == "2"


@pytest.fixture
def small_data_set(db):
    """The benchmark's data set in miniature: 4 patients, 40 sessions."""
    if connection.vendor != "postgresql":
        pytest.skip("the data set is written with PostgreSQL COPY")
    muscle = MuscleFactory()
    for exercise in ExerciseFactory.create_batch(8, status=Status.DRAFT):
        exercise.primary_muscles.add(muscle)
    rng = random.Random(3)
    dataset._publish_library()
    dataset._routines_create(rng)
    plans = dataset._patients_create(rng, 4)
    dataset._sessions_copy(rng, plans, 40)
    return plans


def test_data_set_is_what_the_upload_service_would_have_written(small_data_set):
    for plan in small_data_set:
        patient = User.objects.get(pk=plan.patient_id)
        sessions = list(Session.objects.filter(patient=patient).order_by("revision"))
        items = list(plan.items.all())
        assert len(sessions) == 10
        # The change feed: revisions 1..n in time order, the patient's cursor at n.
        assert [s.revision for s in sessions] == list(range(1, 11))
        assert patient_sync_revision(patient_id=patient.pk) == 10
        assert [s.started_at for s in sessions] == sorted(
            s.started_at for s in sessions
        )
        for session in sessions:
            entries = list(session.exercises.all())
            if session.is_deleted:
                assert entries == []
                assert session.ended_at is None
                continue
            assert [e.plan_item_id for e in entries] == [i.pk for i in items]
            for entry, item in zip(entries, items, strict=True):
                sides = {s.side for s in entry.sets.all()}
                if entry.status != "skipped":
                    expected = {"left", "right"} if item.per_side else {"both"}
                    assert sides == expected
    assert SessionSet.objects.exists()


def test_the_alerts_are_what_the_rules_raise_on_each_patients_latest_session(
    small_data_set,
):
    flared, calm = small_data_set[0], small_data_set[1]
    latest = (
        Session.objects.filter(patient_id=flared.patient_id, deleted_at__isnull=True)
        .order_by("-started_at")
        .first()
    )
    Session.objects.filter(pk=latest.pk).update(pain_before=1, pain_after=8)
    Session.objects.filter(patient_id=calm.patient_id).update(pain_after=0)

    raised = dataset._alerts_raise(small_data_set)

    assert raised == Alert.objects.count()
    flare = Alert.objects.get(patient_id=flared.patient_id, kind="pain_flare")
    assert flare.session_id == latest.pk
    assert not Alert.objects.filter(patient_id=calm.patient_id, kind="pain_flare")
    # The load's alerts list reads them: the clinician's page is not empty.
    clinician = CareRelationship.objects.get(patient_id=flared.patient_id).clinician
    client = APIClient()
    client.force_authenticate(clinician)
    page = client.get("/api/v1/alerts/").json()
    assert str(flare.pk) in {alert["id"] for alert in page["results"]}


def test_every_request_of_the_load_answers_what_the_load_expects(small_data_set):
    fixtures = dataset.fixtures(patients=4)
    assert len(fixtures["patients"]) == 4
    uploads = 0
    for scenario in scenarios(fixtures):
        # A few of each (the catalog ones cover every filter and page size).
        for request in scenario.requests[:3] + scenario.requests[-3:]:
            client = APIClient()
            if request.token:
                client.credentials(HTTP_AUTHORIZATION=f"Bearer {request.token}")
            if request.method == "POST":
                body = json.loads(request.body.replace("{{id}}", str(uuid.uuid4())))
                response = client.post(request.path, body, format="json")
                uploads += 1
            else:
                response = client.get(request.path)
            assert response.status_code in scenario.expect, (
                scenario.key,
                request.path,
                response.content[:300],
            )
    # Uploads went through the service on top of the copied rows (sequences were reset).
    assert uploads == 6
    assert Session.objects.count() == 40 + uploads
    assert Plan.objects.count() == 4


def _wsgi_get(app, path):
    started = []
    environ = RequestFactory().get(path).environ
    body = b"".join(app(environ, lambda *args: started.append(args)))
    status, headers = started[0][:2]
    return status, dict(headers), body


def test_bare_ceiling_answers_without_middleware_and_the_rest_goes_to_the_project(db):
    from bench import wsgi

    status, headers, body = _wsgi_get(wsgi.application, "/bench/bare/1000")
    assert status == "200 OK"
    assert len(body) == 1000
    # No middleware ran: no request id, no security headers.
    assert "X-Request-ID" not in headers
    assert "X-Content-Type-Options" not in headers
    # Any other path is the project's, through its middleware.
    status, headers, _ = _wsgi_get(wsgi.application, "/api/v1/no-such-thing/")
    assert status.startswith("404")
    assert "X-Request-ID" in headers
    assert headers["X-Content-Type-Options"] == "nosniff"


def _row(key, rps, ceiling, bare, p99=10.0, queries=0.0):
    def run(rate, latency=5.0, sql=0.0):
        return bench_run.Run(rate * 10, 10.0, 1.0, latency, latency, 0, sql)

    return bench_run.Row(
        key, key, 100, queries, run(rps, p99, queries), run(ceiling), run(bare)
    )


def test_goals_are_each_met_or_not_from_the_rows():
    full = [
        _row("exercise", 600, 900, 1000),
        _row("plan", 100, 900, 1000, p99=120.0),
        _row("upload", 90, 900, 1000, queries=9),
    ]
    tenth = [
        _row("exercise", 620, 900, 1000),
        _row("plan", 140, 900, 1000),
        _row("upload", 90, 900, 1000, queries=9),
    ]
    verdicts = {
        g.text.split(" ")[0] + " " + g.text.split(" ")[1]: g.met
        for g in bench_run.goals([("full", full), ("tenth", tenth)])
    }

    assert verdicts["middleware ceiling"] is True  # 90% of bare
    assert verdicts["catalog reads"] is True  # 60%
    assert verdicts["patient reads"] is False  # the plan at 10%
    assert verdicts["a full"] is True  # the upload at 9%
    assert verdicts["p99 <"] is False  # 120 ms
    assert verdicts["an upload"] is True  # 9 statements
    assert verdicts["query counts"] is True
    assert verdicts["cost ratio"] is False  # the plan: 14% -> 10% of bare is 1.4


def test_steal_share_is_the_stolen_part_of_the_cpu_time_between_two_readings():
    #        user nice system idle iowait irq softirq steal guest guest_nice
    before = [100, 0, 50, 800, 10, 0, 5, 35, 20, 0]
    after = [400, 0, 150, 1500, 30, 0, 15, 235, 60, 0]

    # 1,330 jiffies spent, 200 of them stolen (guest time is inside user already).
    assert bench_run.steal_share(before, after) == "15.0%"
    assert bench_run.steal_share(None, after) == "not measured"
    assert bench_run.steal_share(before, before) == "not measured"


def test_cpu_times_reads_the_machines_counters():
    times = bench_run.cpu_times()

    if times is None:
        pytest.skip("no /proc/stat here")
    assert len(times) >= 8
    assert all(value >= 0 for value in times)


def test_rounds_merge_into_one_run_with_the_percentiles_of_all_their_requests():
    # Two rounds of one load: a fast one, and a slow one (the machine slowed down).
    fast = bench_run.Run(
        requests=90, seconds=1.0, p50_ms=1.0, p99_ms=1.9, max_ms=1.9, failures=0,
        queries=2.0, histogram={1000: 50, 1500: 40},
    )  # fmt: skip
    slow = bench_run.Run(
        requests=10, seconds=1.0, p50_ms=9.0, p99_ms=9.0, max_ms=9.0, failures=1,
        queries=4.0, histogram={1500: 2, 9000: 8},
    )  # fmt: skip

    merged = bench_run.Run.merged([fast, slow])

    assert merged.requests == 100
    assert merged.rps == 50.0  # 100 requests in 2 s
    assert merged.rounds == 2
    assert merged.failures == 1
    assert merged.queries == pytest.approx(2.2)  # per request, not per round
    assert merged.histogram == {1000: 50, 1500: 42, 9000: 8}
    # Of all 100 requests (wrk's ranks: the 51st and the 100th): 1.5 and 9.0 ms; the
    # rounds' own p50s averaged would say 5 ms.
    assert merged.p50_ms == 1.5
    assert merged.p99_ms == 9.0
    assert merged.max_ms == 9.0


def test_percentile_is_wrks_rank_over_the_histogram():
    histogram = {10: 985, 20: 10, 30: 5}

    # Rank: C's round of p% of 1,000 + 0.5 (Python's round(500.5) would be 500).
    assert bench_run.percentile(histogram, 50) == 10  # rank 501
    assert bench_run.percentile(histogram, 99) == 20  # rank 991
    assert bench_run.percentile(histogram, 99.5) == 30  # rank 996
    assert bench_run.percentile({10: 50, 20: 50}, 50) == 20  # rank 51, not 50
    assert bench_run.percentile({}, 99) == 0


def test_rounds_interleave_each_load_first_in_turn():
    keys = ["plan", "plan-ceiling", "plan-bare"]

    orders = [bench_run.rotated(keys, number) for number in range(4)]

    assert orders[0] == keys
    assert [order[0] for order in orders] == [*keys, "plan"]
    assert all(sorted(order) == sorted(keys) for order in orders)
    assert bench_run.rounds_of(5) == 5
    assert bench_run.rounds_of(1) == 1
    assert bench_run.rounds_of(0) == 1  # at least one round
