"""Session logs, read-only for everyone (superusers included): the patient's words.
Deleted sessions (tombstones) are not shown."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin import DateFieldListFilter
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from common.admin import EMPTY, ReadOnlyAdminMixin, staff_user
from sessions.admin.base import (
    PatientDataAdmin,
    PatientListFilter,
    local_time,
    patient_link,
)
from sessions.models import Session, SessionExercise, SessionSet
from sessions.selectors.logs import session_list


class SessionExerciseInline(
    ReadOnlyAdminMixin, admin.TabularInline[SessionExercise, Session]
):
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
class SessionAdmin(ReadOnlyAdminMixin, PatientDataAdmin):
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
            session_list(user=staff_user(request))
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

    @admin.display(description="started (patient's time)", ordering="started_at")
    def started(self, obj: Session) -> str:
        return local_time(obj.started_at, obj.patient.timezone)

    @admin.display(description="ended (patient's time)")
    def ended(self, obj: Session) -> str:
        return local_time(obj.ended_at, obj.patient.timezone)

    @admin.display(description="duration")
    def duration(self, obj: Session) -> str:
        if obj.ended_at is None:
            return EMPTY
        minutes = round((obj.ended_at - obj.started_at).total_seconds() / 60)
        return f"{minutes} min"

    @admin.display(description="patient", ordering="patient__name")
    def patient_display(self, obj: Session) -> str:
        return patient_link(obj.patient)

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
