"""The access log: one JSON line per request, ``request_finished``, written cheaply.

django-structlog's RequestMiddleware binds ``request_id`` (and ``user_id``, ``ip``) to
the request's context and logs ``request_started``/``request_finished``;
``AccessLogMiddleware`` gives the same lines at a fraction of the cost (below, and
docs/performance.md). The formatter, the processors and the request id are in
config/logs.py.
"""

from __future__ import annotations

import codecs
import logging
import os
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

import structlog
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

from config.logs import (
    REQUEST_ID_META,
    JSONFormatter,
    json_line,
    new_request_id,
    timestamp_add,
)
from config.security import client_ip

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
    _access_log_settings_forget, dispatch_uid="config.access_log.access_log_settings"
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
        timestamp_add(None, name, event)
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

    The same line (``JSONFormatter``'s JSON), the same terminator, written under the
    handler's lock. To a stream on a file descriptor that takes UTF-8 (stderr in
    production), the line's bytes go straight to the descriptor in one ``os.write``
    after the stream's own buffer is flushed, instead of through the text and buffer
    layers; any other stream gets ``write`` and ``flush``. A failure is reported by
    ``handleError`` as ``logging`` reports it (a record is built only then).
    """
    try:
        stream = handler.stream
        descriptor = _utf8_descriptor(stream) if handler.terminator == "\n" else None
        if descriptor is None:
            line = JSONFormatter.render(event) + handler.terminator
            with handler.lock:  # type: ignore[union-attr]
                stream.write(line)
                stream.flush()
            return
        data = json_line(event)
        with handler.lock:  # type: ignore[union-attr]
            stream.flush()
            while data:
                data = data[os.write(descriptor, data) :]
    except Exception:
        handler.handleError(_event_record(event, level, name))


# The last stream asked about and its descriptor (None: not a UTF-8 file descriptor).
_STREAM_DESCRIPTOR: tuple[Any, int | None] = (None, None)


def _utf8_descriptor(stream: Any) -> int | None:
    """The file descriptor under a text stream that encodes UTF-8, else None."""
    global _STREAM_DESCRIPTOR
    known, descriptor = _STREAM_DESCRIPTOR
    if stream is known:
        return descriptor
    try:
        utf8 = codecs.lookup(stream.encoding).name == "utf-8"
        descriptor = stream.fileno() if utf8 else None
    except (AttributeError, LookupError, OSError, TypeError, ValueError):
        descriptor = None  # io.StringIO, a closed or wrapped stream: write() it is
    _STREAM_DESCRIPTOR = (stream, descriptor)
    return descriptor


def _structlog_request_logger() -> Any:
    from django_structlog.middlewares import request as structlog_request

    return structlog_request.logger
