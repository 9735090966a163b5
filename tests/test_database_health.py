"""The production backend's connection health check (config/db/postgresql/base.py):
no round trip for a connection the server has not spoken on, Django's ``SELECT 1``
when it has, and a terminated connection found unusable."""

from __future__ import annotations

import time

import psycopg
import pytest
from django.db import connection

from config.db.postgresql.base import DatabaseWrapper

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs PostgreSQL (DATABASE_URL)"
    ),
]


@pytest.fixture
def wrapper():
    """A connection of the production backend to the test database, closed after."""
    db = DatabaseWrapper({**connection.settings_dict}, alias="health_check")
    db.ensure_connection()
    yield db
    db.close()


class Spy:
    """Counts the statements psycopg sends on one connection (the check bypasses
    Django's execute wrappers: it uses a psycopg cursor directly)."""

    def __init__(self, monkeypatch, db):
        self.sent: list[str] = []
        execute = psycopg.Cursor.execute
        spy = self

        def counting(cursor, query, *args, **kwargs):
            if cursor.connection is db.connection:
                spy.sent.append(str(query))
            return execute(cursor, query, *args, **kwargs)

        monkeypatch.setattr(psycopg.Cursor, "execute", counting)


def test_a_quiet_connection_is_usable_without_a_statement(wrapper, monkeypatch):
    spy = Spy(monkeypatch, wrapper)

    assert wrapper.is_usable()
    assert spy.sent == []


def test_a_connection_the_server_spoke_on_is_checked_with_select_1(
    wrapper, monkeypatch
):
    # NOTIFY on a channel the connection listens to: the server sends a message unasked.
    with wrapper.connection.cursor() as cursor:
        cursor.execute("LISTEN health_check_test")
    # From another connection, outside the test's transaction (NOTIFY waits for commit).
    notifier = DatabaseWrapper({**connection.settings_dict}, alias="notifier")
    try:
        with notifier.cursor() as cursor:
            cursor.execute("NOTIFY health_check_test")
    finally:
        notifier.close()
    _wait_until_readable(wrapper)
    spy = Spy(monkeypatch, wrapper)

    assert wrapper.is_usable()
    assert spy.sent == ["SELECT 1"]


def test_a_terminated_connection_is_unusable_and_replaced(wrapper):
    pid = wrapper.connection.info.backend_pid
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    _wait_until_readable(wrapper)

    assert not wrapper.is_usable()

    # Django's request-start check closes it; the next statement reconnects.
    wrapper.health_check_enabled = True
    wrapper.health_check_done = False
    wrapper.close_if_health_check_failed()
    assert wrapper.connection is None
    with wrapper.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)
    assert wrapper.connection.info.backend_pid != pid


def test_a_closed_connection_is_unusable(wrapper):
    wrapper.connection.close()

    assert not wrapper.is_usable()


def _wait_until_readable(db, timeout: float = 5.0) -> None:
    """Until the server's message has reached this side's socket."""
    import select

    poller = select.poll()
    poller.register(db.connection.fileno(), select.POLLIN)
    deadline = time.monotonic() + timeout
    while not poller.poll(50):
        assert time.monotonic() < deadline, "the server's message never arrived"
