"""What the outcomes admin pages share: scoping to the caller's patients, access log."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, ClassVar

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import ChangeList
from django.http import Http404, HttpRequest, HttpResponse

from users.models import User
from users.services import access_log_record_many


class _LoggedChangeList(ChangeList):
    """Hands the page's rows to the admin once loaded (for the access log)."""

    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        self.result_list = list(self.result_list)
        self.model_admin.rows_loaded(request, self.result_list)  # type: ignore[attr-defined]


class PatientScopedAdmin(admin.ModelAdmin[Any]):
    """Others' patients' rows answer 404; every read of a patient's row is logged."""

    resource: ClassVar[str] = ""
    show_full_result_count = False

    def get_object(
        self, request: HttpRequest, object_id: str, from_field: str | None = None
    ) -> Any:
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404("Not found.")
        return obj

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return _LoggedChangeList

    def record_read(
        self, request: HttpRequest, patient_ids: Iterable[Any], what: str
    ) -> None:
        if isinstance(request.user, User):
            access_log_record_many(
                actor=request.user,
                patient_ids=patient_ids,
                action=f"admin.{self.resource}.{what}",
                path=request.get_full_path(),
            )

    def rows_loaded(self, request: HttpRequest, rows: Sequence[Any]) -> None:
        self.record_read(request, [row.patient_id for row in rows], "list")

    def history_view(
        self,
        request: HttpRequest,
        object_id: str,
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        # The history page names the patient and what changed: a read of their data.
        response = super().history_view(request, object_id, extra_context)
        if response.status_code == 200:
            obj = self.get_object(request, unquote(object_id))
            self.record_read(request, [obj.patient_id], "history")
        return response

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Any = None,
    ) -> HttpResponse:
        if obj is not None:
            self.record_read(request, [obj.patient_id], "view")
        return super().render_change_form(request, context, add, change, form_url, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
