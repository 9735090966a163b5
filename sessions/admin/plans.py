"""Plans: prescribing (the routine's items are copied), adjusting status, schedule and
dosage through the plan services, and the read-only history of every change."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.admin.widgets import RelatedFieldWidgetWrapper
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.html import format_html, format_html_join

from common.admin import EMPTY, HistoryAdmin, staff_user, user_label
from common.models import Status
from exercises.models import Routine
from sessions.admin.base import (
    PatientDataAdmin,
    PatientListFilter,
    local_time,
    patient_link,
)
from sessions.admin.plan_items import (
    ITEM_CHANGES_FAILED,
    PlanItemAddInline,
    PlanItemInline,
    item_changes,
)
from sessions.models import Plan, PlanItem
from sessions.selectors.plans import plan_visible
from sessions.services.plan_changes import plan_adjust
from sessions.services.plans import (
    ADJUSTABLE_PLAN_FIELDS,
    plan_prescribe,
    plan_schedule_validate,
    plan_update,
)
from users.selectors import patient_list

PLAN_ITEMS_COPIED = (
    "The routine's exercises and dosage are copied into the plan when you save; "
    "adjust this patient's dosage on the plan afterwards."
)
REVERT_DISABLED = "Plans change only through their form (the history is read-only)."
WEEKDAYS = (
    (1, "Mon"),
    (2, "Tue"),
    (3, "Wed"),
    (4, "Thu"),
    (5, "Fri"),
    (6, "Sat"),
    (7, "Sun"),
)
DOSAGE_HISTORY_ROWS = 30


def _schedule(plan: Plan) -> str:
    if plan.days_of_week:
        names = dict(WEEKDAYS)
        return ", ".join(names.get(day, str(day)) for day in plan.days_of_week)
    if plan.times_per_week:
        return f"{plan.times_per_week} times a week"
    return EMPTY


def _dosage(item: PlanItem) -> str:
    """ "3 x 5 steps each side, loop band" from a plan item's dosage fields."""
    if item.reps:
        amount = f"{item.reps} reps"
    elif item.steps:
        amount = f"{item.steps} steps"
    elif item.seconds:
        amount = f"{item.seconds} s"
    else:
        amount = EMPTY
    text = f"{item.sets} x {amount}"
    if item.per_side:
        text += " each side"
    if item.hold_seconds:
        text += f", hold {item.hold_seconds} s"
    if item.load:
        text += f", {item.load}"
    return text


class WeekdaysField(forms.TypedMultipleChoiceField):
    """ISO weekdays as checkboxes, cleaned to a sorted list of integers."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            choices=WEEKDAYS,
            coerce=int,
            required=False,
            widget=forms.CheckboxSelectMultiple,
            **kwargs,
        )

    def clean(self, value: Any) -> list[int]:
        return sorted(super().clean(value))


class _ScheduleForm(forms.ModelForm[Any]):
    """Checks the schedule with the service's own rule (days XOR times per week)."""

    days_of_week = WeekdaysField(
        label="Days of week",
        help_text="Either tick the days, or give a number of times per week.",
    )

    def clean(self) -> dict[str, Any]:
        super().clean()  # a ModelForm's clean() returns cleaned_data; the stubs allow None
        cleaned = self.cleaned_data
        start_date = cleaned.get("start_date", self.instance.start_date)
        try:
            plan_schedule_validate(
                start_date=start_date,
                end_date=cleaned.get("end_date"),
                days_of_week=cleaned.get("days_of_week"),
                times_per_week=cleaned.get("times_per_week"),
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                self.add_error(field if field in self.fields else None, errors)
        return cleaned


class PlanAddForm(_ScheduleForm):
    class Meta:
        model = Plan
        fields = (
            "patient",
            "routine",
            "title",
            "start_date",
            "end_date",
            "days_of_week",
            "times_per_week",
            "note",
        )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["routine"].required = True
        self.fields["title"].required = False
        self.fields["title"].help_text = "Leave empty to use the routine's title."


class PlanChangeForm(_ScheduleForm):
    class Meta:
        model = Plan
        fields = ADJUSTABLE_PLAN_FIELDS


@admin.register(Plan)
class PlanAdmin(PatientDataAdmin, HistoryAdmin):
    resource = "plans"
    list_display = (
        "title",
        "patient_display",
        "status",
        "schedule",
        "start_date",
        "end_date",
        "prescribed_by_display",
        "updated_at",
    )
    list_filter = ("status", PatientListFilter)
    list_select_related = ("patient", "prescribed_by")
    search_fields = ("title", "patient__name", "patient__email")
    search_help_text = "Search by title or patient name or email."
    ordering = ("-start_date", "-created_at")
    actions = ("pause_selected", "resume_selected", "end_selected")
    save_on_top = True
    add_fieldsets = (
        (
            None,
            {
                "fields": ("patient", "routine", "title"),
                "description": PLAN_ITEMS_COPIED,
            },
        ),
        (
            "Schedule",
            {"fields": (("start_date", "end_date"), "days_of_week", "times_per_week")},
        ),
        (None, {"fields": ("note",)}),
    )
    change_fieldsets = (
        (
            None,
            {
                "fields": (
                    "patient_display",
                    "title",
                    "routine",
                    "prescribed_by_display",
                    "status",
                )
            },
        ),
        (
            "Schedule",
            {"fields": (("start_date", "end_date"), "days_of_week", "times_per_week")},
        ),
        (None, {"fields": ("note", ("created_at", "updated_at"))}),
        (
            "Dosage changes",
            {"classes": ("collapse",), "fields": ("dosage_history",)},
        ),
    )
    change_readonly_fields = (
        "patient_display",
        "title",
        "routine",
        "prescribed_by_display",
        "start_date",
        "created_at",
        "updated_at",
        "dosage_history",
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Plan]:
        return plan_visible(user=staff_user(request)).select_related(
            "patient", "prescribed_by", "routine"
        )

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.add_fieldsets if obj is None else self.change_fieldsets

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return () if obj is None else self.change_readonly_fields

    def get_inlines(self, request: HttpRequest, obj: Any) -> Any:
        return () if obj is None else (PlanItemInline, PlanItemAddInline)

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        kwargs["form"] = PlanAddForm if obj is None else PlanChangeForm
        return super().get_form(request, obj, change, **kwargs)

    def formfield_for_dbfield(
        self, db_field: Any, request: HttpRequest, **kwargs: Any
    ) -> Any:
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if field is not None and isinstance(field.widget, RelatedFieldWidgetWrapper):
            # Pick a routine (or patient) here; deleting one from a plan's form is never
            # what a clinician means (the library and accounts have their own pages).
            field.widget.can_delete_related = False
        return field

    def formfield_for_foreignkey(
        self, db_field: Any, request: HttpRequest, **kwargs: Any
    ) -> Any:
        if db_field.name == "patient":
            kwargs["queryset"] = patient_list(user=staff_user(request)).order_by(
                "name", "email"
            )
        elif db_field.name == "routine":
            kwargs["queryset"] = Routine.objects.filter(
                status=Status.PUBLISHED
            ).order_by("title")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Ended is final (plan_update refuses any change): its page is read-only.
        if obj is not None and obj.status == Plan.Status.ENDED:
            return False
        return super().has_change_permission(request, obj)

    # -- writes go through the plan services ---------------------------------------
    def save_model(
        self, request: HttpRequest, obj: Plan, form: forms.ModelForm, change: bool
    ) -> None:
        if change:
            return  # applied in save_related, together with the items (one service call)
        data = form.cleaned_data
        plan = plan_prescribe(
            prescriber=staff_user(request),
            patient=data["patient"],
            routine=data["routine"],
            start_date=data["start_date"],
            end_date=data.get("end_date"),
            days_of_week=data.get("days_of_week") or None,
            times_per_week=data.get("times_per_week"),
            title=data.get("title") or "",
            note=data.get("note") or "",
        )
        # The admin goes on with ``obj`` (log entry, redirect): make it the saved plan.
        for field in Plan._meta.concrete_fields:
            setattr(obj, field.attname, getattr(plan, field.attname))
        obj._state.adding = False
        obj._state.db = plan._state.db

    def save_related(
        self,
        request: HttpRequest,
        form: forms.ModelForm,
        formsets: Sequence[Any],
        change: bool,
    ) -> None:
        if not change:
            return
        changes = {
            field: form.cleaned_data[field]
            for field in ADJUSTABLE_PLAN_FIELDS
            if field in form.changed_data
        }
        items, add_items, end_items = item_changes(formsets)
        if not (changes or items or add_items or end_items):
            return
        try:
            # Adding or ending items dates the change from the patient's today (the
            # plan's history keeps what was prescribed before).
            plan_adjust(
                plan=form.instance,
                actor=staff_user(request),
                changes=changes,
                items=items,
                add_items=add_items,
                end_items=end_items,
            )
        except (ValidationError, PermissionDenied) as exc:
            # plan_adjust is atomic: its savepoint is rolled back, nothing was written.
            reason = "; ".join(getattr(exc, "messages", [str(exc)]))
            self.message_user(request, ITEM_CHANGES_FAILED + reason, messages.ERROR)
            request._plan_refused = True  # type: ignore[attr-defined]

    def response_change(self, request: HttpRequest, obj: Plan) -> HttpResponse:
        if getattr(request, "_plan_refused", False):
            # Back to the form, without "changed successfully": nothing was.
            return HttpResponseRedirect(request.path)
        return super().response_change(request, obj)

    # -- changelist actions ----------------------------------------------------------
    def _set_status(
        self, request: HttpRequest, queryset: QuerySet[Plan], status: str, done: str
    ) -> None:
        changed = 0
        for plan in queryset:
            try:
                plan_update(
                    plan=plan, actor=staff_user(request), changes={"status": status}
                )
            except (ValidationError, PermissionDenied) as exc:
                reason = "; ".join(getattr(exc, "messages", [str(exc)]))
                self.message_user(
                    request, f"Could not change “{plan}”: {reason}", messages.ERROR
                )
            else:
                changed += 1
        if changed:
            self.message_user(request, f"{done}: {changed} plan(s).", messages.SUCCESS)

    @admin.action(description="Pause selected plans", permissions=["change"])
    def pause_selected(self, request: HttpRequest, queryset: QuerySet[Plan]) -> None:
        self._set_status(request, queryset, Plan.Status.PAUSED, "Paused")

    @admin.action(description="Resume selected plans", permissions=["change"])
    def resume_selected(self, request: HttpRequest, queryset: QuerySet[Plan]) -> None:
        self._set_status(request, queryset, Plan.Status.ACTIVE, "Resumed")

    @admin.action(description="End selected plans", permissions=["change"])
    def end_selected(self, request: HttpRequest, queryset: QuerySet[Plan]) -> None:
        self._set_status(request, queryset, Plan.Status.ENDED, "Ended")

    # -- history: scoped, logged, read-only ----------------------------------------------
    def history_opened(self, request: HttpRequest, object_id: str) -> None:
        # simple-history falls back to the history rows when the scoped queryset has
        # no such plan: check the scope first (a 404), then log the read.
        plan = self.get_object(request, unquote(object_id))
        self.record_read(request, [plan.patient_id], "history")

    def history_form_view(
        self,
        request: HttpRequest,
        object_id: str,
        version_id: str,
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        plan = self.get_object(request, unquote(object_id))
        if request.method != "GET":
            raise PermissionDenied(REVERT_DISABLED)
        self.record_read(request, [plan.patient_id], "history")
        return super().history_form_view(request, object_id, version_id, extra_context)

    def revert_disabled(self, request: HttpRequest, obj: Any = None) -> bool:
        return True

    # -- columns and read-only fields ------------------------------------------------------
    @admin.display(description="patient", ordering="patient__name")
    def patient_display(self, obj: Plan) -> str:
        return patient_link(obj.patient)

    @admin.display(description="prescribed by")
    def prescribed_by_display(self, obj: Plan) -> str:
        # Plain text: clinicians may not open user pages.
        return user_label(obj.prescribed_by)

    @admin.display(description="schedule")
    def schedule(self, obj: Plan) -> str:
        return _schedule(obj)

    @admin.display(description="dosage changes (newest first)")
    def dosage_history(self, obj: Plan) -> str:
        records = (
            PlanItem.history.filter(plan_id=obj.pk)
            .select_related("exercise", "history_user")
            .order_by("-history_date", "-history_id")[:DOSAGE_HISTORY_ROWS]
        )
        rows = [
            (
                local_time(record.history_date, obj.patient.timezone),
                user_label(record.history_user),
                record.exercise.name if record.exercise else EMPTY,
                _dosage(record),
                record.history_change_reason or record.get_history_type_display(),
            )
            for record in records
        ]
        if not rows:
            return EMPTY
        body = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            rows,
        )
        return format_html(
            "<table><thead><tr><th>when</th><th>who</th><th>exercise</th>"
            "<th>dosage</th><th>why</th></tr></thead><tbody>{}</tbody></table>",
            body,
        )
