"""Counts the SQL statements each request runs, reported in the ``X-DB-Queries`` header
(absent when the request ran none: the load reads a missing header as 0)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.http import HttpRequest, HttpResponse


class StatementCounter:
    """An execute wrapper that stays on its connection and counts every statement.

    Installed once per connection object (one per thread), instead of a context manager
    entered and left on every request: a request that runs no SQL (the ceiling, a cached
    answer) pays two reads of the count.
    """

    def __init__(self) -> None:
        self.count = 0

    def __call__(
        self,
        execute: Callable[..., Any],
        sql: Any,
        params: Any,
        many: bool,
        context: dict[str, Any],
    ) -> Any:
        self.count += 1
        return execute(sql, params, many, context)

    @classmethod
    def of(cls, connection: BaseDatabaseWrapper) -> StatementCounter:
        for wrapper in connection.execute_wrappers:
            if type(wrapper) is cls:
                return wrapper
        counter = cls()
        # First (outermost): a wrapper entered later for a block pops only its own.
        connection.execute_wrappers.insert(0, counter)
        return counter


class _Installed(threading.local):
    """The counter on this thread's connection (Django keeps one per thread)."""

    counter: StatementCounter | None = None


_INSTALLED = _Installed()


class QueryCountMiddleware:
    """First in the stack, so it sees every statement of the request (none of its own).

    A request that runs no SQL (the ceiling, a cached answer) pays two reads of the
    count: the counter is found once per thread, not on every request, and the header
    is sent only for a request that ran statements, so the instrument adds no header
    of its own to the ceiling it is compared with (the bare ceiling has none either).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        counter = _INSTALLED.counter
        if counter is None:
            counter = StatementCounter.of(connections[DEFAULT_DB_ALIAS])
            _INSTALLED.counter = counter
        before = counter.count
        response = self.get_response(request)
        count = counter.count - before
        if count:
            response["X-DB-Queries"] = str(count)
        return response
