"""The account behind a bearer token, cached for reads (users/cache.py)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from sessions.services.privacy import patient_erase
from tests.factories import PatientFactory
from tests.sessions.test_patient_cache import cached_keys, token_client
from tests.test_service import TEST_REDIS
from tests.test_throttling import needs_redis, on_redis, stored_in_redis
from users.cache import ENTRY_PREFIX, TOKEN_PREFIX, account_for_read
from users.models import User

pytestmark = pytest.mark.django_db

ME = "/api/v1/me/"
PASSWORD = "correct horse battery staple"


def account_reads(captured) -> list[str]:
    """The captured statements that read an account row."""
    return [
        q["sql"] for q in captured.captured_queries if 'FROM "users_user"' in q["sql"]
    ]


def test_a_read_takes_the_account_from_the_cache(patient):
    client = token_client(patient)
    with CaptureQueriesContext(connection) as miss:
        first = client.get(ME)
    assert first.status_code == 200, first.content
    assert len(account_reads(miss)) == 1

    with CaptureQueriesContext(connection) as hit:
        again = client.get(ME)

    assert again.status_code == 200
    assert account_reads(hit) == []
    assert len(hit) == len(miss) - 1
    assert again.json() == first.json()
    assert again.json()["email"] == patient.email


def test_every_account_reads_its_own_row(patient):
    other = PatientFactory()
    mine, theirs = token_client(patient), token_client(other)
    for _ in range(2):  # a miss, then a hit
        assert mine.get(ME).json()["email"] == patient.email
        assert theirs.get(ME).json()["email"] == other.email


def test_a_change_is_seen_by_the_next_read(patient):
    client = token_client(patient)
    assert client.get(ME).status_code == 200

    patient.name = "Renamed Patient"
    patient.save()
    assert client.get(ME).json()["name"] == "Renamed Patient"

    patient.is_active = False
    patient.save()
    refused = client.get(ME)
    assert refused.status_code == 401
    with override_settings(USER_CACHE_SECONDS=0):  # the answer without the cache
        assert refused.json() == client.get(ME).json()


def test_a_write_reads_the_account_from_the_database(
    patient, django_assert_max_num_queries
):
    client = token_client(patient)
    assert client.get(ME).status_code == 200  # cached now

    with django_assert_max_num_queries(20) as captured:
        response = client.patch(ME, {"name": "Written"}, format="json")

    assert response.status_code == 200, response.content
    assert account_reads(captured), "a write authenticates against the row"
    patient.refresh_from_db()
    assert patient.name == "Written"
    assert patient.has_usable_password()  # the cached copy never wrote a password


def test_the_cached_account_defers_its_password(patient):
    patient.set_password(PASSWORD)
    patient.save()
    account_for_read(patient.pk, lambda: User.objects.get(pk=patient.pk))  # stored

    cached = account_for_read(patient.pk, lambda: pytest.fail("not a hit"))

    assert cached.get_deferred_fields() == {"password"}
    assert all(PASSWORD not in str(v) and patient.password != v for v in
               cache.get(f"{ENTRY_PREFIX}{patient.pk}")[1])  # fmt: skip
    cached.name = "Saved from the cache"
    cached.save()  # only the loaded fields are written
    patient.refresh_from_db()
    assert patient.check_password(PASSWORD)
    assert patient.name == "Saved from the cache"


def test_a_reader_between_a_write_and_its_commit_leaves_nothing_stale(
    patient, django_capture_on_commit_callbacks
):
    old_name = patient.name
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        patient.name = "Committed name"
        patient.save()
        # A concurrent reader, which still sees the committed row, stores it now.
        stale = User(**{f.attname: getattr(patient, f.attname)
                        for f in User._meta.concrete_fields})  # fmt: skip
        stale.name = old_name
        account_for_read(patient.pk, lambda: stale)
        assert account_for_read(patient.pk, lambda: patient).name == old_name

    # The commit removed it: the next read loads the row as committed.
    fresh = account_for_read(patient.pk, lambda: User.objects.get(pk=patient.pk))
    assert fresh.name == "Committed name"


def test_a_row_read_before_an_erasure_committed_is_not_left_behind(patient):
    """The reader loaded the row; the erasure's commit removed the keys before the
    reader stored it: the reader takes it back."""

    def load_then_erasure_commits() -> User:
        row = User.objects.get(pk=patient.pk)
        cache.delete_many(
            [f"{TOKEN_PREFIX}{patient.pk}", f"{ENTRY_PREFIX}{patient.pk}"]
        )
        return row

    account_for_read(patient.pk, load_then_erasure_commits)

    assert not [k for k in cached_keys(str(patient.pk)) if ENTRY_PREFIX in k]


def test_without_the_cache_every_read_reads_the_row(patient):
    client = token_client(patient)
    with override_settings(USER_CACHE_SECONDS=0):
        assert client.get(ME).status_code == 200
        with CaptureQueriesContext(connection) as captured:
            assert client.get(ME).status_code == 200
    assert len(account_reads(captured)) == 1
    assert not [k for k in cached_keys(str(patient.pk)) if "account:" in k]


def test_erasure_removes_the_cached_account(patient):
    patient.set_password(PASSWORD)
    patient.save()
    client = token_client(patient)
    assert client.get(ME).status_code == 200
    patient_id = str(patient.pk)
    assert f"{TOKEN_PREFIX}{patient_id}" in " ".join(cached_keys(patient_id))

    patient_erase(user=patient, password=PASSWORD)

    assert cached_keys(patient_id) == []
    assert client.get(ME).status_code == 401  # user_not_found
    # That read (an old token of the erased account) left no key naming it either.
    assert not [k for k in cached_keys(patient_id) if "account:" in k]


@needs_redis
def test_erasure_leaves_no_account_row_in_redis(patient):
    patient.set_password(PASSWORD)
    patient.save()
    with on_redis():
        client = token_client(patient)
        assert client.get(ME).status_code == 200
        assert [k for k in stored_in_redis() if f"{ENTRY_PREFIX}{patient.pk}" in k]

        patient_erase(user=patient, password=PASSWORD)

        stored = stored_in_redis()
        assert not [k for k in stored if str(patient.pk) in k]
        assert not [v for v in stored.values() if patient.email.encode() in v]


@pytest.mark.parametrize(
    ("redis_url", "expected"), [("", "0 0"), (TEST_REDIS, "300 300")]
)
def test_without_redis_the_account_cache_is_off_by_default(redis_url, expected):
    """Per-process memory would keep a deactivated account in other processes (and
    miss a webhook endpoint registered in another: the webhooks' event types)."""
    code = (
        "from config.settings import base; "
        "print(base.USER_CACHE_SECONDS, base.WEBHOOK_EVENTS_CACHE_SECONDS)"
    )
    names = {"USER_CACHE_SECONDS", "WEBHOOK_EVENTS_CACHE_SECONDS"}
    env = {k: v for k, v in os.environ.items() if k not in names}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        env={**env, "REDIS_URL": redis_url},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.stdout.strip() == expected, result.stderr
