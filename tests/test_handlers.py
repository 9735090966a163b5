"""The project's request handlers resolve each path once (config/handlers.py).

The requests go through the WSGI application gunicorn serves (config.wsgi), not the
test client's handler: the cache lives in the production handler.
"""

from __future__ import annotations

import io
import json
import sys

import pytest
from django.conf.urls.i18n import i18n_patterns
from django.http import HttpResponse
from django.test import override_settings
from django.urls import URLResolver, path
from django.utils import translation

from config import handlers


def _view(request, **kwargs):
    kwargs.setdefault("language", translation.get_language())
    match = request.resolver_match
    # A view that changes its match's arguments changes only its own request's.
    match.kwargs["touched"] = True
    return HttpResponse(json.dumps({**kwargs, "url_name": match.url_name}))


urlpatterns = [
    *i18n_patterns(path("page/<int:number>/", _view, name="page")),
    path("plain/<str:word>/", _view, name="plain"),
]


def _get(application, url):
    statuses = []
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": url,
        "QUERY_STRING": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "HTTP_HOST": "testserver",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
    }
    body = b"".join(
        application(environ, lambda status, headers: statuses.append(status))
    )
    return int(statuses[0][:3]), body


@pytest.fixture
def counted(monkeypatch):
    """Every path the URLconf's resolver really resolves (not from the kept results)."""
    resolved = []
    real = URLResolver.resolve

    def resolve(self, path):
        if self.pattern.regex.pattern == "^/":  # the root resolver of a URLconf
            resolved.append(path)
        return real(self, path)

    monkeypatch.setattr(URLResolver, "resolve", resolve)
    handlers.resolved_forget()
    yield resolved
    handlers.resolved_forget()


@pytest.fixture
def application(db):  # ATOMIC_REQUESTS: each view runs in a transaction
    return handlers.WSGIHandler()


def test_the_production_entry_points_use_the_project_handlers():
    from config.asgi import application as asgi
    from config.wsgi import application as wsgi

    assert type(wsgi) is handlers.WSGIHandler
    assert type(asgi) is handlers.ASGIHandler


@override_settings(ROOT_URLCONF=__name__)
def test_a_path_is_resolved_once_and_each_request_gets_its_own_match(
    counted, application
):
    first = _get(application, "/plain/one/")
    second = _get(application, "/plain/one/")
    other = _get(application, "/plain/two/")

    assert (
        first
        == second
        == (200, b'{"word": "one", "language": "en-us", "url_name": "plain"}')
    )
    assert other[1].startswith(b'{"word": "two"')
    assert counted == ["/plain/one/", "/plain/two/"]
    # The view's change to its match's kwargs did not reach the kept match.
    kept = handlers._resolved(
        handlers.get_resolver(), "/plain/one/", translation.get_language()
    )
    assert kept.kwargs == {"word": "one"}


@override_settings(ROOT_URLCONF=__name__)
def test_a_path_that_resolves_to_nothing_is_tried_every_time(counted, application):
    assert _get(application, "/nowhere/")[0] == 404
    assert _get(application, "/nowhere/")[0] == 404
    assert counted == ["/nowhere/", "/nowhere/"]


@override_settings(
    ROOT_URLCONF=__name__, LANGUAGES=[("en", "English"), ("fr", "French")]
)
def test_the_active_language_is_part_of_the_key(counted, application):
    with translation.override("en"):
        assert _get(application, "/en/page/3/") == (
            200,
            b'{"number": 3, "language": "en", "url_name": "page"}',
        )
    with translation.override("fr"):
        # Kept under "en": a French request still does not resolve /en/.
        assert _get(application, "/en/page/3/")[0] == 404
        assert _get(application, "/fr/page/3/")[0] == 200
    assert counted == ["/en/page/3/", "/en/page/3/", "/fr/page/3/"]


def test_another_urlconf_is_another_resolver(counted, application):
    with override_settings(ROOT_URLCONF=__name__):
        assert _get(application, "/plain/one/")[0] == 200
    # The project's URLconf: the same path is not found there.
    assert _get(application, "/plain/one/")[0] == 404
    with override_settings(ROOT_URLCONF=__name__):
        assert _get(application, "/plain/one/")[0] == 200
    # Each change of ROOT_URLCONF clears Django's resolvers (clear_url_caches): each
    # request above met a new resolver, so none was answered from the kept results.
    assert counted == ["/plain/one/"] * 3
