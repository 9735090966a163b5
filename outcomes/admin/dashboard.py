"""The admin front page's dashboard (RehabitAdminSite.index): patients needing attention
and content waiting for the clinician's review, with links to act on them.

Showing a patient on it is a read of their data: one access-log entry per patient shown
(``admin.dashboard.view``).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import admin
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from common.admin import staff_user
from exercises.models import ContentRevision, Exercise, Routine
from outcomes.models import Alert
from outcomes.selectors.dashboard import (
    ADHERENCE_DAYS,
    ADHERENCE_DROP,
    OVERDUE_DAYS,
    clinician_dashboard,
)
from sessions.admin.base import changelist_url
from users.services import access_log_record_many


def _changelist(model: type[Any], **query: str) -> str | None:
    opts = model._meta
    try:
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    except NoReverseMatch:
        return None  # not in this admin (yet)
    return f"{url}?{urlencode(query)}" if query else url


def _review(request: HttpRequest, data: Any) -> list[dict[str, Any]]:
    """Content waiting for review, for the models the user may see in the admin."""
    entries = [
        (Exercise, "Exercises in review", data.exercises_in_review, "in_review"),
        (Routine, "Routines in review", data.routines_in_review, "in_review"),
        (ContentRevision, "Proposed changes to review", data.revisions_pending, ""),
    ]
    out = []
    for model, label, count, status in entries:
        model_admin = admin.site._registry.get(model)
        if model_admin is not None and not model_admin.has_view_permission(request):
            continue
        if model_admin is None and model is not ContentRevision:
            continue
        query = {"status__exact": status} if status else {"state__exact": "pending"}
        out.append(
            {
                "label": label,
                "count": count,
                "url": _changelist(model, **query) if model_admin else None,
            }
        )
    return out


def dashboard_context(request: HttpRequest) -> dict[str, Any] | None:
    """The dashboard for clinicians and admins; None for other staff."""
    user = staff_user(request)
    if not (user.is_clinician or user.is_superuser):
        return None
    data = clinician_dashboard(user=user)
    rows = [
        {
            "row": row,
            "url": reverse(
                "admin:training_sessions_patient_change", args=[row.patient.pk]
            ),
            "alerts_url": changelist_url(Alert, row.patient.pk) + "&status__exact=open",
        }
        for row in data.attention
    ]
    access_log_record_many(
        actor=user,
        patient_ids=[row.patient.pk for row in data.attention],
        action="admin.dashboard.view",
        path=request.get_full_path(),
    )
    patients_url = reverse("admin:training_sessions_patient_changelist")
    return {
        "attention": rows,
        "attention_total": data.attention_total,
        "patients_url": patients_url,
        "review": _review(request, data),
        "adherence_days": ADHERENCE_DAYS,
        "adherence_drop": round(ADHERENCE_DROP * 100),
        "overdue_days": OVERDUE_DAYS,
    }
