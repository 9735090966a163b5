"""The access log for the accounts admin: a page showing a patient is a read of their data.

The care-side admins (sessions, outcomes) log their reads in their own base classes;
the accounts admin (users, care relationships) shows patients too, to administrators:
their lists, pages, history pages and the patient autocomplete are logged here the same
way (issue 10, finding 9; tests/security/test_access_log_walk.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from django.contrib.admin.utils import unquote
from django.http import HttpRequest, HttpResponse

from users.models import User
from users.services import access_log_record_many


def log_patient_reads(
    request: HttpRequest, patient_ids: Iterable[Any], action: str
) -> None:
    """One access-log row per patient shown to the signed-in staff member."""
    if isinstance(request.user, User):
        access_log_record_many(
            actor=request.user,
            patient_ids=[pk for pk in patient_ids if pk is not None],
            action=action,
            path=request.get_full_path(),
        )


class PatientReadsLogged:
    """ModelAdmin mixin: the changelist, change and history pages log the patients
    they show (``patients_of`` says which, for one row)."""

    log_resource: ClassVar[str] = ""

    def patients_of(self, obj: Any) -> list[Any]:
        raise NotImplementedError

    def _log(self, request: HttpRequest, rows: Iterable[Any], what: str) -> None:
        ids = [pk for row in rows for pk in self.patients_of(row)]
        log_patient_reads(request, ids, f"admin.{self.log_resource}.{what}")

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        response: HttpResponse = super().changelist_view(  # type: ignore[misc]
            request, extra_context
        )
        changelist = getattr(response, "context_data", {}).get("cl")
        if changelist is not None:
            self._log(request, changelist.result_list, "list")
        return response

    def render_change_form(self, *args: Any, **kwargs: Any) -> HttpResponse:
        request, obj = args[0], kwargs.get("obj")
        if obj is not None:
            self._log(request, [obj], "view")
        response: HttpResponse = super().render_change_form(  # type: ignore[misc]
            *args, **kwargs
        )
        return response

    def history_view(
        self,
        request: HttpRequest,
        object_id: str,
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        response: HttpResponse = super().history_view(  # type: ignore[misc]
            request, object_id, extra_context
        )
        if response.status_code == 200:
            obj = self.get_object(request, unquote(object_id))  # type: ignore[attr-defined]
            if obj is not None:
                self._log(request, [obj], "history")
        return response
