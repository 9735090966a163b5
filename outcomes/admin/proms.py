"""Outcome measures in the admin: the instruments (read-only) and the answers (scoped)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from outcomes.admin.base import PatientScopedAdmin
from outcomes.models import Questionnaire, QuestionnaireResponse
from outcomes.selectors.proms import response_visible


@admin.register(Questionnaire)
class QuestionnaireAdmin(admin.ModelAdmin[Questionnaire]):
    """Read-only: instruments are loaded with ``manage.py load_questionnaires``."""

    list_display = ["title", "version", "name", "status"]
    list_filter = ["status"]
    search_fields = ["title", "name", "url"]
    readonly_fields = [
        "url",
        "version",
        "name",
        "title",
        "status",
        "description",
        "copyright",
        "items",
        "scoring",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(QuestionnaireResponse)
class QuestionnaireResponseAdmin(PatientScopedAdmin):
    resource = "questionnaire_responses"
    list_display = ["authored", "patient", "questionnaire", "score"]
    list_filter = ["questionnaire"]
    search_fields = ["patient__name", "patient__email"]
    list_select_related = ["patient", "questionnaire"]
    fields = (
        "patient",
        "questionnaire",
        "assignment",
        "authored",
        "items",
        "score",
        "created_at",
    )
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[QuestionnaireResponse]:
        return response_visible(user=request.user).select_related(
            "patient", "questionnaire"
        )

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
