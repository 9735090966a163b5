"""Session pages: newest first, or the change feed in revision order (docs/sync.md)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.response import Response

from config.api.pagination import CursorPagination
from sessions.selectors.logs import MAX_REVISION, is_sync

INVALID_CURSOR = "Invalid cursor: follow the next/previous links as given."


class SessionCursorPagination(CursorPagination):
    """Cursor pages of 50 (``page_size`` up to 200); adds ``sync_cursor`` to the body."""

    page_size = 50
    max_page_size = 200
    page_size_query_param = "page_size"
    ordering = ("-started_at", "-id")
    sync_ordering = ("revision",)
    page_size_query_description = "Sessions per page (default 50, at most 200)."
    cursor_query_description = (
        "Opaque page cursor: take it from `next` or `previous`, never build it."
    )

    def get_ordering(
        self, request: Request, queryset: Any, view: Any
    ) -> tuple[str, ...]:
        return (
            self.sync_ordering
            if is_sync(request.query_params)
            else tuple(self.ordering)
        )

    def decode_cursor(self, request: Request) -> Any:
        try:
            cursor = super().decode_cursor(request)
        except exceptions.NotFound:
            cursor = None
            valid = False
        else:
            valid = cursor is None or self._valid_position(cursor.position)
        if not valid:
            raise exceptions.ValidationError(
                {self.cursor_query_param: [INVALID_CURSOR]}
            )
        return cursor

    def _valid_position(self, position: str | None) -> bool:
        """A tampered cursor, or one from the other ordering, must be a 400, not a 500."""
        if position is None:
            return True
        if self.ordering[0] == "revision":
            return position.isdigit() and int(position) <= MAX_REVISION
        try:
            parsed = parse_datetime(position)
        except ValueError:
            return False
        # Ours always carry an offset; a naive one would be compared in server time.
        return parsed is not None and not timezone.is_naive(parsed)

    def get_paginated_response(
        self, data: list[dict[str, Any]], sync_cursor: int | None = None
    ) -> Response:
        return Response(
            {
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "sync_cursor": sync_cursor,
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        paginated = super().get_paginated_response_schema(schema)
        paginated["properties"]["next"]["example"] = (
            "https://api.example.com/api/v1/sessions/?updated_since=40&cursor=cD00Mg%3D%3D"
        )
        paginated["properties"]["previous"]["example"] = None
        paginated["properties"]["sync_cursor"] = {
            "type": "integer",
            "format": "int64",
            "nullable": True,
            "example": 42,
            "description": (
                "Store it and send it as `updated_since` next time. With "
                "`updated_since`: the latest change on this page. Without: the "
                "patient's latest change, on the first page only (null on later "
                "pages and when listing several patients)."
            ),
        }
        paginated["required"] = ["results", "sync_cursor"]
        return paginated
