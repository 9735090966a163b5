"""The API's JSON renderer: DRF's output, byte for byte, written by orjson.

DRF's renderer (the stdlib json module plus DRF's encoder) took most of a full sync
page's serialization time; orjson (through drf-orjson-renderer) writes the same bytes
an order of magnitude faster (docs/performance.md). Byte-stable, because ETags
(ConditionalGetMiddleware) hash the body: a client's stored ETag must keep matching.

- Types orjson does not know, and datetimes (DRF writes milliseconds and "Z"), go to
  DRF's own encoder; non-string keys become strings as with ``json``.
- U+2028 and U+2029 are escaped as DRF escapes them (JavaScript line terminators).
- Anything orjson refuses (an integer beyond 64 bits) and a client asking for
  ``indent`` in ``Accept`` take DRF's renderer, so the answer never differs.
"""

from __future__ import annotations

from typing import Any

import orjson
from django.utils.http import parse_header_parameters
from drf_orjson_renderer.renderers import ORJSONRenderer
from rest_framework.renderers import JSONRenderer as DRFJSONRenderer
from rest_framework.utils.encoders import JSONEncoder

_ENCODER = JSONEncoder()
_DRF = DRFJSONRenderer()
_LINE_SEPARATOR = ("\u2028".encode(), b"\\u2028")
_PARAGRAPH_SEPARATOR = ("\u2029".encode(), b"\\u2029")


def _default(value: Any) -> Any:
    """What DRF's encoder makes of a value json cannot write (TypeError otherwise)."""
    return _ENCODER.default(value)


class JSONRenderer(ORJSONRenderer):
    """application/json, as DRF's JSONRenderer writes it (compact, UTF-8)."""

    options = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME
    default = staticmethod(_default)

    def render(
        self,
        data: Any,
        media_type: str | None = None,
        renderer_context: Any = None,
    ) -> bytes:
        if media_type and "indent" in parse_header_parameters(media_type)[1]:
            return _DRF.render(data, media_type, renderer_context)
        try:
            body = super().render(data, media_type, renderer_context)
        except orjson.JSONEncodeError:
            return _DRF.render(data, media_type, renderer_context)
        for raw, escaped in (_LINE_SEPARATOR, _PARAGRAPH_SEPARATOR):
            if raw in body:
                body = body.replace(raw, escaped)
        return body
