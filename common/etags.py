"""Entity tags of response bodies: a 128-bit xxh3 hash of the bytes.

Django's ``set_response_etag`` (ConditionalGetMiddleware) hashes every GET body with md5:
about 200 us for a 125 KB sync page, more than a cached answer costs in all. xxh3-128
hashes it in a few microseconds. An ETag only has to change when the body does (it is
not a security token: no one gains by forging a collision of their own answers), so a
fast non-cryptographic hash is the right tool. Every body ETag of the project is made
here: the middleware's, and those stored with cached answers (``common/cache.py``), so a
304 compares like with like.
"""

from __future__ import annotations

import xxhash
from django.http.response import HttpResponseBase

__all__ = ["body_etag", "response_etag_set"]


def body_etag(content: bytes) -> str:
    """The quoted ETag of a body (strong: equal bytes, equal tag).

    What Django's ``quote_etag`` makes of a hex digest (never quoted already).
    """
    return f'"{xxhash.xxh3_128_hexdigest(content)}"'


def response_etag_set(response: HttpResponseBase) -> HttpResponseBase:
    """Django's ``set_response_etag`` with xxh3-128: same rules (streaming and empty
    bodies get none), another hash."""
    if not response.streaming and response.content:  # type: ignore[attr-defined]
        response.headers["ETag"] = body_etag(response.content)  # type: ignore[attr-defined]
    return response
