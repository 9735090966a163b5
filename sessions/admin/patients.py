"""Patients (read-only): last session, recent pain, adherence, links to their plans
and session logs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast
from urllib.parse import urlencode

from django.contrib import admin
from django.db.models import QuerySet, Subquery
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from common.admin import EMPTY, ReadOnlyAdminMixin, staff_user, user_label
from sessions.admin.base import PatientDataAdmin, changelist_url, local_time
from sessions.models import Patient, Plan, Session
from sessions.progress import adherence_recent, annotate_recent_activity
from users.selectors import patient_list

NOTHING_SCHEDULED = "nothing scheduled"


@admin.register(Patient)
class PatientAdmin(ReadOnlyAdminMixin, PatientDataAdmin):
    # Read-only: accounts are created by patients, or by admins on the user page.
    resource = "patients"
    patient_attr = "pk"
    list_display = (
        "patient_name",
        "email",
        "last_session",
        "recent_pain",
        "adherence",
        "plans_link",
        "sessions_link",
    )
    list_display_links = ("patient_name",)
    search_fields = ("name", "email")
    search_help_text = "Search by name or email."
    ordering = ("name", "email")
    fields = (
        "name",
        "email",
        "timezone",
        "care_team",
        "last_session",
        "recent_pain",
        "adherence",
        "plans_link",
        "sessions_link",
    )
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[Patient]:
        visible = patient_list(user=staff_user(request))
        # The proxy inherits User's manager, whose type names User.
        queryset = cast(
            "QuerySet[Patient]",
            Patient.objects.filter(pk__in=Subquery(visible.values("pk"))),
        )
        return annotate_recent_activity(queryset)

    def rows_loaded(self, request: HttpRequest, rows: Sequence[Any]) -> None:
        # Adherence for the whole page: three queries whatever the number of rows.
        adherence = adherence_recent(patients=rows)
        for row in rows:
            row.adherence_last_4_weeks = adherence[row.pk]
        super().rows_loaded(request, rows)

    @admin.display(description="patient", ordering="name")
    def patient_name(self, obj: Patient) -> str:
        return obj.name or obj.email

    @admin.display(description="care team")
    def care_team(self, obj: Patient) -> str:
        links = obj.care_team.select_related("clinician").order_by("created_at")
        return ", ".join(user_label(link.clinician) for link in links) or EMPTY

    @admin.display(description="last session", ordering="last_session_at")
    def last_session(self, obj: Patient) -> str:
        return local_time(getattr(obj, "last_session_at", None), obj.timezone)

    @admin.display(description="recent pain after", ordering="recent_pain_after")
    def recent_pain(self, obj: Patient) -> str:
        """Mean pain after (0-10) of the last 5 sessions that recorded it."""
        value = getattr(obj, "recent_pain_after", None)
        return EMPTY if value is None else f"{float(value):.1f} / 10"

    @admin.display(description="adherence (4 weeks)")
    def adherence(self, obj: Patient) -> str:
        value = getattr(obj, "adherence_last_4_weeks", ...)
        if value is ...:  # the view page: one patient, not computed with the page
            value = adherence_recent(patients=[obj])[obj.pk]
        return NOTHING_SCHEDULED if value is None else f"{round(value * 100)} %"

    @admin.display(description="plans")
    def plans_link(self, obj: Patient) -> str:
        links = [format_html('<a href="{}">plans</a>', changelist_url(Plan, obj.pk))]
        add_url = reverse("admin:training_sessions_plan_add")
        links.append(
            format_html(
                '<a href="{}?{}">prescribe</a>',
                add_url,
                urlencode({"patient": str(obj.pk)}),
            )
        )
        return format_html_join(" · ", "{}", ((link,) for link in links))

    @admin.display(description="sessions")
    def sessions_link(self, obj: Patient) -> str:
        return format_html(
            '<a href="{}">session logs</a>', changelist_url(Session, obj.pk)
        )
