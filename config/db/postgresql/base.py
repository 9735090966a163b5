"""Django's PostgreSQL backend, its connection health check made without a round trip.

With ``CONN_HEALTH_CHECKS`` (production), Django checks a reused connection before the
first statement of each request with ``SELECT 1``: one round trip to PostgreSQL per
request that touches the database, the whole SQL cost of a request whose only statement
is one INSERT (a clinician's cached alert list writes its access-log rows: two round
trips instead of one; docs/performance.md).

A connection the server has given up on (a restart or failover, ``pg_terminate_backend``,
an idle or session timeout) is one the server has written to before closing: the
termination's error message and the end of the stream wait in the socket. So the
check here asks the kernel first, without waiting, whether anything arrived since the
last answer was read:

- nothing: the server has not spoken, so it has not closed the connection; usable;
- something (a termination, or a notice or parameter change the server may send
  unasked): Django's own check runs, ``SELECT 1``, and a connection that fails it is
  closed and replaced, as before.

What neither check sees without waiting is a peer gone silently (a network cut that
sends nothing): ``SELECT 1`` would wait for TCP's timeout as the request's first
statement does, bounded by ``DATABASE_CONNECT_TIMEOUT`` on the reconnection and
``statement_timeout`` (docs/deployment.md). Tested: tests/test_database_health.py,
and PostgreSQL restarted under load (tests/resilience/test_postgres_restart.py).
"""

from __future__ import annotations

import select

from django.db.backends.postgresql import base

__all__ = ["DatabaseWrapper"]


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self) -> bool:
        connection = self.connection
        if connection is None or connection.closed or connection.broken:
            return False
        if not hasattr(select, "poll"):  # pragma: no cover - not on Linux/macOS
            return bool(super().is_usable())
        try:
            poller = select.poll()
            poller.register(connection.fileno(), select.POLLIN)
            spoken = poller.poll(0)
        except (OSError, ValueError):
            return False
        if spoken:
            return bool(super().is_usable())
        return True
