from django.urls import path
from rest_framework.routers import SimpleRouter

from outcomes.api.proms import (
    AssignmentViewSet,
    DueQuestionnairesView,
    QuestionnaireResponseViewSet,
    QuestionnaireViewSet,
)
from outcomes.api.reminders import (
    CalendarFeedView,
    CalendarRotateView,
    CalendarView,
    TodayView,
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
    path("me/today/", TodayView.as_view(), name="me-today"),
    path("me/calendar/", CalendarView.as_view(), name="me-calendar"),
    path(
        "me/calendar/rotate/", CalendarRotateView.as_view(), name="me-calendar-rotate"
    ),
    path("calendar/<str:token>.ics", CalendarFeedView.as_view(), name="calendar-feed"),
    path(
        "me/questionnaires/due/",
        DueQuestionnairesView.as_view(),
        name="me-questionnaires-due",
    ),
    *router.urls,
]
