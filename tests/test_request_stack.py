"""The cheaper parts of the middleware stack behave as the libraries they replace.

AccessLogMiddleware (django-structlog's access log without the work nobody reads) and
ContentSecurityPolicyMiddleware (django-csp's header, built once): docs/performance.md.
"""

from __future__ import annotations

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
