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
- a reader that made an entry stores it, then reads the tokens again and takes the
  entry back if one changed or went meanwhile (``entry_store``): an answer made from
  rows as they were before a write, or before an erasure, is not left in the cache.

What is stored is the ``200`` answer as rendered: its body and headers, with the ETag
the conditional-GET middleware would compute (so a hit answers ``304`` to a matching
``If-None-Match`` as a miss does), and optionally what the answer is *about* (e.g. the
patients a clinician's page shows, which a hit must write to the access log as the
miss did: ``cached_response``'s ``about`` and ``on_hit``). Errors are never stored. If
the cache is unavailable (Redis down, ``IGNORE_EXCEPTIONS``) every read misses and
nothing is stored: the views answer from the database.
"""

from __future__ import annotations

import hashlib
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
    "entries_delete",
    "entry_store",
    "generation_bump",
    "generation_read",
    "value_from",
    "variant_slot",
]

Tokens = tuple[str, ...]


def _token_new() -> str:
    return secrets.token_hex(8)


def _tokens_replace(keys: Sequence[str], timeout: int | None) -> None:
    cache.set_many({key: _token_new() for key in keys}, timeout=timeout)


def generation_bump(*keys: str, timeout: int | None = None) -> None:
    """Make every answer made under these tokens stale, now and again once the write
    commits (at once when no transaction is open). ``timeout``: the new tokens' lifetime
    (None: until replaced); a token that expires only makes its entries misses."""
    _tokens_replace(keys, timeout)
    transaction.on_commit(lambda: _tokens_replace(keys, timeout))


def entries_delete(keys: Sequence[str]) -> None:
    """Delete these keys now and again once the write commits (at once when no
    transaction is open): an entry stored meanwhile from rows read before the commit
    goes too (an erasure, the end of a care relationship, an account's write)."""
    cache.delete_many(keys)
    transaction.on_commit(lambda: cache.delete_many(keys))


def variant_slot(slots: Sequence[str], *variant: str) -> tuple[str, str]:
    """The entry key, among one owner's ``slots``, of an answer to ``variant`` (what it
    depends on beyond the owner: URL, ``Accept``...), and the variant's digest (stored
    with the entry, checked on a hit). A fixed number of slots per owner: no client
    fills Redis with copies of one answer, and the owner's keys are a known list."""
    digest = hashlib.sha256("\n".join(variant).encode()).hexdigest()
    return slots[int(digest[:8], 16) % len(slots)], digest


def generation_read(
    token_keys: Sequence[str],
    entry_key: str,
    found: Mapping[str, Any] | None = None,
    token_timeouts: Mapping[str, int] | None = None,
) -> tuple[Tokens | None, Any]:
    """The current tokens and the entry under ``entry_key``, in one round trip.

    A missing token starts a generation, kept for its ``token_timeouts`` seconds (a
    token not named there: until it is replaced). The tokens are None when the cache
    does not answer (nothing may then be stored: an entry needs the tokens it was made
    under). ``found``: these keys' values already read (None for a key not in the
    cache), e.g. in the throttles' round trip; read here unless it holds every key.
    """
    keys = [*token_keys, entry_key]
    if found is None or not all(key in found for key in keys):
        found = cache.get_many(keys)
    tokens = []
    for key in token_keys:
        token = found.get(key)
        if token is None:
            timeout = (token_timeouts or {}).get(key)
            cache.add(key, _token_new(), timeout=timeout)
            token = cache.get(key)
            if token is None:
                return None, None
        tokens.append(token)
    return tuple(tokens), found.get(entry_key)


def answer_from(
    entry: Any, tokens: Tokens | None, variant: str = ""
) -> tuple[HttpResponse, Any] | None:
    """The stored answer and what it is about, if ``entry`` was made under ``tokens``
    for ``variant``."""
    if tokens is None or not isinstance(entry, tuple) or len(entry) != 5:
        return None
    made_under, made_for, content, headers, about = entry
    if made_under != tokens or made_for != variant:
        return None
    return HttpResponse(content, headers=headers), about


def value_from(entry: Any, tokens: Tokens | None) -> Any | None:
    """The value of an entry stored as ``(tokens, value)`` (``entry_store``), if it was
    made under ``tokens``; else None."""
    if tokens is None or not isinstance(entry, tuple) or len(entry) != 2:
        return None
    made_under, value = entry
    return value if made_under == tokens else None


def entry_store(
    key: str,
    entry: tuple[Any, ...],
    *,
    token_keys: Sequence[str],
    tokens: Tokens,
    timeout: int,
) -> None:
    """Store ``entry`` (made under ``tokens``), then read the tokens again and take the
    entry back if one changed meanwhile.

    A write (or an erasure) that happened while the entry was made replaced or removed
    a token, at once and on commit; an entry stored after that would be stale, or hold
    an erased person's data, until it expires. Checking after storing closes the gap
    whatever the order (a removal after the store deletes the entry itself); it costs
    one more round trip, on a miss only.
    """
    cache.set(key, entry, timeout=timeout)
    current = cache.get_many(list(token_keys))
    if tuple(current.get(k) for k in token_keys) != tokens:
        cache.delete(key)


def answer_store(
    response: HttpResponseBase,
    *,
    key: str,
    token_keys: Sequence[str],
    tokens: Tokens | None,
    timeout: int,
    variant: str = "",
    about: Callable[[], Any] | None = None,
) -> None:
    """Store ``response`` under ``key`` once it is rendered, if it is a ``200``, with
    what ``about()`` says it is about (None without it)."""
    if (
        tokens is None
        or response.status_code != 200
        or not hasattr(response, "add_post_render_callback")
    ):
        return
    made_under = tokens  # not None here; the closure below needs it so typed

    def store(rendered: HttpResponse) -> None:
        response_etag_set(rendered)
        entry = (
            made_under,
            variant,
            rendered.content,
            dict(rendered.items()),
            None if about is None else about(),
        )
        entry_store(
            key, entry, token_keys=token_keys, tokens=made_under, timeout=timeout
        )

    response.add_post_render_callback(store)


def cached_response(
    render: Callable[[], HttpResponseBase],
    *,
    token_keys: Sequence[str],
    entry_key: str,
    timeout: int,
    variant: str = "",
    found: Mapping[str, Any] | None = None,
    token_timeouts: Mapping[str, int] | None = None,
    about: Callable[[], Any] | None = None,
    on_hit: Callable[[Any], None] | None = None,
) -> HttpResponseBase:
    """The answer stored under ``entry_key`` while ``token_keys`` are current, or
    ``render()``'s, stored once rendered if it is a ``200``.

    ``found``: these keys' values already read; ``token_timeouts``: the lifetime of a
    token this read starts (see ``generation_read``); ``about``: called once a
    rendered answer is stored, what it is about (stored with it); ``on_hit``: called
    with that value when a stored answer is served.
    """
    tokens, entry = generation_read(
        token_keys, entry_key, found=found, token_timeouts=token_timeouts
    )
    cached = answer_from(entry, tokens, variant)
    if cached is not None:
        response, stored_about = cached
        if on_hit is not None:
            on_hit(stored_about)
        return response
    rendered = render()
    answer_store(
        rendered,
        key=entry_key,
        token_keys=token_keys,
        tokens=tokens,
        timeout=timeout,
        variant=variant,
        about=about,
    )
    return rendered
