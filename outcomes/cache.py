"""A clinician's alert list, cached per clinician in the shared cache (Redis).

What is cached: the rendered ``200`` answer of ``GET /api/v1/alerts/`` (any filter and
page) as one clinician sees it, with the patients it shows. A hit runs one statement,
the access log's INSERT: **every read is logged**, hit or miss, with the patients of
the page as stored. Admins (superusers) always read from the database. Errors (a bad
filter's 400) are not cached. The request is authenticated and throttled before the
cache is read, and the entry comes back in the throttles' round trip
(``alert_keys``, named by the view in ``round_trip_reads``).

Invalidation is by generation (the mechanism of ``common/cache.py``): one *token* for
every alert list, replaced (``alerts_changed``, at the write and again on commit) by
any write that can change what a list shows:

- an alert saved or deleted (raised by the rules, acknowledged, resolved, erased);
- a care relationship saved or deleted (whose patients a clinician sees);
- an account saved or deleted (a patient's name, role or ``is_active``; the name of
  whoever acknowledged or resolved an alert), but for a login's save of
  ``last_login`` alone (shown in no list; every token obtained writes it).

One token for all is a deliberate choice: a write makes every clinician's cached pages
stale, which costs misses, never a stale answer, and no write has to work out whose
pages it touches. The project writes none of these rows with ``QuerySet.update``
(which sends no signal); a writer that does must call ``alerts_changed``.

Each clinician has ``SLOTS`` entries at most (a variant's digest, from the URL and
``Accept``, picks its slot), so no client can fill Redis with copies of one answer.
Entries live ``ALERT_CACHE_SECONDS`` at most (default 300; 0 turns the cache off).
Nothing of an erased patient stays in the cache: a care relationship's deletion (the
end of care, or an erasure's) deletes its clinician's entries, which are the only
pages that can name the patient (admins' are not cached), at the deletion and again
on commit, after the token is replaced: an entry stored meanwhile from rows read
before the commit is taken back by its own check (``common.cache.entry_store``) or by
the deletion on commit. An account's deletion deletes its own entries.

If the cache is unavailable (Redis down, ``IGNORE_EXCEPTIONS``) every read misses and
the view answers from the database.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.conf import settings
from django.db.models.signals import post_delete, post_save
from django.http.response import HttpResponseBase
from rest_framework.request import Request

from common.cache import (
    cached_response,
    entries_delete,
    generation_bump,
    variant_slot,
)
from outcomes.models import Alert
from users.models import CareRelationship, User

__all__ = [
    "alert_keys",
    "alert_response",
    "alerts_changed",
    "alerts_forget",
    "connect_signals",
]

TOKEN_KEY = "alerts:token"
SLOTS = 8


def _entry_keys(user_id: Any) -> list[str]:
    return [f"alerts:{user_id}:answer:{slot}" for slot in range(SLOTS)]


def alerts_changed(**_: Any) -> None:
    """Make every cached alert list stale, now and again once the write commits."""
    generation_bump(TOKEN_KEY)


def alerts_forget(user_ids: Iterable[Any]) -> None:
    """Delete these clinicians' cached alert lists, now and again on commit."""
    entries_delete([key for user_id in user_ids for key in _entry_keys(user_id)])


def _on_account_saved(
    sender: Any, *, update_fields: Iterable[str] | None = None, **_: Any
) -> None:
    """An account's save, but a login's: its ``last_login`` (every token obtained
    writes it) is shown in no alert list, and would make every list stale."""
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return
    alerts_changed()


def _on_care_deleted(sender: Any, *, instance: CareRelationship, **_: Any) -> None:
    alerts_changed()
    alerts_forget([instance.clinician_id])


def _on_account_deleted(sender: Any, *, instance: User, **_: Any) -> None:
    alerts_changed()
    alerts_forget([instance.pk])


def connect_signals() -> None:
    """Wire ``alerts_changed`` (and the deletions) to every write the lists show."""
    for model in (Alert, CareRelationship):
        label = model._meta.label
        post_save.connect(
            alerts_changed, sender=model, dispatch_uid=f"alert_cache:save:{label}"
        )
    post_save.connect(
        _on_account_saved, sender=User, dispatch_uid="alert_cache:save:account"
    )
    post_delete.connect(
        alerts_changed, sender=Alert, dispatch_uid="alert_cache:delete:alert"
    )
    post_delete.connect(
        _on_care_deleted, sender=CareRelationship, dispatch_uid="alert_cache:care"
    )
    post_delete.connect(
        _on_account_deleted, sender=User, dispatch_uid="alert_cache:account"
    )


def _lookup(request: Request) -> tuple[list[str], str]:
    """The keys of the read (the token, the entry) and its variant's digest; no keys
    when it is not served from the cache. Once per request."""
    lookup: tuple[list[str], str] | None = getattr(request, "_alert_lookup", None)
    if lookup is None:
        user = request.user
        if (
            not settings.ALERT_CACHE_SECONDS
            or request.method != "GET"
            or not isinstance(user, User)
            or not user.is_clinician
            or user.is_superuser
        ):
            lookup = ([], "")
        else:
            entry, digest = variant_slot(
                _entry_keys(user.pk),
                request.build_absolute_uri(),
                request.META.get("HTTP_ACCEPT", ""),
            )
            lookup = ([TOKEN_KEY, entry], digest)
        request._alert_lookup = lookup  # type: ignore[attr-defined]
    return lookup


def alert_keys(request: Request) -> list[str]:
    """The cache keys a clinician's alert list looks up (the token, the entry), or
    none if the read is not served from the cache (``round_trip_reads``)."""
    return _lookup(request)[0]


def alert_response(
    request: Request,
    render: Callable[[], HttpResponseBase],
    *,
    shown: Callable[[], list[Any]],
    on_hit: Callable[[list[Any]], None],
    found: Mapping[str, Any] | None = None,
) -> HttpResponseBase:
    """The cached alert list, or ``render()``'s, cached if it is a ``200``.

    ``shown()``: the patients ``render()``'s page shows (stored with it); ``on_hit``
    receives them when a stored page is served (the access log). ``found``: the keys'
    values already read with the throttles; read here when None.
    """
    keys, digest = _lookup(request)
    if not keys:
        return render()
    token_key, key = keys
    return cached_response(
        render,
        token_keys=[token_key],
        entry_key=key,
        timeout=settings.ALERT_CACHE_SECONDS,
        variant=digest,
        found=found,
        about=shown,
        on_hit=on_hit,
    )
