"""The review workflow in the admin: ``ReviewableAdmin``, the base of the exercise and
routine admins. Its changelist actions and change-form buttons are generated from the
workflow table (exercises.services.TRANSITIONS) and run its services."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, ClassVar, cast

from adminsortable2.admin import SortableAdminBase
from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import quote, unquote
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch, QuerySet
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.urls import URLPattern, path, reverse

from common.admin import HistoryAdmin, staff_user, user_label
from common.models import Reviewable, Status
from exercises import services
from exercises.revisions import REVISABLE_FIELDS
from exercises.selectors import content_visible
from exercises.services import TRANSITIONS, Transition, Who
from exercises.services.authoring import revision_from_edit

if TYPE_CHECKING:
    pass

PROPOSED = (
    "Saved as a pending revision: patients and the public see the published version "
    "until a second clinician approves it (Edits waiting for review)."
)
GOVERNED_NOTE = (
    "Published: your edits of the fields below are saved as a revision that a second "
    "clinician approves; instructions, media, links and items change on a draft."
)
AWAITING_OTHER_REVIEWER = (
    "You submitted this for review: another clinician or an admin must publish it."
)
MAX_NAMES_SHOWN = 10  # in the success message of an action

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

ActionFunction = Callable[[Any, HttpRequest, QuerySet[Any]], None]


def _workflow_action(transition: Transition) -> ActionFunction:
    """The changelist action "<name>_selected" of one row of the workflow table."""

    def action(
        model_admin: ReviewableAdmin, request: HttpRequest, queryset: QuerySet[Any]
    ) -> None:
        model_admin.apply_transition(request, queryset, transition)

    action.__name__ = f"{transition.name}_selected"
    # Offered to those who may change the content, or publish it (the service still
    # refuses one's own submission, with a message).
    permission = "change" if transition.who == Who.EDITOR else "publish"
    return admin.action(description=transition.action, permissions=[permission])(action)


class GovernedInlineMixin:
    """Inline rows of published content are read-only (they change on a draft)."""

    def _open(self, obj: Any) -> bool:
        return obj is None or obj.status != Status.PUBLISHED

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._open(obj) and super().has_add_permission(request, obj)  # type: ignore[misc]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._open(obj) and super().has_change_permission(request, obj)  # type: ignore[misc]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._open(obj) and super().has_delete_permission(request, obj)  # type: ignore[misc]


class _PrefetchingChangeList(ChangeList):
    """Adds the admin's ``list_prefetch_related`` to the changelist rows only (not to
    the change form or the autocomplete, which share ``get_queryset``)."""

    def get_queryset(
        self, request: HttpRequest, exclude_parameters: Any = None
    ) -> QuerySet[Any]:
        queryset = super().get_queryset(request, exclude_parameters)
        model_admin = cast(
            "ReviewableAdmin", self.model_admin
        )  # only ReviewableAdmin uses it
        return queryset.prefetch_related(*model_admin.list_prefetch_related)


class ReviewableAdmin(SortableAdminBase, HistoryAdmin):
    """Shared by exercises and routines: workflow actions and buttons, read-only
    workflow fields, author on create, and the "what changed" history."""

    change_form_template = "admin/exercises/reviewable_change_form.html"
    actions = tuple(_workflow_action(transition) for transition in TRANSITIONS.values())
    readonly_fields: tuple[str, ...] = WORKFLOW_READONLY
    show_full_result_count = False  # one COUNT(*) per page instead of two
    save_on_top = True
    list_prefetch_related: ClassVar[tuple[str | Prefetch, ...]] = ()

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        # The change form shows who wrote, submitted and reviewed: one join each
        # instead of one query each. Other clinicians' private drafts are not shown.
        rows = (
            super()
            .get_queryset(request)
            .select_related("author", "submitted_by", "reviewed_by")
        )
        return content_visible(rows, staff_user(request))

    def get_prepopulated_fields(
        self, request: HttpRequest, obj: Any = None
    ) -> dict[str, Any]:
        if obj is not None and obj.status == Status.PUBLISHED:
            return {}  # the slug is read-only once published
        return dict(super().get_prepopulated_fields(request, obj))

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        """Published content: only the revisable fields stay editable (a revision);
        ``private``: only its author (or an admin) sets it."""
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is None:
            return readonly
        if obj.status == Status.PUBLISHED:
            revisable = set(REVISABLE_FIELDS[type(obj)])
            form_fields = admin.utils.flatten_fieldsets(
                super().get_fieldsets(request, obj)
            )
            return readonly + [
                f for f in form_fields if f not in revisable and f not in readonly
            ]
        if obj.author_id != request.user.pk and not request.user.is_superuser:
            readonly.append("private")
        return readonly

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return _PrefetchingChangeList

    def save_model(
        self, request: HttpRequest, obj: Any, form: forms.ModelForm, change: bool
    ) -> None:
        if not change:
            obj.author = request.user
        if change and obj.status == Status.PUBLISHED:
            # Governed content: the edit waits for a second clinician (same id).
            changes = {f: form.cleaned_data[f] for f in form.changed_data}
            stored = type(obj).objects.get(pk=obj.pk)
            try:
                revision_from_edit(
                    content=stored, user=staff_user(request), data=changes
                )
            except ValidationError as exc:
                self.message_user(request, "; ".join(exc.messages), messages.WARNING)
            else:
                self.message_user(request, PROPOSED, messages.SUCCESS)
            request._governed = True  # type: ignore[attr-defined]
            return
        super().save_model(request, obj, form, change)

    def save_related(
        self,
        request: HttpRequest,
        form: forms.ModelForm,
        formsets: Any,
        change: bool,
    ) -> None:
        if getattr(request, "_governed", False):
            # Published: relations and inlines are read-only here; nothing is saved
            # (what construct_change_message() reads, as formset.save() would set it).
            for formset in formsets:
                formset.new_objects, formset.changed_objects = [], []
                formset.deleted_objects = []
            return
        super().save_related(request, form, formsets, change)

    def response_change(self, request: HttpRequest, obj: Any) -> HttpResponse:
        if getattr(request, "_governed", False):
            # Not "changed successfully": the published content is as it was.
            return HttpResponseRedirect(self._url("change", quote(obj.pk)))
        return super().response_change(request, obj)

    # -- read-only workflow fields -------------------------------------------------
    # Plain text, not links: clinicians may not open user pages.
    @admin.display(description="author")
    def author_display(self, obj: Reviewable) -> str:
        return user_label(obj.author)

    @admin.display(description="submitted by")
    def submitted_by_display(self, obj: Reviewable) -> str:
        return user_label(obj.submitted_by)

    @admin.display(description="reviewed by")
    def reviewed_by_display(self, obj: Reviewable) -> str:
        return user_label(obj.reviewed_by)

    # -- workflow --------------------------------------------------------------------
    def has_publish_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(services.publish_permission(self.model))

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
            try:
                services.content_transition(
                    content=obj, user=staff_user(request), transition=transition
                )
            except services.WorkflowError as exc:
                self.message_user(
                    request,
                    f"Could not {transition.label.lower()} “{obj}”: {exc}",
                    messages.ERROR,
                )
            else:
                done.append(obj)
        if done:
            names = ", ".join(f"“{obj}”" for obj in done[:MAX_NAMES_SHOWN])
            if len(done) > MAX_NAMES_SHOWN:
                names += f" and {len(done) - MAX_NAMES_SHOWN} more"
            self.message_user(request, f"{transition.done}: {names}.", messages.SUCCESS)

    def available_transitions(
        self, request: HttpRequest, obj: Reviewable
    ) -> list[Transition]:
        """The transitions the change form offers ``request.user`` for ``obj`` now."""
        if not self.has_change_permission(request, obj):
            return []
        user = staff_user(request)
        return [
            transition
            for transition in TRANSITIONS.values()
            if services.transition_allowed(
                transition=transition, content=obj, user=user
            )
        ]

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
        return HttpResponseRedirect(self._url("change", quote(obj.pk)))

    def _url(self, view: str, *args: Any) -> str:
        opts = self.opts
        return reverse(
            f"admin:{opts.app_label}_{opts.model_name}_{view}",
            args=args,
            current_app=self.admin_site.name,
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
            context["workflow_buttons"] = [
                {
                    "label": transition.label,
                    "url": self._url("workflow", quote(obj.pk), transition.name),
                }
                for transition in self.available_transitions(request, obj)
            ]
            context["workflow_status"] = obj.get_status_display()
            if obj.status == Status.PUBLISHED:
                context["workflow_note"] = GOVERNED_NOTE
            if (
                obj.status == Status.IN_REVIEW
                and obj.submitted_by_id == request.user.pk
                and not request.user.is_superuser
            ):
                context["workflow_note"] = AWAITING_OTHER_REVIEWER
        return super().render_change_form(request, context, add, change, form_url, obj)
