"""OpenAPI documentation of the sessions API, next to (not inside) the views."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample


def response_example(name: str, value: Any, status: int = 200) -> OpenApiExample:
    """A response body example for one status code."""
    return OpenApiExample(
        name, value=value, response_only=True, status_codes=[str(status)]
    )
