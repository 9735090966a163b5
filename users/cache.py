"""The account behind a bearer token, cached in the shared cache (Redis) for reads.

Every token-authenticated request needs the caller's account (``is_active``, ``role``,
``timezone``...): simplejwt reads the row by primary key on each request, which was
the only SQL of a patient's cached read and a third of its time (docs/performance.md).
A **read** (GET, HEAD, OPTIONS: ``config/api/authentication.py``) takes the account
from this cache instead; a write always reads the row from the database, so a write
never acts on a cached copy.

What is cached: the account's row without its password hash (the instance is built as
``User.objects.defer("password")`` would build it: reading the password loads it from
the database, and ``save()`` writes only the loaded fields), for ``USER_CACHE_SECONDS``
(default 300 with Redis; 0, the default without it, turns the cache off: per-process
memory could not hear another process's save of the account).

Invalidation is by generation (``common/cache.py``): each account has a token, and a
stored row is used only while the token it was read under is current. Every save and
delete of the account (the admin, the API, ``last_login``, erasure) removes its token
and row, at the write and again once it commits, so a deactivated account is refused
at its next request and a reader that ran between the two cannot leave the old row in
use. A reader that stores a row checks the token again afterwards and removes what it
stored if the token changed meanwhile (``common.cache.entry_store``: one more round
trip, on a miss only): a row read just before an erasure committed is not left in the
cache until it expires. A read whose account is gone (or refused) removes the token it
may have started, and tokens live ``USER_CACHE_SECONDS`` at most: no key names an
erased account for long. Writes that bypass ``save()`` (``QuerySet.update`` on
accounts) must call ``account_changed`` themselves; the project has none.

If the cache is unavailable every read misses and the row comes from the database.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS
from django.db.models.signals import post_delete, post_save

from common.cache import entries_delete, entry_store, generation_read, value_from
from users.models import User

__all__ = ["account_changed", "account_for_read", "connect_signals"]

TOKEN_PREFIX = "account:token:"
ENTRY_PREFIX = "account:row:"
# The row as cached: every column but the password hash.
FIELDS = tuple(f.attname for f in User._meta.concrete_fields if f.attname != "password")


def _keys(user_id: Any) -> tuple[str, str]:
    return f"{TOKEN_PREFIX}{user_id}", f"{ENTRY_PREFIX}{user_id}"


def account_for_read(user_id: Any, load: Callable[[], User]) -> User:
    """The account ``user_id`` as cached, else ``load()``'s (stored for the next read).

    ``load`` raises what the caller answers for a missing account.
    """
    timeout = settings.USER_CACHE_SECONDS
    if not timeout:
        return load()
    token_key, entry_key = _keys(user_id)
    tokens, entry = generation_read(
        [token_key], entry_key, token_timeouts={token_key: timeout}
    )
    values = value_from(entry, tokens)
    if values is not None and len(values) == len(FIELDS):
        return User.from_db(DEFAULT_DB_ALIAS, FIELDS, values)
    try:
        user = load()
    except Exception:
        # No such account (erased) or one refused: leave no key naming it.
        _forget(user_id)
        raise
    if tokens is not None:
        row = [getattr(user, field) for field in FIELDS]
        entry_store(
            entry_key,
            (tokens, row),
            token_keys=[token_key],
            tokens=tokens,
            timeout=timeout,
        )
    return user


def _forget(user_id: Any) -> None:
    cache.delete_many(list(_keys(user_id)))


def account_changed(user_id: Any) -> None:
    """Remove the account's cached row and token, now and once the write commits.

    Without its token a stored row is never used again (a reader starts a new
    generation); a reader that ran between the two (and saw the row as it was) stored
    it under a token the second removal takes away.
    """
    entries_delete(_keys(user_id))


def _on_write(sender: Any, instance: User, **_: Any) -> None:
    account_changed(instance.pk)


def connect_signals() -> None:
    """Every save and delete of an account (the admin, the API, erasure) removes it."""
    post_save.connect(_on_write, sender=User, dispatch_uid="users.account_changed")
    post_delete.connect(_on_write, sender=User, dispatch_uid="users.account_deleted")
