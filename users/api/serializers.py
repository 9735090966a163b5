"""Serializers of the accounts API: auth, ``me/`` (with the data export) and ``patients/``.

Input serializers check JSON types and bounds only; the services (users.services,
sessions.services.privacy) decide the rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_ip_address
from django.conf import settings
from rest_framework import exceptions, serializers
from rest_framework.fields import SkipField
from rest_framework_simplejwt.exceptions import InvalidToken
from rest_framework_simplejwt.serializers import (
    PasswordField,
    TokenBlacklistSerializer,
    TokenObtainPairSerializer,
    TokenRefreshSerializer,
)

from config.api.validation import StrictTypesMixin
from users.api.throttling import LoginLockedOut
from users.lockout import login_retry_after
from users.models import User
from users.selectors import user_in_care
from users.services import email_normalize
from users.tokens import FamilyRefreshToken, refresh_rotate


# ---------------------------------------------------------------------------
# Auth
# ---------------------------------------------------------------------------
class AccountSerializer(StrictTypesMixin, serializers.ModelSerializer[User]):
    """An account: who is signed in, their display name and time zone."""

    in_care = serializers.SerializerMethodField(
        help_text="Whether a clinician has taken this patient into their care (an "
        "invitation code does that); false for clinicians and admins. A patient with "
        "no plan and `in_care: false` has no clinician yet."
    )

    class Meta:
        model = User
        fields = ["id", "email", "name", "timezone", "role", "in_care"]
        read_only_fields = ["id", "email", "role", "in_care"]
        extra_kwargs = {
            "id": {"help_text": "Account id (UUID)."},
            "email": {
                "help_text": "Login email address (lower-cased). Cannot be changed through the API."
            },
            "name": {
                "help_text": "Display name, shown to the care team.",
                "allow_blank": False,
            },
            "timezone": {
                "help_text": (
                    'IANA time zone, e.g. "Europe/Paris"; weeks and days of progress are '
                    "counted in it."
                )
            },
            "role": {
                "help_text": (
                    "patient, clinician or admin. Self-registered accounts are always "
                    "patients."
                )
            },
        }

    def get_in_care(self, user: User) -> bool:
        return user_in_care(user=user)


class RegisterSerializer(StrictTypesMixin, serializers.Serializer[Any]):
    """A new patient account. Any other field (e.g. `role`) is ignored."""

    email = serializers.EmailField(
        max_length=254, help_text="Login email address; stored lower-cased."
    )
    password = serializers.CharField(
        write_only=True,
        max_length=128,
        style={"input_type": "password"},
        trim_whitespace=False,
        help_text=(
            "At least 8 characters, not too common, not all digits, not too similar "
            "to the email address."
        ),
    )
    name = serializers.CharField(max_length=150, help_text="Display name.")
    timezone = serializers.CharField(
        max_length=64,
        required=False,
        default="UTC",
        help_text='IANA time zone, e.g. "Europe/Paris" (default "UTC").',
    )
    invite_code = serializers.CharField(
        max_length=32,
        required=False,
        help_text="A clinician's invitation code (e.g. `7KQ2M-X9PDA`; case, spaces and "
        "hyphens do not matter): the new patient is put in that clinician's care.",
    )

    def field_by_field(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """After a failed ``is_valid()``: each field checked alone, so none hides another.

        DRF reports no field error when the JSON types are wrong (StrictTypesMixin
        stops first). Returns the values of the fields that passed and every error.
        """
        errors: dict[str, Any] = dict(self.errors)
        values: dict[str, Any] = {}
        if not isinstance(self.initial_data, Mapping):
            return values, errors
        for name, field in self.fields.items():
            try:
                value = field.run_validation(field.get_value(self.initial_data))
            except serializers.ValidationError as exc:
                errors.setdefault(name, exc.detail)
            except SkipField:
                continue
            else:
                if name not in errors:
                    values[name] = value
        return values, errors


class TokenPairSerializer(serializers.Serializer[Any]):
    """An access token and the refresh token to get the next one."""

    access = serializers.CharField(
        help_text="Access token (JWT) for `Authorization: Bearer <access>`; valid 5 minutes."
    )
    refresh = serializers.CharField(
        help_text=(
            "Refresh token (JWT), valid 30 days and usable once: store it securely and "
            "replace it with the one each refresh returns."
        )
    )


class LoginSerializer(StrictTypesMixin, TokenObtainPairSerializer):
    """Email and password."""

    token_class = FamilyRefreshToken  # a login starts a token family (users/tokens.py)

    # simplejwt's login keyed by email; django-axes sees the request; lockout -> 429.

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # At most an email's length: django-axes stores the attempted name in a
        # varchar(255), so a longer one was a database error (500), not a 400.
        self.fields[self.username_field] = serializers.CharField(
            write_only=True, max_length=254, help_text="Account email address."
        )
        self.fields["password"] = PasswordField(
            max_length=1024, trim_whitespace=False, help_text="Account password."
        )

    def validate(self, attrs: dict[str, Any]) -> dict[str, str]:
        request = self.context["request"]
        # One spelling per account, so case variants neither fail nor dodge the lockout.
        attrs[self.username_field] = email_normalize(attrs[self.username_field])
        try:
            data = super().validate(attrs)
        except exceptions.AuthenticationFailed:
            # authenticate() returned None: wrong credentials, or axes refused a locked
            # out pair (then it flagged the request, even with the right password).
            if getattr(request, "axes_locked_out", False):
                raise LoginLockedOut(wait=login_retry_after(request)) from None
            raise
        if settings.AXES_RESET_ON_SUCCESS:
            # What axes does on user_logged_in, which a token login does not send (the
            # signal's other receivers would open a cookie session for a JWT client).
            AxesProxyHandler.reset_attempts(
                ip_address=get_client_ip_address(request),
                username=attrs[self.username_field],
            )
        return data


class RefreshSerializer(StrictTypesMixin, TokenRefreshSerializer):
    """The refresh token to exchange (it is revoked by the exchange)."""

    # simplejwt's rotating refresh, serialized per token so a token works only once.

    refresh = serializers.CharField(
        help_text="The refresh token from the last login or refresh."
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, str]:
        # Grace window for a lost answer, reuse detection (users/tokens.py).
        return refresh_rotate(token=attrs["refresh"], rotate=self._rotate)

    def _rotate(self, attrs: dict[str, Any]) -> dict[str, str]:
        try:
            return super().validate(attrs)
        except User.DoesNotExist as exc:
            # The account was erased after the token was issued.
            raise InvalidToken("Token is invalid or expired") from exc


class LogoutSerializer(StrictTypesMixin, TokenBlacklistSerializer):
    refresh = serializers.CharField(
        write_only=True, help_text="The refresh token to revoke (this device's)."
    )


# ---------------------------------------------------------------------------
# Me: password and the data export
# ---------------------------------------------------------------------------
def password_field(help_text: str, *, max_length: int = 1024) -> serializers.CharField:
    """A write-only password as typed: never trimmed."""
    return serializers.CharField(
        write_only=True,
        max_length=max_length,
        trim_whitespace=False,
        style={"input_type": "password"},
        help_text=help_text,
    )


class EraseSerializer(StrictTypesMixin, serializers.Serializer[Any]):
    """The current password, to confirm an erasure."""

    password = password_field("The account's current password.")


class PasswordChangeSerializer(StrictTypesMixin, serializers.Serializer[Any]):
    current_password = password_field("The password in use now.")
    new_password = password_field(
        "The new password (same rules as at registration).", max_length=128
    )


# ---------------------------------------------------------------------------
# Patients
# ---------------------------------------------------------------------------
class RoundedFloatField(serializers.FloatField):
    """A float rounded to two decimals (PostgreSQL averages come back as Decimal)."""

    # FloatField renders a float; the stubs type every Field's representation as str.
    def to_representation(self, value: Any) -> float:  # type: ignore[override]
        return round(float(value), 2)


# Reads the annotations of sessions.progress.annotate_recent_activity and the
# adherence_last_4_weeks attribute set by the view: no queries per row.
class PatientSerializer(serializers.Serializer[Any]):
    """A patient in the caller's care with their recent activity at a glance."""

    id = serializers.UUIDField(
        help_text="The patient's user id (use it as `?patient=`)."
    )
    name = serializers.CharField(help_text="Display name.")
    email = serializers.EmailField(help_text="Login email.")
    timezone = serializers.CharField(
        help_text="IANA time zone; weeks are computed in it."
    )
    last_session_at = serializers.DateTimeField(
        allow_null=True,
        help_text="Start of the most recent (non-deleted) session; null if none.",
    )
    recent_pain_after = RoundedFloatField(
        allow_null=True,
        help_text=(
            "Mean pain after (0-10) of the 5 most recent sessions that recorded "
            "it, 2 decimals; null if none."
        ),
    )
    adherence_last_4_weeks = serializers.FloatField(
        allow_null=True,
        help_text=(
            "Sessions done / scheduled over the last 28 days up to the patient's "
            "today (rules of `progress/`); null if nothing was scheduled."
        ),
    )
    open_alerts = serializers.IntegerField(
        help_text="Alerts on this patient nobody has acknowledged yet (`alerts/`)."
    )


PATIENT_ORDERINGS = ["name", "-name", "open_alerts", "-open_alerts"]


class PatientQuerySerializer(serializers.Serializer):
    ordering = serializers.ChoiceField(
        choices=PATIENT_ORDERINGS,
        required=False,
        allow_blank=True,  # blank means the default order, as on the other lists
        help_text="Sort key (`-` for descending): `-open_alerts` puts the patients "
        "with the most unacknowledged alerts first. Default (or blank): name.",
    )
