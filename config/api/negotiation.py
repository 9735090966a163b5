"""DRF's content negotiation, its choice remembered per (renderers, Accept, format).

DRF parses the ``Accept`` header into media types and matches them against the view's
renderers on every request (about 30-40 us of CPU, a tenth of a cached catalog read).
The choice depends on nothing else: the renderers' classes (their ``media_type`` and
``format``), the header and the ``?format=`` override (or suffix). So the first
``MEMO_SIZE`` combinations seen are remembered, in process, as the index of the chosen
renderer and the media type; others are negotiated every time (a client cannot grow
the memo), and a refusal (406, or 404 for an unknown format) is never remembered.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rest_framework.negotiation import DefaultContentNegotiation

if TYPE_CHECKING:
    from collections.abc import Iterable

    from rest_framework.renderers import BaseRenderer
    from rest_framework.request import Request

__all__ = ["ContentNegotiation"]

MEMO_SIZE = 256
_memo: dict[tuple[Any, ...], tuple[int, str]] = {}


class ContentNegotiation(DefaultContentNegotiation):
    def select_renderer(
        self,
        request: Request,
        renderers: Iterable[BaseRenderer],
        format_suffix: str | None = None,
    ) -> tuple[BaseRenderer, str]:
        renderers = list(renderers)  # DRF's view passes a list
        wanted = format_suffix or request.query_params.get(
            self.settings.URL_FORMAT_OVERRIDE
        )
        key = (
            tuple(type(renderer) for renderer in renderers),
            request.META.get("HTTP_ACCEPT"),
            wanted,
        )
        known = _memo.get(key)
        if known is not None:
            index, media_type = known
            return renderers[index], media_type
        renderer, media_type = super().select_renderer(
            request, renderers, format_suffix
        )
        if len(_memo) < MEMO_SIZE:
            index = next(i for i, r in enumerate(renderers) if r is renderer)
            _memo[key] = (index, media_type)
        return renderer, media_type
