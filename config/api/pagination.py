from __future__ import annotations

from typing import Any

from rest_framework import pagination
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request

INVALID_LIMIT = "Enter a whole number from 1 to {max_limit}; larger values are capped."
INVALID_OFFSET = "Enter a whole number, 0 or more."


class LimitOffsetPagination(pagination.LimitOffsetPagination):
    """limit/offset pages: 20 by default, never more than 100.

    Unlike DRF's, a malformed ``limit`` or ``offset`` is a 400 naming the parameter
    rather than being silently replaced by the default; a limit above 100 is capped.
    """

    default_limit = 20
    max_limit = 100
    limit_query_description = (
        "Number of results per page (default 20; values above 100 are capped at 100)."
    )
    offset_query_description = "Number of results to skip (default 0)."

    def get_limit(self, request: Request) -> int:
        raw = request.query_params.get(self.limit_query_param)
        if raw is None or raw == "":
            return self.default_limit
        try:
            limit = int(raw)
        except ValueError:
            limit = 0
        if limit < 1:
            raise ValidationError(
                {
                    self.limit_query_param: [
                        INVALID_LIMIT.format(max_limit=self.max_limit)
                    ]
                }
            )
        return min(limit, self.max_limit)

    def get_offset(self, request: Request) -> int:
        raw = request.query_params.get(self.offset_query_param)
        if raw is None or raw == "":
            return 0
        try:
            offset = int(raw)
        except ValueError:
            offset = -1
        if offset < 0:
            raise ValidationError({self.offset_query_param: [INVALID_OFFSET]})
        return offset

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        response_schema: dict[str, Any] = super().get_paginated_response_schema(schema)
        props = response_schema["properties"]
        props["count"]["example"] = 45
        props["count"]["description"] = "Number of results across all pages."
        props["next"]["example"] = (
            "https://rehabit.example.com/api/v1/exercises/?limit=20&offset=40"
        )
        props["next"]["description"] = "URL of the next page; null on the last page."
        props["previous"]["example"] = (
            "https://rehabit.example.com/api/v1/exercises/?limit=20"
        )
        props["previous"]["description"] = (
            "URL of the previous page; null on the first page."
        )
        return response_schema
