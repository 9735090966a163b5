"""Django's request handlers, with the URL of a request resolved once per path.

Django resolves every request's path by trying the URLconf's patterns in order, each
a regular expression or a route: the API's paths sit behind the admin, the includes
and the routers' patterns, and a patient's read (``/api/v1/me/today/``) was matched
after about seventy tries, 25-30 us of every request (a fifth of the fixed cost of a
request through the whole middleware stack; docs/performance.md, "Eighth session").

Resolving is a pure function of the URLconf, the path and, where routes are
translated or prefixed by a language, the active language. The handlers here keep the
last ``RESOLVED_PATHS`` results (an LRU, per process), keyed by those three, and give
each request its own copy of the match (its ``kwargs`` dicts are the request's to
change). A path that resolves to nothing raises ``Resolver404`` every time (failures
are not kept). A new URLconf (``override_settings(ROOT_URLCONF=...)``,
``clear_url_caches()``, a request's own ``urlconf``) is a new resolver object, hence
new keys.
"""

from __future__ import annotations

import functools
from typing import Any

from django.core.handlers.asgi import ASGIHandler as _ASGIHandler
from django.core.handlers.wsgi import WSGIHandler as _WSGIHandler
from django.http import HttpRequest
from django.urls import ResolverMatch, URLResolver, get_resolver, set_urlconf
from django.utils.translation import get_language

__all__ = ["RESOLVED_PATHS", "ASGIHandler", "WSGIHandler", "resolved_forget"]

RESOLVED_PATHS = 2048


@functools.lru_cache(maxsize=RESOLVED_PATHS)
def _resolved(resolver: URLResolver, path: str, language: str | None) -> ResolverMatch:
    return resolver.resolve(path)


def resolved_forget() -> None:
    """Drop every kept result (tests; a URLconf changed in place)."""
    _resolved.cache_clear()


def _copy(match: ResolverMatch) -> ResolverMatch:
    """A match of the request's own: the same attributes, its own argument dicts."""
    copy = ResolverMatch.__new__(ResolverMatch)
    copy.__dict__.update(match.__dict__)
    for name in _ARGUMENT_DICTS:
        value = getattr(match, name, None)
        if value is not None:
            setattr(copy, name, dict(value))
    return copy


# The ResolverMatch attributes that hold a dict of the view's arguments.
_ARGUMENT_DICTS = ("kwargs", "captured_kwargs", "extra_kwargs")


class CachedResolveMixin:
    """``BaseHandler.resolve_request`` through the kept results of ``_resolved``."""

    def resolve_request(self, request: HttpRequest) -> ResolverMatch:
        if hasattr(request, "urlconf"):
            urlconf: Any = request.urlconf
            set_urlconf(urlconf)
            resolver = get_resolver(urlconf)
        else:
            resolver = get_resolver()
        match = _copy(_resolved(resolver, request.path_info, get_language()))
        request.resolver_match = match
        return match


class WSGIHandler(CachedResolveMixin, _WSGIHandler):
    """Django's WSGI handler (config.wsgi), each path resolved once."""


class ASGIHandler(CachedResolveMixin, _ASGIHandler):
    """Django's ASGI handler (config.asgi), each path resolved once."""
