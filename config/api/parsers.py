"""Request body parsing with a nesting limit and no unpaired surrogates.

Python's json module recurses once per nesting level, so a body of 100,000 ``[`` raises
RecursionError (a 500 without this parser). No request of this API nests more than a few
levels (a session upload: body > exercises > exercise > sets > set), so anything deeper
than MAX_JSON_DEPTH is refused as a 400 before any serializer sees it.

JSON's ``\\ud800`` escape decodes to a lone UTF-16 surrogate, a Python string that no
UTF-8 encoder accepts: a validation message echoing it made the renderer fail (500), and
a database may refuse it. Bodies with one anywhere (keys included) are a 400 here, for
every endpoint at once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import IO, Any

from rest_framework import parsers
from rest_framework.exceptions import ParseError

MAX_JSON_DEPTH = 32
TOO_DEEP = f"JSON parse error - nested deeper than {MAX_JSON_DEPTH} levels."
LONE_SURROGATE = (
    "JSON parse error - a string contains an unpaired UTF-16 surrogate (\\ud800-\\udfff "
    "without its pair), which is not text."
)
SURROGATE = re.compile("[\ud800-\udfff]")


def json_has_lone_surrogate(data: Any) -> bool:
    """Whether any string of parsed JSON (object keys included) holds a lone surrogate.

    Paired escapes (``\\ud83d\\ude00``) decode to one character and never match.
    """
    stack: list[Any] = [data]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            if SURROGATE.search(value):
                return True
        elif isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return False


def json_depth_exceeds(data: Any, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether parsed JSON nests objects/arrays deeper than ``limit`` (iterative: no recursion)."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        children: Iterable[Any]
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > limit:
            return True
        stack.extend(
            (child, depth + 1) for child in children if isinstance(child, dict | list)
        )
    return False


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser; a 400 for bodies nested too deep or holding lone surrogates."""

    def parse(
        self,
        stream: IO[bytes],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(TOO_DEEP) from None
        if json_depth_exceeds(data):
            raise ParseError(TOO_DEEP)
        if json_has_lone_surrogate(data):
            raise ParseError(LONE_SURROGATE)
        return data
