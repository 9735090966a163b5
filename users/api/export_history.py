"""Export sections about what the service keeps besides the data itself: plan edit
history, login records and logged-in devices (GDPR Art. 15/20; issue 10, finding 10)."""

from __future__ import annotations

from rest_framework import serializers
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken


class ExportPlanVersionSerializer(serializers.Serializer):
    """One version of a plan, as its edit history keeps it."""

    id = serializers.UUIDField(help_text="Plan id.")
    history_date = serializers.DateTimeField(help_text="When this version was saved.")
    history_type = serializers.CharField(
        help_text='"+" created, "~" changed, "-" deleted.'
    )
    history_change_reason = serializers.CharField(
        allow_null=True, help_text="Why, when the editor said."
    )
    title = serializers.CharField()
    status = serializers.CharField()
    start_date = serializers.DateField()
    end_date = serializers.DateField(allow_null=True)
    days_of_week = serializers.JSONField(allow_null=True)
    times_per_week = serializers.IntegerField(allow_null=True)
    note = serializers.CharField(allow_blank=True)


class ExportPlanItemVersionSerializer(serializers.Serializer):
    """One version of a plan's exercise and its dosage, as the edit history keeps it."""

    id = serializers.IntegerField(help_text="Plan item id.")
    plan_id = serializers.UUIDField(help_text="The plan it belongs to.")
    history_date = serializers.DateTimeField(help_text="When this version was saved.")
    history_type = serializers.CharField(
        help_text='"+" created, "~" changed, "-" deleted.'
    )
    history_change_reason = serializers.CharField(allow_null=True)
    exercise_id = serializers.UUIDField(allow_null=True)
    order = serializers.IntegerField()
    sets = serializers.IntegerField(allow_null=True)
    reps = serializers.IntegerField(allow_null=True)
    steps = serializers.IntegerField(allow_null=True)
    seconds = serializers.IntegerField(allow_null=True)
    per_side = serializers.BooleanField()
    hold_seconds = serializers.IntegerField(allow_null=True)
    rest_seconds = serializers.IntegerField(allow_null=True)
    load = serializers.CharField(allow_blank=True)
    tempo = serializers.CharField(allow_blank=True)
    block = serializers.CharField(allow_blank=True)
    note = serializers.CharField(allow_blank=True)


class ExportLoginRecordSerializer(serializers.Serializer):
    """A login record kept for the lockout: when, from which address and device."""

    kind = serializers.ChoiceField(
        choices=["login", "failed", "failures_counted"],
        help_text=(
            "login: a successful admin login; failed: one failed login; "
            "failures_counted: the failures counted from one address and device."
        ),
    )
    attempt_time = serializers.DateTimeField(help_text="When (the latest, if counted).")
    ip_address = serializers.IPAddressField(allow_null=True, help_text="From where.")
    user_agent = serializers.CharField(help_text="The device's User-Agent.")
    path_info = serializers.CharField(help_text="The login URL used.")


class ExportDeviceSerializer(serializers.ModelSerializer):
    """A refresh token that still works: one logged-in device (the token itself is not
    exported)."""

    class Meta:
        model = OutstandingToken
        fields = ["jti", "created_at", "expires_at"]
        extra_kwargs = {
            "jti": {"help_text": "The token's id."},
            "created_at": {
                "help_text": "When this device logged in or last refreshed."
            },
            "expires_at": {"help_text": "When the token expires unless refreshed."},
        }
