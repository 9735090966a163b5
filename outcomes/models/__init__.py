"""Models of the outcomes app, one module per family."""

from outcomes.models.alerts import (
    UNRESOLVED,
    Alert,
    AlertDigest,
    AlertKind,
    AlertStatus,
    ClinicianAlertSettings,
)
from outcomes.models.proms import (
    Questionnaire,
    QuestionnaireAssignment,
    QuestionnaireResponse,
)
from outcomes.models.reminders import CalendarFeed

__all__ = [
    "UNRESOLVED",
    "Alert",
    "AlertDigest",
    "AlertKind",
    "AlertStatus",
    "CalendarFeed",
    "ClinicianAlertSettings",
    "Questionnaire",
    "QuestionnaireAssignment",
    "QuestionnaireResponse",
]
