"""PostgreSQL plans a repeated statement once per connection (config/settings/base.py,
docs/deployment.md "Prepared statements")."""

from __future__ import annotations

import pytest
from django.db import connection

from config.settings import base
from users.models import User


def test_postgresql_gets_server_side_binding_and_a_prepare_threshold(monkeypatch):
    monkeypatch.setattr(base, "DATABASE_PREPARE_THRESHOLD", 5)
    postgresql = {"ENGINE": "django.db.backends.postgresql", "OPTIONS": {"x": 1}}
    sqlite = {"ENGINE": "django.db.backends.sqlite3"}

    base.postgresql_prepared(postgresql)
    base.postgresql_prepared(sqlite)

    assert postgresql["OPTIONS"] == {
        "x": 1,
        "server_side_binding": True,
        "prepare_threshold": 5,
    }
    assert "OPTIONS" not in sqlite


def test_a_threshold_of_zero_keeps_djangos_client_side_binding(monkeypatch):
    monkeypatch.setattr(base, "DATABASE_PREPARE_THRESHOLD", 0)
    postgresql = {"ENGINE": "django.db.backends.postgresql"}

    base.postgresql_prepared(postgresql)

    assert "OPTIONS" not in postgresql


@pytest.mark.django_db
def test_a_statement_run_often_enough_is_prepared_on_its_connection():
    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's (the suite on DATABASE_URL)")
    threshold = connection.settings_dict["OPTIONS"]["prepare_threshold"]

    for _ in range(threshold + 1):
        list(User.objects.filter(email="someone@example.com"))

    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    assert any('FROM "users_user"' in sql and "email" in sql for sql in prepared)
