"""Issue 14's second middleware pass: each cheaper part answers as what it replaces.

The request id, the access log line written past ``logging``'s record machinery, the
prepared security headers and Vary values, X-Frame-Options, the history context only
on methods that can write, the system checks that follow the subclasses, and the
bench's statement counter (docs/performance.md, "second middleware pass").
"""

from __future__ import annotations

import io
import json
import logging
import re
import uuid
from contextlib import contextmanager

import pytest
from django.core.management import call_command
from django.db import connection
from django.http import HttpResponse
from django.test import Client, RequestFactory, override_settings
from django.utils.cache import patch_vary_headers
from simple_history.models import HistoricalRecords

from config import access_log, logs
from config.checks import check_security_middleware_subclasses
from config.headers import header_setdefault, vary_add
from config.middleware import (
    CommonMiddleware,
    HistoryRequestMiddleware,
    XFrameOptionsMiddleware,
)

UUID4 = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
)


def test_a_new_request_id_is_a_random_uuid4_in_canonical_form():
    ids = [logs.new_request_id() for _ in range(20_000)]

    assert len(set(ids)) == len(ids)
    for value in ids:
        parsed = uuid.UUID(value)
        assert UUID4.fullmatch(value)
        assert parsed.version == 4
        assert parsed.variant == uuid.RFC_4122
        assert str(parsed) == value
    # Every variant digit occurs (the two random bits kept).
    assert {value[19] for value in ids} == set("89ab")


def test_a_request_without_an_id_gets_a_fresh_uuid4_in_header_and_log(db, caplog):
    with caplog.at_level(logging.INFO, logger="django_structlog"):
        first = Client().get("/api/v1/")
        second = Client().get("/api/v1/")

    assert UUID4.fullmatch(first["X-Request-ID"])
    assert first["X-Request-ID"] != second["X-Request-ID"]
    lines = [r.msg for r in caplog.records if isinstance(r.msg, dict)]
    assert [line["request_id"] for line in lines] == [
        first["X-Request-ID"],
        second["X-Request-ID"],
    ]


@pytest.fixture
def production_handler():
    """The root logger as production configures it: one StreamHandler, JSONFormatter.

    pytest adds its capturing handlers to the root logger around each test's call, so
    the handlers are replaced from inside the test (``only``).
    """
    root = logging.getLogger()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JSONFormatter(**_json_formatter_options()))
    request_logger = logging.getLogger("django_structlog")
    saved_levels = root.level, request_logger.level
    root.setLevel(logging.INFO)
    request_logger.setLevel(logging.INFO)

    @contextmanager
    def only():
        saved = root.handlers[:]
        root.handlers[:] = [handler]
        try:
            yield
        finally:
            root.handlers[:] = saved

    try:
        yield handler, stream, only
    finally:
        root.setLevel(saved_levels[0])
        request_logger.setLevel(saved_levels[1])


def _json_formatter_options() -> dict:
    options = logs.formatter("json")
    options.pop("()")
    return options


def _lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_the_access_line_is_written_past_logging_as_logging_would_write_it(
    db, production_handler, monkeypatch
):
    handler, stream, only = production_handler
    made = []
    monkeypatch.setattr(access_log, "_event_record", lambda *a: made.append(a) or 1 / 0)

    with only():
        response = Client().get("/api/v1/", HTTP_X_REQUEST_ID="req-1")
        assert access_log._plain_json_handler(logging.INFO) is handler
    assert made == []  # no LogRecord was built
    assert stream.getvalue().endswith("\n")
    (line,) = _lines(stream)
    assert line["event"] == "request_finished"
    assert line["request_id"] == response["X-Request-ID"] == "req-1"
    assert line["code"] == 200
    assert line["request"] == "GET /api/v1/"
    assert line["logger"] == "django_structlog.middlewares.request"
    assert line["level"] == "info"
    assert {"timestamp", "duration_ms", "ip", "user_id"} <= set(line)

    # The same request through logging's own path (a filter on the handler makes the
    # short way step aside) writes the same keys in the same order.
    monkeypatch.undo()
    handler.addFilter(lambda record: True)
    with only():
        assert access_log._plain_json_handler(logging.INFO) is None
        Client().get("/api/v1/", HTTP_X_REQUEST_ID="req-1")
    first, second = _lines(stream)
    for line in (first, second):
        line.pop("timestamp")
        line.pop("duration_ms")
    assert list(first.items()) == list(second.items())


def test_the_short_way_steps_aside_for_any_other_logging_setup(production_handler):
    handler, _, only = production_handler
    root = logging.getLogger()

    assert access_log._plain_json_handler(logging.INFO) is None  # pytest's handlers too
    with only():
        assert access_log._plain_json_handler(logging.INFO) is handler
        assert access_log._plain_json_handler(logging.DEBUG) is handler  # at NOTSET
        handler.setLevel(logging.WARNING)
        assert access_log._plain_json_handler(logging.INFO) is None
        handler.setLevel(logging.NOTSET)
        handler.setFormatter(logging.Formatter())
        assert access_log._plain_json_handler(logging.INFO) is None
        handler.setFormatter(logs.JSONFormatter(**_json_formatter_options()))
        second = logging.StreamHandler(io.StringIO())
        root.addHandler(second)
        assert access_log._plain_json_handler(logging.INFO) is None
        root.removeHandler(second)
        file_handler = logging.FileHandler("/dev/null")
        file_handler.setFormatter(handler.formatter)
        root.handlers[:] = [file_handler]
        assert access_log._plain_json_handler(logging.INFO) is None
        file_handler.close()
        root.handlers[:] = [handler]
        access_log._REQUEST_LOGGER.addFilter(lambda record: True)
        try:
            assert access_log._plain_json_handler(logging.INFO) is None
        finally:
            access_log._REQUEST_LOGGER.filters.clear()
        assert access_log._plain_json_handler(logging.INFO) is handler


def test_a_failed_write_is_reported_as_logging_reports_it(
    db, production_handler, monkeypatch
):
    handler, stream, only = production_handler
    reported = []
    monkeypatch.setattr(handler, "handleError", reported.append)
    monkeypatch.setattr(stream, "write", lambda text: 1 / 0)

    with only():
        response = Client().get("/api/v1/")

    assert response.status_code == 200  # the request is answered all the same
    (record,) = reported
    assert record.msg["event"] == "request_finished"
    assert record.levelno == logging.INFO


@pytest.mark.parametrize(
    "existing",
    [None, "Cookie", "Accept", "Accept, Cookie", "origin", "*", "accept-encoding"],
)
@pytest.mark.parametrize("name", ["Cookie", "origin"])
def test_vary_add_is_patch_vary_headers(existing, name):
    for _ in range(2):  # computed, then from the kept entry
        ours, theirs = HttpResponse(), HttpResponse()
        if existing is not None:
            ours["Vary"] = theirs["Vary"] = existing
        vary_add(ours, name)
        patch_vary_headers(theirs, (name,))
        assert list(ours.items()) == list(theirs.items())


def test_header_setdefault_is_setdefault_and_keeps_a_views_own_value():
    ours, theirs = HttpResponse(), HttpResponse()
    for response in (ours, theirs):
        response["Referrer-Policy"] = "no-referrer"
    for _ in range(2):
        header_setdefault(ours, "X-Content-Type-Options", "nosniff")
        header_setdefault(ours, "Referrer-Policy", "same-origin")
    theirs.headers.setdefault("X-Content-Type-Options", "nosniff")
    theirs.headers.setdefault("Referrer-Policy", "same-origin")

    assert list(ours.items()) == list(theirs.items())
    assert ours["referrer-policy"] == "no-referrer"


@pytest.mark.parametrize("setting", ["DENY", "sameorigin"])
@pytest.mark.parametrize("own", [None, "SAMEORIGIN", "exempt"])
def test_x_frame_options_are_djangos(setting, own):
    from django.middleware.clickjacking import XFrameOptionsMiddleware as Django

    def view(request):
        response = HttpResponse("{}")
        if own == "exempt":
            response.xframe_options_exempt = True
        elif own:
            response["X-Frame-Options"] = own
        return response

    with override_settings(X_FRAME_OPTIONS=setting):
        ours = XFrameOptionsMiddleware(view)(RequestFactory().get("/"))
        theirs = Django(view)(RequestFactory().get("/"))

    assert list(ours.items()) == list(theirs.items())
    if own is None:
        assert ours["X-Frame-Options"] == setting.upper()


@pytest.mark.parametrize(
    ("method", "sees_request"),
    [
        ("get", False),
        ("head", False),
        ("options", False),
        ("post", True),
        ("put", True),
        ("patch", True),
        ("delete", True),
    ],
)
def test_the_history_context_holds_the_request_only_when_it_can_write(
    method, sees_request
):
    seen = []

    def view(request):
        seen.append(getattr(HistoricalRecords.context, "request", None))
        return HttpResponse()

    request = getattr(RequestFactory(), method)("/api/v1/x/")
    HistoryRequestMiddleware(view)(request)

    assert seen == [request if sees_request else None]
    assert getattr(HistoricalRecords.context, "request", None) is None


def test_the_checks_follow_the_subclasses_of_djangos_middlewares(settings):
    assert check_security_middleware_subclasses() == []
    call_command("check", "--deploy", "--fail-level", "ERROR")  # runs, silenced ids

    settings.MIDDLEWARE = [
        m
        for m in settings.MIDDLEWARE
        if m
        not in (
            "config.middleware.SecurityMiddleware",
            "config.middleware.XFrameOptionsMiddleware",
            "config.middleware.CsrfViewMiddleware",
        )
    ]
    ids = [message.id for message in check_security_middleware_subclasses()]
    assert ids == ["config.W001", "config.W002", "config.W003"]

    settings.MIDDLEWARE = [
        *settings.MIDDLEWARE,
        "django.middleware.security.SecurityMiddleware",
    ]
    ids = [message.id for message in check_security_middleware_subclasses()]
    assert ids == ["config.W002", "config.W003"]


def test_the_statement_counter_stays_on_its_connection_and_counts_per_request(db):
    from bench.middleware import QueryCountMiddleware, StatementCounter
    from users.models import User

    def view(request):
        with connection.execute_wrapper(lambda execute, *args: execute(*args)):
            User.objects.count()  # a wrapper entered and left inside the request
        return HttpResponse()

    counted = QueryCountMiddleware(view)
    assert counted(RequestFactory().get("/"))["X-DB-Queries"] == "1"
    assert counted(RequestFactory().get("/"))["X-DB-Queries"] == "1"
    quiet = QueryCountMiddleware(lambda request: HttpResponse())
    assert "X-DB-Queries" not in quiet(RequestFactory().get("/"))  # read as 0
    counters = [w for w in connection.execute_wrappers if type(w) is StatementCounter]
    assert len(counters) == 1
    assert connection.execute_wrappers[0] is counters[0]


@pytest.mark.parametrize("body", [b"x", b'{"a": 1}', bytes(range(256)) * 500])
def test_a_body_etag_is_the_quoted_digest_set_as_django_sets_it(body):
    import xxhash
    from django.utils.http import quote_etag

    from common.etags import body_etag, response_etag_set

    ours, theirs = HttpResponse(body), HttpResponse(body)
    response_etag_set(ours)
    theirs["ETag"] = quote_etag(xxhash.xxh3_128_hexdigest(body))

    assert body_etag(body) == theirs["ETag"]
    assert list(ours.items()) == list(theirs.items())
    assert ours["etag"] == theirs["ETag"]


def test_the_json_of_a_log_line_holds_what_structlogs_default_renderer_writes():
    import structlog

    event = {
        "event": "request_finished",
        "request": 'GET /api/v1/é?q="1"\n',
        "code": 200,
        "duration_ms": 1.5,
        "user_id": None,
        "when": RequestFactory,  # not JSON: structlog's fallback (repr)
        "nested": {"a": [1, 2.5, True]},
        7: "a key that is not a string",
    }
    theirs = structlog.processors.JSONRenderer()(None, "", dict(event))
    ours = logs._RENDER_JSON(None, "", dict(event))

    assert json.loads(ours) == json.loads(theirs)
    assert list(json.loads(ours)) == list(json.loads(theirs))  # same order
    assert '"request":"GET /api/v1/é?q=\\"1\\"\\n"' in ours  # compact, UTF-8, escaped
    assert "\n" not in ours


def test_what_orjson_refuses_is_written_by_json():
    event = {"event": "big", "n": 2**70, "m": -(2**64)}

    line = logs._RENDER_JSON(None, "", event)

    assert json.loads(line) == event
    assert (
        line == '{"event":"big","n":1180591620717411303424,"m":-18446744073709551616}'
    )
    data = logs._json_bytes(event, default=repr, option=logs.orjson.OPT_APPEND_NEWLINE)
    assert data == (line + "\n").encode()


def test_the_timestamp_is_iso_utc_to_the_microsecond(monkeypatch):
    import datetime as dt

    before = dt.datetime.now(dt.UTC)
    stamp = logs.timestamp_add(None, "info", {})["timestamp"]
    after = dt.datetime.now(dt.UTC)

    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", stamp)
    assert before <= dt.datetime.fromisoformat(stamp) <= after
    # Across a second (the kept date text is replaced), and at .000000.
    for now, expected in [
        (1_800_000_000.25, "2027-01-15T08:00:00.250000Z"),
        (1_800_000_001.0, "2027-01-15T08:00:01.000000Z"),
        (1_800_000_001.999999, "2027-01-15T08:00:01.999999Z"),
        (1_800_000_000.5, "2027-01-15T08:00:00.500000Z"),
    ]:
        monkeypatch.setattr(logs.time, "time", lambda now=now: now)
        assert logs.timestamp_add(None, "info", {})["timestamp"] == expected


@pytest.fixture
def file_handler_stream(tmp_path, production_handler):
    """production_handler writing to a real file, as gunicorn's stderr is."""
    handler, _, only = production_handler
    path = tmp_path / "log"
    stream = open(path, "w", encoding="utf-8")  # noqa: SIM115 - closed below
    handler.setStream(stream)
    try:
        yield handler, path, only
    finally:
        stream.close()


def test_the_access_line_goes_to_the_descriptor_in_one_write(
    db, file_handler_stream, monkeypatch
):
    handler, path, only = file_handler_stream
    handler.stream.write("buffered before ")  # the stream's buffer goes first
    writes = []
    real_write = access_log.os.write

    def write(fd, data):
        writes.append((fd, bytes(data)))
        return real_write(fd, data[:40])  # a short write: the rest is written after

    monkeypatch.setattr(access_log.os, "write", write)
    with only():
        response = Client().get("/api/v1/", HTTP_X_REQUEST_ID="req-2")

    assert response.status_code == 200
    text = path.read_text()
    assert text.startswith("buffered before {")
    line = json.loads(text.removeprefix("buffered before "))
    assert line["request_id"] == "req-2"
    assert line["event"] == "request_finished"
    assert writes[0][0] == handler.stream.fileno()
    assert len(writes) > 1  # the short write was followed by the rest
    assert writes[0][1].endswith(b"\n")


def test_a_stream_not_in_utf8_is_written_through_its_text_layer(
    tmp_path, db, production_handler
):
    handler, _, only = production_handler
    path = tmp_path / "log"
    with open(path, "w", encoding="utf-16") as stream:
        handler.setStream(stream)
        with only():
            Client().get("/api/v1/", HTTP_X_REQUEST_ID="req-3")
    (line,) = [json.loads(x) for x in path.read_text(encoding="utf-16").splitlines()]
    assert line["request_id"] == "req-3"


def test_a_failed_descriptor_write_is_reported_as_logging_reports_it(
    db, file_handler_stream, monkeypatch
):
    handler, _, only = file_handler_stream
    reported = []
    monkeypatch.setattr(handler, "handleError", reported.append)
    monkeypatch.setattr(access_log.os, "write", lambda fd, data: 1 / 0)

    with only():
        response = Client().get("/api/v1/")

    assert response.status_code == 200
    (record,) = reported
    assert record.msg["event"] == "request_finished"


@pytest.mark.parametrize(
    "kind", ["found", "not-found-slash", "not-found", "own-length", "stream"]
)
def test_common_middleware_answers_as_djangos(kind):
    from django.http import StreamingHttpResponse
    from django.middleware.common import CommonMiddleware as Django

    def view(request):
        if kind == "stream":
            return StreamingHttpResponse(iter([b"a", b"b"]))
        if kind.startswith("not-found"):
            return HttpResponse("{}", status=404)
        response = HttpResponse('{"a": 1}')
        if kind == "own-length":
            response["Content-Length"] = "8"
        return response

    path = "/admin" if kind == "not-found-slash" else "/api/v1/nowhere"
    with override_settings(ROOT_URLCONF="config.urls"):
        ours = CommonMiddleware(view)(RequestFactory().get(path))
        theirs = Django(view)(RequestFactory().get(path))

    assert ours.status_code == theirs.status_code
    assert list(ours.items()) == list(theirs.items())
    if kind == "found":
        assert ours["Content-Length"] == "8"
    if kind == "not-found-slash":
        assert ours.status_code == 301
