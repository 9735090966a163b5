from django.urls import path
from rest_framework.routers import SimpleRouter

from outcomes.api.proms import (
    AssignmentViewSet,
    DueQuestionnairesView,
    QuestionnaireResponseViewSet,
    QuestionnaireViewSet,
)
from outcomes.api.views import AlertSettingsView, AlertViewSet

app_name = "outcomes-api"

router = SimpleRouter()
router.register("alerts", AlertViewSet, basename="alert")
router.register("questionnaires", QuestionnaireViewSet, basename="questionnaire")
router.register(
    "questionnaire-responses",
    QuestionnaireResponseViewSet,
    basename="questionnaire-response",
)
router.register(
    "questionnaire-assignments", AssignmentViewSet, basename="questionnaire-assignment"
)

urlpatterns = [
    path("me/alert-settings/", AlertSettingsView.as_view(), name="me-alert-settings"),
    path(
        "me/questionnaires/due/",
        DueQuestionnairesView.as_view(),
        name="me-questionnaires-due",
    ),
    *router.urls,
]
