"""The public catalog's response cache: library and routine reads, shared in Redis.

What is cached: the rendered ``200`` answer of a public read (exercise, routine and
taxonomy lists and details) as published-only callers see it (anonymous callers and
patients), keyed by its full URL (scheme, host, path and query string, since answers
hold absolute links; URLs with parameters the endpoint does not read are not cached),
for ``CATALOG_CACHE_SECONDS`` (default one hour; 0 turns the cache off). Staff see
drafts in the same URLs and always bypass it. Errors (400, 404) are not cached. The
request is authenticated and throttled before the cache is read.

Invalidation is by generation: the cache holds one catalog *token*, every entry records
the token it was made under, and an entry is served only while its token is current.
Any write to the catalog replaces the token (``catalog_changed``), which makes every
entry stale at once; readers fetch the token and the entry in one round trip, the
throttles' (``catalog_keys``: the views name them to ``config/api/throttling.py``). Saves and
deletes of the catalog models and their many-to-many changes call it through signals
(``connect_signals``); bulk writers (the importer, the demo loader) call it themselves.
The token is replaced twice, when the write happens and again once its transaction
commits, so a reader that ran between the two cannot leave a stale entry behind.

If the cache is unavailable (Redis down, ``IGNORE_EXCEPTIONS``) every read misses and the
views answer from the database as without a cache.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Collection, Mapping
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import models, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.utils.cache import set_response_etag
from rest_framework.request import Request

from exercises.selectors import can_see_unpublished

__all__ = ["catalog_changed", "catalog_keys", "catalog_response", "connect_signals"]

TOKEN_KEY = "catalog:token"
ENTRY_PREFIX = "catalog:response:"
M2M_WRITES = {"post_add", "post_remove", "post_clear"}


def catalog_changed(**_: Any) -> None:
    """Make every cached catalog answer stale, now and again once the write commits."""
    _token_replace()
    transaction.on_commit(_token_replace)


def _token_replace() -> None:
    cache.set(TOKEN_KEY, secrets.token_hex(8), timeout=None)


def _on_m2m_changed(action: str, **kwargs: Any) -> None:
    if action in M2M_WRITES:
        catalog_changed()


def connect_signals() -> None:
    """Wire ``catalog_changed`` to every write of the models the catalog reads show."""
    from exercises import models as catalog

    for model in (
        catalog.Muscle,
        catalog.Equipment,
        catalog.Condition,
        catalog.Exercise,
        catalog.ExerciseInstruction,
        catalog.ExerciseMedia,
        catalog.ExerciseLink,
        catalog.Routine,
        catalog.RoutineItem,
    ):
        uid = f"catalog_changed:{model._meta.label}"
        post_save.connect(catalog_changed, sender=model, dispatch_uid=uid)
        post_delete.connect(catalog_changed, sender=model, dispatch_uid=uid)
    for model in (catalog.Exercise, catalog.Routine):
        for m2m in model._meta.many_to_many:
            through: type[models.Model] = m2m.remote_field.through  # type: ignore[assignment]
            m2m_changed.connect(
                _on_m2m_changed,
                sender=through,
                dispatch_uid=f"catalog_changed:{through._meta.label}",
            )


def _entry_key(request: Request) -> str:
    url = request.build_absolute_uri()
    return ENTRY_PREFIX + hashlib.sha256(url.encode()).hexdigest()


def catalog_keys(request: Request, params: Collection[str] = ()) -> list[str]:
    """The cache keys a catalog read looks up (the token, the entry), or none if the
    read is not served from the cache.

    Only URLs whose query parameters are all in ``params`` (those the endpoint reads)
    are cached: the API ignores unknown parameters, and caching every variant would let
    anyone fill Redis with copies of one answer.
    """
    keys: list[str] | None = getattr(request, "_catalog_keys", None)
    if keys is None:
        if (
            not settings.CATALOG_CACHE_SECONDS
            or can_see_unpublished(request.user)
            or not set(request.query_params) <= set(params)
        ):
            keys = []
        else:
            keys = [TOKEN_KEY, _entry_key(request)]
        request._catalog_keys = keys  # type: ignore[attr-defined]  # one per request
    return keys


def catalog_response(
    request: Request,
    render: Callable[[], HttpResponseBase],
    params: Collection[str] = (),
    found: Mapping[str, Any] | None = None,
) -> HttpResponseBase:
    """The cached answer to this catalog read, or ``render()``'s, cached if it is a 200.

    ``found``: the values of ``catalog_keys`` already read (with the throttles, in one
    round trip: config/api/throttling.py), None for a key not in the cache; the keys
    it lacks are read here.
    """
    keys = catalog_keys(request, params)
    if not keys:
        return render()
    key = keys[1]
    if found is None or not all(k in found for k in keys):
        found = cache.get_many(keys)
    token = found.get(TOKEN_KEY)
    entry = found.get(key)
    if token is not None and entry is not None and entry[0] == token:
        _, content, content_type, etag = entry
        return HttpResponse(content, content_type=content_type, headers={"ETag": etag})
    if token is None:
        # First read after a flush: start a generation (add: concurrent readers agree).
        cache.add(TOKEN_KEY, secrets.token_hex(8), timeout=None)
        token = cache.get(TOKEN_KEY)
    response = render()
    if (
        response.status_code == 200
        and token
        and hasattr(response, "add_post_render_callback")
    ):

        def store(rendered: HttpResponse) -> None:
            set_response_etag(rendered)
            entry = (
                token,
                rendered.content,
                rendered["Content-Type"],
                rendered["ETag"],
            )
            cache.set(key, entry, timeout=settings.CATALOG_CACHE_SECONDS)

        response.add_post_render_callback(store)
    return response
