"""A plan's items on its admin page: this patient's dosage of each current exercise
(adjust it, or tick "end" to stop an item from today), and rows to add exercises.

Nothing here writes: ``item_changes`` turns the formsets into the arguments of
``sessions.services.plan_changes.plan_adjust``, which PlanAdmin.save_related calls
(the same service as ``PATCH plans/{id}/``), so every change is in the plan's history
with who and when, and past weeks keep the dosage they had.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import RelatedFieldWidgetWrapper
from django.db.models import Q, QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest

from common.admin import staff_user
from common.models import Status
from exercises.models import Exercise
from sessions.models import Plan, PlanItem
from sessions.schedules import local_today
from sessions.services.plans import ADJUSTABLE_ITEM_FIELDS

ITEM_CHANGES_FAILED = "The plan's items were not changed: "
# What a new row may set (per_side follows the direction).
NEW_ITEM_FIELDS = tuple(f for f in ADJUSTABLE_ITEM_FIELDS if f != "per_side")


class PlanItemForm(forms.ModelForm[PlanItem]):
    """The dosage of one plan item (PlanItem.clean() checks the one-amount rule)."""

    class Meta:
        model = PlanItem
        fields = ADJUSTABLE_ITEM_FIELDS


class _ItemsMedia:
    css = {"all": ("rehabit/admin-items.css",)}  # fits 1,440 px (docs/library.md)


class PlanItemInline(admin.TabularInline[PlanItem, Plan]):
    """This patient's current dosage of each exercise; "end" stops an item from today
    (it stays in the history, and in the weeks it was prescribed)."""

    Media = _ItemsMedia
    model = PlanItem
    form = PlanItemForm
    fields = ("order", "exercise_name", "block", *ADJUSTABLE_ITEM_FIELDS)
    readonly_fields = ("order", "exercise_name", "block")
    extra = 0
    verbose_name = "exercise"
    verbose_name_plural = "exercises and this patient's dosage (tick to end from today)"

    def get_queryset(self, request: HttpRequest) -> QuerySet[PlanItem]:
        # Current and future items; those already ended are in "Dosage changes".
        return (
            super()
            .get_queryset(request)
            .select_related("exercise", "plan__patient")
            .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=_earliest_today()))
        )

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # new exercises: the rows below

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.status == Plan.Status.ENDED:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_change_permission(request, obj)

    @admin.display(description="exercise")
    def exercise_name(self, obj: PlanItem) -> str:
        return obj.exercise.name


class NewItemsFormSet(BaseInlineFormSet[PlanItem, Plan, Any]):
    """Rows that add exercises; validated by the plan service, not the model form."""

    adds_items = True


class NewItemForm(forms.ModelForm[PlanItem]):
    class Meta:
        model = PlanItem
        fields = ("exercise", "block", *NEW_ITEM_FIELDS)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("sets", "direction"):
            self.fields[name].required = False

    def _post_clean(self) -> None:
        # The amounts come from the exercise's default dosage unless given: the plan
        # service (item_from_exercise) checks the item, not the model form.
        pass


class PlanItemAddInline(admin.TabularInline[PlanItem, Plan]):
    """Add exercises from today: a published exercise or one of your private ones;
    dosage left empty takes the exercise's default."""

    Media = _ItemsMedia
    model = PlanItem
    form = NewItemForm
    formset = NewItemsFormSet
    fields = ("exercise", "block", *NEW_ITEM_FIELDS)
    extra = 1
    can_delete = False
    verbose_name = "exercise to add"
    verbose_name_plural = "add exercises (from today)"

    def get_queryset(self, request: HttpRequest) -> QuerySet[PlanItem]:
        return super().get_queryset(request).none()

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.status == Plan.Status.ENDED:
            return False
        return self.has_change_permission(request, obj)

    def formfield_for_dbfield(
        self, db_field: Any, request: HttpRequest, **kwargs: Any
    ) -> Any:
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if field is not None and isinstance(field.widget, RelatedFieldWidgetWrapper):
            # Pick an exercise here; changing or deleting one from a plan is never
            # what a clinician means (the library has its own pages).
            field.widget.can_delete_related = False
            field.widget.can_change_related = False
        return field

    def formfield_for_foreignkey(
        self, db_field: Any, request: HttpRequest, **kwargs: Any
    ) -> Any:
        if db_field.name == "exercise":
            # What the plan service accepts: published, or the prescriber's private.
            kwargs["queryset"] = Exercise.objects.filter(
                Q(status=Status.PUBLISHED) | Q(private=True, author=staff_user(request))
            ).order_by("name")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


def _earliest_today() -> Any:
    """The earliest "today" on Earth (UTC-12): an item ending today anywhere is shown."""
    return local_today(tz_name="Etc/GMT+12")


def item_changes(
    formsets: Sequence[Any],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[int]]:
    """The plan formsets as plan_adjust's ``items`` (changed dosage), ``add_items``
    and ``end_items``; sets what construct_change_message() reads (formset.save() is
    not used)."""
    items: list[dict[str, Any]] = []
    added: list[dict[str, Any]] = []
    ended: list[int] = []
    for formset in formsets:
        changed, new, deleted = [], [], []
        for form in formset.forms:
            if getattr(formset, "adds_items", False):
                if form.has_changed() and form.cleaned_data.get("exercise"):
                    data = form.cleaned_data
                    added.append(
                        {
                            "exercise": data["exercise"].pk,
                            "block": data.get("block") or None,
                            **{
                                f: data.get(f)
                                for f in NEW_ITEM_FIELDS
                                if f in form.changed_data
                            },
                        }
                    )
                    form.instance.exercise = data["exercise"]  # for the change message
                    new.append(form.instance)
            elif form.instance.pk and form in formset.deleted_forms:
                ended.append(form.instance.pk)
                deleted.append(form.instance)
            elif form.instance.pk and form.has_changed():
                items.append(
                    {
                        "id": form.instance.pk,
                        **{f: form.cleaned_data.get(f) for f in ADJUSTABLE_ITEM_FIELDS},
                    }
                )
                changed.append((form.instance, form.changed_data))
        formset.new_objects, formset.changed_objects = new, changed
        formset.deleted_objects = deleted
    return items, added, ended
