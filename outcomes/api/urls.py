from django.urls import path
from rest_framework.routers import SimpleRouter

from outcomes.api.views import AlertSettingsView, AlertViewSet

app_name = "outcomes-api"

router = SimpleRouter()
router.register("alerts", AlertViewSet, basename="alert")

urlpatterns = [
    path("me/alert-settings/", AlertSettingsView.as_view(), name="me-alert-settings"),
    *router.urls,
]
