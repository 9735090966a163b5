from django.urls import path
from rest_framework.routers import SimpleRouter

from users.api.views import (
    InvitationRedeemView,
    InvitationViewSet,
    LoginView,
    LogoutView,
    MeView,
    PasswordChangeView,
    PatientViewSet,
    RefreshView,
    RegisterView,
)

app_name = "users-api"

router = SimpleRouter()
router.register("patients", PatientViewSet, basename="patient")
router.register("invitations", InvitationViewSet, basename="invitation")

urlpatterns = [
    path("auth/register/", RegisterView.as_view(), name="auth-register"),
    path("auth/token/", LoginView.as_view(), name="auth-token"),
    path("auth/token/refresh/", RefreshView.as_view(), name="auth-token-refresh"),
    path("auth/logout/", LogoutView.as_view(), name="auth-logout"),
    path("me/", MeView.as_view(), name="me"),
    path("me/password/", PasswordChangeView.as_view(), name="me-password"),
    path(
        "me/invitations/redeem/",
        InvitationRedeemView.as_view(),
        name="me-invitations-redeem",
    ),
    *router.urls,
]
