"""Muscles, equipment and conditions (their search_fields also serve the exercise
form's autocompletes)."""

from __future__ import annotations

from django.contrib import admin

from exercises.models import Condition, Equipment, Muscle


@admin.register(Muscle)
class MuscleAdmin(admin.ModelAdmin[Muscle]):
    list_display = ("name", "body_region", "slug")
    list_filter = ("body_region",)
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Equipment)
class EquipmentAdmin(admin.ModelAdmin[Equipment]):
    list_display = ("name", "slug")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Condition)
class ConditionAdmin(admin.ModelAdmin[Condition]):
    list_display = ("name", "slug")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
