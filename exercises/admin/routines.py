"""Routine templates: ordered items with their dosage, and the derived duration."""

from __future__ import annotations

from typing import Any

from adminsortable2.admin import SortableTabularInline
from django import forms
from django.contrib import admin
from django.db import models
from django.db.models import Prefetch
from django.http import HttpRequest

from common.admin import EMPTY, DosageForm
from common.models import AMOUNT_FIELDS
from exercises.admin.workflow import (
    WORKFLOW_FIELDS,
    WORKFLOW_READONLY,
    GovernedInlineMixin,
    ReviewableAdmin,
)
from exercises.models import Routine, RoutineItem

DOSAGE_NUMBER_FIELDS = ("sets", *AMOUNT_FIELDS, "hold_seconds", "rest_seconds")
# An item's dosage as the inline shows it: the direction, not the per_side flag it sets.
ITEM_DOSAGE_FIELDS = (
    "sets",
    *AMOUNT_FIELDS,
    "direction",
    "hold_seconds",
    "rest_seconds",
    "load",
    "band",
    "tempo",
)
# Widths of the routine item inline's inputs (the table scrolls inside its box if the
# screen is narrower still).
ITEM_COLUMN_WIDTHS = {
    **dict.fromkeys(DOSAGE_NUMBER_FIELDS, "4.5em"),
    "load": "8em",
    "tempo": "5em",
    "note": "12em",
}


def format_minutes(seconds: int) -> str:
    """A duration as whole minutes, for estimates ("12 min", "< 1 min")."""
    if not seconds:
        return EMPTY
    minutes = (seconds + 30) // 60
    return f"{minutes} min" if minutes else "< 1 min"


class RoutineItemInline(GovernedInlineMixin, SortableTabularInline):
    # The one-amount rule: RoutineItem.clean() (common.models.Dosage), run by the form.
    class Media:
        css = {"all": ("rehabit/admin-items.css",)}  # fits 1,440 px (docs/library.md)

    model = RoutineItem
    form = DosageForm
    fields = (
        "exercise",
        "block",
        *ITEM_DOSAGE_FIELDS,
        "note",
        "estimated",
    )
    readonly_fields = ("estimated",)
    autocomplete_fields = ("exercise",)
    extra = 0
    verbose_name = "item"
    verbose_name_plural = "items (drag to reorder)"

    def formfield_for_dbfield(
        self, db_field: models.Field[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> forms.Field | None:
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        # Thirteen columns: keep the numbers narrow so the note stays readable.
        # A width, not a size: the admin's CSS gives text inputs (.vTextField) 20em,
        # which overrides the size attribute.
        if field is not None and db_field.name in ITEM_COLUMN_WIDTHS:
            field.widget.attrs["style"] = f"width: {ITEM_COLUMN_WIDTHS[db_field.name]}"
        return field

    @admin.display(description="estimated")
    def estimated(self, item: RoutineItem) -> str:
        return format_minutes(item.estimated_seconds) if item.pk else EMPTY


@admin.register(Routine)
class RoutineAdmin(ReviewableAdmin):
    inlines = (RoutineItemInline,)
    prepopulated_fields = {"slug": ("title",)}
    autocomplete_fields = ("conditions",)
    fieldsets = (
        (
            None,
            {
                "fields": (
                    ("title", "slug"),
                    "summary",
                    "goal",
                    "when_to_use",
                    "conditions",
                    "private",
                    "estimated_duration",
                )
            },
        ),
        ("Workflow", {"fields": WORKFLOW_FIELDS}),
    )
    readonly_fields = ("estimated_duration", *WORKFLOW_READONLY)
    list_display = (
        "title",
        "status",
        "private",
        "item_count",
        "estimated_duration",
        "updated_at",
    )
    list_filter = ("status", "private", "conditions")
    search_fields = ("title", "slug", "summary", "goal", "when_to_use")
    search_help_text = "Search by title, slug, summary, goal or when to use it."
    # Only what the estimate reads: a routine's items in one query for the whole page.
    list_prefetch_related = (
        Prefetch(
            "items",
            queryset=RoutineItem.objects.only(
                "id",
                "routine_id",
                "order",
                *DOSAGE_NUMBER_FIELDS,
                "per_side",
            ),
        ),
    )

    @admin.display(description="items")
    def item_count(self, obj: Routine) -> int:
        return len(obj.items.all())

    @admin.display(description="estimated duration")
    def estimated_duration(self, obj: Routine) -> str:
        # Derived from the items' dosage; one query on the change form, none in the list.
        if obj._state.adding:  # the UUID pk is set before the first save
            return EMPTY
        return format_minutes(obj.estimated_duration_seconds)
