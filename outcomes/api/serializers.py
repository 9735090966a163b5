"""Serializers of the outcomes API (input and output shapes; rules are in the services)."""

from __future__ import annotations

from rest_framework import serializers

from config.api.validation import StrictTypesMixin
from outcomes.models import AlertKind, AlertStatus


class AlertPersonSerializer(serializers.Serializer):
    id = serializers.UUIDField(help_text="User id.")
    name = serializers.CharField(help_text="Display name.")


class AlertSerializer(serializers.Serializer):
    """An alert on a patient's data, with who handled it and when."""

    id = serializers.UUIDField(help_text="Alert id.")
    patient = AlertPersonSerializer(help_text="The patient the alert is about.")
    kind = serializers.ChoiceField(
        choices=AlertKind.choices, help_text="The rule that raised it."
    )
    status = serializers.ChoiceField(
        choices=AlertStatus.choices,
        help_text="open, then acknowledged (someone is on it), then resolved.",
    )
    message = serializers.CharField(help_text="What was found, in one sentence.")
    evidence = serializers.DictField(
        help_text="The values the rule saw (kept when the session is edited or deleted)."
    )
    session = serializers.UUIDField(
        source="session_id",
        allow_null=True,
        help_text="The session that raised it (flare, pain during, trend); else null.",
    )
    plan = serializers.UUIDField(
        source="plan_id",
        allow_null=True,
        help_text="The plan concerned (inactivity; the session's plan); else null.",
    )
    created_at = serializers.DateTimeField(help_text="When the alert was raised.")
    acknowledged_at = serializers.DateTimeField(
        allow_null=True, help_text="When it was acknowledged; null while open."
    )
    acknowledged_by = AlertPersonSerializer(
        allow_null=True, help_text="Who acknowledged it; null while open."
    )
    resolved_at = serializers.DateTimeField(
        allow_null=True, help_text="When it was resolved; null until then."
    )
    resolved_by = AlertPersonSerializer(
        allow_null=True, help_text="Who resolved it; null until then."
    )
    note = serializers.CharField(help_text="The clinician's note (may be empty).")


class AlertQuerySerializer(serializers.Serializer):
    patient = serializers.UUIDField(
        required=False, help_text="Only this patient's alerts (one of yours)."
    )
    status = serializers.ChoiceField(
        choices=AlertStatus.choices,
        required=False,
        help_text="Only alerts in this status.",
    )
    kind = serializers.ChoiceField(
        choices=AlertKind.choices, required=False, help_text="Only alerts of this kind."
    )


class AlertActionSerializer(StrictTypesMixin, serializers.Serializer):
    note = serializers.CharField(
        max_length=1000,
        allow_blank=True,
        required=False,
        default="",
        help_text="Optional note on what was done (replaces the stored note when given).",
    )


class AlertSettingsSerializer(StrictTypesMixin, serializers.Serializer):
    daily_digest = serializers.BooleanField(
        help_text=(
            "Email me a daily digest of my patients' unresolved alerts "
            "(off until turned on)."
        )
    )
