"""Serializers of the invitations API (``invitations/``, ``me/invitations/redeem/``)."""

from __future__ import annotations

from rest_framework import serializers

from config.api.validation import StrictTypesMixin
from users.models import Invitation


# ---------------------------------------------------------------------------
# Invitations
# ---------------------------------------------------------------------------
class InvitationCreateSerializer(StrictTypesMixin, serializers.Serializer):
    email = serializers.EmailField(
        max_length=254, help_text="The patient's email address: the code is sent there."
    )
    note = serializers.CharField(
        max_length=1000,
        required=False,
        default="",
        allow_blank=True,
        help_text="A note to the patient, added to the email.",
    )


class InvitationSerializer(serializers.ModelSerializer):
    """An invitation as its clinician sees it (the code is shown once, at creation)."""

    status = serializers.SerializerMethodField(
        help_text="pending, redeemed, revoked or expired."
    )
    redeemed_by = serializers.UUIDField(
        source="redeemed_by_id",
        allow_null=True,
        read_only=True,
        help_text="The patient who used the code.",
    )

    class Meta:
        model = Invitation
        fields = [
            "id",
            "email",
            "note",
            "status",
            "created_at",
            "expires_at",
            "redeemed_at",
            "redeemed_by",
            "revoked_at",
        ]
        read_only_fields = fields

    def get_status(self, invitation: Invitation) -> str:
        return invitation.status_at(self.context["now"])


class InvitationCreatedSerializer(InvitationSerializer):
    code = serializers.CharField(
        read_only=True,
        help_text="The single-use code (10 characters, shown as XXXXX-XXXXX). Shown "
        "only in this answer and in the email: only a hash is stored.",
    )

    class Meta(InvitationSerializer.Meta):
        fields = [*InvitationSerializer.Meta.fields, "code"]
        read_only_fields = fields


class InvitationRedeemSerializer(StrictTypesMixin, serializers.Serializer):
    code = serializers.CharField(
        max_length=32,
        help_text="The invitation code; case, spaces and hyphens do not matter.",
    )
