"""A patient's own reads, cached per patient in the shared cache (Redis).

What is cached: the rendered ``200`` answers of a patient's reads of their own data,
as only they see them: plans (list and detail), sessions (list and sync pages), progress,
``me/today/``, the due questionnaires and the FHIR CarePlan read (the views call
``patient_response``). A hit runs no SQL beyond authentication. Only a patient reading
as themselves is cached:
clinicians and admins always read from the database, so each of their reads of a
patient's data is written to the access log as before. Errors are not cached. The
request is authenticated and throttled before the cache is read.

Invalidation is by generation (the mechanism of ``common/cache.py``): each patient has a
*token*, and an entry is served only while both the patient's token and the catalog's
(``exercises/cache.py``: answers show exercise names and routines) are the ones it was
made under. ``patient_changed`` replaces the patient's token, at the write and again on
commit. It is called by this app's receivers of its own domain signals (a session
uploaded, edited or deleted; a plan prescribed, adjusted or ended: ``connect_signals``)
and by the apps above for what their answers show (``outcomes``: questionnaire
assignments, responses and instruments, shown by ``me/today/`` and the due
questionnaires). Answers that depend on the date are
right across midnight because an entry answers one variant: the full URL, the
``Accept`` header, the patient's time zone and their local date.

Each patient has ``SLOTS`` entries at most (a variant's digest picks its slot; two
variants in one slot replace each other), so no client can fill Redis with copies of
one answer (``?updated_since=`` takes any number), and erasure knows every key to
delete: ``patient_forget`` (on ``patient_erased``, sent by ``patient_erase`` after
every deletion, whose cascades make the answers stale and so write the token again: at
the erasure and again on commit, after theirs) removes the patient's token and entries;
nothing of theirs stays in the cache.
Entries live ``PATIENT_CACHE_SECONDS`` at most (default 600; 0 turns the cache off),
and so do the patient's tokens: a read in flight while the patient is erased may start
a token after the erasure removed them, which then goes within that time (the answer
it stores is taken back at once: ``common.cache.entry_store``).

If the cache is unavailable (Redis down, ``IGNORE_EXCEPTIONS``) every read misses and
the views answer from the database as without a cache.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.conf import settings
from django.http.response import HttpResponseBase
from rest_framework.request import Request

from common.cache import (
    cached_response,
    entries_delete,
    generation_bump,
    variant_slot,
)
from exercises.cache import TOKEN_KEY as CATALOG_TOKEN_KEY
from sessions.schedules import local_today
from sessions.signals import patient_erased, plan_changed, session_changed
from users.models import User

__all__ = [
    "connect_signals",
    "patient_changed",
    "patient_forget",
    "patient_keys",
    "patient_response",
]

SLOTS = 8


def _token_key(patient_id: Any) -> str:
    return f"patient:{patient_id}:token"


def _entry_keys(patient_id: Any) -> list[str]:
    return [f"patient:{patient_id}:answer:{slot}" for slot in range(SLOTS)]


def patient_changed(patient_id: Any) -> None:
    """Make every cached answer of this patient stale, now and again on commit."""
    generation_bump(_token_key(patient_id), timeout=settings.PATIENT_CACHE_SECONDS)


def patient_forget(patient_id: Any) -> None:
    """Delete the patient's token and cached answers, now and again on commit."""
    entries_delete([_token_key(patient_id), *_entry_keys(patient_id)])


def _on_session_changed(sender: Any, *, session: Any, **_: Any) -> None:
    patient_changed(session.patient_id)


def _on_plan_changed(sender: Any, *, plan: Any, **_: Any) -> None:
    patient_changed(plan.patient_id)


def _on_patient_erased(sender: Any, *, patient_id: Any, **_: Any) -> None:
    patient_forget(patient_id)


def connect_signals() -> None:
    """Wire ``patient_changed`` to this app's writes (its domain signals), and
    ``patient_forget`` to the end of the patient's erasure."""
    session_changed.connect(_on_session_changed, dispatch_uid="patient_cache:session")
    plan_changed.connect(_on_plan_changed, dispatch_uid="patient_cache:plan")
    patient_erased.connect(_on_patient_erased, dispatch_uid="patient_cache:erased")


def _own_reader(request: Request) -> User | None:
    """The caller if the answer is a patient's read of their own data, else None."""
    user = request.user
    if (
        request.method == "GET"
        and isinstance(user, User)
        and user.is_patient
        and not (user.is_staff or user.is_superuser)
    ):
        return user
    return None


def _lookup(request: Request) -> tuple[list[str], str]:
    """The keys of the read (the patient's token, the catalog's, the entry) and its
    variant's digest; no keys when it is not served from the cache. Once per request."""
    lookup: tuple[list[str], str] | None = getattr(request, "_patient_lookup", None)
    if lookup is None:
        patient = _own_reader(request)
        if not settings.PATIENT_CACHE_SECONDS or patient is None:
            lookup = ([], "")
        else:
            entry, digest = variant_slot(
                _entry_keys(patient.pk),
                request.build_absolute_uri(),
                request.META.get("HTTP_ACCEPT", ""),
                patient.timezone,
                local_today(tz_name=patient.timezone).isoformat(),
            )
            lookup = ([_token_key(patient.pk), CATALOG_TOKEN_KEY, entry], digest)
        request._patient_lookup = lookup  # type: ignore[attr-defined]
    return lookup


def patient_keys(request: Request) -> list[str]:
    """The cache keys a patient's read of their own data looks up (their token, the
    catalog's, the entry), or none if the read is not served from the cache.

    The views name them in ``round_trip_reads`` (config/api/throttling.py), so a hit
    takes the throttles' round trip alone; ``patient_response`` reads the same keys.
    """
    return _lookup(request)[0]


def patient_response(
    request: Request,
    render: Callable[[], HttpResponseBase],
    found: Mapping[str, Any] | None = None,
) -> HttpResponseBase:
    """The cached answer to a patient's read of their own data, or ``render()``'s,
    cached if it is a ``200``. Anyone else's read is ``render()``'s (and logged by it).

    ``found``: the values of ``patient_keys`` already read with the throttles, in their
    round trip (config/api/throttling.py); read here when None.
    """
    keys, digest = _lookup(request)
    if not keys:
        return render()
    token_key, catalog_token_key, key = keys
    timeout = settings.PATIENT_CACHE_SECONDS
    return cached_response(
        render,
        token_keys=[token_key, catalog_token_key],
        entry_key=key,
        timeout=timeout,
        variant=digest,
        found=found,
        # A patient's token outlives their entries by nothing: no key naming them
        # stays for good (one started by a read in flight during their erasure).
        token_timeouts={token_key: timeout},
    )
