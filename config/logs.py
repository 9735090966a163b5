"""Structured logging: one JSON object per line, each carrying the request id.

django-structlog's RequestMiddleware binds ``request_id`` (and ``user_id``, ``ip``) to
the request's context and logs ``request_started``/``request_finished``; the formatter
below merges that context into every record, including those of plain ``logging``
loggers (``django.request``, ``django.db.backends``...). RequestIdMiddleware decides the
id (the load balancer's ``X-Request-ID`` when it is sane, a fresh UUID otherwise) and
returns it to the client in the ``X-Request-ID`` response header.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
from collections.abc import Callable, MutableMapping
from typing import Any

import orjson
import structlog
import structlog.tracebacks
from django.http import HttpRequest, HttpResponse

REQUEST_ID_HEADER = "X-Request-ID"
REQUEST_ID_META = "HTTP_X_REQUEST_ID"
# An upstream id is trusted only if it is short and plain: it ends up in every log line,
# so a client must not be able to inject newlines, quotes or megabytes through it.
REQUEST_ID_PATTERN = re.compile(r"[A-Za-z0-9._:@/+=-]{1,128}")

LOG_FORMATS = ("json", "console")

# The wall clock's last whole second and its ISO 8601 text (UTC), shared by the threads
# (one tuple, replaced whole).
_SECOND: tuple[int, str] = (0, "")


def timestamp_add(
    logger: Any, name: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog's ``TimeStamper(fmt="iso", utc=True)``, the date written once a second.

    ``timestamp`` is the time in UTC to the microsecond, as ``2026-12-02T10:19:07.492182Z``
    (always six digits, where ``datetime.isoformat`` drops them at .000000); the text
    up to the seconds is made when the second changes, not on every line (building a
    datetime and its ISO text was a twentieth of an API request's fixed cost).
    """
    global _SECOND
    now = time.time()
    second = int(now)
    known, text = _SECOND
    if second != known:
        text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        _SECOND = (second, text)
    event["timestamp"] = f"{text}.{int((now - second) * 1_000_000):06d}Z"
    return event


# Processors run on records of plain `logging` loggers before rendering; the request
# context (request_id, user_id, ip) comes from merge_contextvars.
_SHARED_PROCESSORS: list[Any] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_logger_name,
    structlog.stdlib.add_log_level,
    structlog.stdlib.ExtraAdder(),
    timestamp_add,
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
            timestamp_add,
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


_ORJSON_OPTIONS = orjson.OPT_NON_STR_KEYS


def _json_bytes(obj: Any, *, default: Callable[[Any], Any], option: int = 0) -> bytes:
    """The JSON of a log event, by orjson (a tenth of the standard library's cost).

    Compact (no spaces after ``,`` and ``:``), UTF-8 (no ``\\u`` escapes); keys that are
    not strings are written as strings, as ``json.dumps`` writes them; anything orjson
    does not know goes through structlog's fallback (``default``). What orjson refuses
    (an integer beyond 64 bits, a key of a type it cannot name) is written by ``json``.
    """
    try:
        return orjson.dumps(obj, default=default, option=option | _ORJSON_OPTIONS)
    except TypeError:  # orjson.JSONEncodeError included
        text = json.dumps(
            obj, default=default, separators=(",", ":"), ensure_ascii=False
        )
        return (text + "\n" if option & orjson.OPT_APPEND_NEWLINE else text).encode()


def _json_dumps(obj: Any, *, default: Callable[[Any], Any]) -> str:
    return _json_bytes(obj, default=default).decode()


_RENDER_JSON = structlog.processors.JSONRenderer(serializer=_json_dumps)
# structlog's fallback for what JSON cannot hold (``__structlog__()``, else ``repr``).
_JSON_DEFAULT: Callable[[Any], Any] = _RENDER_JSON._dumps_kw["default"]


def json_line(event: dict[str, Any]) -> bytes:
    """The line ``JSONFormatter`` writes for a finished event, newline included, in
    UTF-8 bytes (config/access_log.py writes it to the log's descriptor as it is)."""
    return _json_bytes(event, default=_JSON_DEFAULT, option=orjson.OPT_APPEND_NEWLINE)


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
