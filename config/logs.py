"""Structured logging: one JSON object per line, each carrying the request id.

django-structlog's RequestMiddleware binds ``request_id`` (and ``user_id``, ``ip``) to
the request's context and logs ``request_started``/``request_finished``; the formatter
below merges that context into every record, including those of plain ``logging``
loggers (``django.request``, ``django.db.backends``...). RequestIdMiddleware decides the
id (the load balancer's ``X-Request-ID`` when it is sane, a fresh UUID otherwise) and
returns it to the client in the ``X-Request-ID`` response header.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

import structlog
import structlog.tracebacks
from django.http import HttpRequest, HttpResponse
from django_structlog import signals as structlog_signals
from django_structlog.app_settings import app_settings as structlog_settings
from django_structlog.middlewares import RequestMiddleware

from config.security import client_ip

REQUEST_ID_HEADER = "X-Request-ID"
REQUEST_ID_META = "HTTP_X_REQUEST_ID"
# An upstream id is trusted only if it is short and plain: it ends up in every log line,
# so a client must not be able to inject newlines, quotes or megabytes through it.
REQUEST_ID_PATTERN = re.compile(r"[A-Za-z0-9._:@/+=-]{1,128}")

LOG_FORMATS = ("json", "console")

# Processors run on records of plain `logging` loggers before rendering; the request
# context (request_id, user_id, ip) comes from merge_contextvars.
_SHARED_PROCESSORS: list[Any] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_logger_name,
    structlog.stdlib.add_log_level,
    structlog.stdlib.ExtraAdder(),
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


def configure_structlog() -> None:
    """Route structlog loggers through `logging`, so one LOGGING dict renders everything."""
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.stdlib.filter_by_level,
            structlog.stdlib.add_logger_name,
            structlog.stdlib.add_log_level,
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.StackInfoRenderer(),
            structlog.processors.UnicodeDecoder(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


def formatter(fmt: str) -> dict[str, Any]:
    """A logging formatter entry: JSON lines, or coloured key=value for a terminal."""
    if fmt not in LOG_FORMATS:
        raise ValueError(f"DJANGO_LOG_FORMAT must be one of {LOG_FORMATS}, not {fmt!r}")
    if fmt == "json":
        processors = [
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            # Structured tracebacks without frame locals: those may hold passwords,
            # tokens or patients' data.
            structlog.processors.ExceptionRenderer(
                structlog.tracebacks.ExceptionDictTransformer(show_locals=False)
            ),
            structlog.processors.JSONRenderer(),
        ]
    else:
        processors = [
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.dev.ConsoleRenderer(colors=False),
        ]
    return {
        "()": structlog.stdlib.ProcessorFormatter,
        "processors": processors,
        "foreign_pre_chain": _SHARED_PROCESSORS,
    }


# The format of http.server's per-request line (BaseHTTPRequestHandler.log_request),
# which runserver sends to the django.server logger.
RUNSERVER_REQUEST_FORMAT = '"%s" %s %s'


class SkipRunserverRequestLines(logging.Filter):
    """Drop runserver's own line per request: request_finished already logs each one.

    runserver's other messages on django.server (e.g. a TLS handshake on the plain-HTTP
    development server) still pass.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return record.msg != RUNSERVER_REQUEST_FORMAT


def build_logging(fmt: str, level: str, *, quiet: bool = False) -> dict[str, Any]:
    """The LOGGING setting: everything to stderr through one structlog formatter.

    ``quiet`` (tests, where most requests are meant to fail with a 4xx) drops the
    per-request lines below ERROR.

    Each record is written once: Django's default handlers on ``django`` and
    ``django.server`` are replaced (listing a logger here drops its handlers), so their
    records reach only the root handler; runserver's own access line is filtered out.
    """
    request_level = "ERROR" if quiet else level
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"structured": formatter(fmt)},
        "filters": {
            "skip_runserver_requests": {"()": SkipRunserverRequestLines},
        },
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": "structured"},
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # Django's default LOGGING gives `django` a plain console handler (DEBUG on)
            # and mail_admins (DEBUG off): its records would print twice in development.
            "django": {"handlers": [], "level": level, "propagate": True},
            # request_finished is the access log (gunicorn's own is off); request_started
            # is logged at DEBUG (DJANGO_STRUCTLOG_STATUS_START_LOG_LEVEL).
            "django_structlog": {"level": request_level},
            # django.request repeats what request_finished already says for 4xx/5xx.
            "django.request": {"level": "ERROR"},
            # Django's default sends runserver's lines to a handler of their own without
            # propagating; here they propagate to the root handler, filtered.
            "django.server": {
                "handlers": [],
                "level": request_level,
                "propagate": True,
                "filters": ["skip_runserver_requests"],
            },
        },
    }


def add_duration(
    request: HttpRequest, log_kwargs: dict[str, Any], **kwargs: Any
) -> None:
    """Add the request's duration to its request_finished line (the access log)."""
    started = getattr(request, "started_at", None)
    if started is not None:
        log_kwargs["duration_ms"] = round((time.perf_counter() - started) * 1000, 1)


class RequestIdMiddleware:
    """Give every request an id (upstream X-Request-ID if sane) and echo it in the response.

    Placed first, so the id also marks responses that never reach a view (static files,
    redirects, 413). django-structlog reads the id from the same header
    (DJANGO_STRUCTLOG_TRUST_UPSTREAM_REQUEST_ID) and binds it to every log line.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        structlog_signals.bind_extra_request_finished_metadata.connect(
            add_duration, dispatch_uid="config.logs.add_duration"
        )

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.started_at = time.perf_counter()  # type: ignore[attr-defined]
        request_id = request.META.get(REQUEST_ID_META, "")
        if not REQUEST_ID_PATTERN.fullmatch(request_id):
            request_id = str(uuid.uuid4())
            request.META[REQUEST_ID_META] = request_id
        request.request_id = request_id  # type: ignore[attr-defined]
        response = self.get_response(request)
        response[REQUEST_ID_HEADER] = request_id
        return response


# django-structlog's request logger (request_started, request_finished).
_REQUEST_LOGGER = logging.getLogger("django_structlog.middlewares.request")


class AccessLogMiddleware(RequestMiddleware):
    """django-structlog's access log, with the same lines at a third of the cost.

    Profiled (docs/performance.md): two thirds of the request's fixed cost went to
    - ``request_started``, built and sent through every processor to be dropped by the
      level filter (it is logged at DEBUG): now built only when its level is enabled;
    - the client address through django-ipware: now ``config.security.client_ip``, the
      address the throttles and the login lockout use (one rule for all three).
    """

    def prepare(self, request: HttpRequest) -> None:
        # RequestIdMiddleware (first) has put a safe id in the header django-structlog
        # trusts (DJANGO_STRUCTLOG_TRUST_UPSTREAM_REQUEST_ID).
        structlog.contextvars.bind_contextvars(
            request_id=request.META.get(REQUEST_ID_META) or str(uuid.uuid4())
        )
        self.bind_user_id(request)
        if structlog_settings.IP_LOGGING_ENABLED:
            self.bind_ip(request)
        level = structlog_settings.STATUS_START_LOG_LEVEL
        if not _REQUEST_LOGGER.isEnabledFor(level):
            return
        log_kwargs = {
            "request": self.format_request(request),
            "user_agent": request.META.get("HTTP_USER_AGENT"),
        }
        structlog_signals.bind_extra_request_metadata.send(
            sender=self.__class__,
            request=request,
            logger=_structlog_request_logger(),
            log_kwargs=log_kwargs,
        )
        _structlog_request_logger().log(level, "request_started", **log_kwargs)

    @classmethod
    def bind_ip(cls, request: HttpRequest) -> None:
        structlog.contextvars.bind_contextvars(ip=client_ip(request))


def _structlog_request_logger() -> Any:
    from django_structlog.middlewares import request as structlog_request

    return structlog_request.logger
