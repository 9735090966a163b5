"""The review queue: pending revisions of published content, their diff, Approve / Reject.

The changelist opens on "waiting for my review" (others' pending proposals; admins: all):
``/admin/exercises/contentrevision/?awaiting=me`` is its stable URL (the filter's
default, so the bare changelist URL shows the same). A revision's page shows, field by
field, the published value and the proposed one, with Approve and Reject buttons that
call exercises.revisions. Revisions are never added, edited or deleted here: they are
proposed by editing published content (the exercise and routine pages, or the API).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import quote, unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q, QuerySet
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html, format_html_join

from common.admin import EMPTY, staff_user, user_label
from exercises.models import ContentRevision
from exercises.revisions import revision_approve, revision_diff, revision_reject

AWAITING_PARAMETER = "awaiting"
REVIEWS = {
    "approve": (revision_approve, "Approved"),
    "reject": (revision_reject, "Rejected"),
}


class AwaitingFilter(admin.SimpleListFilter):
    """``?awaiting=me`` (the default): pending revisions someone else proposed."""

    title = "queue"
    parameter_name = AWAITING_PARAMETER

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("me", "Waiting for my review"), ("all", "All revisions")]

    def choices(self, changelist: Any) -> Any:
        # No "All" entry of Django's own: "me" is the default, "all" says so.
        value = self.value() or "me"
        for lookup, title in self.lookup_choices:
            yield {
                "selected": value == lookup,
                "query_string": changelist.get_query_string(
                    {self.parameter_name: lookup}
                ),
                "display": title,
            }

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[ContentRevision]
    ) -> QuerySet[ContentRevision]:
        if (self.value() or "me") != "me":
            return queryset
        user = staff_user(request)
        waiting = queryset.filter(state=ContentRevision.State.PENDING)
        return waiting if user.is_superuser else waiting.filter(~Q(proposed_by=user))


@admin.register(ContentRevision)
class ContentRevisionAdmin(admin.ModelAdmin[ContentRevision]):
    change_form_template = "admin/exercises/contentrevision_change_form.html"
    list_display = (
        "content_name",
        "kind",
        "changed_fields",
        "proposed_by_display",
        "proposed_at",
        "state",
    )
    list_filter = (AwaitingFilter, "state")
    list_select_related = ("exercise", "routine", "proposed_by")
    fields = (
        "content_name",
        "kind",
        "state",
        "proposed_by_display",
        "proposed_at",
        "diff",
        "reviewed_by_display",
        "reviewed_at",
        "review_note",
    )
    readonly_fields = fields
    ordering = ("proposed_at", "id")
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[ContentRevision]:
        return (
            super()
            .get_queryset(request)
            .select_related("exercise", "routine", "proposed_by", "reviewed_by")
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # proposed by editing published content

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # reviewed with the buttons, never edited

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the record of who proposed and who reviewed stays

    # -- Approve / Reject -------------------------------------------------------------
    def get_urls(self) -> list[URLPattern]:
        urls = [
            path(
                "<path:object_id>/review/<slug:verdict>/",
                self.admin_site.admin_view(self.review_view),
                name="exercises_contentrevision_review",
            )
        ]
        return urls + super().get_urls()

    def review_view(
        self, request: HttpRequest, object_id: str, verdict: str
    ) -> HttpResponse:
        """POST from a button of the revision's page: approve or reject it."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if verdict not in REVIEWS:
            raise Http404("Unknown verdict.")
        revision = self.get_object(request, unquote(object_id))
        if revision is None or not self.has_view_permission(request, revision):
            raise Http404("No revision with this id.")
        service, done = REVIEWS[verdict]
        note = str(request.POST.get("note", ""))[:500]
        try:
            service(revision=revision, user=staff_user(request), note=note)
        except (PermissionDenied, ValidationError) as exc:
            reason = "; ".join(getattr(exc, "messages", [str(exc)]))
            self.message_user(request, f"Could not {verdict}: {reason}", messages.ERROR)
        else:
            self.message_user(
                request,
                f"{done}: the revision of “{revision.content}”.",
                messages.SUCCESS,
            )
        return HttpResponseRedirect(
            reverse("admin:exercises_contentrevision_change", args=[quote(revision.pk)])
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
        if obj is not None and obj.state == ContentRevision.State.PENDING:
            context["review_buttons"] = [
                {
                    "label": label,
                    "url": reverse(
                        "admin:exercises_contentrevision_review",
                        args=[quote(obj.pk), verdict],
                    ),
                }
                for verdict, label in (("approve", "Approve"), ("reject", "Reject"))
            ]
        return super().render_change_form(request, context, add, change, form_url, obj)

    # -- columns and read-only fields ------------------------------------------------
    @admin.display(description="content")
    def content_name(self, obj: ContentRevision) -> str:
        return str(obj.content)

    @admin.display(description="kind")
    def kind(self, obj: ContentRevision) -> str:
        return "Exercise" if obj.exercise_id else "Routine"

    @admin.display(description="fields changed")
    def changed_fields(self, obj: ContentRevision) -> str:
        return ", ".join(line.label for line in revision_diff(obj)) or EMPTY

    @admin.display(description="proposed by")
    def proposed_by_display(self, obj: ContentRevision) -> str:
        return user_label(obj.proposed_by)

    @admin.display(description="reviewed by")
    def reviewed_by_display(self, obj: ContentRevision) -> str:
        return user_label(obj.reviewed_by)

    @admin.display(description="changes (published → proposed)")
    def diff(self, obj: ContentRevision) -> str:
        rows = format_html_join(
            "",
            '<tr class="diff-{}"><th>{}</th><td class="published">{}</td>'
            '<td class="proposed">{}</td></tr>',
            (
                (line.field, line.label, _shown(line.published), _shown(line.proposed))
                for line in revision_diff(obj)
            ),
        )
        return format_html(
            '<table class="revision-diff"><thead><tr><th>field</th><th>published now'
            "</th><th>proposed</th></tr></thead><tbody>{}</tbody></table>",
            rows,
        )


def _shown(value: Any) -> str:
    return EMPTY if value in (None, "") else str(value)
