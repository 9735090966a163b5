"""Alerts in the admin: a clinician's patients' alerts, acknowledged or resolved in bulk."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from common.admin import staff_user
from outcomes.admin.base import PatientScopedAdmin
from outcomes.models import Alert, AlertStatus, ClinicianAlertSettings
from outcomes.selectors.alerts import alert_visible
from outcomes.services.alerts import (
    AlertStateConflict,
    alert_acknowledge,
    alert_resolve,
)
from sessions.admin.base import PatientListFilter
from users.models import User


@admin.register(Alert)
class AlertAdmin(PatientScopedAdmin):
    resource = "alerts"
    list_display = [
        "created_at",
        "patient",
        "kind",
        "status",
        "message",
        "acknowledged_by",
    ]
    list_filter = [PatientListFilter, "status", "kind"]
    search_fields = ["patient__name", "patient__email", "message"]
    list_select_related = ["patient", "acknowledged_by", "resolved_by"]
    date_hierarchy = "created_at"
    actions = ["acknowledge", "resolve"]
    fields = [
        "patient",
        "kind",
        "status",
        "message",
        "evidence",
        "session",
        "plan",
        "created_at",
        "acknowledged_at",
        "acknowledged_by",
        "resolved_at",
        "resolved_by",
        "note",
    ]
    readonly_fields = [str(name) for name in fields if name != "note"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Alert]:
        return alert_visible(user=request.user).select_related(
            "patient", "acknowledged_by", "resolved_by"
        )

    def _transition(
        self, request: HttpRequest, queryset: QuerySet[Alert], service: Any, verb: str
    ) -> None:
        assert isinstance(request.user, User)
        done = refused = 0
        for alert in queryset.exclude(status=AlertStatus.RESOLVED):
            try:
                service(alert=alert, by=request.user)
                done += 1
            except AlertStateConflict:
                refused += 1
        self.message_user(request, f"{done} alert(s) {verb}.", messages.SUCCESS)
        if refused:
            self.message_user(
                request, f"{refused} left as they were.", messages.WARNING
            )

    @admin.action(description="Acknowledge the selected alerts", permissions=["change"])
    def acknowledge(self, request: HttpRequest, queryset: QuerySet[Alert]) -> None:
        self._transition(request, queryset, alert_acknowledge, "acknowledged")

    @admin.action(description="Resolve the selected alerts", permissions=["change"])
    def resolve(self, request: HttpRequest, queryset: QuerySet[Alert]) -> None:
        self._transition(request, queryset, alert_resolve, "resolved")


@admin.register(ClinicianAlertSettings)
class ClinicianAlertSettingsAdmin(admin.ModelAdmin[ClinicianAlertSettings]):
    """A clinician's own settings (admins see everyone's)."""

    list_display = ["clinician", "daily_digest", "updated_at"]
    fields = ["clinician", "daily_digest"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[ClinicianAlertSettings]:
        queryset = super().get_queryset(request).select_related("clinician")
        if request.user.is_superuser:
            return queryset
        return queryset.filter(clinician_id=request.user.pk)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [] if request.user.is_superuser else ["clinician"]

    def save_model(
        self, request: HttpRequest, obj: ClinicianAlertSettings, form: Any, change: bool
    ) -> None:
        if not request.user.is_superuser:
            obj.clinician_id = staff_user(request).pk
        super().save_model(request, obj, form, change)
