from django.urls import path
from rest_framework.routers import SimpleRouter

from sessions.api.export import ExportView
from sessions.api.views import PlanViewSet, ProgressView, SessionViewSet

app_name = "sessions-api"

router = SimpleRouter()
router.register("plans", PlanViewSet, basename="plan")
router.register("sessions", SessionViewSet, basename="session")

urlpatterns = [
    path("progress/", ProgressView.as_view(), name="progress"),
    path("me/export/", ExportView.as_view(), name="me-export"),
    *router.urls,
]
