"""FHIR search parameters: parsed and checked before any query (errors name the input).

Supported (and listed in the CapabilityStatement): ``_count`` (0-100, default 20),
``_offset`` (paging, from the Bundle's links), ``patient`` (``id`` or ``Patient/id``),
``_lastUpdated`` (``[ge|gt|le|lt|eq]`` + a date or a dateTime with a time zone,
repeatable), ``code`` (``system|code``, ``code`` or ``|code``, comma-separated). Unknown
parameters are ignored (and left out of the Bundle's ``self`` link), as FHIR servers do
by default; ``Prefer: handling=strict`` turns them into errors.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q
from django.utils.dateparse import parse_date, parse_datetime

DEFAULT_COUNT = 20
MAX_COUNT = 100
MAX_OFFSET = 100_000
PAGING = ("_count", "_offset", "_format")

BAD_INTEGER = "{name} must be an integer from 0 to {high}."
BAD_DATE = (
    "_lastUpdated must be a prefix (ge, gt, le, lt, eq) and a date (2026-03-02) or a "
    "dateTime with a time zone (2026-03-02T10:00:00Z): {value!r}."
)
BAD_PATIENT = "patient must be a Patient id or Patient/<id>: {value!r}."
UNKNOWN_PARAMETER = "Unknown search parameter {name!r} (Prefer: handling=strict)."
REPEATED = "{name} may be given once."


class SearchError(ValueError):
    """A search parameter Rehabit cannot honour: a 400 OperationOutcome."""


@dataclass
class Search:
    count: int = DEFAULT_COUNT
    offset: int = 0
    patient: uuid.UUID | None = None
    last_updated: list[tuple[str, dt.datetime, dt.datetime]] = field(
        default_factory=list
    )
    codes: list[tuple[str | None, str]] | None = None
    used: list[tuple[str, str]] = field(default_factory=list)

    def updated_filter(self, field_name: str) -> Q:
        """``_lastUpdated`` as a Q on ``field_name`` (every condition must hold)."""
        condition = Q()
        for prefix, start, end in self.last_updated:
            lookups = {
                "ge": {f"{field_name}__gte": start},
                "gt": {f"{field_name}__gte": end},
                "le": {f"{field_name}__lt": end},
                "lt": {f"{field_name}__lt": start},
                "eq": {f"{field_name}__gte": start, f"{field_name}__lt": end},
            }[prefix]
            condition &= Q(**lookups)
        return condition


def _integer(name: str, value: str, high: int) -> int:
    try:
        number = int(value)
    except ValueError:
        raise SearchError(BAD_INTEGER.format(name=name, high=high)) from None
    if not 0 <= number <= high:
        raise SearchError(BAD_INTEGER.format(name=name, high=high))
    return number


def _instant_range(value: str) -> tuple[str, dt.datetime, dt.datetime]:
    """A prefixed date or dateTime as (prefix, start, end) of the span it names."""
    prefix, rest = (value[:2], value[2:]) if value[:2].isalpha() else ("eq", value)
    if prefix not in ("ge", "gt", "le", "lt", "eq"):
        raise SearchError(BAD_DATE.format(value=value))
    try:
        moment = parse_datetime(rest) if "T" in rest else None
        day = None if "T" in rest else parse_date(rest)
    except ValueError:
        raise SearchError(BAD_DATE.format(value=value)) from None
    if moment is not None and moment.tzinfo is not None:
        return prefix, moment, moment + dt.timedelta(seconds=1)
    if day is not None and 1900 <= day.year <= 2999:
        start = dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)
        return prefix, start, start + dt.timedelta(days=1)
    raise SearchError(BAD_DATE.format(value=value))


def _patient(value: str) -> uuid.UUID:
    pk = value.removeprefix("Patient/")
    try:
        return uuid.UUID(pk)
    except ValueError:
        raise SearchError(BAD_PATIENT.format(value=value)) from None


def _codes(value: str) -> list[tuple[str | None, str]]:
    codes: list[tuple[str | None, str]] = []
    for token in value.split(","):
        system, bar, code = token.rpartition("|")
        codes.append((system if bar and system else None, code))
    return codes


def parse(
    params: Mapping[str, list[str]], supported: Iterable[str], *, strict: bool = False
) -> Search:
    """Read the query parameters of a search on a type supporting ``supported``."""
    allowed = set(supported)
    search = Search()
    for name, values in params.items():
        if name not in allowed and name not in PAGING:
            if strict:
                raise SearchError(UNKNOWN_PARAMETER.format(name=name))
            continue
        if name != "_lastUpdated" and len(values) > 1:
            raise SearchError(REPEATED.format(name=name))
        for value in values:
            _apply(search, name, value)
    return search


def _apply(search: Search, name: str, value: str) -> None:
    if name == "_count":
        search.count = min(_integer(name, value, 10_000), MAX_COUNT)
        return
    if name == "_offset":
        search.offset = _integer(name, value, MAX_OFFSET)
        return
    if name == "_format":
        return
    handler: dict[str, Any] = {
        "patient": lambda: setattr(search, "patient", _patient(value)),
        "_lastUpdated": lambda: search.last_updated.append(_instant_range(value)),
        "code": lambda: setattr(search, "codes", _codes(value)),
    }
    handler[name]()
    search.used.append((name, value))
