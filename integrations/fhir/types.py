"""What every served resource type is made of: a read, a search and its parameters.

A read returns the resource and the patient whose data it is (for the access log), a
search a page of resources with the total and the patients on the page.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from integrations.fhir.search import Search
    from users.models import User


class Gone(Exception):
    """The resource existed and was deleted (a session's tombstone): 410."""


@dataclass(frozen=True)
class Found:
    resource: dict[str, Any]
    patient_id: Any  # None: not a patient's data


@dataclass(frozen=True)
class Page:
    resources: list[dict[str, Any]]
    total: int
    patient_ids: list[Any]


@dataclass(frozen=True)
class ResourceType:
    name: str
    read: Callable[[User, str], Found | None]
    search: Callable[[User, Search], Page]
    # name -> (FHIR search parameter type, documentation)
    params: dict[str, tuple[str, str]]
    logged: bool = True  # reads go to the access log


PATIENT_PARAM = {
    "patient": ("reference", "The patient (id or Patient/id) whose resources to find."),
}
UPDATED_PARAM = {
    "_lastUpdated": ("date", "When it last changed: ge, gt, le, lt, eq + date(Time)."),
}


def uuid_or_none(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def window(queryset: QuerySet[Any], search: Search) -> tuple[list[Any], int]:
    """The page the search asks for, and the total (2 queries)."""
    rows = list(queryset[search.offset : search.offset + search.count])
    return rows, queryset.count()
