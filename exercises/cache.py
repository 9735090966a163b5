"""The public catalog's response cache: library and routine reads, shared in Redis.

What is cached: the rendered ``200`` answer of a public read (exercise, routine and
taxonomy lists and details) as published-only callers see it (anonymous callers and
patients), keyed by its full URL (scheme, host, path and query string, since answers
hold absolute links; URLs with parameters the endpoint does not read are not cached),
for ``CATALOG_CACHE_SECONDS`` (default one hour; 0 turns the cache off). Staff see
drafts in the same URLs and always bypass it. Errors (400, 404) are not cached. The
request is authenticated and throttled before the cache is read.

Invalidation is by generation (the mechanism of ``common/cache.py``): the cache holds one
catalog *token*, every entry records the token it was made under, and an entry is served
only while its token is current. Any write to the catalog replaces the token
(``catalog_changed``), which makes every entry stale at once; readers fetch the token
and the entry in one round trip, the throttles' (``catalog_keys``, named by the views
to config/api/throttling.py). Saves and deletes of the catalog models and their
many-to-many changes call it through signals (``connect_signals``); bulk writers (the
importer, the demo loader) call it themselves. The token is replaced twice, when the
write happens and again once its transaction commits, so a reader that ran between the
two cannot leave a stale entry behind. The patients' cached answers show catalog
content too: they are made under this token as well (``sessions/cache.py``).

If the cache is unavailable (Redis down, ``IGNORE_EXCEPTIONS``) every read misses and the
views answer from the database as without a cache.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection, Mapping
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http.response import HttpResponseBase
from rest_framework.request import Request

from common.cache import cached_response, generation_bump
from exercises.selectors import can_see_unpublished

__all__ = ["catalog_changed", "catalog_keys", "catalog_response", "connect_signals"]

TOKEN_KEY = "catalog:token"
ENTRY_PREFIX = "catalog:response:"
M2M_WRITES = {"post_add", "post_remove", "post_clear"}


def catalog_changed(**_: Any) -> None:
    """Make every cached catalog answer stale, now and again once the write commits."""
    generation_bump(TOKEN_KEY)


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
    read is not served from the cache (one answer per request).

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
        request._catalog_keys = keys  # type: ignore[attr-defined]
    return keys


def catalog_response(
    request: Request,
    render: Callable[[], HttpResponseBase],
    params: Collection[str] = (),
    found: Mapping[str, Any] | None = None,
) -> HttpResponseBase:
    """The cached answer to this catalog read, or ``render()``'s, cached if it is a 200.

    ``found``: the values of ``catalog_keys`` already read with the throttles, in their
    round trip (config/api/throttling.py); read here when None.
    """
    keys = catalog_keys(request, params)
    if not keys:
        return render()
    token_key, key = keys
    return cached_response(
        render,
        token_keys=[token_key],
        entry_key=key,
        timeout=settings.CATALOG_CACHE_SECONDS,
        found=found,
    )
