"""Views of the accounts API: auth, the signed-in account (``me/``) and ``patients/``.

Tokens are djangorestframework-simplejwt's: a short-lived access token (5 minutes) and a
refresh token (30 days) that rotates on every refresh and is blacklisted once used.
Failed logins are counted by django-axes (per email and client address); a locked-out
pair answers 429 with ``Retry-After``, like the ScopedRateThrottle limits. The
documentation of each view is in users.api.openapi.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import connections, transaction
from django.utils import timezone
from django.utils.decorators import method_decorator
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import APIView
from rest_framework_simplejwt.views import (
    TokenBlacklistView,
    TokenObtainPairView,
    TokenRefreshView,
)

from config.api.auth import signed_in_user
from config.api.throttling import ScopedRateThrottle
from outcomes.selectors.alerts import open_alert_count_subquery
from sessions.progress import adherence_recent, annotate_recent_activity
from sessions.services.privacy import patient_erase
from users.api.invitation_serializers import (
    InvitationCreatedSerializer,
    InvitationCreateSerializer,
    InvitationRedeemSerializer,
    InvitationSerializer,
)
from users.api.openapi import auth as auth_docs
from users.api.openapi import invitations as invitations_docs
from users.api.openapi import me as me_docs
from users.api.openapi.patients import patient_schema
from users.api.permissions import IsClinicianOrAdmin
from users.api.serializers import (
    AccountSerializer,
    EraseSerializer,
    LoginSerializer,
    LogoutSerializer,
    PasswordChangeSerializer,
    PatientQuerySerializer,
    PatientSerializer,
    RefreshSerializer,
    RegisterSerializer,
)
from users.api.throttling import (
    DEFAULT_AND_SCOPED_THROTTLES,
    RetryAfterMixin,
    default_throttles,
)
from users.invitations import (
    CODE_INVALID,
    invitation_create,
    invitation_list,
    invitation_redeem,
    invitation_revoke,
)
from users.models import Invitation, User
from users.registration import registration_submit
from users.selectors import patient_list
from users.services import (
    access_log_record_many,
    user_change_password,
    user_profile_update,
    user_register_errors,
)

if TYPE_CHECKING:
    from django.db.models import QuerySet
    from rest_framework.request import Request

REGISTER_FIELDS = ("email", "password", "name", "timezone")


# ---------------------------------------------------------------------------
# Auth
# ---------------------------------------------------------------------------
@auth_docs.register_schema
class RegisterView(RetryAfterMixin, APIView):
    """Create a patient account. Then log in with `auth/token/` to get tokens.

    Self-registration always creates a **patient**: a `role` in the body is ignored.
    Clinician accounts are created by an administrator. Throttled per client address
    (scope `register`).

    The answer does not tell whether the email already has an account: for a taken
    email nothing is created, the owner is told by email, and the answer is the same
    `201` (an account with a fresh id and the values sent). Log in next; `401` there
    means the email has an earlier account with another password.
    """

    authentication_classes = ()
    permission_classes = (AllowAny,)
    throttle_classes = (ScopedRateThrottle,)
    throttle_scope = "register"

    def post(self, request: Request) -> Response:
        serializer = RegisterSerializer(data=request.data)
        if not serializer.is_valid():
            # Every invalid field in one answer: the service's rules on what was read.
            values, errors = serializer.field_by_field()
            broken = user_register_errors(
                **{name: values.get(name) for name in REGISTER_FIELDS},
                check_email_free=False,
            )
            if broken:
                errors.update(as_serializer_error(DjangoValidationError(broken)))
            raise exceptions.ValidationError(errors)
        with invite_code_problems():
            # Alike whether or not the email has an account (users.registration).
            registration = registration_submit(**serializer.validated_data)
        body = AccountSerializer(registration.account).data
        body["in_care"] = registration.in_care
        return Response(body, status=status.HTTP_201_CREATED)


# Failed logins must be recorded even though the response is an error: DRF rolls the
# request transaction back on errors (ATOMIC_REQUESTS), which would erase axes' count.
@auth_docs.login_schema
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


@auth_docs.refresh_schema
# A reuse revokes the token family and answers 401: the revocation must outlive the
# error response, so this view runs outside the request transaction (users/tokens.py).
@method_decorator(transaction.non_atomic_requests, name="dispatch")
class RefreshView(RetryAfterMixin, TokenRefreshView):
    """Exchange a refresh token for a new access token **and a new refresh token**.

    Refresh tokens rotate: the one you send is revoked by this call, so store the new
    `refresh` before using it again. If a refresh request fails on the network, retry it
    with the same token within 10 seconds: the same new pair is answered. A used token
    sent later counts as stolen: 401 `token_not_valid`, and every token of that login is
    revoked. A revoked or expired refresh token answers 401 too: log in again.
    """

    serializer_class = RefreshSerializer


@auth_docs.logout_schema
class LogoutView(RetryAfterMixin, TokenBlacklistView):
    """Log this device out: the refresh token is revoked (other devices stay logged in).

    Needs no access token, so it works after the access token expired. Discard both
    tokens locally whatever the answer; a token already revoked answers 401.
    """

    serializer_class = LogoutSerializer

    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        super().post(request, *args, **kwargs)
        return Response(status=status.HTTP_204_NO_CONTENT)


# ---------------------------------------------------------------------------
# Me
# ---------------------------------------------------------------------------
@me_docs.me_schema
class MeView(GenericAPIView):
    """The signed-in account."""

    serializer_class = AccountSerializer

    def get_object(self) -> User:
        return signed_in_user(self.request)

    def get(self, request: Request) -> Response:
        return Response(AccountSerializer(self.get_object()).data)

    def patch(self, request: Request) -> Response:
        serializer = AccountSerializer(
            self.get_object(), data=request.data, partial=True
        )
        serializer.is_valid(raise_exception=True)
        user = user_profile_update(
            user=self.get_object(), data=serializer.validated_data
        )
        return Response(AccountSerializer(user).data)

    def get_throttles(self) -> list[Any]:
        throttles = super().get_throttles()
        if self.request.method == "DELETE":
            # The password is checked here too: the same budget as logins.
            self.throttle_scope = "auth"
            throttles.append(ScopedRateThrottle())
        return throttles

    def delete(self, request: Request) -> Response:
        serializer = EraseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            patient_erase(user=self.get_object(), **serializer.validated_data)
        except PermissionDenied as exc:
            # The service decides who may be erased; its reason is the 403's detail.
            raise exceptions.PermissionDenied(str(exc)) from exc
        return Response(status=status.HTTP_204_NO_CONTENT)


@me_docs.password_schema
class PasswordChangeView(RetryAfterMixin, APIView):
    """Change my password; every device (this one included) must log in again."""

    # api_settings imports the configured classes; the stubs type them as dotted paths.
    throttle_classes = DEFAULT_AND_SCOPED_THROTTLES
    # Same budget as logins: the current password must not be guessable from here.
    throttle_scope = "auth"

    def post(self, request: Request) -> Response:
        serializer = PasswordChangeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user_change_password(user=signed_in_user(request), **serializer.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)


# ---------------------------------------------------------------------------
# Patients
# ---------------------------------------------------------------------------
@patient_schema
class PatientViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """The caller's patients with recent activity (fixed number of queries per page).

    Composes users (who the patients are, the access log) and sessions (activity and
    adherence): the API layer may see both apps, the users domain sees no sessions.
    """

    queryset = User.objects.none()
    serializer_class = PatientSerializer
    permission_classes = [IsAuthenticated, IsClinicianOrAdmin]
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[User]:
        ordering = "name"
        if self.action == "list":
            # A plain dict: DRF reads a blank query value as "not sent".
            # A blank ordering means the default order, as elsewhere (decisions.md).
            params = dict(self.request.query_params.items())
            if params.get("ordering") == "":
                del params["ordering"]
            query = PatientQuerySerializer(data=params)
            query.is_valid(raise_exception=True)
            ordering = query.validated_data.get("ordering") or "name"
        patients = annotate_recent_activity(
            patient_list(user=signed_in_user(self.request))
        ).annotate(open_alerts=open_alert_count_subquery())
        return patients.order_by(ordering, "name", "email", "pk")

    def _with_adherence(self, patients: list[User], action: str) -> list[User]:
        adherence = adherence_recent(patients=patients)
        for patient in patients:
            patient.adherence_last_4_weeks = adherence[patient.pk]  # type: ignore[attr-defined]
        access_log_record_many(
            actor=signed_in_user(self.request),
            patient_ids=[patient.pk for patient in patients],
            action=f"patients.{action}",
            path=self.request.path,
        )
        return patients

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        patients = self._with_adherence(list(page or []), "list")
        return self.get_paginated_response(PatientSerializer(patients, many=True).data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        try:
            pk = uuid.UUID(str(kwargs["pk"]))
        except ValueError:
            raise NotFound from None  # a malformed id is as unknown as a missing one
        patient = self.get_queryset().filter(pk=pk).first()
        if patient is None:
            raise NotFound
        self._with_adherence([patient], "retrieve")
        return Response(PatientSerializer(patient).data)


# ---------------------------------------------------------------------------
# Invitations
# ---------------------------------------------------------------------------
class InviteCodeError(exceptions.APIException):
    """A wrong, used, expired or revoked invitation code: 400 with the code's own name."""

    status_code = 400
    default_code = "invite_code_invalid"
    default_detail = CODE_INVALID


@contextmanager
def invite_code_problems() -> Iterator[None]:
    """Turn the service's ``invite_code`` error into its own 400 problem code."""
    try:
        yield
    except DjangoValidationError as exc:
        errors = getattr(exc, "error_dict", {}).get("invite_code")
        if not errors:
            raise
        raise InviteCodeError(detail=errors[0].message, code=errors[0].code) from exc


@invitations_docs.invitation_schema
class InvitationViewSet(
    mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """A clinician's invitations: send one, list them, revoke a pending one."""

    queryset = Invitation.objects.none()
    serializer_class = InvitationSerializer
    permission_classes = [IsAuthenticated, IsClinicianOrAdmin]
    throttle_classes = DEFAULT_AND_SCOPED_THROTTLES
    throttle_scope = "invitations"
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[Invitation]:
        return invitation_list(clinician=signed_in_user(self.request))

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "now": timezone.now()}

    def get_throttles(self) -> list[Any]:
        # Reads are cheap: only creating and revoking spend the invitations budget.
        if self.request.method == "GET":
            return [throttle() for throttle in default_throttles()]
        return super().get_throttles()

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = InvitationCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            invitation, code = invitation_create(
                clinician=signed_in_user(request), **serializer.validated_data
            )
        except PermissionDenied as exc:
            raise exceptions.PermissionDenied(str(exc)) from exc
        invitation.code = code  # type: ignore[attr-defined]
        data = InvitationCreatedSerializer(
            invitation, context=self.get_serializer_context()
        ).data
        return Response(data, status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, pk: str | None = None) -> Response:
        try:
            invitation = invitation_revoke(
                clinician=signed_in_user(request), invitation_id=int(str(pk))
            )
        except (Invitation.DoesNotExist, ValueError):
            raise NotFound from None
        return Response(
            InvitationSerializer(invitation, context=self.get_serializer_context()).data
        )


@invitations_docs.redeem_schema
class InvitationRedeemView(RetryAfterMixin, APIView):
    """An existing patient uses an invitation code: they join the clinician's care."""

    throttle_classes = DEFAULT_AND_SCOPED_THROTTLES
    # Codes must not be guessable from here: a tight budget per caller.
    throttle_scope = "invite_redeem"

    def post(self, request: Request) -> Response:
        serializer = InvitationRedeemSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = signed_in_user(request)
        try:
            with invite_code_problems():
                invitation_redeem(patient=user, code=serializer.validated_data["code"])
        except PermissionDenied as exc:
            raise exceptions.PermissionDenied(str(exc)) from exc
        return Response(AccountSerializer(user).data)
