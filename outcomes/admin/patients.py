"""The patient admin with what outcomes adds: open alerts, sorting by them and by
adherence, and the charts on a patient's page.

``sessions.admin.patients.PatientAdmin`` is registered by the sessions app, which knows
nothing of alerts; this app sits above it, so it registers a subclass in its place.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Case, F, FloatField, QuerySet, Value, When
from django.http import HttpRequest, HttpResponse
from django.utils.html import format_html

from outcomes.admin.charts import patient_chart_figures
from outcomes.models import Alert
from outcomes.selectors.alerts import open_alert_count_subquery
from outcomes.selectors.charts import patient_charts
from sessions.admin.base import changelist_url
from sessions.admin.patients import PatientAdmin
from sessions.models import Patient
from sessions.progress import adherence_recent

# Sorting by adherence computes it for every patient listed (3 queries, then Python):
# it is not a database column. Lowest first; "nothing scheduled" after the rest.
ADHERENCE_SORT = F("adherence_sort").asc(nulls_last=True)


class PatientOutcomesAdmin(PatientAdmin):
    change_form_template = "admin/outcomes/patient_change_form.html"

    # Columns and fields: the base's, with the open alerts after the name and email.
    def get_list_display(self, request: HttpRequest) -> list[Any]:
        columns: list[Any] = list(super().get_list_display(request))
        return [*columns[:2], "open_alerts", *columns[2:]]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        fields: list[Any] = list(super().get_fields(request, obj))
        return [*fields[:4], "open_alerts", *fields[4:]]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        return list(self.get_fields(request, obj))

    def _sorted_by_adherence(self, request: HttpRequest) -> bool:
        """Whether the changelist's ``o`` parameter names the adherence column."""
        columns = list(self.get_list_display(request))
        if self.get_actions(request):
            columns.insert(0, "action_checkbox")
        indexes = [part.lstrip("-") for part in request.GET.get("o", "").split(".")]
        return any(
            index.isdigit()
            and int(index) < len(columns)
            and columns[int(index)] == "adherence"
            for index in indexes
        )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Patient]:
        queryset = (
            super()
            .get_queryset(request)
            .annotate(open_alerts_count=open_alert_count_subquery())
        )
        match = request.resolver_match
        listing = match is not None and match.url_name == (
            "training_sessions_patient_changelist"
        )
        if not (listing and self._sorted_by_adherence(request)):
            return queryset
        values = adherence_recent(patients=list(queryset.only("id", "timezone")))
        return queryset.annotate(
            adherence_sort=Case(
                *(
                    When(pk=pk, then=Value(value))
                    for pk, value in values.items()
                    if value is not None
                ),
                default=None,
                output_field=FloatField(),
            )
        )

    @admin.display(description="open alerts", ordering="open_alerts_count")
    def open_alerts(self, obj: Patient) -> str:
        count = getattr(obj, "open_alerts_count", 0)
        if not count:
            return "0"
        return format_html(
            '<a class="open-alerts" href="{}&amp;status__exact=open"><strong>{}</strong></a>',
            changelist_url(Alert, obj.pk),
            count,
        )

    @admin.display(description="adherence (4 weeks)", ordering=ADHERENCE_SORT)
    def adherence(self, obj: Patient) -> str:
        return super().adherence(obj)

    def render_change_form(self, *args: Any, **kwargs: Any) -> HttpResponse:
        # (request, context) then keywords (obj...); the base logs the read.
        obj = kwargs.get("obj")
        if obj is not None:
            args[1]["charts"] = patient_chart_figures(patient_charts(patient=obj))
        return super().render_change_form(*args, **kwargs)


admin.site.unregister(Patient)
admin.site.register(Patient, PatientOutcomesAdmin)
