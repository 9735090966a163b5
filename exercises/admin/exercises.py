"""Exercises: ordered instructions, media and links to other exercises, in one form."""

from __future__ import annotations

from typing import Any

from adminsortable2.admin import SortableTabularInline
from django import forms
from django.contrib import admin
from django.db import models
from django.db.models import Prefetch

from common.admin import EMPTY, DosageForm
from exercises.admin.workflow import (
    WORKFLOW_FIELDS,
    GovernedInlineMixin,
    ReviewableAdmin,
)
from exercises.models import (
    Exercise,
    ExerciseInstruction,
    ExerciseLink,
    ExerciseMedia,
    Muscle,
)

LINK_TO_SELF = "An exercise cannot link to itself."


class ExerciseLinkForm(forms.ModelForm[Any]):
    def clean(self) -> dict[str, Any]:
        super().clean()  # a ModelForm's clean() returns cleaned_data; the stubs allow None
        cleaned = self.cleaned_data
        target = cleaned.get("target")
        if target is not None and target.pk == self.instance.exercise_id:
            self.add_error("target", LINK_TO_SELF)
        return cleaned


class ExerciseInstructionInline(GovernedInlineMixin, SortableTabularInline):
    model = ExerciseInstruction
    fields = ("kind", "text")
    extra = 0
    verbose_name = "instruction"
    verbose_name_plural = "instructions (drag to reorder)"
    formfield_overrides = {
        models.TextField: {"widget": forms.Textarea(attrs={"rows": 2, "cols": 80})}
    }


class ExerciseMediaInline(GovernedInlineMixin, SortableTabularInline):
    model = ExerciseMedia
    fields = ("kind", "url", "alt_text", "credit", "licence")
    extra = 0
    verbose_name_plural = "media (images and videos by URL)"
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


class ExerciseLinkInline(GovernedInlineMixin, SortableTabularInline):
    model = ExerciseLink
    fk_name = "exercise"
    form = ExerciseLinkForm
    fields = ("kind", "target", "note")
    autocomplete_fields = ("target",)
    extra = 0
    verbose_name = "link to another exercise"
    verbose_name_plural = "regressions, progressions and alternatives"


@admin.register(Exercise)
class ExerciseAdmin(ReviewableAdmin):
    # The one-amount rule of the default dosage: Exercise.clean() (common.models.Dosage),
    # which the admin's model form runs.
    form = DosageForm
    inlines = (ExerciseInstructionInline, ExerciseMediaInline, ExerciseLinkInline)
    prepopulated_fields = {"slug": ("name",)}
    autocomplete_fields = (
        "primary_muscles",
        "secondary_muscles",
        "equipment",
        "conditions",
    )
    fieldsets = (
        (
            None,
            {
                "fields": (
                    ("name", "slug"),
                    "aliases",
                    "summary",
                    ("difficulty", "laterality"),
                    "contraindications",
                    "education",
                    "private",
                )
            },
        ),
        (
            "Muscles, equipment and conditions",
            {
                "fields": (
                    "primary_muscles",
                    "secondary_muscles",
                    "equipment",
                    "conditions",
                )
            },
        ),
        (
            "Default dosage",
            {
                "description": "Leave reps, steps and seconds empty for no default dosage.",
                "fields": (
                    ("sets", "reps", "steps", "seconds"),
                    ("direction", "hold_seconds", "rest_seconds"),
                    ("band", "load", "tempo"),
                ),
            },
        ),
        (
            "Source",
            {
                "classes": ("collapse",),
                "fields": ("source_name", "source_id", "source_licence"),
            },
        ),
        ("Workflow", {"fields": WORKFLOW_FIELDS}),
    )
    list_display = (
        "name",
        "status",
        "private",
        "difficulty",
        "laterality",
        "primary_muscle_names",
        "updated_at",
    )
    list_filter = (
        "status",
        "private",
        "difficulty",
        "laterality",
        "primary_muscles",
        "equipment",
        "conditions",
        "source_name",
    )
    search_fields = ("name", "slug", "aliases", "summary")
    search_help_text = "Search by name, slug, alias or summary."
    list_prefetch_related = (
        Prefetch("primary_muscles", queryset=Muscle.objects.only("id", "name")),
    )

    @admin.display(description="primary muscles")
    def primary_muscle_names(self, obj: Exercise) -> str:
        # Reads the prefetch of the changelist: no query per row.
        return ", ".join(muscle.name for muscle in obj.primary_muscles.all()) or EMPTY
