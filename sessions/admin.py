"""Admin for the care side: patients, prescribed plans and session logs.

Clinicians (staff in the "Clinicians" group) see only the patients in their care
(users.selectors.patient_list), those patients' plans and session logs; admins see
everyone's. Anything outside that scope answers 404, as in the API. Every page showing
a patient's data records one access-log entry per patient shown (changelist rows, a
plan or session page, a plan's history), like the API's reads.

- Patients: read-only, with last session, recent pain after sessions and adherence over
  the last 4 weeks (the rules of ``progress/``), and links to the patient's plans and
  sessions.
- Plans: prescribing goes through sessions.services.plans.plan_prescribe (the routine's
  items are copied); adjustments (status, schedule, note, dosage of items) through
  plan_update, so the edit history records who changed what. An ended plan is final,
  so its page is read-only. Reverting from the history is disabled (it would bypass
  those rules).
- Session logs: read-only for everyone, superusers included: they are the patient's
  words. Deleted sessions (tombstones) are not shown.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlencode

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import DateFieldListFilter
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import ChangeList
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q, QuerySet, Subquery
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from simple_history.admin import SimpleHistoryAdmin

from common.models import Status
from exercises.admin import DosageForm
from exercises.models import Routine
from sessions.models import (
    Patient,
    Plan,
    PlanItem,
    Session,
    SessionExercise,
    SessionSet,
)
from sessions.progress import adherence_recent, annotate_recent_activity
from sessions.selectors.logs import session_list
from sessions.selectors.plans import plan_visible
from sessions.services.plans import (
    ADJUSTABLE_ITEM_FIELDS,
    ADJUSTABLE_PLAN_FIELDS,
    plan_prescribe,
    plan_schedule_validate,
    plan_update,
)
from users.selectors import patient_list
from users.services import access_log_record_many

if TYPE_CHECKING:
    import datetime as dt

    from users.models import User

EMPTY = "-"  # as the admin shows empty values
NOT_FOUND = "Not found."
NOTHING_SCHEDULED = "nothing scheduled"
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


# ---------------------------------------------------------------------------
# Display helpers
# ---------------------------------------------------------------------------
def _local(moment: dt.datetime | None, tz_name: str) -> str:
    """An instant in the patient's time zone ("2026-11-23 07:30 GMT")."""
    if moment is None:
        return EMPTY
    return moment.astimezone(zoneinfo.ZoneInfo(tz_name)).strftime("%Y-%m-%d %H:%M %Z")


def _person(user: User | None) -> str:
    if user is None:
        return EMPTY
    return f"{user.name} <{user.email}>" if user.name else user.email


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


def _changelist_url(model: type[Any], patient_id: Any) -> str:
    opts = model._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    return f"{url}?{urlencode({'patient': str(patient_id)})}"


def _patient_link(patient: User) -> str:
    url = reverse("admin:training_sessions_patient_change", args=[patient.pk])
    return format_html('<a href="{}">{}</a>', url, _person(patient))


# ---------------------------------------------------------------------------
# Shared: scope, 404s and the access log
# ---------------------------------------------------------------------------
class PatientListFilter(admin.SimpleListFilter):
    """Filter by one of the caller's patients (``?patient=<uuid>``); lists only those."""

    title = "patient"
    parameter_name = "patient"

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin[Any]
    ) -> list[tuple[str, str]]:
        patients = patient_list(user=request.user).order_by("name", "email")
        return [(str(p.pk), str(p)) for p in patients.only("id", "name", "email")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if not value:
            return queryset
        try:
            return queryset.filter(patient_id=value)
        except ValidationError:
            return queryset.none()  # a malformed id matches nobody


class _LoggedChangeList(ChangeList):
    """Hands the page's rows to the admin once they are loaded (access log, figures)."""

    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        self.result_list = list(self.result_list)
        self.model_admin.rows_loaded(request, self.result_list)  # type: ignore[attr-defined]


class PatientDataAdmin(admin.ModelAdmin):
    """Scoped querysets (others' objects 404) and access logging for patient data."""

    # The access-log action is "admin.<resource>.<list|view|history>".
    resource: ClassVar[str] = ""
    patient_attr: ClassVar[str] = "patient_id"
    show_full_result_count = False  # one COUNT(*) per page instead of two

    def get_object(
        self, request: HttpRequest, object_id: str, from_field: str | None = None
    ) -> Any:
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            # Unknown, malformed or outside the caller's care: the same 404 (the
            # admin's default is a redirect saying the object does not exist).
            raise Http404(NOT_FOUND)
        return obj

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return _LoggedChangeList

    def record_read(
        self, request: HttpRequest, patient_ids: Iterable[Any], what: str
    ) -> None:
        """One access-log entry per patient (one INSERT); own data is never logged."""
        access_log_record_many(
            actor=request.user,
            patient_ids=patient_ids,
            action=f"admin.{self.resource}.{what}",
            path=request.get_full_path(),
        )

    def rows_loaded(self, request: HttpRequest, rows: Sequence[Any]) -> None:
        """Called with the changelist page's rows: logs a read of each patient shown."""
        self.record_read(
            request, [getattr(row, self.patient_attr) for row in rows], "list"
        )

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Any = None,
    ) -> HttpResponse:
        if obj is not None:
            self.record_read(request, [getattr(obj, self.patient_attr)], "view")
        return super().render_change_form(request, context, add, change, form_url, obj)


# ---------------------------------------------------------------------------
# Patients
# ---------------------------------------------------------------------------
@admin.register(Patient)
class PatientAdmin(PatientDataAdmin):
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
        visible = patient_list(user=request.user)
        queryset = Patient.objects.filter(pk__in=Subquery(visible.values("pk")))
        return annotate_recent_activity(queryset)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # accounts are created by patients or by admins on the user page

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

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
        return ", ".join(_person(link.clinician) for link in links) or EMPTY

    @admin.display(description="last session", ordering="last_session_at")
    def last_session(self, obj: Patient) -> str:
        return _local(getattr(obj, "last_session_at", None), obj.timezone)

    @admin.display(description="recent pain after", ordering="recent_pain_after")
    def recent_pain(self, obj: Patient) -> str:
        """Mean pain after (0-10) of the last 5 sessions that recorded it."""
        value = getattr(obj, "recent_pain_after", None)
        return EMPTY if value is None else f"{float(value):.1f} / 10"

    @admin.display(description="adherence (4 weeks)")
    def adherence(self, obj: Patient) -> str:
        if not hasattr(obj, "adherence_last_4_weeks"):  # the view page: one patient
            obj.adherence_last_4_weeks = adherence_recent(patients=[obj])[obj.pk]  # type: ignore[attr-defined]
        value = obj.adherence_last_4_weeks  # type: ignore[attr-defined]
        return NOTHING_SCHEDULED if value is None else f"{round(value * 100)} %"

    @admin.display(description="plans")
    def plans_link(self, obj: Patient) -> str:
        links = [format_html('<a href="{}">plans</a>', _changelist_url(Plan, obj.pk))]
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
            '<a href="{}">session logs</a>', _changelist_url(Session, obj.pk)
        )


# ---------------------------------------------------------------------------
# Plans
# ---------------------------------------------------------------------------
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


class _ScheduleForm(forms.ModelForm):
    """Checks the schedule with the service's own rule (days XOR times per week)."""

    days_of_week = WeekdaysField(
        label="Days of week",
        help_text="Either tick the days, or give a number of times per week.",
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
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


class PlanItemForm(DosageForm):
    """The dosage of one plan item: exactly one of reps, steps and seconds."""

    amount_required = True

    class Meta:
        model = PlanItem
        fields = ADJUSTABLE_ITEM_FIELDS


class PlanItemInline(admin.TabularInline):
    """This patient's dosage of each exercise (copied from the routine, adjustable)."""

    model = PlanItem
    form = PlanItemForm
    fields = ("order", "exercise_name", "block", *ADJUSTABLE_ITEM_FIELDS)
    readonly_fields = ("order", "exercise_name", "block")
    extra = 0
    can_delete = False
    verbose_name = "exercise"
    verbose_name_plural = "exercises and this patient's dosage"

    def get_queryset(self, request: HttpRequest) -> QuerySet[PlanItem]:
        return super().get_queryset(request).select_related("exercise")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the items are the routine's, copied at prescription

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.status == Plan.Status.ENDED:
            return False
        return super().has_change_permission(request, obj)

    @admin.display(description="exercise")
    def exercise_name(self, obj: PlanItem) -> str:
        return obj.exercise.name


@admin.register(Plan)
class PlanAdmin(PatientDataAdmin, SimpleHistoryAdmin):
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
        return plan_visible(user=request.user).select_related(
            "patient", "prescribed_by", "routine"
        )

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.add_fieldsets if obj is None else self.change_fieldsets

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return () if obj is None else self.change_readonly_fields

    def get_inlines(self, request: HttpRequest, obj: Any) -> Any:
        return () if obj is None else (PlanItemInline,)

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        kwargs["form"] = PlanAddForm if obj is None else PlanChangeForm
        return super().get_form(request, obj, change, **kwargs)

    def formfield_for_foreignkey(
        self, db_field: Any, request: HttpRequest, **kwargs: Any
    ) -> Any:
        if db_field.name == "patient":
            kwargs["queryset"] = patient_list(user=request.user).order_by(
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
            prescriber=request.user,
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
        items: list[dict[str, Any]] = []
        for formset in formsets:
            changed = []
            for item_form in formset.forms:
                if item_form.instance.pk and item_form.has_changed():
                    items.append(
                        {
                            "id": item_form.instance.pk,
                            **{
                                field: item_form.cleaned_data.get(field)
                                for field in ADJUSTABLE_ITEM_FIELDS
                            },
                        }
                    )
                    changed.append((item_form.instance, item_form.changed_data))
            # What construct_change_message() reads (formset.save() is not used).
            formset.new_objects, formset.changed_objects = [], changed
            formset.deleted_objects = []
        if changes or items:
            plan_update(
                plan=form.instance,
                actor=request.user,
                changes=changes,
                items=items,
            )

    # -- changelist actions ----------------------------------------------------------
    def _set_status(
        self, request: HttpRequest, queryset: QuerySet[Plan], status: str, done: str
    ) -> None:
        changed = 0
        for plan in queryset:
            try:
                plan_update(plan=plan, actor=request.user, changes={"status": status})
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
    def history_view(
        self,
        request: HttpRequest,
        object_id: str,
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        # simple-history falls back to the history rows when the scoped queryset has
        # no such plan: check the scope first.
        plan = self.get_object(request, unquote(object_id))
        self.record_read(request, [plan.patient_id], "history")
        extra_context = dict(extra_context or {})
        user_opts = get_user_model()._meta
        if not request.user.has_perm(
            f"{user_opts.app_label}.view_{user_opts.model_name}"
        ):
            # "Changed by" links to user pages that clinicians may not open: an
            # unresolvable URL name makes the template show the name only.
            extra_context["admin_user_view"] = ""
        return super().history_view(request, object_id, extra_context)

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
        return _patient_link(obj.patient)

    @admin.display(description="prescribed by")
    def prescribed_by_display(self, obj: Plan) -> str:
        # Plain text: clinicians may not open user pages.
        return _person(obj.prescribed_by)

    @admin.display(description="schedule")
    def schedule(self, obj: Plan) -> str:
        return _schedule(obj)

    @admin.display(description="dosage changes (newest first)")
    def dosage_history(self, obj: Plan) -> str:
        records = (
            PlanItem.history.filter(plan_id=obj.pk)  # type: ignore[attr-defined]
            .select_related("exercise", "history_user")
            .order_by("-history_date", "-history_id")[:DOSAGE_HISTORY_ROWS]
        )
        rows = [
            (
                _local(record.history_date, obj.patient.timezone),
                _person(record.history_user),
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


# ---------------------------------------------------------------------------
# Session logs (read-only: the patient's words)
# ---------------------------------------------------------------------------
class SessionExerciseInline(admin.TabularInline):
    model = SessionExercise
    fields = ("order", "exercise_name", "status", "pain_during", "notes", "sets")
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name = "exercise"
    verbose_name_plural = "exercises and sets"

    def get_queryset(self, request: HttpRequest) -> QuerySet[SessionExercise]:
        return (
            super()
            .get_queryset(request)
            .select_related("exercise", "plan_item")
            .prefetch_related("sets")
        )

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="exercise")
    def exercise_name(self, obj: SessionExercise) -> str:
        return obj.exercise.name

    @admin.display(description="sets")
    def sets(self, obj: SessionExercise) -> str:
        unit = "steps" if obj.plan_item and obj.plan_item.steps else "reps"
        rows = [(_set_text(entry, unit),) for entry in obj.sets.all()]
        if not rows:
            return EMPTY
        return format_html("<ol>{}</ol>", format_html_join("", "<li>{}</li>", rows))


def _set_text(entry: SessionSet, unit: str) -> str:
    """ "right: 5 steps, light band" (and "not completed" when so)."""
    amounts = []
    if entry.reps is not None:
        amounts.append(f"{entry.reps} {unit}")
    if entry.seconds is not None:
        amounts.append(f"{entry.seconds} s")
    if entry.load:
        amounts.append(entry.load)
    if not entry.completed:
        amounts.append("not completed")
    text = ", ".join(amounts) or EMPTY
    if entry.side != SessionSet.Side.BOTH:
        text = f"{entry.get_side_display().lower()}: {text}"
    return text


@admin.register(Session)
class SessionAdmin(PatientDataAdmin):
    resource = "sessions"
    list_display = (
        "started",
        "patient_display",
        "plan_display",
        "duration",
        "pain_before",
        "pain_after",
        "effort",
        "exercise_summary",
    )
    list_filter = (PatientListFilter, ("started_at", DateFieldListFilter))
    ordering = ("-started_at",)
    fields = (
        "patient_display",
        "plan_display",
        "started",
        "ended",
        "duration",
        "pain_before",
        "pain_after",
        "effort",
        "notes",
        "version",
        "updated_at",
    )
    readonly_fields = fields
    inlines = (SessionExerciseInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Session]:
        # session_list(): the caller's scope, live sessions only (tombstones hidden).
        status = SessionExercise.Status
        return (
            session_list(user=request.user)
            .prefetch_related(None)  # the API's children: the inline loads its own
            .select_related("patient", "plan")
            .annotate(
                done_count=Count("exercises", filter=Q(exercises__status=status.DONE)),
                partial_count=Count(
                    "exercises", filter=Q(exercises__status=status.PARTIAL)
                ),
                skipped_count=Count(
                    "exercises", filter=Q(exercises__status=status.SKIPPED)
                ),
            )
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="started (patient's time)", ordering="started_at")
    def started(self, obj: Session) -> str:
        return _local(obj.started_at, obj.patient.timezone)

    @admin.display(description="ended (patient's time)")
    def ended(self, obj: Session) -> str:
        return _local(obj.ended_at, obj.patient.timezone)

    @admin.display(description="duration")
    def duration(self, obj: Session) -> str:
        if obj.ended_at is None:
            return EMPTY
        minutes = round((obj.ended_at - obj.started_at).total_seconds() / 60)
        return f"{minutes} min"

    @admin.display(description="patient", ordering="patient__name")
    def patient_display(self, obj: Session) -> str:
        return _patient_link(obj.patient)

    @admin.display(description="plan")
    def plan_display(self, obj: Session) -> str:
        if obj.plan is None:
            return EMPTY
        url = reverse("admin:training_sessions_plan_change", args=[obj.plan.pk])
        return format_html('<a href="{}">{}</a>', url, obj.plan.title)

    @admin.display(description="exercises")
    def exercise_summary(self, obj: Session) -> str:
        counts = (
            (getattr(obj, "done_count", 0), "done"),
            (getattr(obj, "partial_count", 0), "partial"),
            (getattr(obj, "skipped_count", 0), "skipped"),
        )
        return " · ".join(f"{n} {label}" for n, label in counts if n) or EMPTY
