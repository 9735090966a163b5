"""Rendered answers cached in the shared cache (Redis), made stale by generation.

The one mechanism behind the public catalog's cache (``exercises/cache.py``) and the
patients' own reads (``sessions/cache.py``):

- a **generation token** per thing the answers show (the catalog; one patient's data):
  a random string under a fixed key;
- an **entry** records the tokens it was made under (and a digest of what it answers,
  its *variant*, when several requests share one key); it is served only while every
  token is still current and the variant matches;
- a write replaces the token (``generation_bump``), which makes every entry made under
  it stale at once. It is replaced twice, when the write happens and again once its
  transaction commits, so a reader that ran between the two (and saw the old rows)
  cannot leave a stale entry behind;
- readers fetch the tokens and the entry in one round trip (``generation_read``); a
  missing token (first read, a flush, an eviction) starts a new generation (``add``:
  concurrent readers agree on one).

What is stored is the ``200`` answer as rendered: its body and headers, with the ETag
the conditional-GET middleware would compute (so a hit answers ``304`` to a matching
``If-None-Match`` as a miss does). Errors are never stored. If the cache is unavailable
(Redis down, ``IGNORE_EXCEPTIONS``) every read misses and nothing is stored: the views
answer from the database.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse
from django.http.response import HttpResponseBase

from common.etags import response_etag_set

__all__ = [
    "answer_from",
    "answer_store",
    "cached_response",
    "generation_bump",
    "generation_read",
]

Tokens = tuple[str, ...]


def _token_new() -> str:
    return secrets.token_hex(8)


def _tokens_replace(keys: Sequence[str]) -> None:
    cache.set_many({key: _token_new() for key in keys}, timeout=None)


def generation_bump(*keys: str) -> None:
    """Make every answer made under these tokens stale, now and again once the write
    commits (at once when no transaction is open)."""
    _tokens_replace(keys)
    transaction.on_commit(lambda: _tokens_replace(keys))


def generation_read(
    token_keys: Sequence[str],
    entry_key: str,
    found: Mapping[str, Any] | None = None,
) -> tuple[Tokens | None, Any]:
    """The current tokens and the entry under ``entry_key``, in one round trip.

    A missing token starts a generation. The tokens are None when the cache does not
    answer (nothing may then be stored: an entry needs the tokens it was made under).
    ``found``: these keys' values already read (None for a key not in the cache), e.g.
    in the throttles' round trip; read here unless it holds every key.
    """
    keys = [*token_keys, entry_key]
    if found is None or not all(key in found for key in keys):
        found = cache.get_many(keys)
    tokens = []
    for key in token_keys:
        token = found.get(key)
        if token is None:
            cache.add(key, _token_new(), timeout=None)
            token = cache.get(key)
            if token is None:
                return None, None
        tokens.append(token)
    return tuple(tokens), found.get(entry_key)


def answer_from(
    entry: Any, tokens: Tokens | None, variant: str = ""
) -> HttpResponse | None:
    """The stored answer, if ``entry`` was made under ``tokens`` for ``variant``."""
    if tokens is None or not isinstance(entry, tuple) or len(entry) != 4:
        return None
    made_under, made_for, content, headers = entry
    if made_under != tokens or made_for != variant:
        return None
    return HttpResponse(content, headers=headers)


def answer_store(
    response: HttpResponseBase,
    *,
    key: str,
    tokens: Tokens | None,
    timeout: int,
    variant: str = "",
) -> None:
    """Store ``response`` under ``key`` once it is rendered, if it is a ``200``."""
    if (
        tokens is None
        or response.status_code != 200
        or not hasattr(response, "add_post_render_callback")
    ):
        return

    def store(rendered: HttpResponse) -> None:
        response_etag_set(rendered)
        entry = (tokens, variant, rendered.content, dict(rendered.items()))
        cache.set(key, entry, timeout=timeout)

    response.add_post_render_callback(store)


def cached_response(
    render: Callable[[], HttpResponseBase],
    *,
    token_keys: Sequence[str],
    entry_key: str,
    timeout: int,
    variant: str = "",
    found: Mapping[str, Any] | None = None,
) -> HttpResponseBase:
    """The answer stored under ``entry_key`` while ``token_keys`` are current, or
    ``render()``'s, stored once rendered if it is a ``200``.

    ``found``: these keys' values already read (see ``generation_read``).
    """
    tokens, entry = generation_read(token_keys, entry_key, found=found)
    cached = answer_from(entry, tokens, variant)
    if cached is not None:
        return cached
    response = render()
    answer_store(
        response, key=entry_key, tokens=tokens, timeout=timeout, variant=variant
    )
    return response
