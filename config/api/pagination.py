from __future__ import annotations

import re
from typing import Any, cast

from rest_framework import pagination
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request

INVALID_LIMIT = "Enter a whole number from 1 to {max_limit}; larger values are capped."
MAX_OFFSET = 10**12
INVALID_OFFSET = f"Enter a whole number from 0 to {MAX_OFFSET}."
# What DRF's cursors are made of (base64 of a query string).
CURSOR_PATTERN = re.compile(r"^[A-Za-z0-9+/=_-]+$")
INVALID_CURSOR = "Invalid cursor: follow the next/previous links as given."
INVALID_PAGE_SIZE = (
    "Enter a whole number from 1 to {max_page_size}; larger values are capped."
)


class LimitOffsetPagination(pagination.LimitOffsetPagination):
    """limit/offset pages: 20 by default, never more than 100.

    Unlike DRF's, a malformed or blank ``limit`` or ``offset`` is a 400 naming the
    parameter rather than being silently replaced by the default; a limit above 100 is
    capped.
    """

    default_limit = 20
    max_limit = 100
    limit_query_description = (
        "Number of results per page (default 20; values above 100 are capped at 100)."
    )
    offset_query_description = "Number of results to skip (default 0)."

    def get_limit(self, request: Request) -> int:
        raw = request.query_params.get(self.limit_query_param)
        if raw is None:
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
        if raw is None:
            return 0
        try:
            offset = int(raw)
        except ValueError:
            offset = -1
        # Past MAX_OFFSET the database cannot take the number (SQLite: OverflowError).
        if not 0 <= offset <= MAX_OFFSET:
            raise ValidationError({self.offset_query_param: [INVALID_OFFSET]})
        return offset

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        # The bounds get_limit/get_offset enforce (400 outside them), so clients and
        # fuzzers know them; no maximum on limit: larger values are capped, not refused.
        parameters: list[dict[str, Any]] = super().get_schema_operation_parameters(view)
        bounds = {
            self.limit_query_param: {"minimum": 1},
            self.offset_query_param: {"minimum": 0, "maximum": MAX_OFFSET},
        }
        for parameter in parameters:
            parameter["schema"].update(bounds[parameter["name"]])
        return parameters

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


class CursorPagination(pagination.CursorPagination):
    """DRF's cursor pagination, with ``limit`` and a 400 naming a malformed parameter.

    Every list takes ``limit`` (as the limit/offset lists do); ``page_size``, the name
    cursor lists took first, is kept as a deprecated alias (``limit`` wins when both
    are sent). DRF silently falls back to the default page size for ``page_size=abc``
    or ``0`` (the schema says a whole number from 1; values above ``max_page_size``
    are capped), and to the first page for a cursor that is blank or not base64 at all.
    """

    limit_query_param = "limit"

    def decode_cursor(self, request: Request) -> Any:
        raw = request.query_params.get(self.cursor_query_param)
        if raw is not None and not CURSOR_PATTERN.fullmatch(raw):
            raise ValidationError({self.cursor_query_param: [INVALID_CURSOR]})
        return super().decode_cursor(request)

    def get_page_size(self, request: Request) -> int:
        for name in (self.limit_query_param, self.page_size_query_param):
            raw = request.query_params.get(name) if name else None
            if name and raw is not None:
                return self._page_size(name, raw)
        return int(cast(int, self.page_size))  # REST_FRAMEWORK["PAGE_SIZE"] is set

    def _page_size(self, name: str, raw: str) -> int:
        try:
            size = int(raw)
        except ValueError:
            size = 0
        if size < 1:
            message = INVALID_PAGE_SIZE.format(max_page_size=self.max_page_size)
            raise ValidationError({name: [message]})
        return min(size, self.max_page_size) if self.max_page_size else size

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters: list[dict[str, Any]] = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"]["minimum"] = 1
                parameter["deprecated"] = True
                parameter["description"] = (
                    f"Deprecated alias of `{self.limit_query_param}`, which wins when "
                    "both are sent."
                )
            elif parameter["name"] == self.cursor_query_param:
                parameter["schema"]["pattern"] = CURSOR_PATTERN.pattern
        return [
            {
                "name": self.limit_query_param,
                "required": False,
                "in": "query",
                "description": str(self.page_size_query_description),
                "schema": {"type": "integer", "minimum": 1},
            },
            *parameters,
        ]
