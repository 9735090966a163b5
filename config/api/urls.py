from django.urls import include, path

app_name = "api"

urlpatterns = [
    path("", include("exercises.api.urls")),
    path("", include("users.api.urls")),
    path("", include("sessions.api.urls")),
]
