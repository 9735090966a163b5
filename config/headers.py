"""Response headers whose values are the same on every answer, set at a lower cost.

Django checks and converts a header's name and value on every assignment (a charset
check and a newline check each, through ``ResponseHeaders``). The security headers
every answer carries, and the few Vary values the code makes, are the same from one
response to the next: the entry Django's own ``ResponseHeaders`` makes for them is kept
and put in place as is (docs/performance.md, issue 14's second middleware pass).
"""

from __future__ import annotations

from django.http import HttpResponseBase
from django.http.response import ResponseHeaders
from django.utils.cache import patch_vary_headers

# (name, value) -> the entry Django's ResponseHeaders stores for it; only values taken
# from the settings (a few, fixed) are kept here.
_HEADER_ENTRIES: dict[tuple[str, str], tuple[str, tuple[str, str]]] = {}


def header_setdefault(response: HttpResponseBase, name: str, value: str) -> None:
    """``response.headers.setdefault(name, value)`` for a value fixed by the settings.

    Django checks and converts a header's name and value on every assignment (a
    charset check and a newline check each); the security headers every answer
    carries have the same values on every response, so the entry Django makes for
    them is made once, by Django's own ``ResponseHeaders``, and put in place as is.
    """
    entry = _HEADER_ENTRIES.get((name, value))
    if entry is None:
        (entry,) = ResponseHeaders({name: value})._store.items()
        _HEADER_ENTRIES[(name, value)] = entry
    store = response.headers._store
    if entry[0] not in store:
        store[entry[0]] = entry[1]


# (Vary before, header added) -> the entry patch_vary_headers makes; the Vary values
# come from the code (views, middleware), a bounded set; bounded here all the same.
_VARY_ENTRIES: dict[tuple[str | None, str], tuple[str, tuple[str, str]]] = {}
_VARY_ENTRIES_MAX = 256


def vary_add(response: HttpResponseBase, name: str) -> None:
    """``patch_vary_headers(response, (name,))``, its result kept per Vary value."""
    store = response.headers._store
    before = store.get("vary")
    key = (before[1] if before else None, name)
    entry = _VARY_ENTRIES.get(key)
    if entry is None:
        patch_vary_headers(response, (name,))
        entry = ("vary", store["vary"])
        if len(_VARY_ENTRIES) < _VARY_ENTRIES_MAX:
            _VARY_ENTRIES[key] = entry
        return
    store[entry[0]] = entry[1]
