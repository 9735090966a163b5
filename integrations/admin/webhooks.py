"""Webhook endpoints (secret shown once), messages with every attempt, "send again".

Only administrators see these pages: the Clinicians group has no permission on them.
Messages and attempts are records: nobody adds or edits them here; the actions move a
message on through the same services the workers use.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from common.admin import ReadOnlyAdminMixin
from integrations.models import WebhookAttempt, WebhookEndpoint, WebhookMessage
from integrations.webhooks import services
from integrations.webhooks.events import EVENT_TYPES

SECRET_SHOWN_ONCE = (
    "The signing secret of {endpoint} is {secret} . Copy it now into the receiver: "
    "it is not shown again (rotate it to get a new one)."
)


class WebhookEndpointForm(forms.ModelForm[WebhookEndpoint]):
    url = forms.URLField(
        label="URL",
        max_length=500,
        assume_scheme="https",
        help_text="Where deliveries are POSTed (https).",
    )
    events = forms.MultipleChoiceField(
        choices=[(key, f"{key}: {text}") for key, text in EVENT_TYPES.items()],
        widget=forms.CheckboxSelectMultiple,
        help_text="The events delivered to this endpoint.",
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["url", "description", "events", "owner"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        candidate = self.instance
        for name in ("url", "description", "events", "owner"):
            setattr(candidate, name, cleaned.get(name))
        try:
            services.endpoint_validate(endpoint=candidate)
        except ValidationError as exc:
            self.add_error(None, exc)
        return cleaned


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin[WebhookEndpoint]):
    form = WebhookEndpointForm
    list_display = ["__str__", "url", "owner", "is_active", "disabled_at", "created_at"]
    list_filter = ["is_active"]
    list_select_related = ["owner"]
    search_fields = ["url", "description", "owner__email"]
    raw_id_fields = ["owner"]
    readonly_fields = ["is_active", "disabled_at", "disabled_reason", "created_at"]
    actions = ["rotate_secret", "enable", "disable"]

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        return {
            "owner": request.user.pk,
            **super().get_changeform_initial_data(request),
        }

    def save_model(
        self, request: HttpRequest, obj: WebhookEndpoint, form: Any, change: bool
    ) -> None:
        is_new = not obj.secret
        services.endpoint_save(endpoint=obj)
        if is_new:
            self._show_secret(request, obj, obj.secret)

    def _show_secret(
        self, request: HttpRequest, endpoint: WebhookEndpoint, secret: str
    ) -> None:
        self.message_user(
            request,
            SECRET_SHOWN_ONCE.format(endpoint=endpoint, secret=secret),
            messages.WARNING,
        )

    @admin.action(description="Rotate the secret (shown once)", permissions=["change"])
    def rotate_secret(
        self, request: HttpRequest, queryset: QuerySet[WebhookEndpoint]
    ) -> None:
        for endpoint in queryset:
            self._show_secret(
                request, endpoint, services.endpoint_secret_rotate(endpoint=endpoint)
            )

    @admin.action(
        description="Enable (pending messages are sent again)", permissions=["change"]
    )
    def enable(self, request: HttpRequest, queryset: QuerySet[WebhookEndpoint]) -> None:
        for endpoint in queryset:
            services.endpoint_enable(endpoint=endpoint)
        self.message_user(
            request, f"Enabled {len(queryset)} endpoint(s).", messages.SUCCESS
        )

    @admin.action(description="Disable", permissions=["change"])
    def disable(
        self, request: HttpRequest, queryset: QuerySet[WebhookEndpoint]
    ) -> None:
        for endpoint in queryset.filter(is_active=True):
            services.endpoint_disable(
                endpoint=endpoint, reason=f"Disabled by {request.user} in the admin."
            )
        self.message_user(request, "Disabled.", messages.SUCCESS)


class WebhookAttemptInline(
    ReadOnlyAdminMixin, admin.TabularInline[WebhookAttempt, WebhookMessage]
):
    model = WebhookAttempt
    extra = 0
    fields = [
        "number",
        "started_at",
        "outcome",
        "status_code",
        "latency_ms",
        "response_excerpt",
        "error",
    ]
    readonly_fields = fields  # type: ignore[assignment]


@admin.register(WebhookMessage)
class WebhookMessageAdmin(admin.ModelAdmin[WebhookMessage]):
    list_display = [
        "webhook_id",
        "event_type",
        "endpoint",
        "status",
        "attempt_count",
        "created_at",
        "next_attempt_at",
        "delivered_at",
    ]
    list_filter = ["status", "event_type"]
    list_select_related = ["endpoint"]
    search_fields = ["id", "endpoint__url", "event_type"]
    date_hierarchy = "created_at"
    inlines = [WebhookAttemptInline]
    actions = ["send_again"]
    fields = [
        "webhook_id",
        "endpoint",
        "event_type",
        "status",
        "attempt_count",
        "created_at",
        "next_attempt_at",
        "retry_until",
        "delivered_at",
        "payload",
    ]
    readonly_fields = fields  # type: ignore[assignment]

    @admin.display(description="payload")
    def payload(self, obj: WebhookMessage) -> str:
        return format_html("<pre>{}</pre>", json.dumps(json.loads(obj.body), indent=2))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A message's page is read-only (view permission); the change permission only
        # lets administrators run "send again" from the list.
        return obj is None and super().has_change_permission(request, obj)

    @admin.action(description="Send again (same webhook-id)")
    def send_again(
        self, request: HttpRequest, queryset: QuerySet[WebhookMessage]
    ) -> None:
        count = services.message_resend(messages=queryset)
        self.message_user(
            request, f"{count} message(s) queued again.", messages.SUCCESS
        )
