from django.urls import include, path

from config.api.views import ApiIndexView, StatusView

app_name = "api"

urlpatterns = [
    path("", ApiIndexView.as_view(), name="index"),
    path("status/", StatusView.as_view(), name="status"),
    path("", include("exercises.api.urls")),
    path("", include("users.api.urls")),
    path("", include("sessions.api.urls")),
    path("", include("outcomes.api.urls")),
]
