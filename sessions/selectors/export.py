"""A patient's copy of their data (right of access), read in pieces so it can stream.

Composed above ``users`` and ``sessions``: the account's own sections come from
``users.selectors``, the plans and session logs from this app. Apps above this one
(``outcomes``) hold patient data too but may not be imported here: they contribute
their sections to a registry (``export_section_register``, called from their
``AppConfig.ready``), which the export writer (``sessions/api/export.py``) appends
after the built-in sections. docs/architecture.md, docs/auth.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from common.models import DOSAGE_FIELDS
from sessions.models import Plan, PlanItem, Session
from sessions.selectors.logs import _iso, sessions_represent
from users.models import User

__all__ = [
    "EXPORT_CHUNK",
    "ExportReader",
    "export_datetime",
    "export_plan_history",
    "export_plan_item_history",
    "export_plans",
    "export_section_register",
    "export_sections",
    "export_sessions",
]

# Sessions read per page (each page: one query for the sessions, two for their
# exercises and sets); memory stays bounded by one page whatever the account holds.
EXPORT_CHUNK = 50

HISTORY_FIELDS = ("history_date", "history_type", "history_change_reason")
PLAN_HISTORY_FIELDS = (
    "id",
    *HISTORY_FIELDS,
    "title",
    "status",
    "start_date",
    "end_date",
    "days_of_week",
    "times_per_week",
    "note",
)
PLAN_ITEM_HISTORY_FIELDS = (
    "id",
    "plan_id",
    *HISTORY_FIELDS,
    "exercise_id",
    "order",
    *DOSAGE_FIELDS,
    "block",
    "note",
)

# A section reader: the patient -> a JSON-ready value. An iterable (not a dict) is
# written as a JSON array item by item, so it may be a generator over pages; a dict
# or None is written as one value.
ExportReader = Callable[[User], Any]
_SECTIONS: dict[str, ExportReader] = {}


def export_section_register(key: str, reader: ExportReader) -> None:
    """Add a top-level section to every export (apps above sessions, in ``ready``).

    ``key`` must be new: registering a key twice (or a built-in one) is a programming
    error, raised at start-up.
    """
    if key in _SECTIONS:
        raise ValueError(f"Export section {key!r} is already registered.")
    _SECTIONS[key] = reader


def export_sections() -> list[tuple[str, ExportReader]]:
    """The contributed sections, in registration order."""
    return list(_SECTIONS.items())


def export_datetime(value: Any) -> str | None:
    """A datetime as the API and the export write it (ISO 8601, UTC with "Z")."""
    return _iso(value)


def export_plans(*, user: User) -> QuerySet[Plan]:
    """``user``'s plans with prescriber, routine and items (three queries)."""
    return (
        Plan.objects.filter(patient=user)
        .select_related("prescribed_by", "routine")
        .prefetch_related(
            Prefetch(
                "items",
                queryset=PlanItem.objects.select_related("exercise").order_by(
                    "order", "id"
                ),
            )
        )
        .order_by("start_date", "created_at")
    )


def export_sessions(
    *, user: User, chunk: int = EXPORT_CHUNK
) -> Iterator[dict[str, Any]]:
    """Every session of ``user``, tombstones included, oldest first, in the one
    representation (``sessions_represent``), read in keyset pages of ``chunk``.

    Three queries a page. Pages are read one after the other, each in its own
    statement: a session uploaded while the export streams may or may not appear.
    """
    sessions = Session.objects.filter(patient=user).order_by("started_at", "id")
    after: tuple[Any, Any] | None = None
    while True:
        page_query = sessions
        if after is not None:
            started, pk = after
            page_query = sessions.filter(
                Q(started_at__gt=started) | Q(started_at=started, id__gt=pk)
            )
        page = list(page_query[:chunk])
        if not page:
            return
        yield from sessions_represent(page)
        if len(page) < chunk:
            return
        after = (page[-1].started_at, page[-1].pk)


def export_plan_history(*, plan_ids: list[Any]) -> QuerySet[Any]:
    """Every saved version of these plans, oldest first, as rows (one query)."""
    rows: QuerySet[Any] = (
        Plan.history.filter(id__in=plan_ids)
        .order_by("history_date", "history_id")
        .values(*PLAN_HISTORY_FIELDS)
    )
    return rows


def export_plan_item_history(*, plan_ids: list[Any]) -> QuerySet[Any]:
    """Every saved version of these plans' items, oldest first, as rows (one query)."""
    rows: QuerySet[Any] = (
        PlanItem.history.filter(plan_id__in=plan_ids)
        .order_by("history_date", "history_id")
        .values(*PLAN_ITEM_HISTORY_FIELDS)
    )
    return rows
