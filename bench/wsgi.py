"""The bench's WSGI entry point: the project's application plus the **bare** ceiling.

``/bench/bare/<bytes>`` is answered by Django's own request handler with **no
middleware at all** (the same pre-built body as ``/bench/ceiling/<bytes>``, which goes
through the project's whole middleware stack); every other path goes to the project's
application (``config.wsgi``), unchanged. Both run in the same gunicorn workers, started
by the same command (``bin/serve`` with ``GUNICORN_APP=bench.wsgi:application``), so the
two ceilings differ by exactly the middleware stack.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.core.handlers.exception import convert_exception_to_response
from django.core.handlers.wsgi import WSGIHandler
from django.http import HttpRequest, HttpResponse

from config.wsgi import application as project_application

BARE_PREFIX = "/bench/bare/"


class BareHandler(WSGIHandler):
    """Django's WSGI handler with an empty middleware list and the bare view's URLconf."""

    def load_middleware(self, is_async: bool = False) -> None:
        self._view_middleware: list[Any] = []
        self._template_response_middleware: list[Any] = []
        self._exception_middleware: list[Any] = []

        def bare(request: HttpRequest) -> HttpResponse:
            request.urlconf = "bench.bare_urls"  # type: ignore[attr-defined]
            return self._get_response(request)

        self._middleware_chain = convert_exception_to_response(bare)


bare_application = BareHandler()


def application(
    environ: dict[str, Any], start_response: Callable[..., Any]
) -> Iterable[bytes]:
    if environ.get("PATH_INFO", "").startswith(BARE_PREFIX):
        return bare_application(environ, start_response)
    return project_application(environ, start_response)
