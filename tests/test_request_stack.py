"""The cheaper parts of the middleware stack behave as the libraries they replace.

AccessLogMiddleware (django-structlog's access log without the work nobody reads) and
ContentSecurityPolicyMiddleware (django-csp's header, built once): docs/performance.md.
"""

from __future__ import annotations

import json
import logging

import pytest
from csp.constants import NONCE
from csp.decorators import csp_update
from csp.middleware import CSPMiddleware
from django.http import HttpResponse
from django.test import Client, RequestFactory, override_settings

from config.middleware import ContentSecurityPolicyMiddleware


def _finished(caplog) -> list[dict]:
    return [
        record.msg
        for record in caplog.records
        if isinstance(record.msg, dict)
        and record.msg.get("event") == "request_finished"
    ]


def _started(caplog) -> list[dict]:
    return [
        record.msg
        for record in caplog.records
        if isinstance(record.msg, dict) and record.msg.get("event") == "request_started"
    ]


def test_the_access_log_names_the_client_as_the_throttles_do(db, caplog, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    with caplog.at_level(logging.INFO, logger="django_structlog"):
        Client().get(
            "/api/v1/exercises/",
            REMOTE_ADDR="10.0.0.2",
            HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.5",
        )

    (line,) = _finished(caplog)
    assert line["ip"] == "203.0.113.5"
    assert line["code"] == 200
    # request_started is logged at DEBUG: not built when that level is off.
    assert _started(caplog) == []


def test_request_started_is_still_logged_when_its_level_is_on(db, caplog):
    with caplog.at_level(logging.DEBUG, logger="django_structlog"):
        Client().get("/api/v1/exercises/", HTTP_USER_AGENT="probe/1")

    (line,) = _started(caplog)
    assert line["request"] == "GET /api/v1/exercises/"
    assert line["user_agent"] == "probe/1"
    assert _finished(caplog)[0]["request_id"] == line["request_id"]


def _both(view, path="/api/v1/x/"):
    """The header from django-csp's middleware and from ours, for one view."""
    request = RequestFactory().get(path)
    theirs = CSPMiddleware(view)(request)
    ours = ContentSecurityPolicyMiddleware(view)(RequestFactory().get(path))
    return theirs, ours


def _plain(request):
    return HttpResponse("{}")


@pytest.mark.parametrize("path", ["/api/v1/x/", "/admin/", "/api/docs/"])
def test_the_policy_is_django_csps_own_for_every_path(path):
    theirs, ours = _both(_plain, path)

    assert ours.get("Content-Security-Policy") == theirs.get("Content-Security-Policy")
    if path.startswith("/api/docs"):
        assert "Content-Security-Policy" not in ours  # an excluded prefix
    else:
        assert "frame-ancestors 'none'" in ours["Content-Security-Policy"]


def test_a_changed_setting_changes_the_policy_on_the_next_response():
    _both(_plain)  # built and kept
    with override_settings(
        CONTENT_SECURITY_POLICY={"DIRECTIVES": {"default-src": ["'none'"]}},
        CONTENT_SECURITY_POLICY_REPORT_ONLY={"DIRECTIVES": {"img-src": ["'self'"]}},
    ):
        theirs, ours = _both(_plain)
    assert ours["Content-Security-Policy"] == "default-src 'none'"
    assert (
        ours["Content-Security-Policy-Report-Only"]
        == (theirs["Content-Security-Policy-Report-Only"])
    )
    assert _both(_plain)[1]["Content-Security-Policy"] != "default-src 'none'"


def test_a_views_own_policy_and_a_nonce_take_django_csps_path():
    @csp_update({"img-src": ["https://cdn.example"]})
    def updated(request):
        return HttpResponse("{}")

    def with_nonce(request):
        return HttpResponse(str(request.csp_nonce))

    theirs, ours = _both(updated)
    assert "https://cdn.example" in ours["Content-Security-Policy"]
    assert ours["Content-Security-Policy"] == theirs["Content-Security-Policy"]
    policy = {"DIRECTIVES": {"script-src": ["'self'", NONCE]}}
    with override_settings(CONTENT_SECURITY_POLICY=policy):
        theirs, ours = _both(with_nonce)
    assert f"'nonce-{ours.content.decode()}'" in ours["Content-Security-Policy"]
    assert "script-src 'self' 'nonce-" in theirs["Content-Security-Policy"]


def test_gunicorn_freezes_the_preloaded_app_and_collects_less_often():
    import gc
    import runpy
    from pathlib import Path

    conf = runpy.run_path(
        str(Path(__file__).resolve().parent.parent / "gunicorn.conf.py")
    )
    threshold = gc.get_threshold()
    try:
        conf["pre_fork"](None, None)  # in the master, before each fork
        assert gc.get_freeze_count() > 0
        conf["post_fork"](None, None)  # in the worker
        assert gc.get_threshold() == (conf["GC_GEN0_THRESHOLD"], *threshold[1:])
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)


# ---------------------------------------------------------------------------
# Issue 14: cheaper versions of Django's and the libraries' middlewares answer as
# the originals do (docs/performance.md).
# ---------------------------------------------------------------------------
def _pair(ours_class, theirs_class, view, request_factory):
    """The response of the library's middleware and of ours, for one request."""
    theirs = theirs_class(view)(request_factory())
    ours = ours_class(view)(request_factory())
    return theirs, ours


def _headers(response) -> dict[str, str]:
    return dict(response.items())


@pytest.mark.parametrize(
    "conditions",
    [
        {},
        {"HTTP_IF_NONE_MATCH": "SAME"},
        {"HTTP_IF_NONE_MATCH": '"other"'},
        {"HTTP_IF_MATCH": '"other"'},
        {"HTTP_IF_MODIFIED_SINCE": "Mon, 01 Jan 2035 00:00:00 GMT"},
    ],
    ids=["none", "if-none-match-same", "if-none-match-other", "if-match", "ims"],
)
@pytest.mark.parametrize(
    "prepared",
    [{}, {"ETag": '"set-by-the-view"'}, {"Cache-Control": "no-store"}],
    ids=["plain", "own-etag", "no-store"],
)
def test_the_conditional_get_answers_as_djangos(conditions, prepared, monkeypatch):
    """Django's middleware with its body hash replaced by ours (xxh3-128 for md5)."""
    import django.middleware.http
    from django.middleware.http import ConditionalGetMiddleware as Django

    from common.etags import response_etag_set
    from config.middleware import ConditionalGetMiddleware

    monkeypatch.setattr(django.middleware.http, "set_response_etag", response_etag_set)

    def view(request):
        response = HttpResponse(b'{"a": 1}', content_type="application/json")
        for name, value in prepared.items():
            response[name] = value
        return response

    etag = view(None).get("ETag") or response_etag_set(view(None))["ETag"]
    if conditions.get("HTTP_IF_NONE_MATCH") == "SAME":
        conditions = {"HTTP_IF_NONE_MATCH": etag}

    theirs, ours = _pair(
        ConditionalGetMiddleware,
        Django,
        view,
        lambda: RequestFactory().get("/api/v1/x/", **conditions),
    )

    assert ours.status_code == theirs.status_code
    assert _headers(ours) == _headers(theirs)
    if ours.status_code in (200, 304) and "Cache-Control" not in prepared:
        assert ours["ETag"] == etag  # hashed, or the view's own (not hashed again)
    if conditions.get("HTTP_IF_NONE_MATCH") == etag and "Cache-Control" not in prepared:
        assert ours.status_code == 304


@pytest.mark.parametrize("secure", [True, False])
@pytest.mark.parametrize("redirect", [True, False])
def test_the_security_headers_are_djangos(secure, redirect):
    from django.middleware.security import SecurityMiddleware as Django

    from config.middleware import SecurityMiddleware

    with override_settings(
        SECURE_HSTS_SECONDS=600,
        SECURE_HSTS_INCLUDE_SUBDOMAINS=True,
        SECURE_HSTS_PRELOAD=True,
        SECURE_SSL_REDIRECT=redirect,
        SECURE_REFERRER_POLICY="same-origin, strict-origin",
        SECURE_CONTENT_TYPE_NOSNIFF=True,
    ):
        theirs, ours = _pair(
            SecurityMiddleware,
            Django,
            _plain,
            lambda: RequestFactory().get("/api/v1/x/?a=1", secure=secure),
        )

    assert ours.status_code == theirs.status_code
    assert _headers(ours) == _headers(theirs)
    assert ours["Referrer-Policy"] == "same-origin,strict-origin"
    assert ours["X-Content-Type-Options"] == "nosniff"
    if secure:
        assert ours["Strict-Transport-Security"] == (
            "max-age=600; includeSubDomains; preload"
        )
    if redirect and not secure:
        assert ours.status_code == 301
        assert ours["Location"] == "https://testserver/api/v1/x/?a=1"


@pytest.mark.parametrize(
    ("method", "headers", "path"),
    [
        ("get", {}, "/api/v1/x/"),
        ("get", {}, "/admin/"),
        ("get", {"HTTP_ORIGIN": "https://app.example"}, "/api/v1/x/"),
        ("get", {"HTTP_ORIGIN": "https://evil.example"}, "/api/v1/x/"),
        (
            "options",
            {
                "HTTP_ORIGIN": "https://app.example",
                "HTTP_ACCESS_CONTROL_REQUEST_METHOD": "GET",
            },
            "/api/v1/x/",
        ),
        ("options", {"HTTP_ACCESS_CONTROL_REQUEST_METHOD": "GET"}, "/api/v1/x/"),
    ],
)
def test_cors_answers_as_django_cors_headers(method, headers, path):
    from corsheaders.middleware import CorsMiddleware as Library

    from config.middleware import CorsMiddleware

    with override_settings(CORS_ALLOWED_ORIGINS=["https://app.example"]):
        theirs, ours = _pair(
            CorsMiddleware,
            Library,
            _plain,
            lambda: getattr(RequestFactory(), method)(path, **headers),
        )

    assert ours.status_code == theirs.status_code
    assert _headers(ours) == _headers(theirs)


def test_the_json_formatter_writes_structlogs_line():
    import structlog

    from config.logs import JSONFormatter, formatter

    options = formatter("json")
    options.pop("()")
    ours = JSONFormatter(**options)
    theirs = structlog.stdlib.ProcessorFormatter(**options)
    event = {
        "event": "request_finished",
        "code": 200,
        "request": "GET /api/v1/é?q=1",
        "user_id": None,
        "when": RequestFactory,  # not JSON: structlog's fallback (repr)
        "logger": "x",
        "level": "info",
    }
    record = logging.LogRecord("x", logging.INFO, __file__, 1, event, None, None)
    record._logger = logging.getLogger("x")
    record._name = "info"
    try:
        raise ValueError("boom")
    except ValueError:
        failing = logging.LogRecord(
            "x",
            logging.ERROR,
            __file__,
            1,
            {**event, "exc_info": True},
            None,
            None,
        )
        failing._logger = record._logger
        failing._name = "error"
        with_exception = ours.format(failing)
    foreign = logging.LogRecord(
        "django.request", logging.WARNING, __file__, 1, "%s!", ("hi",), None
    )

    assert ours.format(record) == theirs.format(record)
    assert '"request":"GET /api/v1/é?q=1"' in ours.format(record)  # orjson: UTF-8
    assert '"exception"' in with_exception
    assert "boom" in with_exception
    # A record of plain `logging` takes the processors (a timestamp of its own each).
    ours_foreign, theirs_foreign = (
        json.loads(f.format(foreign)) for f in (ours, theirs)
    )
    assert ours_foreign.pop("timestamp")
    assert theirs_foreign.pop("timestamp")
    assert ours_foreign == theirs_foreign
    assert ours_foreign["event"] == "hi!"


def test_the_access_log_follows_a_changed_level_setting(db, caplog):
    with caplog.at_level(logging.INFO, logger="django_structlog"):
        Client().get("/api/v1/no-such-thing/")
        with override_settings(DJANGO_STRUCTLOG_STATUS_4XX_LOG_LEVEL=logging.ERROR):
            Client().get("/api/v1/no-such-thing/")

    levels = [r.levelname for r in caplog.records if _finished_record(r)]
    assert levels == ["WARNING", "ERROR"]


def _finished_record(record) -> bool:
    return isinstance(record.msg, dict) and record.msg.get("event") == (
        "request_finished"
    )


@pytest.mark.parametrize("proxies", [None, 0, 1, 2])
@pytest.mark.parametrize(
    "forwarded",
    [None, "", "203.0.113.5", "6.6.6.6, 203.0.113.5", " 2001:DB8::1 ", "nonsense"],
)
def test_the_client_address_is_drfs_throttle_identity(proxies, forwarded, settings):
    import ipaddress

    from rest_framework.throttling import BaseThrottle

    from config.security import client_ip

    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": proxies}
    extra = {"REMOTE_ADDR": "192.0.2.10"}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    request = RequestFactory().get("/", **extra)

    drf = BaseThrottle().get_ident(request)
    try:
        expected = str(ipaddress.ip_address(drf.strip()))
    except ValueError:
        expected = "192.0.2.10"
    assert client_ip(request) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("10.1.2.3", "10.1.2.3"),
        ("010.1.2.3", None),
        ("2001:DB8:0:0::1", "2001:db8::1"),
        ("::ffff:10.1.2.3", "::ffff:a01:203"),
        ("1.2.3", None),
        ("", None),
    ],
)
def test_an_address_is_written_as_ipaddress_writes_it(value, expected):
    from config.security import _valid_ip

    assert _valid_ip(value) == expected


def test_a_body_etag_follows_the_bytes_and_skips_streams_and_empty_bodies():
    from django.http import StreamingHttpResponse

    from common.etags import body_etag, response_etag_set

    page = b'{"results": [' + b'{"id": 1},' * 10_000 + b"]}"
    one_byte_changed = page[:-3] + b"2]}"
    assert body_etag(page) == body_etag(bytes(page))
    assert body_etag(page) != body_etag(one_byte_changed)
    # Quoted and 128 bits, as a strong validator is sent.
    assert body_etag(page).startswith('"')
    assert len(body_etag(page)) == 34
    assert response_etag_set(HttpResponse(page))["ETag"] == body_etag(page)
    assert "ETag" not in response_etag_set(HttpResponse(b""))
    assert "ETag" not in response_etag_set(StreamingHttpResponse(iter([page])))
