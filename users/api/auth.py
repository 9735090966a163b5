"""Accounts for mobile clients: register, log in, refresh (rotating), log out.

Tokens are djangorestframework-simplejwt's: a short-lived access token (5 minutes) and a
refresh token (30 days) that rotates on every refresh and is blacklisted once used.
Failed logins are counted by django-axes (per email and client address); a locked-out
pair answers 429 with ``Retry-After``, like the ScopedRateThrottle limits.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_ip_address, get_cool_off
from django.conf import settings
from django.db import connections, transaction
from django.utils.decorators import method_decorator
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
)
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import InvalidToken
from rest_framework_simplejwt.serializers import (
    PasswordField,
    TokenBlacklistSerializer,
    TokenObtainPairSerializer,
    TokenRefreshSerializer,
)
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.views import (
    TokenBlacklistView,
    TokenObtainPairView,
    TokenRefreshView,
)

from config.api.schema import (
    THROTTLE_PARAMETERS,
    problem_example,
    problem_response,
    problem_responses,
)
from config.api.validation import StrictTypesMixin
from users.models import User
from users.services import email_normalize, user_register

if TYPE_CHECKING:
    from rest_framework.request import Request

AUTH = ["auth"]

LOCKED_OUT = (
    "Too many failed logins for this email address from this network. "
    "Wait before trying again; every attempt while locked restarts the wait."
)
FALLBACK_RETRY_AFTER = 60  # seconds, when a throttle cannot say how long to wait


class LoginLockedOut(exceptions.Throttled):
    """django-axes locked this email + address pair out: 429 with Retry-After."""

    default_detail = LOCKED_OUT
    default_code = "locked_out"


class RetryAfterMixin:
    """Every 429 of these views carries Retry-After, even when a throttle cannot compute it."""

    def throttled(self, request: Request, wait: float | None) -> None:
        raise exceptions.Throttled(wait=wait if wait else FALLBACK_RETRY_AFTER)


# ---------------------------------------------------------------------------
# Serializers
# ---------------------------------------------------------------------------
class AccountSerializer(StrictTypesMixin, serializers.ModelSerializer):
    """An account: who is signed in, their display name and time zone."""

    class Meta:
        model = User
        fields = ["id", "email", "name", "timezone", "role"]
        read_only_fields = ["id", "email", "role"]
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
                "help_text": 'IANA time zone, e.g. "Europe/Paris"; weeks and days of progress are counted in it.'
            },
            "role": {
                "help_text": "patient, clinician or admin. Self-registered accounts are always patients."
            },
        }


class RegisterSerializer(StrictTypesMixin, serializers.Serializer):
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


class TokenPairSerializer(serializers.Serializer):
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
                cool_off = get_cool_off(request)
                raise LoginLockedOut(
                    wait=cool_off.total_seconds() if cool_off else FALLBACK_RETRY_AFTER
                ) from None
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
        # Decoding without verification only finds the row to lock; super() verifies.
        jti = RefreshToken(attrs["refresh"], verify=False).get("jti")
        with transaction.atomic():
            # Two refreshes of one token at once: the second waits here, then finds
            # the token blacklisted (PostgreSQL; SQLite serializes writes anyway).
            # order_by(): the model orders by its nullable user, an outer join that
            # PostgreSQL refuses to lock.
            list(
                OutstandingToken.objects.select_for_update()
                .filter(jti=jti)
                .order_by()
                .values_list("id", flat=True)
            )
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
# Schema pieces
# ---------------------------------------------------------------------------
EXAMPLE_USER_ID = "5d1f4c7e-2b9a-4e1c-9f0a-3c2b1a0d9e8f"
EXAMPLE_ACCESS = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ0b2tlbl90eXBlIjoiYWNjZXNzIiwidXNlcl9pZCI6"
    "IjVkMWY0YzdlIn0.access-signature"
)
EXAMPLE_REFRESH = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ0b2tlbl90eXBlIjoicmVmcmVzaCIsInVzZXJfaWQi"
    "OiI1ZDFmNGM3ZSJ9.refresh-signature"
)
EXAMPLE_ACCOUNT = {
    "id": EXAMPLE_USER_ID,
    "email": "ana@example.com",
    "name": "Ana Silva",
    "timezone": "Europe/Lisbon",
    "role": "patient",
}


def throttled_response(path: str, *, lockout: bool = False) -> dict[Any, Any]:
    examples = [
        problem_example(
            "Throttled",
            429,
            "throttled",
            "Request was throttled. Expected available in 42 seconds.",
            instance=path,
        )
    ]
    description = "Too many requests from this client: wait `Retry-After` seconds."
    if lockout:
        examples.append(
            problem_example(
                "Locked out",
                429,
                "locked_out",
                f"{LOCKED_OUT} Expected available in 900 seconds.",
                instance=path,
            )
        )
        description = (
            "Throttled (code `throttled`), or locked out after repeated failed logins "
            "for this email from this address (code `locked_out`; even the right "
            "password is refused until the wait is over). Wait `Retry-After` seconds."
        )
    return problem_responses(s429=problem_response(429, description, *examples))


def token_not_valid(path: str, detail: str = "Token is blacklisted") -> Any:
    return problem_responses(
        s401=problem_response(
            401,
            "The refresh token is malformed, expired, already used (rotated) or revoked "
            "(logged out, password changed, account erased): log in again.",
            problem_example(
                "Token not valid", 401, "token_not_valid", detail, instance=path
            ),
        )
    )


# ---------------------------------------------------------------------------
# Views
# ---------------------------------------------------------------------------
class RegisterView(RetryAfterMixin, APIView):
    """Create a patient account. Then log in with `auth/token/` to get tokens.

    Self-registration always creates a **patient**: a `role` in the body is ignored.
    Clinician accounts are created by an administrator. Throttled per client address
    (scope `register`).
    """

    authentication_classes = ()
    permission_classes = (AllowAny,)
    throttle_classes = (ScopedRateThrottle,)
    throttle_scope = "register"

    @extend_schema(
        operation_id="auth_register",
        tags=AUTH,
        summary="Register a patient account",
        request=RegisterSerializer,
        responses={
            201: OpenApiResponse(
                AccountSerializer, description="Account created (a patient)."
            ),
            **problem_responses(
                s400=problem_response(
                    400,
                    "Invalid fields: email taken or malformed, password too weak, unknown "
                    "time zone, missing name. `errors` lists each.",
                    problem_example(
                        "Email taken",
                        400,
                        "invalid",
                        "An account with this email address already exists.",
                        instance="/api/v1/auth/register/",
                        errors=[
                            {
                                "field": "email",
                                "code": "email_taken",
                                "message": "An account with this email address already exists.",
                            }
                        ],
                    ),
                    problem_example(
                        "Weak password",
                        400,
                        "invalid",
                        "The request has invalid fields; see errors.",
                        instance="/api/v1/auth/register/",
                        errors=[
                            {
                                "field": "password",
                                "code": "password_too_short",
                                "message": "This password is too short. It must contain at least 8 characters.",
                            },
                            {
                                "field": "password",
                                "code": "password_too_common",
                                "message": "This password is too common.",
                            },
                        ],
                    ),
                )
            ),
            **throttled_response("/api/v1/auth/register/"),
        },
        parameters=THROTTLE_PARAMETERS,
        examples=[
            OpenApiExample(
                "Register",
                value={
                    "email": "ana@example.com",
                    "password": "knee-bends-at-dawn",
                    "name": "Ana Silva",
                    "timezone": "Europe/Lisbon",
                },
                request_only=True,
            ),
            OpenApiExample("Created", value=EXAMPLE_ACCOUNT, response_only=True),
        ],
    )
    def post(self, request: Request) -> Response:
        serializer = RegisterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = user_register(**serializer.validated_data)
        return Response(AccountSerializer(user).data, status=status.HTTP_201_CREATED)


# Failed logins must be recorded even though the response is an error: DRF rolls the
# request transaction back on errors (ATOMIC_REQUESTS), which would erase axes' count.
@method_decorator(transaction.non_atomic_requests, name="dispatch")
class LoginView(RetryAfterMixin, TokenObtainPairView):
    """Log in with email and password; get an access token and a refresh token.

    - `access` (JWT, valid **5 minutes**): send it as `Authorization: Bearer <access>`.
    - `refresh` (JWT, valid **30 days**): exchange it at `auth/token/refresh/` for a new
      pair before or after the access token expires. Each refresh token works **once**.

    Wrong credentials answer 401 (`no_active_account`). After 5 failed logins for one
    email from one address, that pair is locked out for 15 minutes: 429 `locked_out`
    with `Retry-After`, even with the right password. Throttled per address (scope `auth`).
    """

    serializer_class = LoginSerializer
    throttle_classes = (ScopedRateThrottle,)
    throttle_scope = "auth"

    def handle_exception(self, exc: Exception) -> Response:
        # DRF's exception handler marks the innermost transaction for rollback. This
        # view owns none (see non_atomic_requests above), so any such block belongs to
        # a caller (e.g. a test's transaction): leave its rollback flag as it was.
        flags = {
            conn.alias: conn.needs_rollback
            for conn in connections.all()
            if conn.in_atomic_block
        }
        response = super().handle_exception(exc)
        for alias, needs_rollback in flags.items():
            connections[alias].set_rollback(needs_rollback)
        return response

    @extend_schema(
        operation_id="auth_token",
        tags=AUTH,
        summary="Log in (get access and refresh tokens)",
        request=LoginSerializer,
        responses={
            200: OpenApiResponse(TokenPairSerializer, description="Logged in."),
            **problem_responses(
                s400=problem_response(
                    400,
                    "Missing email or password.",
                    problem_example(
                        "Missing password",
                        400,
                        "invalid",
                        "This field is required.",
                        instance="/api/v1/auth/token/",
                        errors=[
                            {
                                "field": "password",
                                "code": "required",
                                "message": "This field is required.",
                            }
                        ],
                    ),
                )
            ),
            **problem_responses(
                s401=problem_response(
                    401,
                    "Wrong email or password, or the account is disabled.",
                    problem_example(
                        "Wrong credentials",
                        401,
                        "no_active_account",
                        "No active account found with the given credentials",
                        instance="/api/v1/auth/token/",
                    ),
                )
            ),
            **throttled_response("/api/v1/auth/token/", lockout=True),
        },
        parameters=THROTTLE_PARAMETERS,
        examples=[
            OpenApiExample(
                "Log in",
                value={"email": "ana@example.com", "password": "knee-bends-at-dawn"},
                request_only=True,
            ),
            OpenApiExample(
                "Tokens",
                value={"access": EXAMPLE_ACCESS, "refresh": EXAMPLE_REFRESH},
                response_only=True,
            ),
        ],
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().post(request, *args, **kwargs)


class RefreshView(RetryAfterMixin, TokenRefreshView):
    """Exchange a refresh token for a new access token **and a new refresh token**.

    Refresh tokens rotate: the one you send is revoked by this call, so store the new
    `refresh` before using it again. Sending a used, revoked or expired refresh token
    answers 401 `token_not_valid`: log in again. If a refresh request fails on the
    network, retry it with the same token only if you never received the answer.
    """

    serializer_class = RefreshSerializer

    @extend_schema(
        operation_id="auth_token_refresh",
        tags=AUTH,
        summary="Refresh tokens (rotating)",
        request=RefreshSerializer,
        responses={
            200: OpenApiResponse(
                TokenPairSerializer,
                description="A new access token and a new refresh token.",
            ),
            **problem_responses(
                s400=problem_response(
                    400,
                    "Missing refresh token.",
                    problem_example(
                        "Missing refresh",
                        400,
                        "invalid",
                        "This field is required.",
                        instance="/api/v1/auth/token/refresh/",
                        errors=[
                            {
                                "field": "refresh",
                                "code": "required",
                                "message": "This field is required.",
                            }
                        ],
                    ),
                )
            ),
            **token_not_valid("/api/v1/auth/token/refresh/"),
            **throttled_response("/api/v1/auth/token/refresh/"),
        },
        parameters=THROTTLE_PARAMETERS,
        examples=[
            OpenApiExample(
                "Refresh", value={"refresh": EXAMPLE_REFRESH}, request_only=True
            ),
            OpenApiExample(
                "New pair",
                value={"access": EXAMPLE_ACCESS, "refresh": EXAMPLE_REFRESH},
                response_only=True,
            ),
        ],
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().post(request, *args, **kwargs)


class LogoutView(RetryAfterMixin, TokenBlacklistView):
    """Log this device out: the refresh token is revoked (other devices stay logged in).

    Needs no access token, so it works after the access token expired. Discard both
    tokens locally whatever the answer; a token already revoked answers 401.
    """

    serializer_class = LogoutSerializer

    @extend_schema(
        operation_id="auth_logout",
        tags=AUTH,
        summary="Log out (revoke a refresh token)",
        request=LogoutSerializer,
        responses={
            204: OpenApiResponse(description="Revoked: the refresh token is dead."),
            **problem_responses(
                s400=problem_response(
                    400,
                    "Missing refresh token.",
                    problem_example(
                        "Missing refresh",
                        400,
                        "invalid",
                        "This field is required.",
                        instance="/api/v1/auth/logout/",
                        errors=[
                            {
                                "field": "refresh",
                                "code": "required",
                                "message": "This field is required.",
                            }
                        ],
                    ),
                )
            ),
            **token_not_valid("/api/v1/auth/logout/"),
            **throttled_response("/api/v1/auth/logout/"),
        },
        parameters=THROTTLE_PARAMETERS,
        examples=[
            OpenApiExample(
                "Log out", value={"refresh": EXAMPLE_REFRESH}, request_only=True
            ),
        ],
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        super().post(request, *args, **kwargs)
        return Response(status=status.HTTP_204_NO_CONTENT)
