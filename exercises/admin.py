"""Admin for the clinician-curated library: taxonomies, exercises and routine templates.

Clinicians (staff in the "Clinicians" group) curate here and see every status; only
published content is public (the API scopes that). The status changes only through the
workflow services (exercises.services), from the changelist actions or the buttons on
the change form. django-simple-history records every edit with its user; the history
page lists what changed in each record.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from adminsortable2.admin import SortableAdminBase, SortableTabularInline
from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import quote, unquote
from django.contrib.admin.views.main import ChangeList
from django.contrib.auth import get_user_model
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.db import models
from django.db.models import Prefetch, QuerySet
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from simple_history.admin import SimpleHistoryAdmin
from simple_history.models import ModelChange, ModelDelta
from simple_history.template_utils import HistoricalRecordContextHelper
from simple_history.utils import get_m2m_reverse_field_name

from common.models import Reviewable, Status
from exercises import services
from exercises.models import (
    Condition,
    Equipment,
    Exercise,
    ExerciseInstruction,
    ExerciseLink,
    ExerciseMedia,
    Muscle,
    Routine,
    RoutineItem,
)

if TYPE_CHECKING:
    from users.models import User

AT_MOST_ONE_AMOUNT = "Give at most one of reps, steps and seconds."
EXACTLY_ONE_AMOUNT = "Give one of reps, steps and seconds."
LINK_TO_SELF = "An exercise cannot link to itself."
AWAITING_OTHER_REVIEWER = (
    "You submitted this for review: another clinician or an admin must publish it."
)
EMPTY = "-"  # as the admin shows empty values
AMOUNT_FIELDS = ("reps", "steps", "seconds")
DOSAGE_NUMBER_FIELDS = ("sets", *AMOUNT_FIELDS, "hold_seconds", "rest_seconds")
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


def publish_permission(model: type[models.Model]) -> str:
    """The permission that lets a user review, publish and archive ``model``'s content."""
    return f"{model._meta.app_label}.publish_{model._meta.model_name}"


# ---------------------------------------------------------------------------
# Taxonomies (their search_fields also serve the exercise form's autocompletes)
# ---------------------------------------------------------------------------
@admin.register(Muscle)
class MuscleAdmin(admin.ModelAdmin):
    list_display = ("name", "body_region", "slug")
    list_filter = ("body_region",)
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Equipment)
class EquipmentAdmin(admin.ModelAdmin):
    list_display = ("name", "slug")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Condition)
class ConditionAdmin(admin.ModelAdmin):
    list_display = ("name", "slug")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}


# ---------------------------------------------------------------------------
# Forms
# ---------------------------------------------------------------------------
class DosageForm(forms.ModelForm):
    """Checks the reps/steps/seconds rule with a readable message.

    The database check constraint enforces the same rule; the form says it first, on
    the fields concerned, instead of the constraint's generic "violated" message.
    """

    amount_required: ClassVar[bool] = False

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        given = [name for name in AMOUNT_FIELDS if cleaned.get(name) is not None]
        if len(given) > 1:
            message = EXACTLY_ONE_AMOUNT if self.amount_required else AT_MOST_ONE_AMOUNT
            for name in given:
                self.add_error(name, message)
        elif not given and self.amount_required:
            self.add_error(None, EXACTLY_ONE_AMOUNT)
        return cleaned


class RoutineItemForm(DosageForm):
    amount_required = True


class ExerciseLinkForm(forms.ModelForm):
    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        target = cleaned.get("target")
        if target is not None and target.pk == self.instance.exercise_id:
            self.add_error("target", LINK_TO_SELF)
        return cleaned


# ---------------------------------------------------------------------------
# The review workflow: changelist actions and change-form buttons
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Transition:
    name: str  # the URL segment of the change-form button
    label: str  # the button
    verb: str  # "Could not <verb> ..."
    done: str  # "<done>: ..."
    source: str  # the status it starts from
    service: Callable[..., Reviewable]
    needs_reviewer: bool = False  # publish permission, and not one's own submission
    needs_publish_permission: bool = False


TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in (
        Transition(
            "submit",
            "Submit for review",
            "submit",
            "Submitted for review",
            Status.DRAFT,
            services.content_submit,
        ),
        Transition(
            "publish",
            "Publish",
            "publish",
            "Published",
            Status.IN_REVIEW,
            services.content_publish,
            needs_reviewer=True,
        ),
        Transition(
            "reject",
            "Send back to draft",
            "send back to draft",
            "Sent back to draft",
            Status.IN_REVIEW,
            services.content_reject,
            needs_reviewer=True,
        ),
        Transition(
            "archive",
            "Archive",
            "archive",
            "Archived",
            Status.PUBLISHED,
            services.content_archive,
            needs_publish_permission=True,
        ),
        Transition(
            "restore",
            "Restore to draft",
            "restore",
            "Restored to draft",
            Status.ARCHIVED,
            services.content_restore,
        ),
    )
}

WORKFLOW_FIELDS = (
    "status",
    "author_display",
    ("submitted_by_display", "submitted_at"),
    ("reviewed_by_display", "reviewed_at"),
    "published_at",
    ("created_at", "updated_at"),
)
WORKFLOW_READONLY = (
    "status",
    "author_display",
    "submitted_by_display",
    "submitted_at",
    "reviewed_by_display",
    "reviewed_at",
    "published_at",
    "created_at",
    "updated_at",
)


class _PrefetchingChangeList(ChangeList):
    """Adds the admin's ``list_prefetch_related`` to the changelist rows only (not to
    the change form or the autocomplete, which share ``get_queryset``)."""

    def get_queryset(
        self, request: HttpRequest, exclude_parameters: Any = None
    ) -> QuerySet[Any]:
        queryset = super().get_queryset(request, exclude_parameters)
        return queryset.prefetch_related(*self.model_admin.list_prefetch_related)


class _ChangesContextHelper(HistoricalRecordContextHelper):
    """Shows choice labels, names and local dates in the history "Changes" column."""

    def prepare_delta_change_value(self, change: ModelChange, value: Any) -> Any:
        field = self.model._meta.get_field(change.field)
        if field.many_to_many:
            return super().prepare_delta_change_value(change, value)
        if value is None or value == "":
            return EMPTY
        if field.choices:
            return dict(field.flatchoices).get(value, value)
        if isinstance(value, bool):
            return "Yes" if value else "No"
        if isinstance(value, datetime):
            return date_format(timezone.localtime(value), "DATETIME_FORMAT")
        return value


class ReviewableAdmin(SortableAdminBase, SimpleHistoryAdmin):
    """Shared by exercises and routines: workflow actions and buttons, read-only
    workflow fields, author on create, and an efficient "what changed" history."""

    change_form_template = "admin/exercises/reviewable_change_form.html"
    actions = (
        "submit_selected",
        "publish_selected",
        "reject_selected",
        "archive_selected",
        "restore_selected",
    )
    readonly_fields = WORKFLOW_READONLY
    show_full_result_count = False  # one COUNT(*) per page instead of two
    save_on_top = True
    list_prefetch_related: ClassVar[tuple[str | Prefetch, ...]] = ()
    # Bookkeeping that changes on every save: not worth a line in "Changes".
    history_diff_exclude: ClassVar[frozenset[str]] = frozenset(
        {"created_at", "updated_at"}
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        # The change form shows who wrote, submitted and reviewed: one join each
        # instead of one query each.
        return (
            super()
            .get_queryset(request)
            .select_related("author", "submitted_by", "reviewed_by")
        )

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return _PrefetchingChangeList

    def save_model(
        self, request: HttpRequest, obj: Any, form: forms.ModelForm, change: bool
    ) -> None:
        if not change:
            obj.author = request.user
        super().save_model(request, obj, form, change)

    # -- read-only workflow fields -------------------------------------------------
    # Plain text, not links: clinicians may not open user pages.
    @admin.display(description="author")
    def author_display(self, obj: Reviewable) -> str:
        return _user_label(obj.author)

    @admin.display(description="submitted by")
    def submitted_by_display(self, obj: Reviewable) -> str:
        return _user_label(obj.submitted_by)

    @admin.display(description="reviewed by")
    def reviewed_by_display(self, obj: Reviewable) -> str:
        return _user_label(obj.reviewed_by)

    # -- workflow --------------------------------------------------------------------
    def has_publish_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(publish_permission(self.model))

    @admin.action(
        description="Submit selected %(verbose_name_plural)s for review",
        permissions=["change"],
    )
    def submit_selected(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        self.apply_transition(request, queryset, TRANSITIONS["submit"])

    @admin.action(
        description="Publish selected %(verbose_name_plural)s",
        permissions=["publish"],
    )
    def publish_selected(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        self.apply_transition(request, queryset, TRANSITIONS["publish"])

    @admin.action(
        description="Send selected %(verbose_name_plural)s back to draft",
        permissions=["publish"],
    )
    def reject_selected(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        self.apply_transition(request, queryset, TRANSITIONS["reject"])

    @admin.action(
        description="Archive selected %(verbose_name_plural)s",
        permissions=["publish"],
    )
    def archive_selected(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        self.apply_transition(request, queryset, TRANSITIONS["archive"])

    @admin.action(
        description="Restore selected %(verbose_name_plural)s to draft",
        permissions=["change"],
    )
    def restore_selected(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        self.apply_transition(request, queryset, TRANSITIONS["restore"])

    def apply_transition(
        self,
        request: HttpRequest,
        objects: Iterable[Reviewable],
        transition: Transition,
    ) -> None:
        """Run ``transition`` on each object; one error message per refusal, one
        success message naming the objects that changed."""
        done: list[Reviewable] = []
        for obj in objects:
            obj._history_user = request.user  # type: ignore[attr-defined]
            try:
                transition.service(content=obj, user=request.user)
            except services.WorkflowError as exc:
                self.message_user(
                    request,
                    f"Could not {transition.verb} “{obj}”: {exc}",
                    messages.ERROR,
                )
            else:
                done.append(obj)
        if done:
            names = ", ".join(f"“{obj}”" for obj in done[:10])
            if len(done) > 10:
                names += f" and {len(done) - 10} more"
            self.message_user(request, f"{transition.done}: {names}.", messages.SUCCESS)

    def available_transitions(
        self, request: HttpRequest, obj: Reviewable
    ) -> list[Transition]:
        """The transitions the change form offers ``request.user`` for ``obj`` now."""
        if not self.has_change_permission(request, obj):
            return []
        user: User = request.user  # type: ignore[assignment]
        available = []
        for transition in TRANSITIONS.values():
            if transition.source != obj.status:
                continue
            if transition.needs_reviewer and not services.can_review(
                content=obj, user=user
            ):
                continue
            if transition.needs_publish_permission and not self.has_publish_permission(
                request
            ):
                continue
            available.append(transition)
        return available

    def get_urls(self) -> list[URLPattern]:
        opts = self.model._meta
        urls = [
            path(
                "<path:object_id>/workflow/<slug:transition>/",
                self.admin_site.admin_view(self.workflow_view),
                name=f"{opts.app_label}_{opts.model_name}_workflow",
            )
        ]
        # Before the defaults: their "<path:object_id>/" would swallow this URL.
        return urls + super().get_urls()

    def workflow_view(
        self, request: HttpRequest, object_id: str, transition: str
    ) -> HttpResponse:
        """POST from a change-form button: run one transition, then back to the form."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if transition not in TRANSITIONS:
            raise Http404("Unknown workflow transition.")
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404(f"No {self.opts.verbose_name} with this id.")
        if not self.has_change_permission(request, obj):
            raise PermissionDenied
        self.apply_transition(request, [obj], TRANSITIONS[transition])
        opts = self.opts
        return HttpResponseRedirect(
            reverse(
                f"admin:{opts.app_label}_{opts.model_name}_change",
                args=[quote(obj.pk)],
                current_app=self.admin_site.name,
            )
        )

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        fieldsets = list(super().get_fieldsets(request, obj))
        if obj is None:  # nothing to show before the first save
            return [fs for fs in fieldsets if fs[0] != "Workflow"]
        return fieldsets

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Any = None,
    ) -> HttpResponse:
        if obj is not None and change:
            opts = self.opts
            context["workflow_buttons"] = [
                {
                    "label": transition.label,
                    "url": reverse(
                        f"admin:{opts.app_label}_{opts.model_name}_workflow",
                        args=[quote(obj.pk), transition.name],
                        current_app=self.admin_site.name,
                    ),
                }
                for transition in self.available_transitions(request, obj)
            ]
            context["workflow_status"] = obj.get_status_display()
            if (
                obj.status == Status.IN_REVIEW
                and obj.submitted_by_id == request.user.pk
                and not request.user.is_superuser
            ):
                context["workflow_note"] = AWAITING_OTHER_REVIEWER
        return super().render_change_form(request, context, add, change, form_url, obj)

    # -- history: "what changed" without a query per record -------------------------
    def history_view(
        self,
        request: HttpRequest,
        object_id: str,
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        extra_context = dict(extra_context or {})
        user_opts = get_user_model()._meta
        if not request.user.has_perm(
            f"{user_opts.app_label}.view_{user_opts.model_name}"
        ):
            # "Changed by" links to the user's admin page; clinicians may not open it,
            # so an unresolvable URL name makes the template show the name only.
            extra_context["admin_user_view"] = ""
        return super().history_view(request, object_id, extra_context)

    def get_historical_record_context_helper(
        self, request: HttpRequest, historical_record: Any
    ) -> HistoricalRecordContextHelper:
        return _ChangesContextHelper(self.model, historical_record)

    def set_history_delta_changes(
        self,
        request: HttpRequest,
        historical_records: Iterable[Any],
        foreign_keys_are_objs: bool = True,
    ) -> None:
        """Set ``history_delta_changes`` on each record of the page but the oldest.

        Replaces simple-history's per-record ``diff_against`` (two queries per
        many-to-many field per record, and blind to non-editable fields such as
        ``status``) with one query per many-to-many field for the whole page.
        """
        records = list(historical_records)
        if len(records) < 2:
            return
        history_model = type(records[0])
        pk_name = self.model._meta.pk.name
        fields = [
            field
            for field in history_model.tracked_fields
            if field.name not in self.history_diff_exclude and field.name != pk_name
        ]
        m2m_fields = sorted(history_model._history_m2m_fields, key=lambda f: f.name)
        m2m_values = _m2m_snapshots(history_model, m2m_fields, records)
        # Records come newest first: each is diffed against the one before it in time.
        for newer, older in itertools.pairwise(records):
            changes = []
            for field in fields:
                old = getattr(older, field.attname)
                new = getattr(newer, field.attname)
                if old == new:
                    continue
                if field.is_relation:
                    old = _related_or_id(older, field, old)
                    new = _related_or_id(newer, field, new)
                changes.append(ModelChange(field.name, old, new))
            for field in m2m_fields:
                target = get_m2m_reverse_field_name(field)
                old_rows = m2m_values[field.name].get(older.history_id, [])
                new_rows = m2m_values[field.name].get(newer.history_id, [])
                if {pk for pk, _ in old_rows} != {pk for pk, _ in new_rows}:
                    changes.append(
                        ModelChange(
                            field.name,
                            [{target: label} for _, label in old_rows],
                            [{target: label} for _, label in new_rows],
                        )
                    )
            helper = self.get_historical_record_context_helper(request, newer)
            delta = ModelDelta(changes, [c.field for c in changes], older, newer)
            newer.history_delta_changes = helper.context_for_delta_changes(delta)


def _user_label(user: User | None) -> str:
    if user is None:
        return EMPTY
    return f"{user.name} <{user.email}>" if user.name else user.email


def _related_or_id(record: Any, field: models.Field, raw: Any) -> Any:
    """The related object of a history FK (select_related by simple-history), or a
    note when it has since been deleted."""
    if raw is None:
        return None
    try:
        related = getattr(record, field.name)
    except ObjectDoesNotExist:
        related = None
    return related if related is not None else f"deleted ({raw})"


def _m2m_snapshots(
    history_model: type[models.Model],
    m2m_fields: list[models.ManyToManyField],
    records: list[Any],
) -> dict[str, dict[int, list[tuple[Any, str]]]]:
    """For each tracked many-to-many field, the (pk, label) pairs each record saw,
    sorted by label; one query per field."""
    history_ids = [record.history_id for record in records]
    snapshots: dict[str, dict[int, list[tuple[Any, str]]]] = {}
    for field in m2m_fields:
        m2m_model = getattr(history_model, field.name).model
        target = get_m2m_reverse_field_name(field)
        rows = m2m_model.objects.filter(history_id__in=history_ids).select_related(
            target
        )
        by_record: dict[int, list[tuple[Any, str]]] = defaultdict(list)
        for row in rows:
            target_id = getattr(row, f"{target}_id")
            related = getattr(row, target)
            label = str(related) if related is not None else f"deleted ({target_id})"
            by_record[row.history_id].append((target_id, label))
        for pairs in by_record.values():
            pairs.sort(key=lambda pair: pair[1])
        snapshots[field.name] = by_record
    return snapshots


# ---------------------------------------------------------------------------
# Exercises
# ---------------------------------------------------------------------------
class ExerciseInstructionInline(SortableTabularInline):
    model = ExerciseInstruction
    fields = ("kind", "text")
    extra = 0
    verbose_name = "instruction"
    verbose_name_plural = "instructions (drag to reorder)"
    formfield_overrides = {
        models.TextField: {"widget": forms.Textarea(attrs={"rows": 2, "cols": 80})}
    }


class ExerciseMediaInline(SortableTabularInline):
    model = ExerciseMedia
    fields = ("kind", "url", "alt_text", "credit", "licence")
    extra = 0
    verbose_name_plural = "media (images and videos by URL)"
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


class ExerciseLinkInline(SortableTabularInline):
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
                    ("per_side", "hold_seconds", "rest_seconds"),
                    ("load", "tempo"),
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
        "difficulty",
        "laterality",
        "primary_muscle_names",
        "updated_at",
    )
    list_filter = (
        "status",
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


# ---------------------------------------------------------------------------
# Routines
# ---------------------------------------------------------------------------
class RoutineItemInline(SortableTabularInline):
    model = RoutineItem
    form = RoutineItemForm
    fields = (
        "exercise",
        "block",
        "sets",
        "reps",
        "steps",
        "seconds",
        "per_side",
        "hold_seconds",
        "rest_seconds",
        "load",
        "tempo",
        "note",
        "estimated",
    )
    readonly_fields = ("estimated",)
    autocomplete_fields = ("exercise",)
    extra = 0
    verbose_name = "item"
    verbose_name_plural = "items (drag to reorder)"

    def formfield_for_dbfield(
        self, db_field: models.Field, request: HttpRequest, **kwargs: Any
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
                    "estimated_duration",
                )
            },
        ),
        ("Workflow", {"fields": WORKFLOW_FIELDS}),
    )
    readonly_fields = ("estimated_duration", *WORKFLOW_READONLY)
    list_display = ("title", "status", "item_count", "estimated_duration", "updated_at")
    list_filter = ("status", "conditions")
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
                "sets",
                "reps",
                "steps",
                "seconds",
                "per_side",
                "hold_seconds",
                "rest_seconds",
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
