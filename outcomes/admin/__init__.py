"""The outcomes admin: alerts for the care team, questionnaires and their answers."""

from outcomes.admin.alerts import AlertAdmin, ClinicianAlertSettingsAdmin
from outcomes.admin.patients import PatientOutcomesAdmin
from outcomes.admin.proms import QuestionnaireAdmin, QuestionnaireResponseAdmin

__all__ = [
    "AlertAdmin",
    "ClinicianAlertSettingsAdmin",
    "PatientOutcomesAdmin",
    "QuestionnaireAdmin",
    "QuestionnaireResponseAdmin",
]
