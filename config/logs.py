"""Structured logging: one JSON object per line, each carrying the request id.

django-structlog's RequestMiddleware binds ``request_id`` (and ``user_id``, ``ip``) to
the request's context and logs ``request_started``/``request_finished``; the formatter
below merges that context into every record, including those of plain ``logging``
loggers (``django.request``, ``django.db.backends``...). RequestIdMiddleware decides the
id (the load balancer's ``X-Request-ID`` when it is sane, a fresh UUID otherwise) and
returns it to the client in the ``X-Request-ID`` response header.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

import structlog
import structlog.tracebacks
from asgiref.sync import iscoroutinefunction
from django.core.signals import setting_changed
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django_structlog import signals as structlog_signals
from django_structlog.app_settings import app_settings as structlog_settings
from django_structlog.middlewares import RequestMiddleware
from django_structlog.middlewares.request import (
    async_streaming_content_wrapper,
    sync_streaming_content_wrapper,
)

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
        factory: Any = JSONFormatter
        processors = [
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            # Structured tracebacks without frame locals: those may hold passwords,
            # tokens or patients' data.
            structlog.processors.ExceptionRenderer(
                structlog.tracebacks.ExceptionDictTransformer(show_locals=False)
            ),
            _RENDER_JSON,
        ]
    else:
        factory = structlog.stdlib.ProcessorFormatter
        processors = [
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.dev.ConsoleRenderer(colors=False),
        ]
    return {
        "()": factory,
        "processors": processors,
        "foreign_pre_chain": _SHARED_PROCESSORS,
    }


@functools.cache
def _json_encoder(default: Callable[[Any], Any]) -> json.JSONEncoder:
    return json.JSONEncoder(default=default)


def _json_dumps(obj: Any, *, default: Callable[[Any], Any]) -> str:
    """``json.dumps(obj, default=default)`` from one encoder (json.dumps builds one per
    call: half the cost of a log line's JSON); an encoder keeps no state between calls."""
    return _json_encoder(default).encode(obj)


_RENDER_JSON = structlog.processors.JSONRenderer(serializer=_json_dumps)


class JSONFormatter(structlog.stdlib.ProcessorFormatter):
    """structlog's formatter for JSON lines, with a short way for a plain event.

    A record from structlog (its ``msg`` the finished event dict) without an exception
    or a stack is rendered by the same JSONRenderer the processors end with: the same
    line, without copying the record and running the processors that would find
    nothing to do (about a third of the access log line's cost). Anything else takes
    the processors.
    """

    def format(self, record: logging.LogRecord) -> str:
        event = record.msg
        if (
            type(event) is dict
            and hasattr(record, "_name")
            and "exc_info" not in event
            and not record.exc_info
            and not record.stack_info
        ):
            return self.render(event)
        return super().format(record)

    @staticmethod
    def render(event: dict[str, Any]) -> str:
        """The JSON line of a finished structlog event (structlog's JSONRenderer)."""
        return str(_RENDER_JSON(None, "", event))


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


def new_request_id() -> str:
    """A random (version 4) UUID in its canonical form, as ``str(uuid.uuid4())`` writes it.

    The same 16 bytes from ``os.urandom`` with the version and variant bits set, written
    without building a ``uuid.UUID`` (a third of the cost).
    """
    digits = os.urandom(16).hex()
    return (
        f"{digits[:8]}-{digits[8:12]}-4{digits[13:16]}-"
        f"{_VARIANT[digits[16]]}{digits[17:20]}-{digits[20:]}"
    )


# The first digit of the fourth group: the RFC 4122 variant (binary 10xx) kept with
# the digit's two low random bits.
_VARIANT = {f"{n:x}": f"{8 | (n & 3):x}" for n in range(16)}


class RequestIdMiddleware:
    """Give every request an id (upstream X-Request-ID if sane) and echo it in the response.

    Placed first, so the id also marks responses that never reach a view (static files,
    redirects, 413). django-structlog reads the id from the same header
    (DJANGO_STRUCTLOG_TRUST_UPSTREAM_REQUEST_ID) and binds it to every log line.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.started_at = time.perf_counter()  # type: ignore[attr-defined]
        request_id = request.META.get(REQUEST_ID_META, "")
        if not REQUEST_ID_PATTERN.fullmatch(request_id):
            request_id = new_request_id()
            request.META[REQUEST_ID_META] = request_id
        request.request_id = request_id  # type: ignore[attr-defined]
        response = self.get_response(request)
        # The entry Django's ResponseHeaders would store: the id is one this middleware
        # made or checked (REQUEST_ID_PATTERN: ASCII, no line breaks).
        response.headers._store["x-request-id"] = (REQUEST_ID_HEADER, request_id)
        return response


# django-structlog's request logger (request_started, request_finished).
_REQUEST_LOGGER = logging.getLogger("django_structlog.middlewares.request")
# What structlog's add_log_level writes for a level given as a number.
_LEVEL_NAMES = {
    logging.DEBUG: "debug",
    logging.INFO: "info",
    logging.WARNING: "warning",
    logging.ERROR: "error",
    logging.CRITICAL: "critical",
}
_TIMESTAMP = structlog.processors.TimeStamper(fmt="iso", utc=True)


@dataclass(frozen=True)
class _AccessLogSettings:
    """django-structlog's settings the access log reads on every request.

    Read through its ``app_settings`` once (each is a ``getattr`` on Django's lazy
    settings with a default: a raised and caught AttributeError per unset setting, per
    request), and again after a setting changes (tests).
    """

    ip_logging: bool
    start_level: int
    user_id_field: str | None
    levels: dict[int, int]

    @classmethod
    def read(cls) -> _AccessLogSettings:
        app = structlog_settings
        return cls(
            ip_logging=app.IP_LOGGING_ENABLED,
            start_level=app.STATUS_START_LOG_LEVEL,
            user_id_field=app.USER_ID_FIELD,
            levels={
                2: app.STATUS_2XX_LOG_LEVEL,
                4: app.STATUS_4XX_LOG_LEVEL,
                5: app.STATUS_5XX_LOG_LEVEL,
                0: app.STATUS_DEFAULT_LOG_LEVEL,
            },
        )


_ACCESS_LOG_SETTINGS: list[_AccessLogSettings] = []


def _access_log_settings() -> _AccessLogSettings:
    if not _ACCESS_LOG_SETTINGS:
        _ACCESS_LOG_SETTINGS.append(_AccessLogSettings.read())
    return _ACCESS_LOG_SETTINGS[0]


def _access_log_settings_forget(**kwargs: Any) -> None:
    _ACCESS_LOG_SETTINGS.clear()


setting_changed.connect(
    _access_log_settings_forget, dispatch_uid="config.logs.access_log_settings"
)


class AccessLogMiddleware(RequestMiddleware):
    """django-structlog's access log: the same lines at a fraction of the cost.

    Profiled (docs/performance.md, issue 14), the request's fixed cost went to
    - ``request_started``, built and sent through every processor to be dropped by the
      level filter (it is logged at DEBUG): now built only when its level is enabled;
    - the client address through django-ipware: now ``config.security.client_ip``, the
      address the throttles and the login lockout use (one rule for all three);
    - ``request_finished`` through structlog's processor chain, ``logging``'s caller
      lookup and the formatter's copy of the record: now its event dict is built here
      with the keys and values those processors give it (merged context, logger name,
      level, ISO timestamp) and handed to the logger as the one record they would
      have made (``JSONFormatter`` renders it).
    A request that raised (``request_failed``) takes django-structlog's own path.
    """

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        super().__init__(get_response)
        self._async = iscoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        if self._async:
            return self.__acall__(request)
        self.prepare(request)
        response = cast(HttpResponse, self.get_response(request))
        self.handle_response(request, response)
        return response

    def prepare(self, request: HttpRequest) -> None:
        # RequestIdMiddleware (first) has put a safe id in the header django-structlog
        # trusts (DJANGO_STRUCTLOG_TRUST_UPSTREAM_REQUEST_ID).
        conf = _access_log_settings()
        structlog.contextvars.bind_contextvars(
            request_id=request.META.get(REQUEST_ID_META) or new_request_id()
        )
        if conf.ip_logging:
            self.bind_ip(request)
        if hasattr(request, "user"):
            self.bind_user_id(request)
        level = conf.start_level
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

    def handle_response(self, request: HttpRequest, response: HttpResponse) -> None:
        if hasattr(request, "_raised_exception"):
            super().handle_response(request, response)
            return
        conf = _access_log_settings()
        if hasattr(request, "session"):
            # django-structlog's: reading the user must not mark the session accessed.
            self.bind_user_id(request)
        elif conf.user_id_field:
            # No session (config.middleware.browser_free): the user DRF authenticated,
            # or none (anonymous: null, as Django's AnonymousUser would have said).
            user_id = getattr(getattr(request, "user", None), conf.user_id_field, None)
            if isinstance(user_id, uuid.UUID):
                user_id = str(user_id)
            structlog.contextvars.bind_contextvars(user_id=user_id)
        context = structlog.contextvars.get_contextvars()
        level = conf.levels.get(response.status_code // 100) or conf.levels[0]
        if _REQUEST_LOGGER.isEnabledFor(level):
            self._finished(request, response, level, context)
        if isinstance(response, StreamingHttpResponse):
            wrapper: Any = (
                async_streaming_content_wrapper
                if response.is_async
                else sync_streaming_content_wrapper
            )
            response.streaming_content = wrapper(response.streaming_content, context)
        structlog.contextvars.clear_contextvars()

    def _finished(
        self,
        request: HttpRequest,
        response: HttpResponse,
        level: int,
        context: dict[str, Any],
    ) -> None:
        """The request_finished line, as structlog's processors would have made it."""
        event: dict[str, Any] = {
            "code": response.status_code,
            "request": self.format_request(request),
        }
        started = getattr(request, "started_at", None)
        if started is not None:
            event["duration_ms"] = round((time.perf_counter() - started) * 1000, 1)
        finished = structlog_signals.bind_extra_request_finished_metadata
        if finished.receivers:
            finished.send(
                sender=self.__class__,
                request=request,
                logger=_structlog_request_logger(),
                response=response,
                log_kwargs=event,
            )
        event["event"] = "request_finished"
        for key, value in context.items():
            event.setdefault(key, value)
        event["logger"] = _REQUEST_LOGGER.name
        name = _LEVEL_NAMES.get(level) or logging.getLevelName(level).lower()
        event["level"] = name
        _TIMESTAMP(None, name, event)
        handler = _plain_json_handler(level)
        if handler is not None:
            _write_line(handler, event, level, name)
            return
        _REQUEST_LOGGER.handle(_event_record(event, level, name))


def _event_record(event: dict[str, Any], level: int, name: str) -> logging.LogRecord:
    """The record structlog's ``wrap_for_formatter`` would hand to ``logging``."""
    record = logging.LogRecord(
        _REQUEST_LOGGER.name, level, __file__, 0, event, None, None
    )
    record._logger = _REQUEST_LOGGER
    record._name = name
    return record


def _plain_json_handler(level: int) -> logging.StreamHandler[Any] | None:
    """The one handler the access logger's records reach, when writing past it is safe.

    That is production's configuration (``build_logging``, gunicorn's
    ``logconfig_dict``): the records propagate to the root logger's one
    ``StreamHandler`` (exactly that class) with ``JSONFormatter``, and no logger on
    the way nor the handler has a filter. Anything else (pytest's ``caplog``, a
    file or syslog handler, a second handler, a filter) returns None: the record takes
    ``logging``'s own path.
    """
    found: logging.StreamHandler[Any] | None = None
    logger: logging.Logger | None = _REQUEST_LOGGER
    while logger is not None:
        if logger.filters or logger.disabled:
            return None
        for handler in logger.handlers:
            if found is not None or type(handler) is not logging.StreamHandler:
                return None
            found = handler
        if not logger.propagate:
            break
        logger = logger.parent
    if (
        found is None
        or found.filters
        or level < found.level
        or type(found.formatter) is not JSONFormatter
    ):
        return None
    return found


def _write_line(
    handler: logging.StreamHandler[Any], event: dict[str, Any], level: int, name: str
) -> None:
    """What ``StreamHandler.emit`` does with the record, without building the record.

    The same line (``JSONFormatter.render``), the same terminator, write and flush
    under the handler's lock; a failure is reported by ``handleError`` as ``logging``
    reports it (a record is built only then).
    """
    try:
        line = JSONFormatter.render(event) + handler.terminator
        with handler.lock:  # type: ignore[union-attr]
            handler.stream.write(line)
            handler.stream.flush()
    except Exception:
        handler.handleError(_event_record(event, level, name))


def _structlog_request_logger() -> Any:
    from django_structlog.middlewares import request as structlog_request

    return structlog_request.logger
