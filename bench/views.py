"""The ceiling: the cheapest Django view that returns a response of a given size."""

from __future__ import annotations

from functools import lru_cache

from django.db import transaction
from django.http import HttpRequest, HttpResponse

MAX_SIZE = 1 << 20


@lru_cache(maxsize=64)
def _body(size: int) -> bytes:
    """A JSON document of exactly ``size`` bytes (a string of x), built once per size."""
    return b'"' + b"x" * (size - 2) + b'"' if size >= 2 else b"0" * size


@transaction.non_atomic_requests  # no database either (as a cached catalog answer)
def ceiling(request: HttpRequest, size: int) -> HttpResponse:
    """A pre-built JSON body of ``size`` bytes: no database, no DRF, no serializer."""
    return HttpResponse(_body(min(size, MAX_SIZE)), content_type="application/json")
