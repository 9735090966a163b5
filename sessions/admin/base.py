"""What every care-side admin shares: the caller's scope (others' objects 404), the
access log of every page showing a patient's data, and the display helpers."""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlencode

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.html import format_html

from common.admin import EMPTY, HistoryAdmin, staff_user, user_label
from users.selectors import patient_list
from users.services import access_log_record_many

if TYPE_CHECKING:
    import datetime as dt

    from users.models import User

NOT_FOUND = "Not found."


def local_time(moment: dt.datetime | None, tz_name: str) -> str:
    """An instant in the patient's time zone ("2026-11-23 07:30 GMT")."""
    if moment is None:
        return EMPTY
    return moment.astimezone(zoneinfo.ZoneInfo(tz_name)).strftime("%Y-%m-%d %H:%M %Z")


def changelist_url(model: type[Any], patient_id: Any) -> str:
    """The changelist of ``model`` filtered to one patient."""
    opts = model._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    return f"{url}?{urlencode({'patient': str(patient_id)})}"


def patient_link(patient: User) -> str:
    url = reverse("admin:training_sessions_patient_change", args=[patient.pk])
    return format_html('<a href="{}">{}</a>', url, user_label(patient))


class PatientListFilter(admin.SimpleListFilter):
    """Filter by one of the caller's patients (``?patient=<uuid>``); lists only those."""

    title = "patient"
    parameter_name = "patient"

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin[Any]
    ) -> list[tuple[str, str]]:
        patients = patient_list(user=staff_user(request)).order_by("name", "email")
        return [(str(p.pk), str(p)) for p in patients.only("id", "name", "email")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if not value:
            return queryset
        try:
            return queryset.filter(patient_id=value)
        except ValidationError:
            return queryset.none()  # a malformed id matches nobody


class LoggedChangeList(ChangeList):
    """Hands the page's rows to the admin once they are loaded (access log, figures)."""

    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        self.result_list = list(self.result_list)
        self.model_admin.rows_loaded(request, self.result_list)  # type: ignore[attr-defined]


class PatientDataAdmin(admin.ModelAdmin[Any]):
    """Scoped querysets (others' objects 404) and access logging for patient data."""

    # The access-log action is "admin.<resource>.<list|view|history>".
    resource: ClassVar[str] = ""
    patient_attr: ClassVar[str] = "patient_id"
    show_full_result_count = False  # one COUNT(*) per page instead of two

    def get_object(
        self, request: HttpRequest, object_id: str, from_field: str | None = None
    ) -> Any:
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            # Unknown, malformed or outside the caller's care: the same 404 (the
            # admin's default is a redirect saying the object does not exist).
            raise Http404(NOT_FOUND)
        return obj

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return LoggedChangeList

    def record_read(
        self, request: HttpRequest, patient_ids: Iterable[Any], what: str
    ) -> None:
        """One access-log entry per patient (one INSERT); own data is never logged."""
        access_log_record_many(
            actor=staff_user(request),
            patient_ids=patient_ids,
            action=f"admin.{self.resource}.{what}",
            path=request.get_full_path(),
        )

    def rows_loaded(self, request: HttpRequest, rows: Sequence[Any]) -> None:
        """Called with the changelist page's rows: logs a read of each patient shown."""
        self.record_read(
            request, [getattr(row, self.patient_attr) for row in rows], "list"
        )

    def history_view(
        self,
        request: HttpRequest,
        object_id: str,
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        # The history page names the patient and what changed: a read of their data.
        # (simple-history pages, HistoryAdmin, log through their history_opened hook.)
        response = super().history_view(request, object_id, extra_context)
        if response.status_code == 200 and not isinstance(self, HistoryAdmin):
            obj = self.get_object(request, unquote(object_id))
            self.record_read(request, [getattr(obj, self.patient_attr)], "history")
        return response

    def render_change_form(self, *args: Any, **kwargs: Any) -> HttpResponse:
        # Django passes (request, context) and then keywords only: add, change, obj...
        request, obj = args[0], kwargs.get("obj")
        if obj is not None:
            self.record_read(request, [getattr(obj, self.patient_attr)], "view")
        return super().render_change_form(*args, **kwargs)
