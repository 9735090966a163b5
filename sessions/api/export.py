"""``GET me/export/``: a copy of all the signed-in user's data, streamed as JSON.

The document is written section by section, each list row by row, and sent in
pieces of about ``BUFFER_BYTES``: memory stays bounded by one page of sessions
whatever the account holds (tests/security/test_export.py measures it). Sections come
from ``sessions.selectors.export`` (plans, sessions, history), ``users.selectors``
(the account's own) and the registry that apps above contribute to
(``export_sections()``: alerts, questionnaires, the calendar feed).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from itertools import chain
from typing import Any

from django.http import StreamingHttpResponse
from django.utils.timezone import now
from rest_framework.request import Request
from rest_framework.utils.encoders import JSONEncoder
from rest_framework.views import APIView

from config.api.auth import signed_in_user
from config.api.throttling import ScopedRateThrottle
from sessions.api.openapi.export import export_schema
from sessions.api.serializers.export import (
    FORMAT_VERSION,
    ExportAccessLogEntrySerializer,
    ExportCareTeamMemberSerializer,
    ExportDeviceSerializer,
    ExportLoginRecordSerializer,
    ExportPlanItemVersionSerializer,
    ExportPlanSerializer,
    ExportPlanVersionSerializer,
    ExportProfileSerializer,
)
from sessions.selectors.export import (
    export_datetime,
    export_plan_history,
    export_plan_item_history,
    export_plans,
    export_sections,
    export_sessions,
)
from users.models import User
from users.selectors import (
    access_log_about,
    active_refresh_tokens_of,
    care_team_of,
    login_records_of,
)

# Bytes gathered before a piece is sent: few writes to the socket, bounded memory.
BUFFER_BYTES = 64 * 1024
# Rows read per query from the lists that may grow long (access log, history).
ROWS_CHUNK = 500

_encoder = JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def _rows(serializer: Any, rows: Iterable[Any]) -> Iterator[Any]:
    for row in rows:
        yield serializer(row).data


def _builtin_sections(user: User) -> list[tuple[str, Callable[[], Any]]]:
    """The sections of users and sessions, in the order of format 1, read lazily."""
    plan_ids: list[Any] = []

    def plans() -> Iterator[Any]:
        for plan in export_plans(user=user):
            plan_ids.append(plan.pk)
            yield ExportPlanSerializer(plan).data

    return [
        ("profile", lambda: ExportProfileSerializer(user).data),
        (
            "care_team",
            lambda: _rows(ExportCareTeamMemberSerializer, care_team_of(patient=user)),
        ),
        ("plans", plans),
        ("sessions", lambda: export_sessions(user=user)),
        (
            "access_log",
            lambda: _rows(
                ExportAccessLogEntrySerializer,
                access_log_about(patient=user).iterator(chunk_size=ROWS_CHUNK),
            ),
        ),
        (
            "plan_history",
            lambda: _rows(
                ExportPlanVersionSerializer,
                export_plan_history(plan_ids=plan_ids).iterator(chunk_size=ROWS_CHUNK),
            ),
        ),
        (
            "plan_item_history",
            lambda: _rows(
                ExportPlanItemVersionSerializer,
                export_plan_item_history(plan_ids=plan_ids).iterator(
                    chunk_size=ROWS_CHUNK
                ),
            ),
        ),
        (
            "login_records",
            lambda: _rows(ExportLoginRecordSerializer, login_records_of(user=user)),
        ),
        (
            "devices",
            lambda: _rows(ExportDeviceSerializer, active_refresh_tokens_of(user=user)),
        ),
    ]


def _value(value: Any) -> Iterator[str]:
    """JSON text of a section's value: a dict or None at once, any other iterable
    as an array written item by item."""
    if value is None or isinstance(value, Mapping | str | int | float | bool):
        yield _encoder.encode(value)
        return
    yield "["
    first = True
    for item in value:
        yield _encoder.encode(item) if first else "," + _encoder.encode(item)
        first = False
    yield "]"


def export_document(user: User, *, exported_at: Any) -> Iterator[bytes]:
    """The export as UTF-8 JSON, in pieces of about BUFFER_BYTES."""
    sections: list[tuple[str, Callable[[], Any]]] = [
        ("format_version", lambda: FORMAT_VERSION),
        ("exported_at", lambda: export_datetime(exported_at)),
        *_builtin_sections(user),
        *(
            (key, lambda reader=reader: reader(user))
            for key, reader in export_sections()
        ),
    ]
    buffer: list[str] = []
    size = 0
    for index, (key, read) in enumerate(sections):
        opening = "{" if index == 0 else ","
        # chain, not a tuple: the section is read item by item, never held whole.
        for text in chain((opening + _encoder.encode(key) + ":",), _value(read())):
            buffer.append(text)
            size += len(text)
            if size >= BUFFER_BYTES:
                yield "".join(buffer).encode()
                buffer, size = [], 0
    buffer.append("}")
    yield "".join(buffer).encode()


@export_schema
class ExportView(APIView):
    """A copy of all my data as JSON (right of access / portability), streamed."""

    # An expensive read: a few an hour per account (scope `export`), besides the
    # default rates.
    throttle_scope = "export"
    # Streamed: no ETag (ConditionalGetMiddleware skips streaming answers), no 304.
    conditional_get = False

    def get_throttles(self) -> list[Any]:
        return [*super().get_throttles(), ScopedRateThrottle()]

    def throttled(self, request: Request, wait: float | None) -> Any:
        # Every 429 carries Retry-After, even when a throttle cannot say how long.
        super().throttled(request, wait if wait else 60)

    def get(self, request: Request) -> StreamingHttpResponse:
        user = signed_in_user(request)
        exported_at = now()
        # HEAD (answered by this method) reads nothing: the headers only.
        head = request.method == "HEAD"
        response = StreamingHttpResponse(
            [] if head else export_document(user, exported_at=exported_at),
            content_type="application/json",
        )
        response["Content-Disposition"] = (
            f'attachment; filename="rehabit-export-{exported_at:%Y-%m-%d}.json"'
        )
        return response
